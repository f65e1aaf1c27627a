// Batch-1 predict latency of imported transformers, tensorforge against onnxruntime-node on the
// same file, plus the fused attention kernel's GFLOP/s. The machine is shared, so everything one
// process can hold is measured interleaved, round by round (fused import, unfused import, onnxruntime),
// and reported as medians over rounds; another build (e.g. the commit before) runs in its own
// process with the same onnxruntime rounds, so its ratio to onnxruntime is comparable:
//   node bench/transformer-import.mjs compare <dist dir> <model.onnx>
//   node bench/transformer-import.mjs sdpa <dist dir>
// Prints one JSON line. Models: test/fixtures/{transformer,tiny-gpt,vit-small,gpt-small}.onnx.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const [mode, a1, a2, a3] = process.argv.slice(2);
const WARMUP = 30;
const ROUNDS = 7;
const PER_ROUND = 60;

/** A batch-1 input for the model's first graph input (its symbolic dims at a model-typical size). */
function inputSpec(file) {
  const io = JSON.parse(readFileSync(file.replace(/\.onnx$/, '.io.json'), 'utf8'));
  const [name, inp] = Object.entries(io.inputs)[0];
  const shape = [1, ...inp.shape.slice(1)];
  const n = shape.reduce((x, y) => x * y, 1);
  const data = inp.data.slice(0, n);
  return { name, shape, data, int: inp.dtype === 'int64' };
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1];
}

/** Median over rounds of the mean ms per call. */
async function time(fn, warmup = WARMUP, perRound = PER_ROUND) {
  for (let i = 0; i < warmup; i++) await fn();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRound; i++) await fn();
    rounds.push((performance.now() - t0) / perRound);
  }
  return median(rounds);
}

if (mode === 'compare') {
  const tf = require(`${a1}/index.js`);
  const ort = require('onnxruntime-node');
  const spec = inputSpec(a2);
  // The model imported first runs measurably slower in the same process (seen with two identical
  // imports), so BENCH_ORDER=reverse imports the unfused one first; average both orders.
  const reverse = process.env.BENCH_ORDER === 'reverse';
  const order = reverse ? ['unfused', 'fused'] : ['fused', 'unfused'];
  const variants = Object.fromEntries(order.map((k) => [k, tf.importOnnx(a2, k === 'unfused' ? { fuseAttention: false } : {})])); // a build without the option imports unfused twice
  const x = spec.int ? tf.tensor(Int32Array.from(spec.data), spec.shape, 'int32') : tf.tensor(Float32Array.from(spec.data), spec.shape);
  // BENCH_THREADS=1 pins both runtimes to one thread (set TENSORFORGE_NUM_THREADS=1 too): steadier on a loaded machine.
  const threads = Number(process.env.BENCH_THREADS ?? 0);
  const session = await ort.InferenceSession.create(a2, threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {});
  const feed = {
    [spec.name]: spec.int
      ? new ort.Tensor('int64', BigInt64Array.from(spec.data, (v) => BigInt(v)), spec.shape)
      : new ort.Tensor('float32', Float32Array.from(spec.data), spec.shape),
  };
  const runs = {
    ...Object.fromEntries(Object.entries(variants).map(([k, m]) => [k, () => {
      const y = m.predictOnBatch(x);
      y.dataSync();
      y.dispose();
    }])),
    ort: () => session.run(feed),
  };
  for (const fn of Object.values(runs)) for (let i = 0; i < WARMUP; i++) await fn();
  const samples = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  // Each block starts with untimed calls (the previous block may have left the other runtime's
  // threads spinning and this one's parked), and the order rotates between rounds.
  const names = Object.keys(runs);
  for (let r = 0; r < ROUNDS * 3; r++) {
    for (let j = 0; j < names.length; j++) {
      const k = names[(r + j) % names.length];
      const fn = runs[k];
      for (let i = 0; i < 5; i++) await fn();
      const t0 = performance.now();
      for (let i = 0; i < PER_ROUND / 2; i++) await fn();
      samples[k].push((performance.now() - t0) / (PER_ROUND / 2));
    }
  }
  const nodes = Object.fromEntries(Object.entries(variants).map(([k, m]) => [k, m.layers.filter((l) => l instanceof tf.OnnxNode).length]));
  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, +median(v).toFixed(3)]));
  console.log(JSON.stringify({ dist: a1, model: a2.split('/').pop(), order: order.join(','), threads: tf.backendInfo().threads, nodes, ms, ratioToOrt: +(ms.fused / ms.ort).toFixed(2) }));
} else if (mode === 'sdpa') {
  const tf = require(`${a1}/index.js`);
  const rows = [];
  for (const [T, D] of [[64, 16], [64, 64], [256, 16], [256, 64]]) {
    const [B, H] = [8, 4];
    const rand = (seed) => tf.tensor(Float32Array.from({ length: B * H * T * D }, (_, i) => Math.sin(i * 0.37 + seed)), [B, H, T, D]);
    const [q, k, v] = [rand(1), rand(2), rand(3)];
    const flops = 4 * B * H * T * T * D; // q kᵀ and p v, 2 flops per multiply-add
    const n = Math.max(2, Math.round(2e8 / flops)); // calls per round: about 0.2 GFLOP
    const fwd = await time(() => tf.noGrad(() => tf.scaledDotProductAttention(q, k, v)).dispose(), n, n);
    const unfused = await time(() => tf.noGrad(() => tf.matmul(tf.softmax(tf.mul(tf.matmul(q, k, false, true), 1 / Math.sqrt(D)), -1), v)).dispose(), n, n);
    const grad = tf.grads((a, b, c) => tf.sum(tf.scaledDotProductAttention(a, b, c)));
    const bwd = await time(() => grad([q, k, v]).forEach((g) => g.dispose()), 1, Math.ceil(n / 3));
    rows.push({ B, H, T, D, fusedMs: fwd, fusedGflops: flops / fwd / 1e6, unfusedMs: unfused, unfusedGflops: flops / unfused / 1e6,
      fwdBwdMs: bwd, fwdBwdGflops: (flops * 3.5) / bwd / 1e6 });
  }
  console.log(JSON.stringify({ mode, rows }));
}
