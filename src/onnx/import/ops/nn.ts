// Layer-like operators: Gemm/MatMul, convolutions, pooling, normalization, resizing. ONNX is
// channels-first; the library's conv and pool ops take NCHW directly (filters in ONNX's
// [Cout, Cin/groups, kh, kw] order), so weights keep their ONNX layout and re-export unchanged.
import { add, div, less, maximum, mul } from '../../../ops/binary';
import { ones } from '../../../ops/creation';
import { materialize } from '../../../ops/copy';
import { conv1d, conv2d, conv2dTranspose, type ConvPadding } from '../../../ops/conv';
import { linear } from '../../../ops/linear';
import { matmul } from '../../../ops/matmul';
import { gather, pad, stack } from '../../../ops/movement';
import { avgPool2d, maxPool2d, upSampling2d } from '../../../ops/pool';
import { max, mean } from '../../../ops/reduce';
import { batchNorm, batchNormTraining, groupNorm, layerNorm } from '../../../ops/normalization';
import { broadcastTo, reshape, slice, transpose } from '../../../ops/views';
import { clip, relu } from '../../../ops/unary';
import { isGradEnabled, noGrad } from '../../../autograd/tape';
import { untracked } from '../../../tensor/scope';
import { where } from '../../../ops/where';
import type { Tensor } from '../../../tensor/tensor';
import type { NodeAttributes } from '../attributes';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';
import { checkCreatedShape, intValues, normAxis } from '../values';
import { type Sampling, checkSampling, resampleAxis } from './resample';


const float = asFloat;

function runGemm(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  let A = float(need(inputs, 0, ctx));
  let B = float(need(inputs, 1, ctx));
  const C = inputs[2] ? float(inputs[2]) : null;
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  if (a.int('transA', 0)) A = transpose(A, [1, 0]);
  if (a.int('transB', 0)) B = transpose(B, [1, 0]);
  // The common dense layer (PyTorch Linear exports exactly this) runs as one fused GEMM + bias.
  if (alpha === 1 && (C === null || (beta === 1 && C.rank === 1 && C.shape[0] === B.shape[1]))) return [linear(A, B, C)];
  let y = matmul(A, B);
  if (alpha !== 1) y = mul(y, alpha);
  if (C && beta !== 0) y = add(y, beta === 1 ? C : mul(C, beta));
  return [y];
}

/** A conv/pool node's window geometry. */
export interface Spatial {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin, end] per spatial axis. */
  pads: [number, number][];
}

/** Kernel, strides, dilations and pads of a conv/pool node, with auto_pad resolved for this input. */
export function spatial(a: NodeAttributes, ctx: OpContext, inShape: readonly number[], kernelFromWeight?: readonly number[]): Spatial {
  const n = inShape.length;
  const kernel = a.ints('kernel_shape') ?? kernelFromWeight?.slice();
  if (!kernel || kernel.length !== n) throw new Error(`${ctx.where}: kernel_shape must give ${n} spatial sizes`);
  const strides = a.ints('strides', kernel.map(() => 1));
  const dilations = a.ints('dilations', kernel.map(() => 1));
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads: [number, number][];
  if (autoPad === 'NOTSET') {
    const p = a.ints('pads', new Array<number>(2 * n).fill(0));
    if (p.length !== 2 * n) throw new Error(`${ctx.where}: pads must have ${2 * n} values`);
    pads = kernel.map((_, i) => [p[i]!, p[i + n]!]);
  } else if (autoPad === 'VALID') {
    pads = kernel.map(() => [0, 0]);
  } else {
    pads = kernel.map((k, i) => {
      const inSize = inShape[i]!;
      const out = Math.ceil(inSize / strides[i]!);
      const total = Math.max((out - 1) * strides[i]! + (k - 1) * dilations[i]! + 1 - inSize, 0);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_LOWER' ? [total - small, small] : [small, total - small];
    });
  }
  return { kernel, strides, dilations, pads };
}

function validateAutoPad(a: NodeAttributes, ctx: OpContext): void {
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) unsupported(ctx, `auto_pad='${autoPad}'`);
}

function runConv(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = float(need(inputs, 0, ctx));
  const w = float(need(inputs, 1, ctx));
  const bias = inputs[2] ? float(inputs[2]) : null;
  const groups = a.int('group', 1);
  const s = spatial(a, ctx, x.shape.slice(2), w.shape.slice(2));
  if (x.rank === 3) {
    return [conv1d(x, w, { dataFormat: 'NCW', stride: s.strides[0], dilation: s.dilations[0], groups, padding: s.pads[0]!, bias })];
  }
  if (x.rank === 5) return [conv3dByDepth(x, w, bias, s, groups)];
  if (x.rank !== 4) unsupported(ctx, `a ${x.rank - 2}-D convolution`);
  const padding: ConvPadding = s.pads;
  return [conv2d(x, w, { dataFormat: 'NCHW', strides: s.strides as [number, number], dilations: s.dilations as [number, number], groups, padding, bias })];
}

/** Slice `i` of x along axis 2 (depth) as a 4-D tensor. */
function depthSlice(x: Tensor, i: number): Tensor {
  const [n, c, , h, w] = x.shape as unknown as number[];
  return reshape(slice(x, [0, 0, i, 0, 0], [n!, c!, 1, h!, w!]), [n!, c!, h!, w!]);
}

/** Per depth tap of a 3-D filter [Cout, Cin/groups, kd, kh, kw], its 2-D filter [kh, kw, Cin/groups, Cout]. */
function tapFilters(w: Tensor): Tensor[] {
  const [cout, cg, kd, kh, kw] = w.shape as unknown as [number, number, number, number, number];
  return Array.from({ length: kd }, (_, t) => transpose(reshape(slice(w, [0, 0, t, 0, 0], [cout, cg, 1, kh, kw]), [cout, cg, kh, kw]), [2, 3, 1, 0]));
}

// Inference reuses each weight's tap filters until the weight is written: rearranging r3d_18's
// 512x512x3x3x3 filters on every call took most of its deep layers' time.
const tapCache = new WeakMap<Tensor, { version: number; taps: Tensor[] }>();

function depthTapFilters(w: Tensor): Tensor[] {
  if (isGradEnabled() && w.requiresGrad) return tapFilters(w);
  const hit = tapCache.get(w);
  if (hit && hit.version === w.storage.version) return hit.taps;
  const taps = untracked(() => noGrad(() => tapFilters(w).map((t) => materialize(t))));
  tapCache.set(w, { version: w.storage.version, taps });
  return taps;
}

/**
 * A 3-D convolution (video networks: r3d, r(2+1)d) as one 2-D convolution per depth tap of the
 * filter: tap t reads input depth od * stride - pad + t * dilation for every output depth od, so
 * those slices (gathered from the depth-padded input) form one channels-last batch of N * OD
 * images, convolved with the tap's [kh, kw, Cin/groups, Cout] filter; the taps' results add up.
 * Differentiable through gather, conv2d and add. (Per output depth and tap, r(2+1)d's import ran
 * 11 s, most of it allocating the small calls' buffers.)
 */
function conv3dByDepth(x: Tensor, w: Tensor, bias: Tensor | null, s: Spatial, groups: number): Tensor {
  const [n, c, depth, h, wd] = x.shape as unknown as [number, number, number, number, number];
  const [cout, cg, kd, kh, kw] = w.shape as unknown as [number, number, number, number, number];
  const [sd, dd] = [s.strides[0]!, s.dilations[0]!];
  const [pd0, pd1] = s.pads[0]!;
  const outDepth = Math.floor((depth + pd0 + pd1 - dd * (kd - 1) - 1) / sd) + 1;
  // [N, D + pads, H, W, C]: depth-padded and channels-last.
  const padded = pad(transpose(x, [0, 2, 3, 4, 1]), [[0, 0], [pd0, pd1], [0, 0], [0, 0], [0, 0]]);
  const opts = { strides: s.strides.slice(1) as [number, number], dilations: s.dilations.slice(1) as [number, number], groups, padding: s.pads.slice(1) as ConvPadding };
  const filters = depthTapFilters(w);
  let y: Tensor | null = null;
  for (let t = 0; t < kd; t++) {
    const rows = Array.from({ length: outDepth }, (_, od) => od * sd + t * dd);
    // A tap that reads only depth padding adds nothing (deep layers at depth 1 use 1 tap of 3).
    if (rows.every((r) => r < pd0 || r >= pd0 + depth)) continue;
    const batch = reshape(gather(padded, rows, 1), [n * outDepth, h, wd, c]);
    const term = conv2d(batch, filters[t]!, { ...opts, bias: y ? null : bias });
    y = y ? add(y, term) : term;
  }
  // Every tap in the padding: the bias alone.
  if (!y) y = conv2d(reshape(gather(padded, [0], 1), [n, h, wd, c]), mul(filters[0]!, 0), { ...opts, bias });
  if (y.shape[0] !== n * outDepth) y = reshape(broadcastTo(reshape(y, [n, 1, ...y.shape.slice(1)]), [n, outDepth, ...y.shape.slice(1)]), [n * outDepth, ...y.shape.slice(1)]);
  const [oh, ow] = [y!.shape[1]!, y!.shape[2]!];
  return transpose(reshape(y!, [n, outDepth, oh, ow, cout]), [0, 4, 1, 2, 3]);
}

/**
 * 3-D max or average pooling as 2-D pooling of depth slices combined across each depth window
 * (the windows are boxes, so the two steps compose): the maximum, or the mean of the slices' means
 * (count_include_pad = 0: every slice of a window has the same counted cells) or their sum over the
 * window's depth with its padding (count_include_pad = 1).
 */
function pool3dByDepth(kind: 'max' | 'avg', x: Tensor, a: NodeAttributes, s: Spatial): Tensor {
  const depth = x.shape[2]!;
  const [kd, sd] = [s.kernel[0]!, s.strides[0]!];
  const [pd0, pd1] = s.pads[0]!;
  const outDepth = pooledSize(depth, kd, sd, pd0, pd1, a.flag('ceil_mode', 0) === 1);
  const s2: Spatial = { kernel: s.kernel.slice(1), strides: s.strides.slice(1), dilations: s.dilations.slice(1), pads: s.pads.slice(1) };
  const pooled = new Map<number, Tensor>();
  const plane = (i: number) => {
    let p = pooled.get(i);
    if (!p) pooled.set(i, (p = pool2dWith(kind, depthSlice(x, i), a, s2, x.shape.slice(3), false)));
    return p;
  };
  const includePad = a.flag('count_include_pad', 0) === 1;
  const planes: Tensor[] = [];
  for (let od = 0; od < outDepth; od++) {
    const start = od * sd - pd0;
    let acc: Tensor | null = null;
    let count = 0;
    for (let id = Math.max(start, 0); id < Math.min(start + kd, depth); id++) {
      acc = acc ? (kind === 'max' ? maximum(acc, plane(id)) : add(acc, plane(id))) : plane(id);
      count++;
    }
    // Padded depth cells counted: those of the window inside [-pd0, depth + pd1).
    const counted = includePad ? Math.min(start + kd, depth + pd1) - Math.max(start, -pd0) : count;
    planes.push(kind === 'max' ? acc! : div(acc!, counted));
  }
  return stack(planes, 2);
}

/** A 2-D ConvTranspose node's geometry for an input of spatial size `inSize` and a filter of spatial size `kernel`. */
export interface ConvTransposeGeometry {
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number][];
  /** The output's spatial size. */
  outSize: number[];
  groups: number;
}

/** Geometry of a ConvTranspose node (1-D ones lifted to a height of 1). */
export function convTransposeGeometry(a: NodeAttributes, inSize: readonly number[], kernel: readonly number[], oneD: boolean): ConvTransposeGeometry {
  const n = oneD ? 1 : 2;
  const lift = (v: number[] | undefined, fill: number): number[] | undefined => (v && oneD ? [fill, ...v] : v);
  const strides = lift(a.ints('strides'), 1) ?? [1, 1];
  const dilations = lift(a.ints('dilations'), 1) ?? [1, 1];
  const outPad = lift(a.ints('output_padding'), 0) ?? [0, 0];
  const keff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  const full = inSize.map((d, i) => strides[i]! * (d - 1) + outPad[i]! + keff[i]!);
  let pads: [number, number][];
  const outputShape = lift(a.ints('output_shape'), 1);
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outputShape ?? inSize.map((d, i) => d * strides[i]!);
    pads = target.map((t, i) => {
      const total = Math.max(full[i]! - t, 0);
      const small = Math.floor(total / 2);
      // ONNX: SAME_UPPER puts the extra pad at the beginning for ConvTranspose.
      return autoPad === 'SAME_LOWER' ? [small, total - small] : [total - small, small];
    });
  } else if (autoPad === 'VALID') {
    pads = kernel.map(() => [0, 0]);
  } else {
    const p = lift(a.ints('pads'), 0) ?? [];
    const raw = oneD && p.length === 3 ? [0, p[1]!, 0, p[2]!] : p;
    pads = raw.length ? kernel.map((_, i) => [raw[i]!, raw[i + 2]!]) : [[0, 0], [0, 0]];
  }
  if (n === 1 && pads.length !== 2) pads = [[0, 0], pads[0]!];
  const outSize = full.map((f, i) => f - pads[i]![0] - pads[i]![1]);
  return { strides: strides as [number, number], dilations: dilations as [number, number], pads, outSize, groups: a.int('group', 1) };
}

function runConvTranspose(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  let x = float(need(inputs, 0, ctx));
  let w = float(need(inputs, 1, ctx));
  const bias = inputs[2] ? float(inputs[2]) : null;
  const oneD = x.rank === 3;
  if (oneD) {
    // A 1-D transposed convolution is the 2-D one over a height of 1.
    x = reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
    w = reshape(w, [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]);
  }
  if (x.rank !== 4) unsupported(ctx, `a ${x.rank - 2}-D transposed convolution`);
  const g = convTransposeGeometry(a, x.shape.slice(2), w.shape.slice(2), oneD);
  const y = conv2dTranspose(x, w, {
    dataFormat: 'NCHW', strides: g.strides, dilations: g.dilations, groups: g.groups, padding: g.pads, outputShape: g.outSize, bias,
  });
  return [oneD ? reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]) : y];
}

const countCache = new WeakMap<NodeAttributes, Map<string, Tensor>>();

/** Output size of a pooling window along one axis, as ONNX defines it (ceil_mode included). */
function pooledSize(inSize: number, k: number, s: number, pb: number, pe: number, ceil: boolean): number {
  const span = inSize + pb + pe - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // A last window that would start inside the end padding is dropped.
  if (ceil && (out - 1) * s >= inSize + pb) out -= 1;
  return out;
}

/**
 * ONNX MaxPool/AveragePool of a rank-4 input, channels-first as ONNX defines it or, for an
 * inference plan that keeps activations channels-last, on [N, H, W, C] (same attributes, same
 * result in that layout).
 */
export function pool2dNode(kind: 'max' | 'avg', x: Tensor, a: NodeAttributes, ctx: OpContext, channelsLast: boolean): Tensor {
  const inSize = channelsLast ? x.shape.slice(1, 3) : x.shape.slice(2);
  const s = spatial(a, ctx, inSize);
  checkPoolPads(s, ctx);
  return pool2dWith(kind, x, a, s, inSize, channelsLast);
}

/**
 * Pooling pads must be smaller than the kernel, as onnxruntime requires ("Pad should be smaller
 * than kernel"): a window made only of padding has no value, and a file's pads of 65535 would
 * otherwise stretch the import's probe (a GRU over 32k padded steps took seconds).
 */
function checkPoolPads(s: Spatial, ctx: OpContext): void {
  s.pads.forEach(([b, e], i) => {
    const k = s.kernel[i]!;
    if (b >= k || e >= k) throw new Error(`${ctx.where}: pads must be smaller than kernel_shape (as onnxruntime requires); spatial axis ${i} has kernel ${k} and pads [${b}, ${e}]`);
  });
}

function pool2dWith(kind: 'max' | 'avg', x: Tensor, a: NodeAttributes, s: Spatial, inSize: number[], channelsLast: boolean): Tensor {
  const ceil = a.flag('ceil_mode', 0) === 1;
  const outSize = inSize.map((d, i) => pooledSize(d, s.kernel[i]!, s.strides[i]!, s.pads[i]![0], s.pads[i]![1], ceil));
  // Extra end padding so a 'valid' pool over the padded input yields exactly outSize.
  const extra = outSize.map((o, i) => Math.max((o - 1) * s.strides[i]! + s.kernel[i]! - (inSize[i]! + s.pads[i]![0] + s.pads[i]![1]), 0));
  const opts = { poolSize: s.kernel as [number, number], strides: s.strides as [number, number], dataFormat: channelsLast ? 'NHWC' as const : 'NCHW' as const };
  const padded = s.pads.some(([b, e]) => b || e) || extra.some((e) => e > 0);
  // Pad pairs for the spatial axes, placed in the layout's order.
  const place = (spatialPairs: [number, number][]): [number, number][] =>
    channelsLast ? [[0, 0], ...spatialPairs, [0, 0]] : [[0, 0], [0, 0], ...spatialPairs];
  const spatialPairs = s.pads.map(([b, e], i) => [b, e + extra[i]!] as [number, number]);
  const pairs = place(spatialPairs);
  const includePad = a.flag('count_include_pad', 0) === 1;
  // The kernels clip windows to the input, which is what -Infinity padding does for max and what
  // count_include_pad = 0 does for average, so padding costs no copy when every pad is below the
  // window and every window overlaps the input (a padded copy of resnet's 112x112x64 stem output
  // was 2 ms of its 2.1 ms MaxPool).
  const clipped = padded && (kind === 'max' || !includePad) && spatialPairs.every(([b, e], i) =>
    b < s.kernel[i]! && e < s.kernel[i]! && (outSize[i]! - 1) * s.strides[i]! - b < inSize[i]!);
  if (clipped) {
    const explicit = { ...opts, padding: spatialPairs as [[number, number], [number, number]] };
    return kind === 'max' ? maxPool2d(x, explicit) : avgPool2d(x, explicit);
  }
  if (kind === 'max') return maxPool2d(padded ? pad(x, pairs, -Infinity) : x, opts);
  if (!padded) return avgPool2d(x, opts);
  // Average over the counted positions: the window sum over zero padding divided by the number
  // of counted cells (the pads too when count_include_pad = 1, never the ceil_mode overhang).
  const sums = avgPool2d(pad(x, pairs, 0), opts);
  // The count map depends only on the node, the spatial size and the layout: built once per size.
  let perNode = countCache.get(a);
  if (!perNode) countCache.set(a, (perNode = new Map()));
  const key = `${inSize.join('x')}${channelsLast ? 'c' : ''}`;
  let counts = perNode.get(key);
  if (!counts) {
    counts = untracked(() => noGrad(() => {
      const one = ones(channelsLast ? [1, ...inSize, 1] : [1, 1, ...inSize]);
      const counted = pad(one, place(s.pads), includePad ? 1 : 0);
      return avgPool2d(pad(counted, place(extra.map((e) => [0, e] as [number, number])), 0), opts);
    }));
    perNode.set(key, counts);
  }
  return div(sums, counts);
}

function runPool(kind: 'max' | 'avg') {
  return (inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] => {
    let x = float(need(inputs, 0, ctx));
    const oneD = x.rank === 3;
    if (oneD) x = reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
    if (x.rank === 5) {
      const s3 = spatial(a, ctx, x.shape.slice(2));
      checkPoolPads(s3, ctx);
      if (s3.dilations.some((d) => d !== 1)) unsupported(ctx, 'pooling with dilations');
      return [pool3dByDepth(kind, x, a, s3)];
    }
    if (x.rank !== 4) unsupported(ctx, `${x.rank - 2}-D pooling`);
    const s0 = spatial(a, ctx, oneD ? [x.shape[3]!] : x.shape.slice(2));
    checkPoolPads(s0, ctx);
    const s = oneD ? { kernel: [1, ...s0.kernel], strides: [1, ...s0.strides], dilations: [1, ...s0.dilations], pads: [[0, 0], ...s0.pads] as [number, number][] } : s0;
    if (s.dilations.some((d) => d !== 1)) unsupported(ctx, 'pooling with dilations');
    const y = pool2dWith(kind, x, a, s, x.shape.slice(2), false);
    return [oneD ? reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]) : y];
  };
}

function spatialAxes(x: Tensor): number[] {
  return x.shape.slice(2).map((_, i) => i + 2);
}

function runBatchNorm(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = float(need(inputs, 0, ctx));
  const [scale, bias, m, v] = [1, 2, 3, 4].map((k) => float(need(inputs, k, ctx)));
  const epsilon = a.float('epsilon', 1e-5);
  // A frozen node normalizes with its running statistics even while the model trains (Keras's rule
  // for fine-tuning: batch statistics of a small fine-tuning batch would wreck the learned ones).
  if (!ctx.training || !ctx.trainable) {
    const y = batchNorm(x, m!, v!, scale, bias, { axis: 1, epsilon });
    const act = ctx.fusedActivation;
    return [act === undefined ? y : act === 'relu' ? relu(y) : clip(y, act.min, act.max)];
  }
  const r = batchNormTraining(x, scale, bias, { axis: 1, epsilon, activation: ctx.fusedActivation });
  // Running statistics follow the batch by momentum, never by gradient, as in PyTorch (whose
  // momentum 0.1 is exported as ONNX momentum 0.9) with the unbiased batch variance.
  const momentum = a.float('momentum', 0.9);
  const n = x.size / x.shape[1]!;
  noGrad(() => {
    const unbiased = n > 1 ? mul(r.variance, n / (n - 1)) : r.variance;
    ctx.updateWeight(3, add(mul(m!, momentum), mul(r.mean, 1 - momentum)));
    ctx.updateWeight(4, add(mul(v!, momentum), mul(unbiased, 1 - momentum)));
  });
  return [r.y];
}

function runLayerNorm(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = float(need(inputs, 0, ctx));
  const axis = normAxis(a.int('axis', -1), x.rank, ctx.where);
  const axes = x.shape.slice(axis).map((_, i) => axis + i);
  return [layerNorm(x, float(need(inputs, 1, ctx)), inputs[2] ? float(inputs[2]) : null, { axis: axes, epsilon: a.float('epsilon', 1e-5) })];
}

/** Opset 18 gives scale and bias per group ([G]), opset 21 per channel ([C]). */
function runGroupNorm(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = float(need(inputs, 0, ctx));
  const groups = a.int('num_groups', 0);
  let [scale, bias] = [1, 2].map((k) => float(need(inputs, k, ctx)));
  const c = x.shape[1]!;
  if (scale!.size === groups && groups !== c) {
    const perGroup = (t: Tensor) => reshape(broadcastTo(reshape(t, [groups, 1]), [groups, c / groups]), [c]);
    [scale, bias] = [perGroup(scale!), perGroup(bias!)];
  }
  return [groupNorm(x, groups, scale, bias, { axis: 1, epsilon: a.float('epsilon', 1e-5) })];
}

/**
 * ONNX Resize: channels-first as ONNX defines it or, in an inference plan's channels-last region,
 * on [N, H, W, C] (scales and sizes still name the channels-first axes). Whole-number upsampling of
 * H and W in the forms PyTorch's nearest and bilinear (align_corners=False) export runs as
 * upSampling2d; every other size, mode and coordinate transformation resamples axis by axis.
 */
export function resizeNode(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext, channelsLast: boolean): Tensor {
  const x = float(need(inputs, 0, ctx));
  if (channelsLast && x.rank !== 4) unsupported(ctx, `Resize of a rank-${x.rank} tensor in a channels-last region`);
  // ONNX axis k is axis order[k] of x.
  const order = channelsLast ? [0, 3, 1, 2] : x.shape.map((_, i) => i);
  const shape = order.map((k) => x.shape[k]!);
  const axes = (a.ints('axes') ?? shape.map((_, i) => i)).map((ax) => normAxis(ax, shape.length, ctx.where, 'axis'));
  if (a.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') unsupported(ctx, `keep_aspect_ratio_policy='${a.string('keep_aspect_ratio_policy', '')}'`);
  // opset 10 takes scales as input 1; from 11 they are input 2 (after roi), or sizes as input 3.
  const scalesIn = ctx.opset < 11 ? inputs[1] : inputs[2];
  const scales = shape.map(() => 1);
  const sizes = shape.slice();
  if (scalesIn && scalesIn.size > 0) {
    const given = Array.from(scalesIn.dataSync());
    if (given.length !== axes.length) throw new Error(`${ctx.where}: scales should have ${axes.length} values, got ${given.length}`);
    axes.forEach((ax, i) => {
      if (!(given[i]! > 0)) throw new Error(`${ctx.where}: scales should be positive, got ${given[i]}`);
      scales[ax] = given[i]!;
      sizes[ax] = Math.floor(shape[ax]! * given[i]!);
    });
  } else if (inputs[3]) {
    const given = intValues(inputs[3], 'sizes', ctx.where);
    if (given.length !== axes.length) throw new Error(`${ctx.where}: sizes should have ${axes.length} values, got ${given.length}`);
    axes.forEach((ax, i) => {
      if (!(given[i]! >= 1)) throw new Error(`${ctx.where}: sizes should be positive, got ${given[i]}`);
      sizes[ax] = given[i]!;
      scales[ax] = given[i]! / shape[ax]!;
    });
  } else {
    throw new Error(`${ctx.where}: Resize needs scales or sizes`);
  }
  checkCreatedShape(sizes, ctx.where);
  const sampling: Sampling = {
    mode: a.string('mode', 'nearest'),
    coordinates: a.string('coordinate_transformation_mode', 'half_pixel'),
    nearest: a.string('nearest_mode', 'round_prefer_floor'),
    cubicA: a.float('cubic_coeff_a', -0.75),
  };
  checkSampling(sampling, ctx);
  const { mode, coordinates: ctm, nearest } = sampling;
  const [sh, sw] = [scales[2], scales[3]];
  const wholeUpsampling = shape.length === 4 && scales[0] === 1 && scales[1] === 1 && Number.isInteger(sh) && Number.isInteger(sw) && sh! >= 1 && sw! >= 1;
  // With whole-number scales these coordinate/rounding pairs all pick source pixel floor(dst / s).
  const nearestFloor = (ctm === 'asymmetric' && nearest === 'floor') || (['half_pixel', 'pytorch_half_pixel'].includes(ctm) && nearest.startsWith('round_prefer'));
  const dataFormat = channelsLast ? 'NHWC' as const : 'NCHW' as const;
  if (wholeUpsampling && mode === 'nearest' && nearestFloor) return upSampling2d(x, { size: [sh!, sw!], interpolation: 'nearest', dataFormat });
  if (wholeUpsampling && mode === 'linear' && (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel')) {
    return upSampling2d(x, { size: [sh!, sw!], interpolation: 'bilinear', dataFormat });
  }
  let y = x;
  shape.forEach((len, k) => {
    if (sizes[k] !== len || scales[k] !== 1) y = resampleAxis(y, order[k]!, sizes[k]!, scales[k]!, sampling);
  });
  return y;
}

function runResize(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  return [resizeNode(inputs, a, ctx, false)];
}

/** Layer-like operators by ONNX name. */
export const nnOps: Record<string, OnnxOpSpec> = {
  Gemm: { attributes: ['alpha', 'beta', 'transA', 'transB'], run: runGemm },
  MatMul: { attributes: [], run: (inputs, _a, ctx) => [matmul(float(need(inputs, 0, ctx)), float(need(inputs, 1, ctx)))] },
  Conv: { attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'], validate: validateAutoPad, run: runConv },
  ConvTranspose: {
    attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides'],
    validate: validateAutoPad,
    run: runConvTranspose,
  },
  MaxPool: {
    attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    validate(a, ctx) {
      validateAutoPad(a, ctx);
      if (a.flag('storage_order', 0) !== 0) unsupported(ctx, 'storage_order=1');
    },
    run: runPool('max'),
  },
  AveragePool: {
    attributes: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    validate: validateAutoPad,
    run: runPool('avg'),
  },
  GlobalAveragePool: { attributes: [], run: (inputs, _a, ctx) => [mean(float(need(inputs, 0, ctx)), spatialAxes(need(inputs, 0, ctx)), true)] },
  GlobalMaxPool: { attributes: [], run: (inputs, _a, ctx) => [max(float(need(inputs, 0, ctx)), spatialAxes(need(inputs, 0, ctx)), true)] },
  BatchNormalization: {
    attributes: ['epsilon', 'momentum', 'training_mode', 'spatial'],
    validate(a, ctx) {
      if (a.flag('training_mode', 0) !== 0) unsupported(ctx, 'training_mode=1');
      if (a.flag('spatial', 1) !== 1) unsupported(ctx, 'spatial=0');
      const momentum = a.float('momentum', 0.9);
      if (!(momentum >= 0 && momentum <= 1)) unsupported(ctx, `momentum=${momentum} (running statistics need a momentum in [0, 1])`);
    },
    run: runBatchNorm,
  },
  LayerNormalization: { attributes: ['axis', 'epsilon', 'stash_type'], run: runLayerNorm },
  // Channels-first [N, C, ...]: GroupNorm with a group per channel. PyTorch exports nn.GroupNorm
  // below opset 18 as InstanceNormalization over a [N, groups, -1] view, then the affine Mul/Add.
  InstanceNormalization: {
    attributes: ['epsilon'],
    run(inputs, a, ctx) {
      const x = float(need(inputs, 0, ctx));
      if (x.rank < 3) throw new Error(`${ctx.where}: input should have rank >= 3 [N, C, ...], got shape [${x.shape.join(',')}]`);
      const c = x.shape[1]!;
      const [scale, bias] = [1, 2].map((k) => float(need(inputs, k, ctx)));
      for (const [t, what] of [[scale!, 'scale'], [bias!, 'B']] as const) {
        if (t.rank !== 1 || t.shape[0] !== c) throw new Error(`${ctx.where}: ${what} should have shape [${c}], got [${t.shape.join(',')}]`);
      }
      return [groupNorm(x, c, scale, bias, { axis: 1, epsilon: a.float('epsilon', 1e-5) })];
    },
  },
  // x where x >= 0, slope * x below, the slope broadcast to x (PyTorch: [C, 1, 1] per channel).
  PRelu: {
    attributes: [],
    run(inputs, _a, ctx) {
      const x = float(need(inputs, 0, ctx));
      const slope = float(need(inputs, 1, ctx));
      return [where(less(x, 0), mul(x, slope), x)];
    },
  },
  GroupNormalization: {
    attributes: ['epsilon', 'num_groups', 'stash_type'],
    validate(a, ctx) {
      if (a.int('num_groups', 0) <= 0) throw new Error(`${ctx.where}: num_groups must be a positive integer`);
    },
    run: runGroupNorm,
  },
  Resize: {
    attributes: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
    validate(a, ctx) {
      if (a.flag('antialias', 0) !== 0) unsupported(ctx, 'antialias=1');
      if (a.flag('exclude_outside', 0) !== 0) unsupported(ctx, 'exclude_outside=1');
    },
    run: runResize,
  },
};
