// Int8 integer kernels (src/ops/quant-kernels.ts, native/kernels/quant/) against float32 at the same
// shapes, native backend, 1 and 2 threads. Each shape is measured as separate cases:
//   f32     tensorforge's float32 dense layer (linear: GEMM + bias) or conv2d (+ bias);
//   int8    qgemm / qconv2d on uint8 activations and pre-packed int8 weights, dequantized float32
//           output with the bias fused (what a statically quantized layer runs);
//   int8dyn quantizeDynamic of the float32 input, then qgemm (a dynamically quantized dense layer).
// Scores are GFLOP/s-equivalent (2 * M * N * K multiply-adds per call, integer or float), so the
// summary's int8/f32 ratio is the speed-up of the integer kernel; issue 14 targets >= 2.5x for the
// GEMM on AVX-512 VNNI.
import { createRequire } from 'node:module';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { randomFloats } from '../data.mjs';

export const group = 'quant';

const require = createRequire(import.meta.url);
let kernels;
/** The integer kernels of the built dist/ (not part of the package root's exports). */
function quantKernels() {
  kernels ??= require('../../dist/ops/quant-kernels.js');
  return kernels;
}

const GEMMS = [
  [64, 784, 128],
  [128, 784, 512],
  [256, 1024, 1024],
];
const CONVS = [
  { name: 'a', n: 64, h: 28, w: 28, c: 1, k: 3, cout: 32, pad: 0 },
  { name: 'b', n: 8, h: 56, w: 56, c: 64, k: 3, cout: 64, pad: 1 },
];
const TARGET = 2.5;

function int8Weights(w) {
  // Symmetric per-output-channel scales would be the real thing; one scale is enough for timing.
  let max = 0;
  for (const v of w) max = Math.max(max, Math.abs(v));
  const scale = max / 127;
  return { q: Int8Array.from(w, (v) => Math.round(v / scale)), scale };
}

function uint8Activations(x) {
  const q = new Uint8Array(x.length);
  const scale = 2 / 255;
  for (let i = 0; i < x.length; i++) q[i] = Math.max(0, Math.min(255, Math.round(x[i] / scale) + 128));
  return { q, scale, zeroPoint: 128 };
}

function variant(enter, run, out) {
  return { enter, run, once: () => Float32Array.from(run() ?? out) };
}

function gemmCase(kind, [M, K, N]) {
  const flops = 2 * M * N * K;
  return {
    id: `quant/gemm-${kind}/${M}x${K}x${N}`,
    group,
    label: `${kind.padEnd(7)} dense [${M}x${K}]x[${K}x${N}]`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    score: (ns) => flops / ns,
    work: { flops, M, K, N, kind },
    relTol: 1e-3,
    targets: [],
    setup: () => ({ x: randomFloats(M * K, 31), w: randomFloats(K * N, 32).map((v) => v * Math.sqrt(3 / K)), b: randomFloats(N, 33) }),
    impls: {
      native: (ctx, threads) => {
        const enter = enterNative(threads);
        if (kind === 'f32') {
          const t = loadTensorforge();
          const x = t.tensor(ctx.x, [M, K]);
          const w = t.tensor(ctx.w, [K, N]);
          const b = t.tensor(ctx.b, [N]);
          const v = variant(enter, () => t.linear(x, w, b).dispose());
          v.once = () => {
            const y = t.linear(x, w, b);
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          };
          v.dispose = () => [x, w, b].forEach((z) => z.dispose());
          return v;
        }
        const q = quantKernels();
        const { q: wq, scale } = int8Weights(ctx.w);
        const packed = q.qgemmPackWeights(wq, K, N);
        const scaleB = new Float32Array([scale]);
        const out = new Float32Array(M * N);
        const bias = Float32Array.from(ctx.b);
        if (kind === 'int8') {
          const a = uint8Activations(ctx.x);
          return variant(enter, () => {
            q.qgemm({ m: M, a: a.q, aZeroPoint: a.zeroPoint, scaleA: a.scale, b: packed, scaleB, bias, out });
          }, out);
        }
        const xq = new Uint8Array(M * K);
        return variant(enter, () => {
          const p = q.quantizeDynamic(ctx.x, M, K, xq);
          q.qgemm({ m: M, a: xq, aZeroPoint: p.zeroPoints[0], scaleA: p.scales[0], b: packed, scaleB, bias, out });
        }, out);
      },
    },
  };
}

function convCase(kind, s) {
  const oh = s.h + 2 * s.pad - s.k + 1;
  const ow = s.w + 2 * s.pad - s.k + 1;
  const flops = 2 * s.n * oh * ow * s.cout * s.k * s.k * s.c;
  return {
    id: `quant/conv-${kind}/${s.name}`,
    group,
    label: `${kind.padEnd(7)} conv2d ${s.n}x${s.h}x${s.w}x${s.c}->${s.cout} ${s.k}x${s.k}${s.pad ? ' same' : ''}`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    score: (ns) => flops / ns,
    work: { flops, ...s, kind },
    relTol: 1e-3,
    targets: [],
    setup: () => ({
      x: randomFloats(s.n * s.h * s.w * s.c, 41),
      w: randomFloats(s.k * s.k * s.c * s.cout, 42).map((v) => v * Math.sqrt(3 / (s.k * s.k * s.c))),
      b: randomFloats(s.cout, 43),
    }),
    impls: {
      native: (ctx, threads) => {
        const enter = enterNative(threads);
        const padding = s.pad ? 'same' : 'valid';
        if (kind === 'f32') {
          const t = loadTensorforge();
          const x = t.tensor(ctx.x, [s.n, s.h, s.w, s.c]);
          const w = t.tensor(ctx.w, [s.k, s.k, s.c, s.cout]);
          const b = t.tensor(ctx.b, [s.cout]);
          const v = variant(enter, () => t.conv2d(x, w, { padding, bias: b }).dispose());
          v.once = () => {
            const y = t.conv2d(x, w, { padding, bias: b });
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          };
          v.dispose = () => [x, w, b].forEach((z) => z.dispose());
          return v;
        }
        const q = quantKernels();
        const { q: wq, scale } = int8Weights(ctx.w);
        const weights = q.qconvPackWeights(wq, 'HWIO', { cout: s.cout, cinPerGroup: s.c, kh: s.k, kw: s.k });
        const a = uint8Activations(ctx.x);
        const out = new Float32Array(s.n * oh * ow * s.cout);
        const scaleW = new Float32Array([scale]);
        const bias = Float32Array.from(ctx.b);
        return variant(enter, () => {
          q.qconv2d({
            x: a.q, shape: [s.n, s.h, s.w, s.c], xZeroPoint: a.zeroPoint, scaleX: a.scale, weights, scaleW, bias, out,
            pads: [s.pad, s.pad], outSize: [oh, ow],
          });
        }, out);
      },
    },
  };
}

export function cases() {
  return [
    ...GEMMS.flatMap((shape) => ['f32', 'int8', 'int8dyn'].map((kind) => gemmCase(kind, shape))),
    ...CONVS.flatMap((s) => ['f32', 'int8'].map((kind) => convCase(kind, s))),
  ];
}

/** int8 over float32 speed per shape and thread count, from the rows of this group. */
export function summary(rows) {
  const byId = new Map(rows.filter((r) => r.group === group).map((r) => [r.id, r]));
  if (!byId.size) return '';
  const score = (id, t) => byId.get(id)?.results.native?.byThreads[t]?.score;
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
  const lines = [`int8 / float32 speed (GFLOP/s-equivalent; target >= ${TARGET}x for the int8 GEMM on AVX-512 VNNI):`];
  const shapes = [...new Set([...byId.keys()].map((id) => id.replace(/^quant\/(gemm|conv)-[a-z0-9]+\//, '$1 ')))];
  for (const shape of shapes) {
    const [op, name] = shape.split(' ');
    const id = (kind) => `quant/${op}-${kind}/${name}`;
    const cells = [1, 2].map((t) => {
      const f = score(id('f32'), t);
      const parts = [`int8 ${ratio(score(id('int8'), t), f)}`];
      if (byId.has(id('int8dyn'))) parts.push(`int8+dynamic quantize ${ratio(score(id('int8dyn'), t), f)}`);
      return `${t}T: ${parts.join(', ')}`;
    });
    lines.push(`  ${op} ${name.padEnd(14)} ${cells.join(' | ')}`);
  }
  return lines.join('\n');
}
