// Normalizations as functional ops, shared by the layers (LayerNormalization, BatchNormalization)
// and the ONNX importer (LayerNormalization, BatchNormalization, GroupNormalization), the way
// linear() serves Dense and Gemm. They are composed of differentiable ops, so autograd gives their
// backward pass, and each op they use runs its native kernel when there is one. layerNorm over
// trailing axes and batchNormTraining have their own native kernels (native/kernels/norm), forward
// and backward; the composites are their references. batchNormTraining works in x's memory
// order: a channels-first view of channels-last data (a convolution's output) is normalized in
// place of layout and its output and input gradient keep those strides, so no transposing copy
// runs on the way in or out.
import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { needsGrad, record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { isDensePermutation, normalizeAxes, normalizeAxis } from '../tensor/shape';
import { copyView } from './copy';
import { add, div, mul, sub } from './binary';
import { batchNormAffine, channelAffine, channelKernelView, emptyInOrderOf } from './channel-affine';
import { concat } from './movement';
import { mean } from './reduce';
import { registerOp } from './registry';
import { scratchF32 } from './scratch';
import { clip, exp, neg, relu, sqrt, square } from './unary';
import { reshape, transpose } from './views';
import { requireFloat, toTensor } from './util';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** The normalized axis or axes (default -1, the last). */
  axis?: number | readonly number[];
  /** Added to the variance (default 1e-5, as ONNX and PyTorch; Keras layers use 1e-3). */
  epsilon?: number;
}

/** Options of {@link batchNorm}, {@link batchNormTraining} and {@link groupNorm}. */
export interface ChannelNormOptions {
  /** The feature (channel) axis (default -1, channels-last; 1 for channels-first data). */
  axis?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
}

/**
 * An activation {@link batchNormTraining} applies to its output in the same pass, its gradient
 * folded into the backward pass (BatchNorm + ReLU / ReLU6 of convolutional networks in training):
 * 'relu', or `{ min, max }` for clip (ReLU6 is `{ min: 0, max: 6 }`). The values and gradients are
 * those of relu or clip applied to the plain output.
 */
export type BatchNormActivation = 'relu' | { min: number; max: number };

/** Options of {@link batchNormTraining}. */
export interface BatchNormTrainingOptions extends ChannelNormOptions {
  /** Applied to the normalized output in the same pass (default none). */
  activation?: BatchNormActivation;
}

/** What {@link batchNormTraining} returns. */
export interface BatchNormTrainingResult {
  y: Tensor;
  /** Per-feature batch mean, shape [C]. */
  mean: Tensor;
  /** Per-feature (biased) batch variance, shape [C]. */
  variance: Tensor;
}

function epsilonOf(fn: string, eps: unknown): number {
  if (eps === undefined) return 1e-5;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) argError(fn, 'epsilon', 'a positive number', describe(eps));
  return eps;
}

function floatInput(fn: string, arg: string, v: unknown): Tensor {
  const t = toTensor(fn, arg, v);
  requireFloat(fn, arg, t);
  return t;
}

/**
 * `p` (gamma or beta) shaped to broadcast against x: its dims are aligned with the last of the
 * `axes` (leading size-1 dims dropped), each equal to that axis's size or 1; other axes get 1.
 */
function alignTo(fn: string, arg: string, pIn: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const p = floatInput(fn, arg, pIn);
  let dims = p.shape.slice();
  while (dims.length > axes.length && dims[0] === 1) dims = dims.slice(1);
  const lead = axes.length - dims.length;
  const fits = lead >= 0 && dims.every((d, j) => d === 1 || d === x.shape[axes[lead + j]!]);
  if (!fits) {
    const want = axes.map((a) => x.shape[a]).join(',');
    argError(fn, arg, `a shape that broadcasts to [${want}] (x's sizes on the normalized axes)`, `shape [${p.shape.join(',')}]`);
  }
  const target = x.shape.map(() => 1);
  dims.forEach((d, j) => (target[axes[lead + j]!] = d));
  return reshape(p, target);
}

/** A per-feature [C] vector shaped to broadcast along `axis` of x. */
function perFeature(fn: string, arg: string, v: Tensor, x: Tensor, axis: number): Tensor {
  const t = floatInput(fn, arg, v);
  const c = x.shape[axis]!;
  if (t.size !== c || t.rank > 1) argError(fn, arg, `shape [${c}] (x's size on axis ${axis})`, `shape [${t.shape.join(',')}]`);
  return reshape(t, x.shape.map((_, i) => (i === axis ? c : 1)));
}

/** (x - mean) / sqrt(var + eps) over `axes`, with the kept-dims statistics. */
function standardize(x: Tensor, axes: readonly number[], eps: number): { y: Tensor; mu: Tensor; variance: Tensor; inv: Tensor } {
  const mu = mean(x, axes as number[], true);
  const centered = sub(x, mu);
  const variance = mean(square(centered), axes as number[], true);
  const inv = div(1, sqrt(add(variance, eps)));
  return { y: mul(centered, inv), mu, variance, inv };
}

/**
 * The native kernels when they apply: the normalized axes are the trailing ones and gamma and beta
 * (already aligned) are full-size over them. null means: use the composite.
 */
function layerNormNative(x: Tensor, g: Tensor | null, b: Tensor | null, axes: readonly number[], eps: number): Tensor | null {
  const addon = activeAddon();
  if (!addon) return null;
  const lead = x.rank - axes.length;
  if (!axes.every((a, i) => a === lead + i)) return null;
  const n = x.shape.slice(lead).reduce((p, d) => p * d, 1);
  if (n === 0 || (g && g.size !== n) || (b && b.size !== n)) return null;
  const rows = x.size / n;
  const xc = x.contiguousCopy();
  const gc = g ? g.contiguousCopy() : null;
  const bc = b ? b.contiguousCopy() : null;
  const y = Tensor.empty(x.shape.slice(), 'float32');
  const inputs = [x, ...(g ? [g] : []), ...(b ? [b] : [])];
  // The statistics are kept only for a backward pass.
  const keep = needsGrad(inputs);
  const mean = keep ? new Float32Array(rows) : scratchF32('layerNorm.mean', rows);
  const rstd = keep ? new Float32Array(rows) : scratchF32('layerNorm.rstd', rows);
  addon.layerNormForward(xc.buffer as Float32Array, (gc?.buffer ?? null) as Float32Array | null, (bc?.buffer ?? null) as Float32Array | null,
    y.buffer as Float32Array, mean, rstd, pack.layerNormForward({
      rows, n, xOffset: xc.offset, gammaOffset: gc?.offset ?? 0, betaOffset: bc?.offset ?? 0, eps, yOffset: y.offset,
      meanOffset: 0, rstdOffset: 0,
    }));
  return record(y, 'layerNorm', inputs, (dyIn) => {
    const dy = dyIn.contiguousCopy();
    const dx = Tensor.empty(x.shape.slice(), 'float32');
    const dg = g ? Tensor.empty(g.shape.slice(), 'float32') : null;
    const db = b ? Tensor.empty(b.shape.slice(), 'float32') : null;
    // The backend that ran the forward pass may have been switched since: the kernel is called directly.
    addon.layerNormBackward(xc.buffer as Float32Array, (gc?.buffer ?? null) as Float32Array | null, mean, rstd, dy.buffer as Float32Array,
      dx.buffer as Float32Array, (dg?.buffer ?? null) as Float32Array | null, (db?.buffer ?? null) as Float32Array | null,
      pack.layerNormBackward({
        rows, n, xOffset: xc.offset, gammaOffset: gc?.offset ?? 0, meanOffset: 0, rstdOffset: 0, dyOffset: dy.offset,
        dxOffset: 0, dgammaOffset: 0, dbetaOffset: 0,
      }));
    return [dx, ...(dg ? [dg] : []), ...(db ? [db] : [])];
  });
}

/**
 * Layer normalization: each sample normalized over `axis` (one axis or several), then scaled by
 * gamma and shifted by beta. gamma and beta have the sizes of the normalized axes (trailing ones
 * may be left out or be 1, as in ONNX); either may be null.
 */
export function layerNorm(xIn: Tensor, gamma?: Tensor | null, beta?: Tensor | null, options: LayerNormOptions = {}): Tensor {
  const x = floatInput('layerNorm', 'x', xIn);
  const axes = normalizeAxes('layerNorm', options.axis ?? -1, x.rank);
  if (axes.length === 0) argError('layerNorm', 'axis', 'at least one axis', '[]');
  const eps = epsilonOf('layerNorm', options.epsilon);
  const g = gamma ? alignTo('layerNorm', 'gamma', gamma, x, axes) : null;
  const b = beta ? alignTo('layerNorm', 'beta', beta, x, axes) : null;
  const fused = layerNormNative(x, g, b, axes, eps);
  if (fused) return fused;
  let y = standardize(x, axes, eps).y;
  if (g) y = mul(y, g);
  if (b) y = add(y, b);
  return y;
}

/**
 * Batch normalization in inference form: per feature on `axis`, (x - mean) / sqrt(variance + eps)
 * * gamma + beta with given (running) statistics, all vectors of x's size on `axis`. Computed as
 * x * scale + shift so the full-size work is one multiply and one add.
 */
export function batchNorm(xIn: Tensor, meanIn: Tensor, varianceIn: Tensor, gamma?: Tensor | null, beta?: Tensor | null, options: ChannelNormOptions = {}): Tensor {
  const fn = 'batchNorm';
  const x = floatInput(fn, 'x', xIn);
  const axis = normalizeAxis(fn, options.axis ?? -1, x.rank);
  const eps = epsilonOf(fn, options.epsilon);
  const c = [x.shape[axis]!];
  const m = reshape(perFeature(fn, 'mean', meanIn, x, axis), c);
  const v = reshape(perFeature(fn, 'variance', varianceIn, x, axis), c);
  const g = gamma ? reshape(perFeature(fn, 'gamma', gamma, x, axis), c) : null;
  const b = beta ? reshape(perFeature(fn, 'beta', beta, x, axis), c) : null;
  const { scale, shift } = batchNormAffine(m, v, g, b, eps);
  return channelAffine(x, scale, shift, { axis });
}


/** `t` with the strides of `like` (same shape): itself when they already match, else a copy. */
function withStridesOf(t: Tensor, like: Tensor): Tensor {
  const same = t.strides.every((st, i) => st === like.strides[i] || like.shape[i] === 1);
  if (same && (like.isContiguous ? t.isContiguous : isDensePermutation(t.shape, t.strides))) return t;
  const out = emptyInOrderOf(like, like);
  copyView(t.shape, t.buffer, t, out.buffer, { offset: 0, strides: out.strides });
  return out;
}

/**
 * The native kernels of batchNormTraining (null on the js backend). y, and x's gradient, share
 * x's memory order; mean and variance are recorded too (their gradients are composed of ops, as
 * only a differentiated statistic needs them).
 */
/** The clamp bounds of an activation and the range its gradient passes (relu's is z > 0, clip's lo <= z <= hi). */
interface Clamp {
  lo: number;
  hi: number;
  maskLo: number;
  maskHi: number;
}

function clampOf(fn: string, act: BatchNormActivation | undefined): Clamp | null {
  if (act === undefined) return null;
  // The smallest positive float32: z >= it is z > 0.
  if (act === 'relu') return { lo: 0, hi: Infinity, maskLo: 2 ** -149, maskHi: Infinity };
  if (typeof act !== 'object' || act === null || typeof act.min !== 'number' || typeof act.max !== 'number' || Number.isNaN(act.min)
    || Number.isNaN(act.max) || act.min > act.max) {
    argError(fn, 'activation', "'relu' or { min, max } with min <= max", describe(act));
  }
  return { lo: act.min, hi: act.max, maskLo: act.min, maskHi: act.max };
}

function batchNormTrainingNative(x: Tensor, gamma: Tensor | null, beta: Tensor | null, axis: number, eps: number,
  clamp: Clamp | null): BatchNormTrainingResult | null {
  const addon = activeAddon();
  if (!addon || x.size === 0) return null;
  // float32 bounds: the kernel compares in float32, so a bound between two floats rounds first.
  if (clamp && (Math.fround(clamp.lo) !== clamp.lo || Math.fround(clamp.hi) !== clamp.hi)) return null;
  const { xk, outer, c, inner } = channelKernelView(x, axis);
  const gc = gamma ? gamma.contiguousCopy() : null;
  const bc = beta ? beta.contiguousCopy() : null;
  const y = emptyInOrderOf(x, xk);
  const meanT = Tensor.empty([c], 'float32');
  const varT = Tensor.empty([c], 'float32');
  const rstd = new Float32Array(c);
  // The factors the output was normalized with: the fused activation's gradient recomputes z from them.
  const scaleShift = clamp ? new Float32Array(2 * c) : null;
  addon.batchNormForward(xk.buffer as Float32Array, (gc?.buffer ?? null) as Float32Array | null, (bc?.buffer ?? null) as Float32Array | null,
    y.buffer as Float32Array, meanT.buffer as Float32Array, varT.buffer as Float32Array, rstd, scaleShift, pack.batchNormForward({
      outer, c, inner, xOffset: xk.offset, gammaOffset: gc?.offset ?? 0, betaOffset: bc?.offset ?? 0, eps, yOffset: 0,
      meanOffset: 0, varianceOffset: 0, rstdOffset: 0, clamp: clamp ? 1 : 0, lo: clamp?.lo ?? 0, hi: clamp?.hi ?? 0, scaleShiftOffset: 0,
    }));
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const yOut = record(y, 'batchNormTraining', inputs, (dyIn) => {
    const dy = withStridesOf(dyIn, xk);
    const dx = emptyInOrderOf(x, xk);
    const dg = gamma && gamma.requiresGrad ? Tensor.empty([c], 'float32') : null;
    const db = beta && beta.requiresGrad ? Tensor.empty([c], 'float32') : null;
    // The backend that ran the forward pass may have been switched since: the kernel is called directly.
    addon.batchNormBackward(xk.buffer as Float32Array, (gc?.buffer ?? null) as Float32Array | null, meanT.buffer as Float32Array, rstd,
      dy.buffer as Float32Array, dx.buffer as Float32Array, (dg?.buffer ?? null) as Float32Array | null,
      (db?.buffer ?? null) as Float32Array | null, scaleShift, pack.batchNormBackward({
        outer, c, inner, xOffset: xk.offset, gammaOffset: gc?.offset ?? 0, meanOffset: 0, rstdOffset: 0, dyOffset: dy.offset,
        dxOffset: 0, dgammaOffset: 0, dbetaOffset: 0, zOffset: 0, maskLo: clamp?.maskLo ?? 0, maskHi: clamp?.maskHi ?? 0,
      }));
    return [dx, ...(gamma ? [dg ? reshape(dg, gamma.shape.slice()) : null] : []), ...(beta ? [db ? reshape(db, beta.shape.slice()) : null] : [])];
  });
  // d mean / dx = 1 / n; d variance / dx = 2 (x - mean) / n, per channel.
  const n = x.size / c;
  const bshape = x.shape.map((_, i) => (i === axis ? c : 1));
  const meanOut = record(meanT, 'batchNormTrainingMean', [x], (g) => [mul(reshape(g, bshape), onesFor(x, 1 / n))]);
  const varOut = record(varT, 'batchNormTrainingVariance', [x], (g) =>
    [mul(sub(x, reshape(meanT, bshape)), mul(reshape(g, bshape), 2 / n))]);
  return { y: yOut, mean: meanOut, variance: varOut };
}

/** A tensor of x's shape filled with v (broadcast source for a per-channel gradient). */
function onesFor(x: Tensor, v: number): Tensor {
  const t = Tensor.empty(x.shape.slice(), 'float32');
  t.buffer.fill(v);
  return t;
}

/**
 * Batch normalization in training form: per feature on `axis`, normalized with the statistics of
 * this batch (every other axis), which are returned so a layer can update its running averages.
 */
export function batchNormTraining(xIn: Tensor, gamma?: Tensor | null, beta?: Tensor | null, options: BatchNormTrainingOptions = {}): BatchNormTrainingResult {
  const fn = 'batchNormTraining';
  const x = floatInput(fn, 'x', xIn);
  const axis = normalizeAxis(fn, options.axis ?? -1, x.rank);
  const eps = epsilonOf(fn, options.epsilon);
  const clamp = clampOf(fn, options.activation);
  const g = gamma ? perFeature(fn, 'gamma', gamma, x, axis) : null;
  const b = beta ? perFeature(fn, 'beta', beta, x, axis) : null;
  const fused = batchNormTrainingNative(x, gamma ? floatInput(fn, 'gamma', gamma) : null, beta ? floatInput(fn, 'beta', beta) : null, axis, eps,
    clamp);
  if (fused) return fused;
  const others = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const s = standardize(x, others, eps);
  // gamma folds into the small per-feature factor, so the full-size work stays sub, square, mul (+ add).
  let y = g ? mul(sub(x, s.mu), mul(s.inv, g)) : s.y;
  if (b) y = add(y, b);
  // The composite reference of the fused activation: the op itself, after the normalization.
  if (options.activation === 'relu') y = relu(y);
  else if (clamp) y = clip(y, clamp.lo, clamp.hi);
  const c = x.shape[axis]!;
  return { y, mean: reshape(s.mu, [c]), variance: reshape(s.variance, [c]) };
}

/**
 * Group normalization: the channels on `axis` split into `numGroups` consecutive groups, each
 * sample normalized over its group's channels and every other non-batch axis, then scaled by
 * gamma and shifted by beta (vectors of x's size on `axis`; either may be null).
 */
export function groupNorm(xIn: Tensor, numGroups: number, gamma?: Tensor | null, beta?: Tensor | null, options: ChannelNormOptions = {}): Tensor {
  const fn = 'groupNorm';
  const x = floatInput(fn, 'x', xIn);
  if (x.rank < 2) argError(fn, 'x', 'a tensor of rank >= 2 [batch, ..., channels, ...]', `shape [${x.shape.join(',')}]`);
  const axis = normalizeAxis(fn, options.axis ?? -1, x.rank);
  if (axis === 0) argError(fn, 'axis', 'a channel axis other than the batch axis 0', String(options.axis));
  const c = x.shape[axis]!;
  if (typeof numGroups !== 'number' || !Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    argError(fn, 'numGroups', `a positive integer dividing the ${c} channels`, describe(numGroups));
  }
  const eps = epsilonOf(fn, options.epsilon);
  const g = gamma ? perFeature(fn, 'gamma', gamma, x, axis) : null;
  const b = beta ? perFeature(fn, 'beta', beta, x, axis) : null;
  // [..., C, ...] -> [..., G, C/G, ...]: normalize over everything but the batch and group axes.
  const split = [...x.shape.slice(0, axis), numGroups, c / numGroups, ...x.shape.slice(axis + 1)];
  const axes = split.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
  let y = reshape(standardize(reshape(x, split), axes, eps).y, x.shape.slice());
  if (g) y = mul(y, g);
  if (b) y = add(y, b);
  return y;
}

registerOp({
  name: 'layerNorm',
  onnx: 'LayerNormalization',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[3, 4, 5], [5], [5]], run: (x, g, b) => layerNorm(x, g, b) },
    { label: 'two axes, beta broadcast', shapes: [[2, 3, 4], [3, 4], [4]], run: (x, g, b) => layerNorm(x, g, b, { axis: [1, 2], epsilon: 1e-3 }) },
    { label: 'middle axis, no beta', shapes: [[2, 5, 3], [5]], run: (x, g) => layerNorm(x, g, null, { axis: 1 }) },
    { label: 'large', shapes: [[16, 300], [300], [300]], grad: false, run: (x, g, b) => layerNorm(x, g, b) },
    { label: 'no affine', shapes: [[4, 7]], run: (x) => layerNorm(x) },
    { label: 'beta only, two trailing axes', shapes: [[3, 2, 5], [2, 5]], run: (x, b) => layerNorm(x, null, b, { axis: [-2, -1] }) },
  ],
});

registerOp({
  name: 'batchNorm',
  onnx: 'BatchNormalization',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    // exp keeps the sampled variance positive.
    { shapes: [[4, 3], [3], [3], [3], [3]], run: (x, m, v, g, b) => batchNorm(x, m, exp(v), g, b) },
    { label: 'channels first', shapes: [[2, 3, 2, 2], [3], [3], [3]], run: (x, m, v, g) => batchNorm(x, m, exp(v), g, null, { axis: 1, epsilon: 1e-3 }) },
  ],
});

registerOp({
  name: 'batchNormTraining',
  onnx: 'BatchNormalization',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    {
      // Output, batch mean and batch variance in one tensor, so all three are compared and differentiated.
      shapes: [[6, 3], [3], [3]],
      run: (x, g, b) => {
        const r = batchNormTraining(x, g, b);
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
    {
      label: 'channels first, no affine',
      shapes: [[2, 3, 2, 2]],
      run: (x) => {
        const r = batchNormTraining(x, null, null, { axis: 1 });
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
    {
      // A convolution's output seen channels-first: the kernel reads the channels-last storage.
      label: 'channels-first view of channels-last data',
      shapes: [[2, 3, 2, 4], [4], [4]],
      run: (x, g, b) => {
        const r = batchNormTraining(transpose(x, [0, 3, 1, 2]), g, b, { axis: 1 });
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
    {
      label: 'gamma only, channels first, odd plane',
      shapes: [[3, 2, 17], [2]],
      run: (x, g) => {
        const r = batchNormTraining(x, g, null, { axis: 1, epsilon: 1e-3 });
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
    {
      // More rows than one part of the channels-last sums: several parts combined in order.
      label: 'channels last, many rows',
      shapes: [[1100, 19], [19], [19]],
      grad: false,
      run: (x, g, b) => {
        const r = batchNormTraining(x, g, b);
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
    {
      // The fused activations (the kernel clamps in its affine pass and masks in its backward).
      label: 'channels last, fused relu',
      shapes: [[40, 5], [5], [5]],
      grad: false,
      run: (x, g, b) => batchNormTraining(x, g, b, { activation: 'relu' }).y,
    },
    {
      label: 'channels first, fused clip',
      shapes: [[2, 3, 4, 5], [3], [3]],
      grad: false,
      run: (x, g, b) => batchNormTraining(x, g, b, { axis: 1, activation: { min: -0.25, max: 0.5 } }).y,
    },
    {
      label: 'channels first, large planes',
      shapes: [[4, 5, 9, 33], [5], [5]],
      grad: false,
      run: (x, g, b) => {
        const r = batchNormTraining(x, g, b, { axis: 1 });
        return concat([reshape(r.y, [-1]), r.mean, r.variance], 0);
      },
    },
  ],
});

registerOp({
  name: 'groupNorm',
  onnx: 'GroupNormalization',
  kind: 'kernel',
  native: false,
  differentiable: true,
  checks: [
    { shapes: [[2, 3, 6], [6], [6]], run: (x, g, b) => groupNorm(x, 2, g, b) },
    { label: 'channels first', shapes: [[2, 6, 3], [6], [6]], run: (x, g, b) => groupNorm(x, 3, g, b, { axis: 1 }) },
  ],
});
