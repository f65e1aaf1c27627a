// A per-channel affine map with an optional fused activation: act(x * scale + shift), scale and
// shift vectors along one axis. It is inference BatchNormalization once its statistics are folded
// (batchNorm() computes the two vectors, the inference plan computes them once per weight
// version), and it lets the plan run BatchNorm + ReLU (DenseNet's pre-activation blocks) as one
// pass over memory instead of three. The composite of mul, add and the activation is its
// reference; the native kernel applies the activation to each block while it is in cache.
import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError } from '../errors';
import { isDensePermutation, normalizeAxis } from '../tensor/shape';
import { Storage } from '../tensor/storage';
import { Tensor } from '../tensor/tensor';
import { add, div, mul, sub } from './binary';
import { neg, sqrt } from './unary';
import { type FusedActivation, activationGradFromOutput, applyActivation, gradFromOutput, resolveFusedActivation } from './fused-activation';
import { sum } from './reduce';
import { registerOp } from './registry';
import { reluGradFromOutput } from './relu-grad';
import { requireFloat, toTensor } from './util';
import { reshape, slice } from './views';

/** Options of {@link channelAffine}. */
export interface ChannelAffineOptions {
  /** The channel axis scale and shift run along (default -1, channels-last; 1 for channels-first data). */
  axis?: number;
  /** Applied to the result in the same pass (default 'linear': none). */
  activation?: FusedActivation;
}

function floatArg(fn: string, arg: string, v: unknown): Tensor {
  const t = toTensor(fn, arg, v);
  requireFloat(fn, arg, t);
  return t;
}

/**
 * @internal x in the memory form the per-channel kernels (channelAffine, batchNormTraining) read,
 * [outer, c, inner]: channels-last storage (the channel axis has stride 1 in a dense permutation,
 * e.g. a convolution's output seen channels-first) as [size / c, c, 1] with its own strides, so no
 * transposing copy runs; anything else as a contiguous copy.
 */
export function channelKernelView(x: Tensor, axis: number): { xk: Tensor; outer: number; c: number; inner: number } {
  const c = x.shape[axis]!;
  if (!x.isContiguous && c > 1 && x.strides[axis] === 1 && isDensePermutation(x.shape, x.strides)) {
    return { xk: x, outer: x.size / c, c, inner: 1 };
  }
  const xk = x.contiguousCopy();
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { xk, outer: x.size / (c * inner), c, inner };
}

/**
 * The distance between x's rows when x is a channels-last tensor whose rows of channels are evenly
 * spaced but wider apart than the channels (a channel slice of a wider tensor, as the inference
 * plan's concatenations are: see concat-in-place.ts), else 0. The kernel reads such rows in place.
 */
function channelRowStride(x: Tensor, axis: number): number {
  const r = x.rank;
  if (axis !== r - 1 || r < 2 || x.strides[axis] !== 1 || x.isContiguous) return 0;
  const c = x.shape[axis]!;
  let ld = 0;
  let expect = 0;
  for (let k = r - 2; k >= 0; k--) {
    const d = x.shape[k]!;
    if (d === 1) continue;
    if (ld === 0) {
      ld = x.strides[k]!;
      if (ld < c) return 0;
    } else if (x.strides[k] !== expect) {
      return 0;
    }
    expect = x.strides[k]! * d;
  }
  return ld;
}

/** @internal A fresh float32 tensor shaped like x, laid out with xk's strides (the kernel view's memory order). */
export function emptyInOrderOf(x: Tensor, xk: Tensor): Tensor {
  return xk.isContiguous
    ? Tensor.empty(x.shape.slice(), 'float32')
    : new Tensor(Storage.allocate('float32', x.size), x.shape.slice(), xk.strides.slice(), 0, 'float32');
}

/**
 * act(x * scale + shift) with `scale` and `shift` vectors of x's size on `axis`, broadcast over
 * every other axis. Differentiable in x, scale and shift.
 */
export function channelAffine(xIn: Tensor, scaleIn: Tensor, shiftIn: Tensor, options: ChannelAffineOptions = {}): Tensor {
  const fn = 'channelAffine';
  const x = floatArg(fn, 'x', xIn);
  if (x.rank < 1) argError(fn, 'x', 'a tensor of rank >= 1', 'a scalar');
  const axis = normalizeAxis(fn, options.axis ?? -1, x.rank);
  const c = x.shape[axis]!;
  const vec = (arg: string, v: Tensor): Tensor => {
    const t = floatArg(fn, arg, v);
    if (t.rank !== 1 || t.size !== c) argError(fn, arg, `shape [${c}] (x's size on axis ${axis})`, `shape [${t.shape.join(',')}]`);
    return t;
  };
  const scale = vec('scale', scaleIn);
  const shift = vec('shift', shiftIn);
  const act = resolveFusedActivation(fn, options.activation);
  const addon = activeAddon();
  const training = x.requiresGrad || scale.requiresGrad || shift.requiresGrad;
  const code = act.name === null ? -1 : addon ? addon.unaryOps.indexOf(act.name) : -1;
  const bshape = x.shape.map((_, i) => (i === axis ? c : 1));
  if (!addon || x.size === 0 || (act.name !== null && (code < 0 || (training && !gradFromOutput(act))))) {
    // The reference (and a gradient that needs the activation's input): the ops one by one.
    return applyActivation(act, add(mul(x, reshape(scale, bshape)), reshape(shift, bshape)));
  }
  const ld = channelRowStride(x, axis);
  const { xk, outer, inner } = ld ? { xk: x, outer: x.size / c, inner: 1 } : channelKernelView(x, axis);
  const sc = scale.contiguousCopy();
  const shc = shift.contiguousCopy();
  const y = ld ? Tensor.empty(x.shape.slice(), 'float32') : emptyInOrderOf(x, xk);
  addon.channelAffine(xk.buffer as Float32Array, sc.buffer as Float32Array, shc.buffer as Float32Array, y.buffer as Float32Array,
    pack.channelAffine({
      outer, c, inner, xRowStride: ld, xOffset: xk.offset, scaleOffset: sc.offset, shiftOffset: shc.offset, yOffset: 0,
      activation: code, p0: act.p0, p1: act.p1,
    }));
  return record(y, fn, [x, scale, shift], (g) => {
    const gz = act.name === 'relu' ? reluGradFromOutput(g, y) : activationGradFromOutput(act, g, y);
    const others = x.shape.map((_, i) => i).filter((i) => i !== axis);
    return [
      x.requiresGrad ? mul(gz, reshape(scale, bshape)) : null,
      scale.requiresGrad ? reshape(sum(mul(gz, x), others), [c]) : null,
      shift.requiresGrad ? reshape(sum(gz, others), [c]) : null,
    ];
  });
}

/**
 * The per-feature scale and shift of inference batch normalization: gamma / sqrt(variance +
 * eps) and beta - mean * scale, as batchNorm computes them (the inference plan uses them too, so a
 * compiled graph and the layer agree bit for bit). Differentiable.
 */
export function batchNormAffine(mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number): { scale: Tensor; shift: Tensor } {
  const scale = div(gamma ?? 1, sqrt(add(variance, eps)));
  return { scale, shift: beta ? sub(beta, mul(mean, scale)) : neg(mul(mean, scale)) };
}

registerOp({
  name: 'channelAffine',
  onnx: null,
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[4, 3], [3], [3]], run: (x, s, b) => channelAffine(x, s, b) },
    { label: 'channels first', shapes: [[2, 3, 4, 5], [3], [3]], run: (x, s, b) => channelAffine(x, s, b, { axis: 1 }) },
    { label: 'relu', shapes: [[2, 5, 4, 6], [6], [6]], domain: 'awayFromZero', run: (x, s, b) => channelAffine(x, s, b, { activation: 'relu' }) },
    {
      label: 'relu6, channels first', shapes: [[2, 6, 3, 3], [6], [6]], domain: 'awayFromZero',
      run: (x, s, b) => channelAffine(mul(x, 4), s, b, { axis: 1, activation: { name: 'clip', min: 0, max: 6 } }),
    },
    { label: 'silu', shapes: [[3, 4, 7], [7], [7]], run: (x, s, b) => channelAffine(x, s, b, { activation: 'silu' }) },
    { label: 'large, relu', shapes: [[2, 33, 17, 40], [40], [40]], grad: false, run: (x, s, b) => channelAffine(x, s, b, { activation: 'relu' }) },
    {
      // The inference plan's concatenations: rows of 24 channels 40 apart, read in place.
      label: 'channel slice, relu', shapes: [[2, 5, 3, 40], [24], [24]], domain: 'awayFromZero',
      run: (x, s, b) => channelAffine(slice(x, [0, 0, 0, 8], [2, 5, 3, 24]), s, b, { activation: 'relu' }),
    },
    { label: 'large, channels first', shapes: [[2, 40, 33, 17], [40], [40]], grad: false, run: (x, s, b) => channelAffine(x, s, b, { axis: 1, activation: 'gelu' }) },
  ],
});
