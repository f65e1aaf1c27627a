// Int8 integer kernels (src/ops/quant-kernels.ts, native/kernels/quant/) against float32 at the same
// shapes, native backend, 1 and 2 threads. Each shape is measured as separate cases:
//   f32     tensorforge's float32 dense layer (linear: GEMM + bias) or conv2d (+ bias);
//   int8    qgemm / qconv2d on uint8 activations and pre-packed int8 weights, dequantized float32
//           output with the bias fused (what a statically quantized layer runs; conv int8u8: the
//           same requantized to uint8);
//   int8dyn quantizeDynamic of the float32 input, then qgemm (a dynamically quantized dense layer);
//   int8direct (conv a, a first layer's 9 taps) qconv2dDirect: the direct kernel for shallow
//           filters, requantized to uint8 (what a static int8 first convolution runs);
//   int8u8  qgemm requantizing to uint8 (no bias), against onnxruntime's QLinearMatMul with the
//           same operands (weights as an initializer, so ORT pre-packs them as we do); outputs
//           agree within 1 (ORT's requantize rounds in its own way). Where ORT's u8 x s8 kernels
//           saturate (x86 without VNNI), it gets the weights as uint8 + 128 (see ortSaturates).
// Scores are GFLOP/s-equivalent (2 * M * N * K multiply-adds per call, integer or float), so the
// summary's int8/f32 ratio is the speed-up of the integer kernel; issue 14 targets >= 2.5x for the
// GEMM on AVX-512 VNNI.
import { createRequire } from 'node:module';
import { createSession, loadOrt } from '../impl/ort.mjs';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { randomFloats } from '../data.mjs';
import { IR_VERSION } from '../onnx-model.mjs';

export const group = 'quant';

const require = createRequire(import.meta.url);
const { DataType, encodeModel } = require('../../dist/onnx/proto.js');
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

/** A QLinearMatMul model: a [M, K] uint8 input, every other operand an initializer. */
let saturates;
/**
 * Whether this CPU's onnxruntime sums u8 x s8 products in saturating 16-bit pairs (vpmaddubsw on
 * x86 without VNNI: AVX2, or AVX-512 without VNNI), probed once with a MatMulInteger of 255 x 127
 * pairs. There its QLinearMatMul with int8 weights gives wrong outputs (the run's cross-check
 * flagged it), so the weights go to it as uint8 + 128 with zero point 128: the same values, on its
 * exact u8 x u8 kernels (test/helpers/ort-int8-exact.ts does the same for the tests).
 */
function ortSaturates() {
  saturates ??= (async () => {
    const g = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'probe',
        node: [{ opType: 'MatMulInteger', input: ['a', 'b'], output: ['y'] }],
        initializer: [{ name: 'b', dims: [2, 1], dataType: DataType.INT8, rawData: Buffer.from(Int8Array.of(127, 127).buffer) }],
        input: [{ name: 'a', type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: DataType.INT32, shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }] } } } }],
      },
    };
    const session = await createSession(encodeModel(g), 1);
    const { Tensor } = loadOrt();
    const out = await session.run({ a: new Tensor('uint8', Uint8Array.of(255, 255), [1, 2]) });
    await session.release?.();
    return Number(out.y.data[0]) !== 255 * 127 * 2;
  })();
  return saturates;
}

function qlinearMatMulModel(M, K, N, a, wq, wScale, y, u8Weights) {
  const scalar = (name, dataType, bytes) => ({ name, dims: [], dataType, rawData: Buffer.from(bytes) });
  const f32 = (v) => new Uint8Array(Float32Array.of(v).buffer);
  const b = u8Weights ? Uint8Array.from(wq, (v) => v + 128) : wq;
  const inits = [
    scalar('a_scale', DataType.FLOAT, f32(a.scale)),
    scalar('a_zero_point', DataType.UINT8, Uint8Array.of(a.zeroPoint)),
    { name: 'b', dims: [K, N], dataType: u8Weights ? DataType.UINT8 : DataType.INT8, rawData: Buffer.from(b.buffer, b.byteOffset, b.byteLength) },
    scalar('b_scale', DataType.FLOAT, f32(wScale)),
    u8Weights ? scalar('b_zero_point', DataType.UINT8, Uint8Array.of(128)) : scalar('b_zero_point', DataType.INT8, Int8Array.of(0)),
    scalar('y_scale', DataType.FLOAT, f32(y.scale)),
    scalar('y_zero_point', DataType.UINT8, Uint8Array.of(y.zeroPoint)),
  ];
  const info = (name, dims) => ({ name, type: { tensorType: { elemType: DataType.UINT8, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  return encodeModel({
    irVersion: IR_VERSION,
    producerName: 'tensorforge-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'qlinearmatmul_bench',
      node: [{ name: 'q', opType: 'QLinearMatMul', input: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'], output: ['y'] }],
      input: [info('a', [M, K])],
      output: [info('y', [M, N])],
      initializer: inits,
    },
  });
}

/** Output quantization of x a [M, K] . w [K, N]: min/max of the float product, computed once. */
function outputQuantization(ctx, M, K, N) {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < M; i += 8) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += ctx.x[i * K + p] * ctx.w[p * N + j];
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
    }
  }
  const scale = (hi - lo) / 255;
  return { scale, zeroPoint: Math.round(-lo / scale) };
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
    relTol: kind === 'int8u8' || kind === 'int8direct' ? 1 : 1e-3,
    // uint8 outputs: the largest difference in quantization steps.
    compare: kind === 'int8u8' ? (out, ref) => out.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0) : undefined,
    // The nat/ORT column compares int8u8 with onnxruntime; issue 14's target is the int8/f32 summary.
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
        if (kind === 'int8u8') {
          const a = uint8Activations(ctx.x);
          const y = outputQuantization(ctx, M, K, N);
          const out8 = new Uint8Array(M * N);
          return variant(enter, () => {
            q.qgemm({ m: M, a: a.q, aZeroPoint: a.zeroPoint, scaleA: a.scale, b: packed, scaleB: new Float32Array([scale]), out: out8,
              outScale: y.scale, outZeroPoint: y.zeroPoint });
          }, out8);
        }
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
      ort: kind !== 'int8u8' ? undefined : async (ctx, threads) => {
        const { q: wq, scale } = int8Weights(ctx.w);
        const a = uint8Activations(ctx.x);
        const u8Weights = await ortSaturates();
        const session = await createSession(qlinearMatMulModel(M, K, N, a, wq, scale, outputQuantization(ctx, M, K, N), u8Weights), threads);
        const { Tensor } = loadOrt();
        const feeds = { a: new Tensor('uint8', a.q, [M, K]) };
        const out = new Tensor('uint8', new Uint8Array(M * N), [M, N]);
        return {
          async: true,
          run: () => session.run(feeds, { y: out }),
          once: async () => {
            await session.run(feeds, { y: out });
            return Float32Array.from(out.data);
          },
          dispose: () => session.release?.(),
        };
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
    relTol: kind === 'int8u8' ? 1 : 1e-3,
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
        // int8u8: requantized uint8 output (a quarter of the bytes to write), as between two int8 layers.
        const out8 = kind === 'int8u8' || kind === 'int8direct' ? new Uint8Array(out.length) : null;
        if (kind === 'int8direct') {
          return variant(enter, () => {
            q.qconv2dDirect({
              x: a.q, shape: [s.n, s.h, s.w, s.c], xZeroPoint: a.zeroPoint, scaleX: a.scale, weights, scaleW, bias,
              pads: [s.pad, s.pad], outSize: [oh, ow], out: out8, outScale: 0.05, outZeroPoint: 128,
            });
          }, out8);
        }
        return variant(enter, () => {
          q.qconv2d({
            x: a.q, shape: [s.n, s.h, s.w, s.c], xZeroPoint: a.zeroPoint, scaleX: a.scale, weights, scaleW, bias,
            pads: [s.pad, s.pad], outSize: [oh, ow], ...(out8 ? { out: out8, outScale: 0.05, outZeroPoint: 128 } : { out }),
          });
        }, out8 ?? out);
      },
    },
  };
}

export function cases() {
  return [
    ...GEMMS.flatMap((shape) => ['f32', 'int8', 'int8dyn', 'int8u8'].map((kind) => gemmCase(kind, shape))),
    ...CONVS.flatMap((s) => [...['f32', 'int8', 'int8u8'], ...(s.c * s.k * s.k <= 16 ? ['int8direct'] : [])].map((kind) => convCase(kind, s))),
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
      if (byId.has(id('int8u8'))) parts.push(`int8->uint8 ${ratio(score(id('int8u8'), t), f)}`);
      if (byId.has(id('int8direct'))) parts.push(`direct int8->uint8 ${ratio(score(id('int8direct'), t), f)}`);
      return `${t}T: ${parts.join(', ')}`;
    });
    lines.push(`  ${op} ${name.padEnd(14)} ${cells.join(' | ')}`);
  }
  return lines.join('\n');
}
