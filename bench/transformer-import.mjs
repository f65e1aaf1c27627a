// Batch-1 predict latency of imported transformers, tensorforge against onnxruntime-node on the
// same file, plus the fused attention kernel's GFLOP/s. One process per measurement so different
// builds can be compared side by side (the caller alternates them and takes medians):
//   node bench/transformer-import.mjs tf <dist dir> <model.onnx> [fuse|nofuse]
//   node bench/transformer-import.mjs ort <model.onnx>
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

async function time(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < PER_ROUND; i++) await fn();
    rounds.push((performance.now() - t0) / PER_ROUND);
  }
  return median(rounds);
}

if (mode === 'tf') {
  const tf = require(`${a1}/index.js`);
  const spec = inputSpec(a2);
  const model = tf.importOnnx(a2, a3 === 'nofuse' ? { fuseAttention: false } : {});
  const x = spec.int ? tf.tensor(Int32Array.from(spec.data), spec.shape, 'int32') : tf.tensor(Float32Array.from(spec.data), spec.shape);
  const ms = await time(() => {
    const y = model.predictOnBatch(x);
    y.dataSync();
    y.dispose();
  });
  const nodes = model.layers.filter((l) => l instanceof tf.OnnxNode).length;
  console.log(JSON.stringify({ mode, dist: a1, model: a2, fuse: a3 !== 'nofuse', nodes, ms, cpu: tf.backendInfo().simd }));
} else if (mode === 'ort') {
  const ort = require('onnxruntime-node');
  const spec = inputSpec(a1);
  const session = await ort.InferenceSession.create(a1);
  const t = spec.int
    ? new ort.Tensor('int64', BigInt64Array.from(spec.data, (v) => BigInt(v)), spec.shape)
    : new ort.Tensor('float32', Float32Array.from(spec.data), spec.shape);
  const ms = await time(() => session.run({ [spec.name]: t }));
  console.log(JSON.stringify({ mode, model: a1, ms }));
} else if (mode === 'sdpa') {
  const tf = require(`${a1}/index.js`);
  const rows = [];
  for (const [T, D] of [[64, 16], [64, 64], [256, 16], [256, 64]]) {
    const [B, H] = [8, 4];
    const rand = (seed) => tf.tensor(Float32Array.from({ length: B * H * T * D }, (_, i) => Math.sin(i * 0.37 + seed)), [B, H, T, D]);
    const [q, k, v] = [rand(1), rand(2), rand(3)];
    const flops = 4 * B * H * T * T * D; // q kᵀ and p v, 2 flops per multiply-add
    const fwd = await time(() => tf.noGrad(() => tf.scaledDotProductAttention(q, k, v)).dispose());
    const unfused = await time(() => tf.noGrad(() => tf.matmul(tf.softmax(tf.mul(tf.matmul(q, k, false, true), 1 / Math.sqrt(D)), -1), v)).dispose());
    const grad = tf.grads((a, b, c) => tf.sum(tf.scaledDotProductAttention(a, b, c)));
    const bwd = await time(() => grad([q, k, v]).forEach((g) => g.dispose()));
    rows.push({ B, H, T, D, fusedMs: fwd, fusedGflops: flops / fwd / 1e6, unfusedMs: unfused, unfusedGflops: flops / unfused / 1e6,
      fwdBwdMs: bwd, fwdBwdGflops: (flops * 3.5) / bwd / 1e6 });
  }
  console.log(JSON.stringify({ mode, rows }));
}
