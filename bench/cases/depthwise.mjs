// Depthwise convolution per layer (issue 10's target: >= 0.8x onnxruntime's speed per layer), on
// layer shapes of mobilenet_v2, efficientnet_b0 and mobilenet_v3_small, batch 1 and 8, with bias:
//   native  tensorforge conv2d, channels-last x [N,H,W,C], filter [k,k,1,C], groups = C
//   ort     a one-Conv model (weights and bias as initializers, as in an exported network) on NCHW
//           input. ORT runs it in its blocked NCHWc layout, so a one-layer session also reorders
//           the input and output, which a network pays once at its edges, not per layer: its
//           figure is the Conv kernel's own time in ORT's profiler over the same timed runs
//           (profiledSession; the wall-clock figures are in the JSON).
import { ortTensor, sessionRunner } from '../impl/ort.mjs';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { randomFloats } from '../data.mjs';
import { initializer, singleOpModel } from '../onnx-model.mjs';
import { profiledSession } from '../profile-ops.mjs';
import { permute } from './conv.mjs';

export const group = 'depthwise';

// [name, channels, height = width, kernel, stride]: where the networks spend their depthwise time.
const LAYERS = [
  ['mnv2-144c56-3x3', 144, 56, 3, 1],
  ['mnv2-96c112-3x3s2', 96, 112, 3, 2],
  ['mnv2-960c7-3x3', 960, 7, 3, 1],
  ['effb0-480c14-5x5', 480, 14, 5, 1],
  ['effb0-240c28-5x5s2', 240, 28, 5, 2],
];
const BATCHES = [1, 8];
// Calls before timing: the first ones fault in fresh pages for buffers (ORT's arena, our pool),
// which on some VMs costs more than the layer itself.
const WARMUP = 3;

function geom(c, hw, k, stride, n) {
  const pad = (k - 1) >> 1;
  const o = Math.floor((hw + 2 * pad - k) / stride) + 1;
  return { pad, o, flops: 2 * n * o * o * c * k * k };
}

function layerCase([name, c, hw, k, stride], n) {
  const { pad, o, flops } = geom(c, hw, k, stride, n);
  return {
    id: `depthwise/${name}-b${n}`,
    group,
    label: `depthwise ${k}x${k}${stride > 1 ? ` s${stride}` : ''} ${c}ch ${hw}x${hw} b${n}`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    score: (ns) => flops / ns,
    work: { flops, c, hw, k, stride, n },
    relTol: 1e-4,
    targets: [{ kind: 'ratio', ratio: 'native/ort', min: 0.8, label: '>=0.8x ORT' }],
    setup: () => ({
      x: randomFloats(n * hw * hw * c, 31),
      w: randomFloats(k * k * c, 32).map((v) => v * Math.sqrt(3 / (k * k))),
      b: randomFloats(c, 33),
    }),
    impls: {
      native: (ctx, threads) => {
        const t = loadTensorforge();
        const enter = enterNative(threads);
        enter();
        const x = t.tensor(ctx.x, [n, hw, hw, c]);
        const w = t.tensor(ctx.w, [k, k, 1, c]);
        const bias = t.tensor(ctx.b, [c]);
        const opts = { strides: stride, padding: [[pad, pad], [pad, pad]], groups: c, bias };
        const conv = () => t.conv2d(x, w, opts);
        for (let i = 0; i < WARMUP; i++) conv().dispose();
        return {
          enter,
          run: () => conv().dispose(),
          once: () => {
            const y = conv();
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          },
          dispose: () => [x, w, bias].forEach((v) => v.dispose()),
        };
      },
      ort: async (ctx, threads) => {
        const xDims = [n, c, hw, hw];
        const yDims = [n, c, o, o];
        // Filter [k,k,1,C] -> ONNX [C,1,k,k].
        const wn = permute(ctx.w, [k, k, 1, c], [3, 2, 0, 1]);
        const model = singleOpModel({
          opType: 'Conv',
          inputs: [{ name: 'x', dims: xDims }],
          outputs: [{ name: 'y', dims: yDims }],
          attrs: { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], dilations: [1, 1], group: c },
          initializers: [initializer('w', [c, 1, k, k], wn), initializer('b', [c], ctx.b)],
        });
        const feeds = { x: ortTensor(permute(ctx.x, [n, hw, hw, c], [0, 3, 1, 2]), xDims) };
        // The warm-up runs and the cross-check's run are left out of the kernel times.
        const profiled = await profiledSession(model, threads, 'Conv', WARMUP + 1);
        const r = sessionRunner(profiled.session, feeds, 'y', yDims);
        for (let i = 0; i < WARMUP; i++) await r.run();
        return {
          ...r,
          kernelTimes: () => profiled.kernelTimes(),
          once: async () => permute(await r.once(), yDims, [0, 2, 3, 1]),
          dispose: () => profiled.close(),
        };
      },
    },
  };
}

export function cases() {
  return LAYERS.flatMap((layer) => BATCHES.map((n) => layerCase(layer, n)));
}

/** The per-layer ratios against the issue's 0.8x target, one line per layer. */
export function summary(rows) {
  const mine = rows.filter((r) => r.group === group);
  if (!mine.length) return '';
  const lines = mine.map((r) => {
    const f = (t) => (r.ratios?.['native/ort']?.[t] ? `${r.ratios['native/ort'][t].toFixed(2)}x` : '-');
    return `| ${r.label} | ${f(1)} | ${f(2)} |`;
  });
  return ['Depthwise per layer (native speed / ORT Conv kernel speed; target >= 0.8x):', '| layer | 1T | 2T |', '|---|---|---|', ...lines].join('\n');
}
