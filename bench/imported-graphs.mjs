// Imported ONNX models: predictOnBatch compiled (the default inference plan) vs uncompiled
// (importOnnx(..., { compile: false })) vs onnxruntime-node, batch 1 and 8, medians of alternating
// runs; then where the compiled plan's time goes by op type.
// Usage: npm run build:ts && node bench/imported-graphs.mjs [model.onnx ...]  (default: test/fixtures)
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const ort = require('onnxruntime-node');

const fixtures = join(import.meta.dirname, '../test/fixtures');
const files = process.argv.slice(2).length ? process.argv.slice(2)
  : readdirSync(fixtures).filter((f) => f.endsWith('.onnx')).map((f) => join(fixtures, f));

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Inputs at batch `b` from the graph's declared shapes (symbolic non-batch dims: the fixture's io.json, else 8). */
function inputsFor(file, model, b) {
  let io = null;
  try { io = JSON.parse(readFileSync(file.replace(/\.onnx$/, '.io.json'), 'utf8')); } catch { /* no io file */ }
  return model.inputs.map((t, k) => {
    const known = io ? Object.values(io.inputs)[k].shape : null;
    const shape = t.shape.map((d, i) => (i === 0 ? b : d ?? known?.[i] ?? 8));
    const n = shape.reduce((p, d) => p * d, 1);
    if (t.dtype === 'int32') return tf.tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % 5), shape, 'int32');
    return tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), shape, 'float32');
  });
}

function timeOnce(fn) {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function ortSession(file) {
  try { return await ort.InferenceSession.create(file, { intraOpNumThreads: 2, interOpNumThreads: 1 }); } catch { return null; }
}

async function ortTime(session, xs) {
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    const x = xs[k];
    feeds[name] = x.dtype === 'int32'
      ? new ort.Tensor('int64', BigInt64Array.from(x.dataSync(), (v) => BigInt(v)), x.shape)
      : new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape);
  });
  const t0 = performance.now();
  await session.run(feeds);
  return performance.now() - t0;
}

console.log(`CPU: ${cpus()[0].model} x${cpus().length}`);
console.log('| model | batch | uncompiled ms | compiled ms | speedup | onnxruntime ms | steps / imported nodes |');
console.log('|---|---|---|---|---|---|---|');
const profiles = [];
for (const file of files) {
  const name = basename(file, '.onnx');
  const compiled = tf.importOnnx(file);
  const plain = tf.importOnnx(file, { compile: false });
  const session = await ortSession(file);
  for (const b of [1, 8]) {
    const xs = inputsFor(file, compiled, b);
    const run = (m) => tf.tidy(() => { const y = m.predictOnBatch(xs.length === 1 ? xs[0] : xs); (Array.isArray(y) ? y[0] : y).dataSync(); });
    const heavy = timeOnce(() => run(plain));
    const reps = Math.max(5, Math.min(60, Math.floor(1500 / Math.max(heavy, 0.05))));
    run(compiled); run(compiled);
    const a = [];
    const c = [];
    const o = [];
    for (let r = 0; r < reps; r++) {
      a.push(timeOnce(() => run(plain)));
      c.push(timeOnce(() => run(compiled)));
      if (session) o.push(await ortTime(session, xs));
    }
    const s = compiled.inferencePlanner.stats(xs);
    const [ma, mc] = [median(a), median(c)];
    console.log(`| ${name} | ${b} | ${ma.toFixed(3)} | ${mc.toFixed(3)} | ${(ma / mc).toFixed(2)}x | ${session ? median(o).toFixed(3) : '-'} | ${s.steps} / ${s.importedNodes} |`);
    if (b === 1) {
      // Per op type, the median over 7 profiled calls (one descheduled call must not dominate).
      const runs = new Map();
      for (let r = 0; r < 7; r++) tf.tidy(() => { for (const [op, ms] of compiled.inferencePlanner.profile(xs)) runs.set(op, [...(runs.get(op) ?? []), ms]); });
      profiles.push({ name, times: new Map([...runs].map(([op, v]) => [op, median(v)])) });
    }
  }
}
console.log('\nCompiled plan, batch 1: milliseconds per call by op type (median of 7 calls; top 6)');
for (const { name, times } of profiles) {
  const total = [...times.values()].reduce((p, v) => p + v, 0);
  const top = [...times].sort((x, y) => y[1] - x[1]).slice(0, 6).map(([op, ms]) => `${op} ${ms.toFixed(3)} (${Math.round((100 * ms) / total)}%)`);
  console.log(`- ${name} (${total.toFixed(3)} ms): ${top.join(', ')}`);
}
