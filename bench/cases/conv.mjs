// conv2d float32 GFLOP/s: (a) the tutorial CNN's first layer, N=64 28x28x1 -> 32 filters 3x3
// valid (k = 9: the direct small-k kernel), and (b) a mid-network layer, N=8 56x56x64 -> 64
// filters 3x3 same (k = 576: im2col + sgemm). Forward against ORT Conv, tfjs tf.conv2d and the js
// backend; forward+backward (input and filter gradients) against the js backend.
// tensorforge and tfjs run NHWC / HWIO; ORT runs its native NCHW / OIHW on the same numbers
// (transposed once at setup) and its output is transposed back to NHWC for the cross-check.
import { createSession, ortTensor, sessionRunner } from '../impl/ort.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { randomFloats } from '../data.mjs';
import { singleOpModel } from '../onnx-model.mjs';

export const group = 'conv';

const SHAPES = [
  { name: 'a', n: 64, h: 28, w: 28, c: 1, k: 3, cout: 32, padding: 'valid' },
  { name: 'b', n: 8, h: 56, w: 56, c: 64, k: 3, cout: 64, padding: 'same' },
];
// Backward cases: the tutorial layer and a smaller mid-network layer (the js backend's float64
// loops would take seconds per call at (b)).
// The targets name the same two shapes for forward and backward.
const BACKWARD = SHAPES;

function geom(s) {
  const pad = s.padding === 'same' ? (s.k - 1) >> 1 : 0;
  const oh = s.h + 2 * pad - s.k + 1;
  const ow = s.w + 2 * pad - s.k + 1;
  return { pad, oh, ow, flops: 2 * s.n * oh * ow * s.cout * s.k * s.k * s.c };
}

function label(s) {
  return `conv2d ${s.n}x${s.h}x${s.w}x${s.c}->${s.cout} ${s.k}x${s.k} ${s.padding}`;
}

function setupShape(s) {
  return () => ({
    x: randomFloats(s.n * s.h * s.w * s.c, 21),
    // He-like scale keeps outputs O(1) whatever the fan-in.
    w: randomFloats(s.k * s.k * s.c * s.cout, 22).map((v) => v * Math.sqrt(3 / (s.k * s.k * s.c))),
    dy: randomFloats(s.n * geom(s).oh * geom(s).ow * s.cout, 23),
  });
}

/** Permutes a row-major 4-d array of shape dims: output axis a is input axis perm[a]. */
export function permute(src, dims, perm) {
  const out = new Float32Array(src.length);
  const strides = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const od = perm.map((p) => dims[p]);
  let o = 0;
  for (let i0 = 0; i0 < od[0]; i0++)
    for (let i1 = 0; i1 < od[1]; i1++)
      for (let i2 = 0; i2 < od[2]; i2++)
        for (let i3 = 0; i3 < od[3]; i3++) {
          const idx = [i0, i1, i2, i3];
          let s = 0;
          for (let a = 0; a < 4; a++) s += idx[a] * strides[perm[a]];
          out[o++] = src[s];
        }
  return out;
}

function tfgForward(enter, s, ctx) {
  const t = loadTensorforge();
  const x = t.tensor(ctx.x, [s.n, s.h, s.w, s.c]);
  const w = t.tensor(ctx.w, [s.k, s.k, s.c, s.cout]);
  const conv = () => t.conv2d(x, w, { padding: s.padding });
  return {
    enter,
    run: () => conv().dispose(),
    once: () => {
      const y = conv();
      const d = Float32Array.from(y.dataSync());
      y.dispose();
      return d;
    },
    dispose: () => {
      x.dispose();
      w.dispose();
    },
  };
}

function forwardCase(s) {
  const { pad, oh, ow, flops } = geom(s);
  return {
    id: `conv/fwd-${s.name}`,
    group,
    label: label(s),
    unit: 'GFLOP/s',
    higherIsBetter: true,
    score: (ns) => flops / ns,
    work: { flops, ...s },
    relTol: 1e-4 * Math.max(1, Math.sqrt(s.k * s.k * s.c)),
    targets: [
      { kind: 'ratio', ratio: 'native/ort', min: 0.9, label: '>=0.9x ORT' },
      { kind: 'ratio', ratio: 'native/js', min: 30, label: '>=30x js' },
    ],
    setup: setupShape(s),
    impls: {
      native: (ctx, threads) => tfgForward(enterNative(threads), s, ctx),
      js: (ctx) => tfgForward(enterJs(), s, ctx),
      tfjs: async (ctx) => {
        const tf = await loadTfjs();
        const x = tf.tensor4d(ctx.x, [s.n, s.h, s.w, s.c]);
        const w = tf.tensor4d(ctx.w, [s.k, s.k, s.c, s.cout]);
        return {
          run: () => tf.conv2d(x, w, 1, s.padding).dispose(),
          once: () => {
            const y = tf.conv2d(x, w, 1, s.padding);
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          },
          dispose: () => {
            x.dispose();
            w.dispose();
          },
        };
      },
      ort: async (ctx, threads) => {
        const xDims = [s.n, s.c, s.h, s.w];
        const wDims = [s.cout, s.c, s.k, s.k];
        const yDims = [s.n, s.cout, oh, ow];
        const model = singleOpModel({
          opType: 'Conv',
          inputs: [{ name: 'x', dims: xDims }, { name: 'w', dims: wDims }],
          outputs: [{ name: 'y', dims: yDims }],
          attrs: { kernel_shape: [s.k, s.k], pads: [pad, pad, pad, pad], strides: [1, 1], dilations: [1, 1], group: 1 },
        });
        const session = await createSession(model, threads);
        const xn = permute(ctx.x, [s.n, s.h, s.w, s.c], [0, 3, 1, 2]);
        const wn = permute(ctx.w, [s.k, s.k, s.c, s.cout], [3, 2, 0, 1]);
        const r = sessionRunner(session, { x: ortTensor(xn, xDims), w: ortTensor(wn, wDims) }, 'y', yDims);
        // Compare in NHWC, the layout of the reference output.
        return { ...r, once: async () => permute(await r.once(), yDims, [0, 2, 3, 1]) };
      },
    },
  };
}

function tfgBackward(enter, s, ctx) {
  const t = loadTensorforge();
  const { oh, ow } = geom(s);
  const x = t.tensor(ctx.x, [s.n, s.h, s.w, s.c]);
  const w = t.tensor(ctx.w, [s.k, s.k, s.c, s.cout]);
  const dy = t.tensor(ctx.dy, [s.n, oh, ow, s.cout]);
  // Gradients of <dy, conv2d(x, w)>: the forward, then the input and the filter gradients.
  const g = t.grads((xa, wa) => t.conv2d(xa, wa, { padding: s.padding }));
  return {
    enter,
    run: () => g([x, w], dy).forEach((v) => v.dispose()),
    once: () => {
      const [gx, gw] = g([x, w], dy);
      const out = new Float32Array(gx.size + gw.size);
      out.set(gx.dataSync());
      out.set(gw.dataSync(), gx.size);
      gx.dispose();
      gw.dispose();
      return out;
    },
    dispose: () => [x, w, dy].forEach((v) => v.dispose()),
  };
}

function backwardCase(s) {
  const { flops } = geom(s);
  return {
    id: `conv/bwd-${s.name}`,
    group,
    label: `${label(s)} fwd+bwd`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    // forward + input gradient + filter gradient: three convolutions' worth of multiply-adds.
    score: (ns) => (3 * flops) / ns,
    work: { flops: 3 * flops, ...s },
    relTol: 1e-4 * Math.max(1, Math.sqrt(s.n * geom(s).oh * geom(s).ow)),
    targets: [{ kind: 'ratio', ratio: 'native/js', min: 30, label: '>=30x js' }],
    setup: setupShape(s),
    impls: {
      native: (ctx, threads) => tfgBackward(enterNative(threads), s, ctx),
      js: (ctx) => tfgBackward(enterJs(), s, ctx),
    },
  };
}

export function cases() {
  return [...SHAPES.map(forwardCase), ...BACKWARD.map(backwardCase)];
}
