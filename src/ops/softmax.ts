import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { normalizeAxis, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { mul, sub } from './binary';
import { exp } from './unary';
import { sum } from './reduce';
import { registerOp } from './registry';
import { requireFloat, toTensor } from './util';

function softmaxOp(name: 'softmax' | 'logSoftmax', xIn: Tensor, axis: number): Tensor {
  const x = toTensor(name, 'x', xIn);
  requireFloat(name, 'x', x);
  if (x.rank === 0) throw new Error(`${name}: argument 'x' must have rank >= 1, got a scalar`);
  const ax = normalizeAxis(name, axis, x.rank);
  const xc = x.contiguousCopy();
  const outer = sizeOf(x.shape.slice(0, ax));
  const len = x.shape[ax]!;
  const inner = sizeOf(x.shape.slice(ax + 1));
  const out = Tensor.empty(x.shape, 'float32');
  const log = name === 'logSoftmax';
  const addon = activeAddon();
  if (addon) {
    addon.softmax(xc.buffer as Float32Array, out.buffer as Float32Array,
      pack.softmax({ xOffset: xc.offset, outer, len, inner, log: log ? 1 : 0 }));
  } else {
    const xd = xc.buffer;
    const yd = out.buffer;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let m = -Infinity;
        for (let r = 0; r < len; r++) m = Math.max(m, xd[xc.offset + base + r * inner]!);
        if (m === -Infinity) m = 0; // a row of all -inf gives NaN, as in NumPy
        let s = 0;
        for (let r = 0; r < len; r++) s += Math.exp(xd[xc.offset + base + r * inner]! - m);
        const logS = Math.log(s);
        for (let r = 0; r < len; r++) {
          const z = xd[xc.offset + base + r * inner]! - m;
          yd[base + r * inner] = log ? z - logS : Math.exp(z) / s;
        }
      }
    }
  }
  return record(out, name, [x], (g) => {
    if (log) return [sub(g, mul(exp(out), sum(g, ax, true)))];
    return [mul(out, sub(g, sum(mul(g, out), ax, true)))];
  });
}

/** exp(x) / sum(exp(x)) along `axis` (default last), computed with the max subtracted. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('softmax', x, axis);
}
/** log(softmax(x)) along `axis` (default last), computed stably by log-sum-exp. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp('logSoftmax', x, axis);
}

for (const name of ['softmax', 'logSoftmax'] as const) {
  registerOp({
    name,
    onnx: name === 'softmax' ? 'Softmax' : 'LogSoftmax',
    kind: 'kernel',
    native: true,
    differentiable: true,
    checks: [
      { shapes: [[4, 7]], run: (x) => softmaxOp(name, x, -1) },
      { label: 'middle axis', shapes: [[2, 5, 3]], run: (x) => softmaxOp(name, x, 1) },
      { label: 'wide rows', shapes: [[3, 1000]], run: (x) => softmaxOp(name, x, -1), grad: false },
    ],
  });
}
