// The native addon's whole interface, declared once: its functions, the field names of every kernel
// entry point's argument block, and the loading of the binary, which is refused (the library then
// runs on the js backend) unless it publishes exactly these functions and layouts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makePacker } from './arg-block';
import { type PublishedOptimizerLayouts, checkOptimizerLayouts } from '../optimizers/fused-layouts';

type F32 = Float32Array;
type I32 = Int32Array;
type U8 = Uint8Array;
type I8 = Int8Array;

// ---- argument layouts ---------------------------------------------------------------------------
// The same lists as native/binding/layouts.h, keyed by entry point ("name[count]": a tail array of
// `count` values after the fixed fields). The addon publishes its lists as `addon.layouts`.

const reduceFields = ['xOffset', 'outer', 'len', 'inner'] as const;
// NHWC x, HWIO w, NHWC y: forward and both backward passes (dx / dw take x's / w's place).
const conv2dFields = [
  'n', 'h', 'w', 'c', 'kh', 'kw', 'cout', 'oh', 'ow', 'sh', 'sw', 'dh', 'dw', 'padTop', 'padLeft', 'groups',
  'xOffset', 'wOffset', 'yOffset', 'xPixelStride', 'yPixelStride',
] as const;

// q, k, v, mask (and dout): [batch, heads, time, dim] views, an offset and three strides each.
const sdpaShapeFields = [
  'batch', 'heads', 'tq', 'tk', 'd', 'dv', 'qOffset', 'qStrideB', 'qStrideH', 'qStrideT', 'kOffset', 'kStrideB', 'kStrideH',
  'kStrideT', 'vOffset', 'vStrideB', 'vStrideH', 'vStrideT', 'maskOffset', 'maskStrideB', 'maskStrideH', 'maskStrideT',
  'maskKind', 'causal', 'scale', 'maskedValue',
] as const;

/** Field names of each kernel entry point's Float64Array argument block, in block order. */
export const layouts = {
  /** p0, p1: the op's parameters (0 when unused). */
  unary: ['xOffset', 'yOffset', 'n', 'p0', 'p1'],
  /** out is dense over shape; each operand is a strided view. */
  binary: ['ndim', 'aOffset', 'bOffset', 'shape[ndim]', 'aStrides[ndim]', 'bStrides[ndim]'],
  where: ['ndim', 'condOffset', 'aOffset', 'bOffset', 'shape[ndim]', 'condStrides[ndim]', 'aStrides[ndim]', 'bStrides[ndim]'],
  stridedCopy: ['ndim', 'srcOffset', 'dstOffset', 'shape[ndim]', 'srcStrides[ndim]', 'dstStrides[ndim]'],
  fill: ['yOffset', 'n', 'value'],
  /** x is [outer, len, inner], reduced over len into out [outer, inner] at offset 0. */
  reduce: reduceFields,
  argReduce: reduceFields,
  softmax: [...reduceFields, 'log'],
  gather: [...reduceFields, 'indicesOffset', 'nidx'],
  scatterAdd: ['outer', 'len', 'inner', 'indicesOffset', 'nidx'],
  oneHot: ['indicesOffset', 'n', 'depth', 'onValue', 'offValue'],
  /** activation: 0 none, 1 relu; the tail holds each batch entry's matrix offsets. */
  gemm: ['transA', 'transB', 'm', 'n', 'k', 'lda', 'ldb', 'ldc', 'alpha', 'beta', 'activation', 'batch',
    'aOffsets[batch]', 'bOffsets[batch]', 'cOffsets[batch]'],
  conv2d: conv2dFields,
  conv2dBackpropInput: conv2dFields,
  conv2dBackpropFilter: conv2dFields,
  conv2dTransposeDisjoint: conv2dFields,
  conv2dTransposeDisjointPack: conv2dFields,
  conv2dReluGrad: ['n', 'dyOffset', 'yOffset', 'outOffset'],
  /** lo and hi are clip's bounds (may be infinite). */
  clipGrad: ['n', 'dyOffset', 'xOffset', 'outOffset', 'lo', 'hi'],
  /** Filter [o, i, t] (OIHW, t = kh * kw) <-> [t, i, o] (HWIO); toTapsFirst 1 converts OIHW -> HWIO. */
  conv2dFilterLayout: ['o', 'i', 't', 'toTapsFirst', 'srcOffset', 'dstOffset'],
  /** Channels-last windows; NCHW data runs as batch * channels planes of one channel. */
  pool2d: ['xOffset', 'batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padTop', 'padLeft'],
  /** x is read only for max pooling. */
  pool2dBackward: ['xOffset', 'gyOffset', 'batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padTop', 'padLeft'],
  /** h, w: the input's; fh, fw: the integer factors. */
  upsample2d: ['xOffset', 'batch', 'h', 'w', 'c', 'fh', 'fw'],
  upsample2dBackward: ['gyOffset', 'batch', 'h', 'w', 'c', 'fh', 'fw'],
  /** Matrices as offset and row stride (Ld); gates is dense; an optional matrix passed as null ignores its fields. */
  lstmCellForward: ['batch', 'units', 'xpOffset', 'xpLd', 'hpOffset', 'hpLd', 'cPrevOffset', 'cPrevLd', 'hPrevOffset', 'hPrevLd',
    'maskOffset', 'maskLd', 'hOffset', 'hLd', 'cOffset', 'cLd', 'gatesOffset'],
  lstmCellBackward: ['batch', 'units', 'gatesOffset', 'cPrevOffset', 'cPrevLd', 'cOffset', 'cLd', 'dhOffset', 'dhLd', 'dh2Offset',
    'dh2Ld', 'dcOffset', 'dcLd', 'dc2Offset', 'dc2Ld', 'maskOffset', 'maskLd', 'dzOffset', 'dzLd', 'dcPrevOffset', 'dcPrevLd',
    'dhPassOffset', 'dhPassLd'],
  gruCellForward: ['batch', 'units', 'xpOffset', 'xpLd', 'hpOffset', 'hpLd', 'hPrevOffset', 'hPrevLd', 'maskOffset', 'maskLd',
    'hOffset', 'hLd', 'gatesOffset'],
  gruCellBackward: ['batch', 'units', 'gatesOffset', 'hpOffset', 'hpLd', 'hPrevOffset', 'hPrevLd', 'dhOffset', 'dhLd', 'dh2Offset',
    'dh2Ld', 'maskOffset', 'maskLd', 'dxpOffset', 'dxpLd', 'dhpOffset', 'dhpLd', 'dhDirectOffset', 'dhDirectLd'],
  /** Whole sequences: matrices dense from their offsets except h0 and c0 (row strides); mask [batch, time] or null. */
  lstmSequenceForward: ['batch', 'time', 'units', 'xpOffset', 'uOffset', 'h0Offset', 'h0Ld', 'c0Offset', 'c0Ld', 'maskOffset',
    'yOffset', 'gatesOffset'],
  lstmSequenceBackward: ['batch', 'time', 'units', 'uOffset', 'h0Offset', 'h0Ld', 'c0Offset', 'c0Ld', 'maskOffset', 'yOffset',
    'gatesOffset', 'dyOffset', 'dxpOffset', 'duOffset', 'dh0Offset', 'dc0Offset'],
  gruSequenceForward: ['batch', 'time', 'units', 'xpOffset', 'uOffset', 'biasOffset', 'h0Offset', 'h0Ld', 'maskOffset', 'yOffset',
    'gatesOffset', 'hpOffset'],
  gruSequenceBackward: ['batch', 'time', 'units', 'uOffset', 'h0Offset', 'h0Ld', 'maskOffset', 'yOffset', 'gatesOffset', 'hpOffset',
    'dyOffset', 'dxpOffset', 'duOffset', 'dbOffset', 'dh0Offset'],
  /** maskKind: 0 none, 1 additive, 2 keep (0 = replaced by maskedValue); lse dense, out a [B, H, Tq, Dv] view by its strides. */
  sdpaForward: [...sdpaShapeFields, 'outOffset', 'lseOffset', 'outStrideB', 'outStrideH', 'outStrideT'],
  sdpaBackward: [...sdpaShapeFields, 'outOffset', 'lseOffset', 'doutOffset', 'doutStrideB', 'doutStrideH', 'doutStrideT',
    'dqOffset', 'dkOffset', 'dvOffset'],
  /** x, y, dy, dx dense [rows, n] from their offsets; gamma, beta [n]; mean, rstd [rows]. */
  layerNormForward: ['rows', 'n', 'xOffset', 'gammaOffset', 'betaOffset', 'eps', 'yOffset', 'meanOffset', 'rstdOffset'],
  layerNormBackward: ['rows', 'n', 'xOffset', 'gammaOffset', 'meanOffset', 'rstdOffset', 'dyOffset', 'dxOffset', 'dgammaOffset',
    'dbetaOffset'],
  // ---- int8 quantization (native/binding/quant_ops.cpp, src/ops/quant-kernels.ts) ----
  /** activation: 0 none, 1 relu, 2 relu6; outScale/outZeroPoint apply to a uint8 out. */
  qgemm: ['m', 'n', 'k', 'aZeroPoint', 'scaleA', 'activation', 'outScale', 'outZeroPoint'],
  /** NHWC x and out; depthwise: 1 when the weights are in the direct kernel's layout. */
  qconv2d: ['n', 'h', 'w', 'c', 'kh', 'kw', 'cout', 'oh', 'ow', 'sh', 'sw', 'dh', 'dw', 'padTop', 'padLeft', 'groups',
    'depthwise', 'xZeroPoint', 'scaleX', 'activation', 'outScale', 'outZeroPoint'],
  /** mode: 0 the given scale/zero point; 1 dynamic over the tensor; 2 dynamic per row (they are written). */
  quantizeLinear: ['rows', 'cols', 'mode'],
  /** NHWC x and uint8 out of the direct shallow convolution; lo / hi: the output clamps 0..255; poolH 0: no fused max pool. */
  qconv2dDirect: ['n', 'h', 'w', 'c', 'kh', 'kw', 'cout', 'oh', 'ow', 'sh', 'sw', 'dh', 'dw', 'padTop', 'padLeft', 'xZeroPoint', 'xScale', 'lo',
    'hi', 'poolH', 'poolW', 'poolSh', 'poolSw', 'poolOh', 'poolOw'],
  /** NHWC uint8 / int8 max pooling; taps in the padding are skipped. */
  qmaxPool2d: ['n', 'h', 'w', 'c', 'kh', 'kw', 'oh', 'ow', 'sh', 'sw', 'padTop', 'padLeft'],
  /** Batch norm in training form: x, y, dy, dx dense [outer, c, inner] from their offsets; per-channel vectors [c]. */
  batchNormForward: ['outer', 'c', 'inner', 'xOffset', 'gammaOffset', 'betaOffset', 'eps', 'yOffset', 'meanOffset', 'varianceOffset',
    'rstdOffset', 'clamp', 'lo', 'hi', 'scaleShiftOffset'],
  batchNormBackward: ['outer', 'c', 'inner', 'xOffset', 'gammaOffset', 'meanOffset', 'rstdOffset', 'dyOffset', 'dxOffset',
    'dgammaOffset', 'dbetaOffset', 'zOffset', 'maskLo', 'maskHi'],
  /** b (k x n, row stride ldb) from bOffset, packed into GEMM panels. */
  gemmPackB: ['k', 'n', 'ldb', 'bOffset'],
  /** y = act(x * scale + shift) per channel: x, y dense [outer, c, inner]; activation a unary op code (-1 none). */
  channelAffine: ['outer', 'c', 'inner', 'xRowStride', 'xOffset', 'scaleOffset', 'shiftOffset', 'yOffset', 'activation', 'p0', 'p1'],
} as const;

export type LayoutName = keyof typeof layouts;

/** The values of layout L by name: a number per fixed field, an array per tail field. */
export type LayoutArgs<L extends LayoutName> = {
  readonly [F in (typeof layouts)[L][number] as F extends `${infer N}[${string}]` ? N : F]:
    F extends `${string}[${string}]` ? ArrayLike<number> : number;
};

declare const layoutBrand: unique symbol;
/** An argument block packed for layout L: only {@link pack}.L makes one, only entry point L takes it. */
export type Packed<L extends LayoutName> = Float64Array & { readonly [layoutBrand]: L };

/**
 * Packs an entry point's arguments by name, e.g.
 * `addon.unary(code, x, y, pack.unary({ xOffset, yOffset: 0, n, p0, p1 }))`. The block is shared:
 * pass it straight to the call.
 */
export const pack = Object.fromEntries(
  Object.entries(layouts).map(([name, fields]) => [name, makePacker(name, fields)]),
) as unknown as { readonly [L in LayoutName]: (args: LayoutArgs<L>) => Packed<L> };

// ---- functions ----------------------------------------------------------------------------------

/** Kernel entry points (offsets and strides in elements). Each also exists as `<name>Async`. */
interface KernelEntries {
  unary(code: number, x: F32, y: F32, args: Packed<'unary'>): void;
  binary(code: number, a: F32, b: F32, out: F32, args: Packed<'binary'>): void;
  where(cond: F32, a: F32, b: F32, out: F32, args: Packed<'where'>): void;
  stridedCopy(src: F32 | I32, dst: F32 | I32, args: Packed<'stridedCopy'>): void;
  fill(y: F32, args: Packed<'fill'>): void;
  reduce(code: number, x: F32, out: F32, args: Packed<'reduce'>): void;
  argReduce(code: number, x: F32, out: I32, args: Packed<'argReduce'>): void;
  softmax(x: F32, y: F32, args: Packed<'softmax'>): void;
  gather(x: F32 | I32, indices: I32, out: F32 | I32, args: Packed<'gather'>): void;
  scatterAdd(g: F32, indices: I32, out: F32, args: Packed<'scatterAdd'>): void;
  oneHot(indices: I32, out: F32, args: Packed<'oneHot'>): void;
  /**
   * activation 2 + u applies the unary op of code u with parameters p0, p1 (default 0) to C.
   * packed: b as gemmPackB packed it at packedWidth, for one untransposed product with alpha 1
   * (a stale width is ignored).
   */
  gemm(a: F32, b: F32, c: F32, args: Packed<'gemm'>, bias: F32 | null, p0?: number, p1?: number, packed?: F32 | null,
    packedWidth?: number): void;
  /**
   * y = act(conv(x, w) + bias + residual): act is the unary op of code `activation` in unaryOps
   * (-1: none) with parameters p0, p1; residual has y's size.
   */
  conv2d(x: F32, w: F32, y: F32, args: Packed<'conv2d'>, bias: F32 | null, activation: number, p0: number, p1: number,
    residual: F32 | null, packed?: F32 | null, packedWidth?: number): void;
  /** Packs b (k x n, row stride ldb) at the active panel width ({@link AddonBasics.gemmPackWidth}) for conv2d's `packed`. */
  gemmPackB(b: F32, packed: F32, args: Packed<'gemmPackB'>): void;
  /** dx = adjoint of conv2d w.r.t. x applied to dy. */
  conv2dBackpropInput(dy: F32, w: F32, dx: F32, args: Packed<'conv2dBackpropInput'>): void;
  /**
   * dx = conv^T(dy, w) + bias when the stride equals the kernel (no padding, dilation or groups):
   * one GEMM per filter row written straight to its output rows. packed: w as
   * conv2dTransposeDisjointPack packed it at packedWidth (a stale width is ignored).
   */
  conv2dTransposeDisjoint(dy: F32, w: F32, dx: F32, args: Packed<'conv2dTransposeDisjoint'>, bias: F32 | null,
    packed: F32 | null, packedWidth: number): void;
  /** w [kh, kw, c, cout] packed for conv2dTransposeDisjoint: kh GEMM operands [cout, kw * c] at gemmPackWidth. */
  conv2dTransposeDisjointPack(w: F32, packed: F32, args: Packed<'conv2dTransposeDisjointPack'>): void;
  /** dw = gradient of <dy, conv2d(x, w)> w.r.t. w. */
  conv2dBackpropFilter(x: F32, dy: F32, dw: F32, args: Packed<'conv2dBackpropFilter'>): void;
  /** out = y > 0 ? dy : 0 (the fused relu's backward). */
  conv2dReluGrad(dy: F32, y: F32, out: F32, args: Packed<'conv2dReluGrad'>): void;
  /** out = lo <= x <= hi ? dy : 0 (the backward of clip). */
  clipGrad(dy: F32, x: F32, out: F32, args: Packed<'clipGrad'>): void;
  conv2dFilterLayout(src: F32, dst: F32, args: Packed<'conv2dFilterLayout'>): void;
  /** kind: 0 max, 1 average. */
  pool2d(kind: number, x: F32, y: F32, args: Packed<'pool2d'>): void;
  pool2dBackward(kind: number, x: F32, gy: F32, gx: F32, args: Packed<'pool2dBackward'>): void;
  /** mode: 0 nearest, 1 bilinear. */
  upsample2d(mode: number, x: F32, y: F32, args: Packed<'upsample2d'>): void;
  upsample2dBackward(mode: number, gy: F32, gx: F32, args: Packed<'upsample2dBackward'>): void;
  lstmCellForward(xp: F32, hp: F32 | null, cPrev: F32, hPrev: F32 | null, mask: F32 | null, h: F32, c: F32, gates: F32,
    args: Packed<'lstmCellForward'>): void;
  lstmCellBackward(gates: F32, cPrev: F32, c: F32, dh: F32, dh2: F32 | null, dc: F32 | null, dc2: F32 | null, mask: F32 | null,
    dz: F32, dcPrev: F32, dhPass: F32 | null, args: Packed<'lstmCellBackward'>): void;
  lstmSequenceForward(xp: F32, u: F32, h0: F32, c0: F32, mask: F32 | null, y: F32, gates: F32, args: Packed<'lstmSequenceForward'>): void;
  lstmSequenceBackward(u: F32, h0: F32, c0: F32, mask: F32 | null, y: F32, gates: F32, dy: F32, dxp: F32, du: F32, dh0: F32, dc0: F32,
    args: Packed<'lstmSequenceBackward'>): void;
  gruSequenceForward(xp: F32, u: F32, bias: F32 | null, h0: F32, mask: F32 | null, y: F32, gates: F32, hp: F32,
    args: Packed<'gruSequenceForward'>): void;
  gruSequenceBackward(u: F32, h0: F32, mask: F32 | null, y: F32, gates: F32, hp: F32, dy: F32, dxp: F32, du: F32, db: F32 | null,
    dh0: F32, args: Packed<'gruSequenceBackward'>): void;
  gruCellForward(xp: F32, hp: F32, hPrev: F32, mask: F32 | null, h: F32, gates: F32, args: Packed<'gruCellForward'>): void;
  gruCellBackward(gates: F32, hp: F32, hPrev: F32, dh: F32, dh2: F32 | null, mask: F32 | null, dxp: F32, dhp: F32, dhDirect: F32,
    args: Packed<'gruCellBackward'>): void;
  /** Fused attention: out [B, H, Tq, Dv] and the per-row log-sum-exp lse [B, H, Tq]. */
  sdpaForward(q: F32, k: F32, v: F32, mask: F32 | null, out: F32, lse: F32, args: Packed<'sdpaForward'>): void;
  sdpaBackward(q: F32, k: F32, v: F32, mask: F32 | null, out: F32, dout: F32, lse: F32, dq: F32, dk: F32, dv: F32,
    args: Packed<'sdpaBackward'>): void;
  layerNormForward(x: F32, gamma: F32 | null, beta: F32 | null, y: F32, mean: F32, rstd: F32, args: Packed<'layerNormForward'>): void;
  layerNormBackward(x: F32, gamma: F32 | null, mean: F32, rstd: F32, dy: F32, dx: F32, dgamma: F32 | null, dbeta: F32 | null,
    args: Packed<'layerNormBackward'>): void;
  /** clamp 1: y clamped to [lo, hi] (a fused ReLU / ReLU6); scaleShift [2c] receives the normalization's factors. */
  batchNormForward(x: F32, gamma: F32 | null, beta: F32 | null, y: F32, mean: F32, variance: F32, rstd: F32, scaleShift: F32 | null,
    args: Packed<'batchNormForward'>): void;
  /** zScaleShift: the forward's scaleShift, for the fused activation's mask (dy passes where maskLo <= z <= maskHi). */
  batchNormBackward(x: F32, gamma: F32 | null, mean: F32, rstd: F32, dy: F32, dx: F32, dgamma: F32 | null, dbeta: F32 | null,
    zScaleShift: F32 | null, args: Packed<'batchNormBackward'>): void;
  channelAffine(x: F32, scale: F32, shift: F32, y: F32, args: Packed<'channelAffine'>): void;
  /**
   * One fused update of a parameter and its state slots. Its block is named per optimizer kind
   * (common fields, then the kind's hyper-parameters): src/optimizers/fused-layouts.ts, published as
   * {@link AddonBasics.optimizerLayouts}.
   */
  optimizerStep(kind: number, param: F32, grad: F32, s0: F32 | null, s1: F32 | null, s2: F32 | null, meta: Float64Array): void;
  /**
   * optimizerStep for several parameters in one call, split across the pool as one range of
   * elements: equal-length lists (null where a slot is unused) and one optimizerStep block per
   * parameter in `meta`. Throws a RangeError when any parameter, gradient or state array overlaps
   * another parameter's.
   */
  optimizerSteps(kind: number, params: F32[], grads: F32[], s0: (F32 | null)[], s1: (F32 | null)[], s2: (F32 | null)[],
    meta: Float64Array): void;
  // ---- int8 quantization: the contract is documented in src/ops/quant-kernels.ts and native/kernels/quant/quant.h ----
  /**
   * out [m, n] = epilogue(sum_p (a[i, p] - aZeroPoint) b[p, j]) with a [m, k] uint8 or int8 (row-major),
   * b packed by qgemmPackWeights (bPacked, colSums [n]), scaleB [n], bias [n] or null; out float32
   * (dequantized) or uint8 (requantized with outScale, outZeroPoint).
   */
  qgemm(a: U8 | I8, bPacked: I8, colSums: I32, scaleB: F32, bias: F32 | null, out: F32 | U8, args: Packed<'qgemm'>): void;
  /** NHWC int8 convolution with weights packed by qconvPackWeights; the epilogue of qgemm. */
  qconv2d(x: U8 | I8, wPacked: I8, colSums: I32, scaleW: F32, bias: F32 | null, out: F32 | U8, args: Packed<'qconv2d'>): void;
  /** x [rows, cols] float32 -> out uint8 with scales / zeroPoints (read in mode 0, written in modes 1, 2). */
  quantizeLinear(x: F32, out: U8, scales: F32, zeroPoints: I32, args: Packed<'quantizeLinear'>): void;
  /**
   * Direct convolution of shallow filters with requantization: out = roundHalfEven(clamp(fma(acc,
   * mult[j], offset[j]), lo, hi)), weights packed by qconvPackWeights (groups 1).
   */
  qconv2dDirect(x: U8 | I8 | F32, wPacked: I8, colSums: I32, mult: F32, offset: F32, out: U8, args: Packed<'qconv2dDirect'>): void;
  /** NHWC max pooling of uint8 (or int8) values into an array of the same kind. */
  qmaxPool2d(x: U8 | I8, out: U8 | I8, args: Packed<'qmaxPool2d'>): void;
}

/** The same entry points run off the JS thread, their arrays pinned until the promise settles. */
type AsyncEntries = {
  [K in keyof KernelEntries as `${K}Async`]: (...args: Parameters<KernelEntries[K]>) => Promise<void>;
};

/** Where parallel kernel time went (native thread pool), in nanoseconds. */
export interface ThreadPoolCounters {
  /** Kernels that asked the pool to split them but were too small, so ran on the calling thread alone, and their time. */
  serialCalls: number;
  serialNs: number;
  /** Kernels split over the pool, and the caller's wall time inside them. */
  splitCalls: number;
  splitNs: number;
  /** Chunk time on the calling thread and on the workers together, and chunk counts. */
  callerNs: number;
  workerNs: number;
  callerChunks: number;
  workerChunks: number;
  /** Splits that found a worker parked (paid a wake-up). */
  coldStarts: number;
}

interface AddonBasics {
  info(): { simd: string; hardwareSimd: string; threads: number; buildHash: string; napiVersion: number };
  /** Which integer-kernel copy runs at the current SIMD level: 'avx512vnni', 'avx2' or 'scalar'. */
  quantIsa(): string;
  setNumThreads(n: number): number;
  setSimdLevel(level: string): string;
  /** The thread pool's counters since the last call (then reset); `enable` decides whether they count from now on. */
  poolStats(enable: boolean): ThreadPoolCounters;
  /** Address of the buffer's first byte mod 64 (Storage aligns pooled views with it). */
  addressMod64(buf: ArrayBuffer): number;
  /** The GEMM panel width of the active SIMD level (what gemmPackB packs to). */
  gemmPackWidth(): number;
  /** Op names in code order: JS resolves each op's code by name once. */
  unaryOps: string[];
  binaryOps: string[];
  reduceOps: string[];
  argReduceOps: string[];
  /** Optimizer kinds in code order ('sgd', 'adagrad', 'rmsprop', 'adam'). */
  optimizerKinds: string[];
  /** Sum of squares in float64 of x over the block's fields (offset, n). */
  optimizerSumSquares(x: F32, meta: Float64Array): number;
  /** The optimizer blocks' field and slot names per kind (native/binding/optimizer_layouts.h). */
  optimizerLayouts: PublishedOptimizerLayouts;
  /** Each entry point's published field names; equal to {@link layouts} in a binary this file accepts. */
  layouts: Readonly<Record<string, readonly string[]>>;
}

/** What the compiled addon exports (native/binding). */
export type NativeAddon = AddonBasics & KernelEntries & AsyncEntries;

// What load-time verification checks, listed so the compiler rejects a list that misses a member.
type Kind<T> = T extends (...args: never[]) => unknown ? 'function' : 'object';
const basics: { readonly [K in keyof AddonBasics]-?: Kind<AddonBasics[K]> } = {
  info: 'function',
  quantIsa: 'function',
  setNumThreads: 'function',
  setSimdLevel: 'function',
  poolStats: 'function',
  addressMod64: 'function',
  gemmPackWidth: 'function',
  unaryOps: 'object',
  binaryOps: 'object',
  reduceOps: 'object',
  argReduceOps: 'object',
  optimizerKinds: 'object',
  optimizerSumSquares: 'function',
  optimizerLayouts: 'object',
  layouts: 'object',
};
/** Entry points whose blocks are named per optimizer kind rather than by one layout (checked below). */
const unnamedEntries = ['optimizerStep', 'optimizerSteps'] as const;
// A layout belongs to a kernel entry of the same name, or to a plain function among the basics.
const kernelEntryNames = [...Object.keys(layouts).filter((name) => !Object.hasOwn(basics, name)), ...unnamedEntries];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Fails to compile unless every kernel entry above has a layout or is listed as unnamed.
const everyEntryListed: Same<keyof KernelEntries, Exclude<LayoutName, keyof AddonBasics> | (typeof unnamedEntries)[number]> = true;
void everyEntryListed;

/** Every function the interface declares, kernel entries with their async twins. */
export const addonFunctions: readonly string[] = [
  ...Object.entries(basics).filter(([, kind]) => kind === 'function').map(([name]) => name),
  ...kernelEntryNames.flatMap((name) => [name, `${name}Async`]),
];

/**
 * Throws, naming the first difference, unless `addon` exports every member this file declares with
 * the right kind and publishes exactly {@link layouts}.
 */
export function checkAddon(addon: unknown): asserts addon is NativeAddon {
  const fail = (why: string): never => {
    throw new Error(`the native addon does not match src/backend/binding.ts: ${why}; rebuild it (npm run build:native)`);
  };
  if (typeof addon !== 'object' || addon === null) return fail('it exports no object');
  const a = addon as Record<string, unknown>;
  for (const [name, kind] of Object.entries(basics)) {
    if (typeof a[name] !== kind || a[name] === null) {
      fail(`'${name}' is ${a[name] === null ? 'null' : typeof a[name]}, expected ${kind === 'object' ? 'an object' : 'a function'}`);
    }
  }
  for (const name of addonFunctions) {
    if (typeof a[name] !== 'function') fail(`it has no function '${name}'`);
  }
  const published = a['layouts'] as Record<string, unknown>;
  for (const [name, fields] of Object.entries(layouts) as [string, readonly string[]][]) {
    const got = published[name];
    if (!Array.isArray(got)) return fail(`it publishes no layout '${name}'`);
    for (let i = 0; i < Math.max(got.length, fields.length); i++) {
      if (got[i] === fields[i]) continue;
      const theirs = i < got.length ? `'${String(got[i])}'` : 'absent';
      const ours = i < fields.length ? `'${fields[i]}'` : 'absent';
      fail(`layout '${name}' field ${i} is ${theirs} in the addon but ${ours} here`);
    }
  }
  for (const name of Object.keys(published)) {
    if (!Object.hasOwn(layouts, name)) fail(`it publishes layout '${name}', which is not declared here`);
  }
  const optimizerProblem = checkOptimizerLayouts(a['optimizerLayouts'], a['optimizerKinds']);
  if (optimizerProblem !== null) fail(optimizerProblem);
}

// ---- loading ------------------------------------------------------------------------------------

const packageRoot = path.resolve(__dirname, '..', '..');

/**
 * The binaries to try, in order: a prebuild for this platform first (what ships), then the local
 * cmake-js build through node-gyp-build, which a checkout falls back to when its prebuild predates
 * the sources (a prebuild that does not match this file is refused, see {@link checkAddon}).
 * TENSORFORGE_ADDON names a file explicitly and alone (tests, debugging).
 */
export function addonCandidates(root = packageRoot): string[] {
  const explicit = process.env['TENSORFORGE_ADDON'];
  if (explicit) return [path.resolve(explicit)];
  const out: string[] = [];
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(dir)) {
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    if (file) out.push(path.join(dir, file));
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    const local = nodeGypBuild.path(root);
    if (!out.includes(local)) out.push(local);
  } catch (err) {
    // No local build: only worth reporting when there is no prebuild either.
    if (!out.length) throw err;
  }
  return out;
}

/** The first binary {@link addonCandidates} names (the one a shipped package loads). */
export function resolveAddonPath(root = packageRoot): string {
  return addonCandidates(root)[0]!;
}

let loaded: NativeAddon | null | undefined;
let loadedPath: string | null = null;
let loadError: Error | null = null;

/** The addon, or null when none can load or match this file (the library then runs on the js backend). */
export function nativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  let candidates: string[] = [];
  try {
    candidates = addonCandidates();
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
  }
  for (const file of candidates) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon: unknown = require(file);
      checkAddon(addon);
      loaded = addon;
      loadedPath = file;
      loadError = null;
      break;
    } catch (err) {
      // The first refusal is the one to report: it names the binary a user's install would load.
      loadError ??= err instanceof Error ? err : new Error(String(err));
    }
  }
  return loaded;
}

/** The file {@link nativeAddon} loaded, or null when it loaded none. */
export function nativeAddonPath(): string | null {
  nativeAddon();
  return loadedPath;
}

/** Why {@link nativeAddon} returned null, if it did. */
export function nativeLoadError(): Error | null {
  nativeAddon();
  return loadError;
}
