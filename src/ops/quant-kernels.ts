// Integer kernels of int8 quantization: GEMM, convolution and (dynamic) quantization of float32
// activations. Each function runs the native kernel (native/kernels/quant/) when the native backend
// is active and the TypeScript reference below otherwise; both give the same bits (the registry
// test test/native/quant-kernels.test.ts checks it at every SIMD level).
//
// Numbers. Activations are uint8 with a zero point (asymmetric), or int8 (the kernels add 128 to
// values and zero point, which changes nothing in the products); weights are int8 with one scale per
// output channel and zero point 0 (symmetric). Products accumulate exactly in int32: the depth k
// (kh * kw * C / groups for a convolution) is limited to 65536 so that no sum can overflow.
// The epilogue of output element (i, j), in float32 with one rounding per step:
//   acc   = sum_p (a[i, p] - aZeroPoint) * b[p, j]                      (int32, exact)
//   v     = fma(float(acc), fround(scaleA * scaleB[j]), bias[j] or 0)  (one rounding)
//   v     = activation(v)                       none: v; relu: max(v, 0); relu6: min(max(v, 0), 6)
//   float output:  out = v
//   uint8 output:  out = clamp(roundHalfEven(fround(v / outScale)) + outZeroPoint, 0, 255)
// Quantization of a float x with (scale, zeroPoint): clamp(roundHalfEven(fround(x / scale)) + zeroPoint, 0, 255)
// (as ONNX QuantizeLinear). Dynamic quantization takes min = min(0, min x), max = max(0, max x),
// scale = fround((max - min) / 255) (1 when that is 0) and zeroPoint = clamp(roundHalfEven(fround(-min / scale)), 0, 255)
// (as ONNX DynamicQuantizeLinear), over the whole tensor or per row.
//
// Packed weights. qgemmPackWeights / qconvPackWeights rearrange int8 weights once (pack once, reuse
// for every call): GEMM weights become panels of 16 output columns, each [ceil(k / 4)][16][4] int8 with
// zero padding (the order AVX-512 VNNI's vpdpbusd reads), and carry the per-column sums of the weights
// that the zero-point correction needs. The format is the same for every SIMD level and backend.
import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { argError, describe } from '../errors';

/** Activation fused into the integer kernels' epilogue. */
export type QuantActivation = 'none' | 'relu' | 'relu6';

const ACTIVATION_CODES: Readonly<Record<QuantActivation, number>> = { none: 0, relu: 1, relu6: 2 };

/** Largest depth (k) of an integer product: 65536 * 255 * 128 < 2^31, so int32 sums cannot overflow. */
export const QUANT_MAX_DEPTH = 65536;
/** Output columns per packed weight panel. */
export const QGEMM_PANEL = 16;

/** Int8 GEMM weights [k, n] packed by {@link qgemmPackWeights}; treat `data` as opaque. */
export interface PackedQGemmWeights {
  readonly kind: 'qgemm';
  /** Depth (rows of the unpacked [k, n] matrix). */
  readonly k: number;
  /** Output columns. */
  readonly n: number;
  /** ceil(n / 16) panels of [ceil(k / 4)][16][4] int8, zero-padded. */
  readonly data: Int8Array;
  /** colSums[j] = sum_p b[p, j] (int32), for the activation zero-point correction. */
  readonly colSums: Int32Array;
}

/** Int8 convolution weights packed by {@link qconvPackWeights}; treat `data` as opaque. */
export interface PackedQConvWeights {
  readonly kind: 'qconv';
  readonly kh: number;
  readonly kw: number;
  /** Input channels per group. */
  readonly cinPerGroup: number;
  readonly cout: number;
  readonly groups: number;
  /**
   * True when groups > 1 and each group has one input channel (depthwise, channel multiplier
   * cout / groups): data is then [kh * kw][cout] int8 for the direct kernel. Otherwise data holds
   * one {@link PackedQGemmWeights} layout per group, back to back, with n = cout / groups and
   * k = kh * row, row = kw * cinPerGroup rounded up to a multiple of 4: depth index
   * ky * row + kx * cinPerGroup + ci (the NHWC patch order, each filter row zero-padded).
   */
  readonly depthwise: boolean;
  readonly data: Int8Array;
  /** Sum over each output channel's weights (int32), [cout]. */
  readonly colSums: Int32Array;
}

/** Where an integer kernel writes: float32 (dequantized) or uint8 (requantized). */
export interface QuantOutput {
  /** Float32Array: dequantized output. Uint8Array: requantized with outScale and outZeroPoint. */
  out: Float32Array | Uint8Array;
  /** Scale of the uint8 output (required with a Uint8Array `out`). */
  outScale?: number;
  /** Zero point of the uint8 output, 0..255 (required with a Uint8Array `out`). */
  outZeroPoint?: number;
}

/** Arguments of {@link qgemm}: out [m, n] = epilogue(a [m, k] x b [k, n]). */
export interface QGemmArgs extends QuantOutput {
  /** Rows of the activation matrix. */
  m: number;
  /** Activations [m, k] row-major: uint8 (zero point 0..255) or int8 (zero point -128..127). */
  a: Uint8Array | Int8Array;
  aZeroPoint: number;
  scaleA: number;
  b: PackedQGemmWeights;
  /** Per-output-column weight scales [n] (or one value for the whole tensor). */
  scaleB: Float32Array;
  bias?: Float32Array | null;
  activation?: QuantActivation;
}

/** Arguments of {@link qconv2d}: NHWC input, packed weights, NHWC output [n, oh, ow, cout]. */
export interface QConv2dArgs extends QuantOutput {
  /** Input [n, h, w, c] channels-last: uint8 (zero point 0..255) or int8 (zero point -128..127). */
  x: Uint8Array | Int8Array;
  /** Input shape [n, h, w, c]. */
  shape: readonly [number, number, number, number];
  xZeroPoint: number;
  scaleX: number;
  weights: PackedQConvWeights;
  /** Per-output-channel weight scales [cout] (or one value). */
  scaleW: Float32Array;
  bias?: Float32Array | null;
  activation?: QuantActivation;
  /** [sh, sw], default [1, 1]. */
  strides?: readonly [number, number];
  /** [dh, dw], default [1, 1]. */
  dilations?: readonly [number, number];
  /** [top, left] zero-point padding, default [0, 0]; the bottom/right padding follows from oh, ow. */
  pads?: readonly [number, number];
  /** Output height and width (default: the 'valid' size with the given top/left pads on both sides). */
  outSize?: readonly [number, number];
}

/** Quantization parameters of a dynamic quantization: one (scale, zeroPoint) per tensor or per row. */
export interface DynamicQuantization {
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/**
 * Which integer-kernel copy runs: 'avx512vnni', 'avx2' or 'scalar' on the native backend (it
 * follows `setSimdLevel`), 'js' for the TypeScript reference.
 */
export function quantKernelIsa(): string {
  return activeAddon()?.quantIsa() ?? 'js';
}

// ---- float32 arithmetic as the native kernels do it ---------------------------------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * fma(a, b, c) rounded once to float32, for float32 a, b, c. a * b is exact in float64; the sum is
 * rounded to odd in float64 (its error found by TwoSum), from which rounding to float32 is correct.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return Math.fround(s);
  const bv = s - p;
  const e = (p - (s - bv)) + (c - bv);
  if (e === 0) return Math.fround(s);
  f64[0] = s;
  if ((u32[LO]! & 1) === 0) {
    // Move one float64 ulp toward the exact sum: up in magnitude when e has s's sign.
    const up = (e > 0) === (s > 0);
    if (up) {
      u32[LO] = u32[LO]! + 1;
    } else if (u32[LO] === 0) {
      u32[LO] = 0xffffffff;
      u32[1 - LO] = u32[1 - LO]! - 1;
    } else {
      u32[LO] = u32[LO]! - 1;
    }
  }
  return Math.fround(f64[0]);
}

/** Rounds to the nearest integer, ties to even (the SIMD conversions' default rounding). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** clamp(roundHalfEven(fround(x / scale)) + zeroPoint, 0, 255) for float32 x and scale. */
export function quantizeValue(x: number, scale: number, zeroPoint: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

function activate(v: number, act: number): number {
  if (act === 0) return v;
  const r = v > 0 ? v : 0;
  return act === 2 && r > 6 ? 6 : r;
}

// ---- argument checks ----------------------------------------------------------------------------

function checkInt(fn: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    argError(fn, name, `an integer in [${lo}, ${hi}]`, describe(v));
  }
  return v;
}

function checkScale(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) argError(fn, name, 'a finite number > 0', describe(v));
  return Math.fround(v);
}

function activationCode(fn: string, act: QuantActivation | undefined): number {
  const code = ACTIVATION_CODES[act ?? 'none'];
  if (code === undefined) argError(fn, 'activation', "'none', 'relu' or 'relu6'", describe(act));
  return code;
}

function zeroPointRange(fn: string, a: unknown, name: string): [number, number] {
  if (a instanceof Uint8Array) return [0, 255];
  if (a instanceof Int8Array) return [-128, 127];
  return argError(fn, name, 'a Uint8Array or Int8Array', describe(a));
}

/** Per-column scales of length n: the given array, or its one value repeated. */
function columnScales(fn: string, name: string, s: unknown, n: number): Float32Array {
  if (!(s instanceof Float32Array) || (s.length !== n && s.length !== 1)) {
    argError(fn, name, `a Float32Array of length ${n} or 1`, describe(s));
  }
  for (let i = 0; i < s.length; i++) {
    if (!(s[i]! > 0) || !Number.isFinite(s[i]!)) argError(fn, `${name}[${i}]`, 'a finite number > 0', describe(s[i]));
  }
  return s.length === n ? s : new Float32Array(n).fill(s[0]!);
}

interface ResolvedOutput {
  f32: Float32Array | null;
  u8: Uint8Array | null;
  outScale: number;
  outZeroPoint: number;
}

function resolveOutput(fn: string, o: QuantOutput, size: number): ResolvedOutput {
  if (o.out instanceof Float32Array) {
    if (o.out.length < size) argError(fn, 'out', `a Float32Array of at least ${size} elements`, describe(o.out));
    return { f32: o.out, u8: null, outScale: 1, outZeroPoint: 0 };
  }
  if (o.out instanceof Uint8Array) {
    if (o.out.length < size) argError(fn, 'out', `a Uint8Array of at least ${size} elements`, describe(o.out));
    return { f32: null, u8: o.out, outScale: checkScale(fn, 'outScale', o.outScale), outZeroPoint: checkInt(fn, 'outZeroPoint', o.outZeroPoint, 0, 255) };
  }
  return argError(fn, 'out', 'a Float32Array or Uint8Array', describe(o.out));
}

function checkBias(fn: string, bias: Float32Array | null | undefined, n: number): Float32Array | null {
  if (bias === undefined || bias === null) return null;
  if (!(bias instanceof Float32Array) || bias.length !== n) argError(fn, 'bias', `a Float32Array of length ${n}`, describe(bias));
  return bias;
}

// ---- packing -----------------------------------------------------------------------------------

/** Bytes of one packed GEMM weight matrix of depth k and n columns. */
function packedGemmBytes(k: number, n: number): number {
  return Math.ceil(n / QGEMM_PANEL) * Math.ceil(k / 4) * QGEMM_PANEL * 4;
}

/** Index of b[p, j] in a packed GEMM matrix of depth k. */
function packedIndex(k: number, p: number, j: number): number {
  return ((j >> 4) * Math.ceil(k / 4) + (p >> 2)) * 64 + (j & 15) * 4 + (p & 3);
}

/**
 * Packs int8 weights for {@link qgemm}. `layout` 'kn' (default): b is [k, n] row-major (a dense
 * layer's kernel, ONNX MatMul's B); 'nk': b is [n, k] (a PyTorch Linear weight, ONNX Gemm transB).
 */
export function qgemmPackWeights(b: Int8Array, k: number, n: number, layout: 'kn' | 'nk' = 'kn'): PackedQGemmWeights {
  const fn = 'qgemmPackWeights';
  checkInt(fn, 'k', k, 1, QUANT_MAX_DEPTH);
  checkInt(fn, 'n', n, 1, 2 ** 31 - 1);
  if (!(b instanceof Int8Array) || b.length !== k * n) argError(fn, 'b', `an Int8Array of ${k} * ${n} elements`, describe(b));
  if (layout !== 'kn' && layout !== 'nk') argError(fn, 'layout', "'kn' or 'nk'", describe(layout));
  const data = new Int8Array(packedGemmBytes(k, n));
  const colSums = new Int32Array(n);
  fillPackedGemm(data, 0, colSums, 0, k, n, (p, j) => b[layout === 'kn' ? p * n + j : j * k + p]!);
  return { kind: 'qgemm', k, n, data, colSums };
}

function fillPackedGemm(data: Int8Array, base: number, colSums: Int32Array, colBase: number, k: number, n: number,
  get: (p: number, j: number) => number): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) {
      const v = get(p, j);
      data[base + packedIndex(k, p, j)] = v;
      s += v;
    }
    colSums[colBase + j] = s;
  }
}

/**
 * Depth slots of one filter row (kx, ci) in a packed convolution: kw * cinPerGroup rounded up to a
 * whole 4-deep group, the tail zero. Each filter row then reads one contiguous run of an NHWC input
 * row, which the native im2col copies in whole 4-byte words.
 */
function convRowLength(kw: number, cinPerGroup: number): number {
  return Math.ceil((kw * cinPerGroup) / 4) * 4;
}

/** Depth of the GEMM a packed (non-depthwise) convolution runs: kh filter rows of {@link convRowLength}. */
function convDepth(kh: number, kw: number, cinPerGroup: number): number {
  return kh * convRowLength(kw, cinPerGroup);
}

/**
 * Packs int8 convolution weights for {@link qconv2d}: 'OIHW' [cout, cin/groups, kh, kw] (PyTorch,
 * ONNX) or 'HWIO' [kh, kw, cin/groups, cout] (Keras, this library's NHWC convolution).
 */
export function qconvPackWeights(w: Int8Array, layout: 'OIHW' | 'HWIO',
  shape: { cout: number; cinPerGroup: number; kh: number; kw: number; groups?: number }): PackedQConvWeights {
  const fn = 'qconvPackWeights';
  const { cout, cinPerGroup, kh, kw } = shape;
  const groups = shape.groups ?? 1;
  checkInt(fn, 'shape.cout', cout, 1, 2 ** 31 - 1);
  checkInt(fn, 'shape.cinPerGroup', cinPerGroup, 1, 2 ** 31 - 1);
  checkInt(fn, 'shape.kh', kh, 1, 65536);
  checkInt(fn, 'shape.kw', kw, 1, 65536);
  checkInt(fn, 'shape.groups', groups, 1, cout);
  if (cout % groups !== 0) argError(fn, 'shape.groups', `a divisor of cout ${cout}`, describe(groups));
  const depth = kh * kw * cinPerGroup;
  if (convDepth(kh, kw, cinPerGroup) > QUANT_MAX_DEPTH) {
    argError(fn, 'shape', `kh * ceil(kw * cinPerGroup / 4) * 4 <= ${QUANT_MAX_DEPTH}`, `${kh} * ${kw} * ${cinPerGroup}`);
  }
  if (!(w instanceof Int8Array) || w.length !== cout * depth) {
    argError(fn, 'w', `an Int8Array of ${cout * depth} elements (${layout} [${layout === 'OIHW' ? `${cout},${cinPerGroup},${kh},${kw}` : `${kh},${kw},${cinPerGroup},${cout}`}])`, describe(w));
  }
  if (layout !== 'OIHW' && layout !== 'HWIO') argError(fn, 'layout', "'OIHW' or 'HWIO'", describe(layout));
  // Weight of output channel co, tap (ky, kx), input channel ci of its group.
  const at = layout === 'OIHW'
    ? (co: number, ky: number, kx: number, ci: number) => w[((co * cinPerGroup + ci) * kh + ky) * kw + kx]!
    : (co: number, ky: number, kx: number, ci: number) => w[((ky * kw + kx) * cinPerGroup + ci) * cout + co]!;
  const colSums = new Int32Array(cout);
  const depthwise = groups > 1 && cinPerGroup === 1;
  if (depthwise) {
    const data = new Int8Array(kh * kw * cout);
    for (let co = 0; co < cout; co++) {
      let s = 0;
      for (let t = 0; t < kh * kw; t++) {
        const v = at(co, Math.floor(t / kw), t % kw, 0);
        data[t * cout + co] = v;
        s += v;
      }
      colSums[co] = s;
    }
    return { kind: 'qconv', kh, kw, cinPerGroup, cout, groups, depthwise, data, colSums };
  }
  const ng = cout / groups;
  const row = convRowLength(kw, cinPerGroup);
  const k = kh * row;
  const per = packedGemmBytes(k, ng);
  const data = new Int8Array(per * groups);
  for (let g = 0; g < groups; g++) {
    fillPackedGemm(data, g * per, colSums, g * ng, k, ng, (p, j) => {
      const r = p % row;
      if (r >= kw * cinPerGroup) return 0;
      const ci = r % cinPerGroup;
      return at(g * ng + j, (p - r) / row, (r - ci) / cinPerGroup, ci);
    });
  }
  return { kind: 'qconv', kh, kw, cinPerGroup, cout, groups, depthwise, data, colSums };
}

// ---- qgemm ---------------------------------------------------------------------------------------

/** Epilogue constants of one call: per-column multipliers fround(scaleA * scaleB[j]). */
function multipliers(scaleA: number, scaleB: Float32Array): Float32Array {
  const m = new Float32Array(scaleB.length);
  for (let j = 0; j < m.length; j++) m[j] = Math.fround(scaleA * scaleB[j]!);
  return m;
}

function storeOutput(o: ResolvedOutput, idx: number, acc: number, mult: number, bias: number, act: number): void {
  const v = activate(fmaF32(Math.fround(acc), mult, bias), act);
  if (o.f32) o.f32[idx] = v;
  else o.u8![idx] = quantizeValue(v, o.outScale, o.outZeroPoint);
}

/**
 * Int8 GEMM with int32 accumulation and a fused epilogue (see the file comment): out [m, n] =
 * act(scaleA * scaleB[j] * sum_p (a[i, p] - aZeroPoint) * b[p, j] + bias[j]), as float32 or
 * requantized uint8. Native kernels (AVX-512 VNNI, AVX2, scalar) when the native backend is active.
 */
export function qgemm(args: QGemmArgs): void {
  const fn = 'qgemm';
  const { a, b, m } = args;
  if (typeof b !== 'object' || b === null || b.kind !== 'qgemm') argError(fn, 'b', 'weights packed by qgemmPackWeights', describe(b));
  const { k, n } = b;
  checkInt(fn, 'm', m, 0, 2 ** 31 - 1);
  const [zlo, zhi] = zeroPointRange(fn, a, 'a');
  if (a.length < m * k) argError(fn, 'a', `${m} * ${k} elements`, describe(a));
  const za = checkInt(fn, 'aZeroPoint', args.aZeroPoint, zlo, zhi);
  const scaleA = checkScale(fn, 'scaleA', args.scaleA);
  const scaleB = columnScales(fn, 'scaleB', args.scaleB, n);
  const bias = checkBias(fn, args.bias, n);
  const act = activationCode(fn, args.activation);
  const o = resolveOutput(fn, args, m * n);
  if (m === 0) return;
  const addon = activeAddon();
  if (addon) {
    addon.qgemm(a, b.data, b.colSums, scaleB, bias, o.f32 ?? o.u8!, pack.qgemm({
      m, n, k, aZeroPoint: za, scaleA, activation: act, outScale: o.outScale, outZeroPoint: o.outZeroPoint,
    }));
    return;
  }
  const mult = multipliers(scaleA, scaleB);
  const col = new Int32Array(k);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) col[p] = b.data[packedIndex(k, p, j)]!;
    for (let i = 0; i < m; i++) {
      let acc = 0;
      const row = i * k;
      for (let p = 0; p < k; p++) acc += (a[row + p]! - za) * col[p]!;
      storeOutput(o, i * n + j, acc, mult[j]!, bias ? bias[j]! : 0, act);
    }
  }
}

// ---- qconv2d -------------------------------------------------------------------------------------

interface ConvGeometry {
  n: number; h: number; w: number; c: number; oh: number; ow: number;
  sh: number; sw: number; dh: number; dw: number; padTop: number; padLeft: number;
}

function convGeometry(fn: string, args: QConv2dArgs): ConvGeometry {
  const shape = args.shape;
  if (!Array.isArray(shape) || shape.length !== 4) argError(fn, 'shape', '[n, h, w, c]', describe(shape));
  const [n, h, w, c] = shape.map((v, i) => checkInt(fn, `shape[${i}]`, v, i === 0 ? 0 : 1, 2 ** 31 - 1)) as [number, number, number, number];
  const pair = (name: string, v: readonly [number, number] | undefined, def: number, lo: number): [number, number] => {
    const p = v ?? [def, def];
    if (!Array.isArray(p) || p.length !== 2) argError(fn, name, 'two integers', describe(p));
    return [checkInt(fn, `${name}[0]`, p[0], lo, 65536), checkInt(fn, `${name}[1]`, p[1], lo, 65536)];
  };
  const [sh, sw] = pair('strides', args.strides, 1, 1);
  const [dh, dw] = pair('dilations', args.dilations, 1, 1);
  const [padTop, padLeft] = pair('pads', args.pads, 0, 0);
  const { kh, kw } = args.weights;
  const def = (size: number, pad: number, k: number, d: number, s: number) => Math.floor((size + 2 * pad - (d * (k - 1) + 1)) / s) + 1;
  const [oh, ow] = args.outSize ?? [def(h, padTop, kh, dh, sh), def(w, padLeft, kw, dw, sw)];
  checkInt(fn, 'outSize[0]', oh, 1, 2 ** 31 - 1);
  checkInt(fn, 'outSize[1]', ow, 1, 2 ** 31 - 1);
  return { n, h, w, c, oh, ow, sh, sw, dh, dw, padTop, padLeft };
}

/**
 * Int8 2-D convolution, NHWC input and output, with int32 accumulation and the fused epilogue of
 * {@link qgemm}. Padding reads the input zero point (so it contributes nothing). Native: 1x1
 * stride-1 convolutions as one GEMM, others as im2col tiles into the GEMM core, depthwise by a
 * direct kernel.
 */
export function qconv2d(args: QConv2dArgs): void {
  const fn = 'qconv2d';
  const wt = args.weights;
  if (typeof wt !== 'object' || wt === null || wt.kind !== 'qconv') argError(fn, 'weights', 'weights packed by qconvPackWeights', describe(wt));
  const g = convGeometry(fn, args);
  const { x } = args;
  const [zlo, zhi] = zeroPointRange(fn, x, 'x');
  if (g.c !== wt.cinPerGroup * wt.groups) {
    argError(fn, 'shape', `${wt.cinPerGroup * wt.groups} input channels (the weights' groups * cinPerGroup)`, describe(args.shape));
  }
  if (x.length < g.n * g.h * g.w * g.c) argError(fn, 'x', `${g.n * g.h * g.w * g.c} elements (shape [${args.shape.join(',')}])`, describe(x));
  const zx = checkInt(fn, 'xZeroPoint', args.xZeroPoint, zlo, zhi);
  const scaleX = checkScale(fn, 'scaleX', args.scaleX);
  const scaleW = columnScales(fn, 'scaleW', args.scaleW, wt.cout);
  const bias = checkBias(fn, args.bias, wt.cout);
  const act = activationCode(fn, args.activation);
  const o = resolveOutput(fn, args, g.n * g.oh * g.ow * wt.cout);
  if (g.n === 0) return;
  const addon = activeAddon();
  if (addon) {
    addon.qconv2d(x, wt.data, wt.colSums, scaleW, bias, o.f32 ?? o.u8!, pack.qconv2d({
      n: g.n, h: g.h, w: g.w, c: g.c, kh: wt.kh, kw: wt.kw, cout: wt.cout, oh: g.oh, ow: g.ow, sh: g.sh, sw: g.sw,
      dh: g.dh, dw: g.dw, padTop: g.padTop, padLeft: g.padLeft, groups: wt.groups, depthwise: wt.depthwise ? 1 : 0,
      xZeroPoint: zx, scaleX, activation: act, outScale: o.outScale, outZeroPoint: o.outZeroPoint,
    }));
    return;
  }
  referenceConv(x, zx, g, wt, multipliers(scaleX, scaleW), bias, act, o);
}

function referenceConv(x: Uint8Array | Int8Array, zx: number, g: ConvGeometry, wt: PackedQConvWeights, mult: Float32Array,
  bias: Float32Array | null, act: number, o: ResolvedOutput): void {
  const { kh, kw, cinPerGroup: cg, cout, groups } = wt;
  const ng = cout / groups;
  const row = convRowLength(kw, cg);
  const depth = kh * row;
  const per = packedGemmBytes(depth, ng);
  const weight = wt.depthwise
    ? (co: number, t: number) => wt.data[t * cout + co]!
    : (co: number, t: number, ci: number) => {
      const grp = Math.floor(co / ng);
      const kx = t % kw;
      return wt.data[grp * per + packedIndex(depth, ((t - kx) / kw) * row + kx * cg + ci, co - grp * ng)]!;
    };
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const outBase = ((b * g.oh + oy) * g.ow + ox) * cout;
        for (let co = 0; co < cout; co++) {
          const c0 = Math.floor(co / ng) * cg;
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const xBase = ((b * g.h + iy) * g.w + ix) * g.c + c0;
              for (let ci = 0; ci < cg; ci++) acc += (x[xBase + ci]! - zx) * weight(co, ky * kw + kx, ci);
            }
          }
          storeOutput(o, outBase + co, acc, mult[co]!, bias ? bias[co]! : 0, act);
        }
      }
    }
  }
}

// ---- quantization of float32 activations --------------------------------------------------------

/** Min/max quantization parameters of x[from, to) as ONNX DynamicQuantizeLinear computes them. */
function dynamicParams(x: Float32Array, from: number, to: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = from; i < to; i++) {
    const v = x[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let scale = Math.fround(Math.fround(hi - lo) / 255);
  if (scale === 0) scale = 1;
  const zp = roundHalfEven(Math.fround(-lo / scale));
  return [scale, zp < 0 ? 0 : zp > 255 ? 255 : zp];
}

/**
 * Dynamic quantization of float32 x [rows, cols] to uint8: computes (scale, zeroPoint) from the
 * values' min and max (including 0) over the whole tensor (`perRow` false, one pair) or per row,
 * then quantizes into out. Returns the parameters.
 */
export function quantizeDynamic(x: Float32Array, rows: number, cols: number, out: Uint8Array, perRow = false): DynamicQuantization {
  const fn = 'quantizeDynamic';
  checkInt(fn, 'rows', rows, 0, 2 ** 31 - 1);
  checkInt(fn, 'cols', cols, 0, 2 ** 31 - 1);
  if (!(x instanceof Float32Array) || x.length < rows * cols) argError(fn, 'x', `a Float32Array of ${rows} * ${cols} elements`, describe(x));
  if (!(out instanceof Uint8Array) || out.length < rows * cols) argError(fn, 'out', `a Uint8Array of ${rows} * ${cols} elements`, describe(out));
  const count = perRow ? rows : 1;
  const scales = new Float32Array(count);
  const zeroPoints = new Int32Array(count);
  const addon = activeAddon();
  if (addon) {
    addon.quantizeLinear(x, out, scales, zeroPoints, pack.quantizeLinear({ rows, cols, mode: perRow ? 2 : 1 }));
    return { scales, zeroPoints };
  }
  const span = perRow ? cols : rows * cols;
  for (let r = 0; r < count; r++) {
    const [s, z] = dynamicParams(x, r * span, (r + 1) * span);
    scales[r] = s;
    zeroPoints[r] = z;
    for (let i = r * span; i < (r + 1) * span; i++) out[i] = quantizeValue(x[i]!, s, z);
  }
  return { scales, zeroPoints };
}

/** Static quantization of float32 x (n values) to uint8 with a given scale and zero point (ONNX QuantizeLinear). */
export function quantizeLinear(x: Float32Array, n: number, scale: number, zeroPoint: number, out: Uint8Array): void {
  const fn = 'quantizeLinear';
  checkInt(fn, 'n', n, 0, 2 ** 31 - 1);
  if (!(x instanceof Float32Array) || x.length < n) argError(fn, 'x', `a Float32Array of ${n} elements`, describe(x));
  if (!(out instanceof Uint8Array) || out.length < n) argError(fn, 'out', `a Uint8Array of ${n} elements`, describe(out));
  const s = checkScale(fn, 'scale', scale);
  const z = checkInt(fn, 'zeroPoint', zeroPoint, 0, 255);
  const addon = activeAddon();
  if (addon) {
    addon.quantizeLinear(x, out, new Float32Array([s]), new Int32Array([z]), pack.quantizeLinear({ rows: 1, cols: n, mode: 0 }));
    return;
  }
  for (let i = 0; i < n; i++) out[i] = quantizeValue(x[i]!, s, z);
}

// ---- direct convolution of shallow filters, uint8 max pooling -----------------------------------

/** Deepest packed filter (kh * ceil(kw * c / 4) * 4) for which {@link qconv2dDirect} beats the im2col GEMM route. */
export const QCONV_DIRECT_MAX_DEPTH = 32;

/** Arguments of {@link qconv2dDirect}: those of {@link qconv2d} with a uint8 output grid. */
export interface QConv2dDirectArgs extends Omit<QConv2dArgs, keyof QuantOutput | 'x'> {
  /**
   * Input [n, h, w, c] channels-last: uint8 / int8 activations, or float32 values quantized on the
   * fly with (scaleX, xZeroPoint) as {@link quantizeLinear} does (the same bytes, never written).
   */
  x: Uint8Array | Int8Array | Float32Array;
  /** [n, oh, ow, cout], or with `pool` [n, pool.outSize[0], pool.outSize[1], cout]. */
  out: Uint8Array;
  outScale: number;
  /** 0..255. */
  outZeroPoint: number;
  /**
   * Max pooling fused after the convolution (windows inside its output, no padding; dilation 1
   * along w): the same bytes as {@link qmaxPool2d} of the unpooled output, without writing it.
   */
  pool?: { size: readonly [number, number]; strides?: readonly [number, number]; outSize: readonly [number, number] } | null;
}

/** The folded requantization of {@link qconv2dDirect}: per channel multiplier and offset, activation clamps. */
interface DirectRequant {
  mult: Float32Array;
  offset: Float32Array;
  lo: number;
  hi: number;
}

function directRequant(scaleX: number, scaleW: Float32Array, bias: Float32Array | null, outScale: number, outZeroPoint: number,
  act: number): DirectRequant {
  const n = scaleW.length;
  const mult = new Float32Array(n);
  const offset = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    mult[j] = Math.fround(Math.fround(scaleX * scaleW[j]!) / outScale);
    offset[j] = Math.fround(Math.fround((bias ? bias[j]! : 0) / outScale) + outZeroPoint);
  }
  // relu / relu6 on the output grid: max(q, grid(0)) and min(q, grid(6)) (quantization is monotone).
  const lo = act === 0 ? 0 : outZeroPoint;
  const hi = act === 2 ? Math.max(lo, quantizeValue(6, outScale, outZeroPoint)) : 255;
  return { mult, offset, lo, hi };
}

/**
 * Int8 convolution for shallow filters (a first layer on 1-3 input channels: kh * ceil(kw * c / 4) * 4
 * up to {@link QCONV_DIRECT_MAX_DEPTH} is where it pays), groups 1, always requantized to uint8.
 * Its epilogue folds the scales, bias and output zero point into one fma per value:
 *   acc  = sum (x - xZeroPoint) * w                                       (int32, exact)
 *   mult = fround(fround(scaleX * scaleW[j]) / outScale), offset = fround(fround(bias[j] / outScale) + outZeroPoint)
 *   out  = roundHalfEven(min(max(fma(float(acc), mult, offset), lo), hi))
 * with lo = outZeroPoint under relu / relu6 (else 0) and hi = the grid value of 6 under relu6 (else
 * 255). Native: each image is copied once, padded, into the uint8 domain and every output pixel's
 * filter rows are read from it in place (VNNI: 4 pixels x 32 channels per step).
 */
export function qconv2dDirect(args: QConv2dDirectArgs): void {
  const fn = 'qconv2dDirect';
  const wt = args.weights;
  if (typeof wt !== 'object' || wt === null || wt.kind !== 'qconv') argError(fn, 'weights', 'weights packed by qconvPackWeights', describe(wt));
  if (wt.groups !== 1) argError(fn, 'weights', 'weights of an ungrouped convolution (groups 1)', `groups ${wt.groups}`);
  const g = convGeometry(fn, { ...args, x: new Uint8Array(0) });
  const { x } = args;
  const [zlo, zhi] = x instanceof Float32Array ? [0, 255] : zeroPointRange(fn, x, 'x');
  if (g.c !== wt.cinPerGroup) argError(fn, 'shape', `${wt.cinPerGroup} input channels (the weights')`, describe(args.shape));
  if (x.length < g.n * g.h * g.w * g.c) argError(fn, 'x', `${g.n * g.h * g.w * g.c} elements (shape [${args.shape.join(',')}])`, describe(x));
  const zx = checkInt(fn, 'xZeroPoint', args.xZeroPoint, zlo, zhi);
  const scaleX = checkScale(fn, 'scaleX', args.scaleX);
  const scaleW = columnScales(fn, 'scaleW', args.scaleW, wt.cout);
  const bias = checkBias(fn, args.bias, wt.cout);
  const act = activationCode(fn, args.activation);
  if (!(args.out instanceof Uint8Array)) argError(fn, 'out', 'a Uint8Array', describe(args.out));
  const pool = directPool(fn, args.pool, g);
  const o = resolveOutput(fn, args, g.n * (pool ? pool.oh * pool.ow : g.oh * g.ow) * wt.cout);
  const rq = directRequant(scaleX, scaleW, bias, o.outScale, o.outZeroPoint, act);
  if (g.n === 0) return;
  const addon = activeAddon();
  if (addon) {
    addon.qconv2dDirect(x, wt.data, wt.colSums, rq.mult, rq.offset, args.out, pack.qconv2dDirect({
      n: g.n, h: g.h, w: g.w, c: g.c, kh: wt.kh, kw: wt.kw, cout: wt.cout, oh: g.oh, ow: g.ow, sh: g.sh, sw: g.sw,
      dh: g.dh, dw: g.dw, padTop: g.padTop, padLeft: g.padLeft, xZeroPoint: zx, xScale: scaleX, lo: rq.lo, hi: rq.hi,
      poolH: pool?.kh ?? 0, poolW: pool?.kw ?? 0, poolSh: pool?.sh ?? 0, poolSw: pool?.sw ?? 0, poolOh: pool?.oh ?? 0, poolOw: pool?.ow ?? 0,
    }));
    return;
  }
  const xb = x instanceof Float32Array ? new Uint8Array(g.n * g.h * g.w * g.c) : x;
  if (x instanceof Float32Array) quantizeLinear(x, xb.length, scaleX, zx, xb as Uint8Array);
  if (pool) {
    const full = new Uint8Array(g.n * g.oh * g.ow * wt.cout);
    referenceDirect(xb, zx, g, wt, rq, full);
    qmaxPool2d({ x: full, shape: [g.n, g.oh, g.ow, wt.cout], poolSize: [pool.kh, pool.kw], strides: [pool.sh, pool.sw], outSize: [pool.oh, pool.ow], out: args.out });
    return;
  }
  referenceDirect(xb, zx, g, wt, rq, args.out);
}

interface DirectPool {
  kh: number; kw: number; sh: number; sw: number; oh: number; ow: number;
}

function directPool(fn: string, p: QConv2dDirectArgs['pool'], g: ConvGeometry): DirectPool | null {
  if (p === undefined || p === null) return null;
  const pair = (name: string, v: readonly [number, number] | undefined): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2) argError(fn, name, 'two integers', describe(v));
    return [checkInt(fn, `${name}[0]`, v[0], 1, 65536), checkInt(fn, `${name}[1]`, v[1], 1, 65536)];
  };
  const [kh, kw] = pair('pool.size', p.size);
  const [sh, sw] = pair('pool.strides', p.strides ?? p.size);
  const [oh, ow] = pair('pool.outSize', p.outSize);
  if (g.dw !== 1) argError(fn, 'pool', 'null with a dilation along w (the fused pooling reads whole filter rows)', describe(p));
  if ((oh - 1) * sh + kh > g.oh || (ow - 1) * sw + kw > g.ow) {
    argError(fn, 'pool.outSize', `windows inside the ${g.oh}x${g.ow} convolution output`, describe(p.outSize));
  }
  return { kh, kw, sh, sw, oh, ow };
}

function referenceDirect(x: Uint8Array | Int8Array, zx: number, g: ConvGeometry, wt: PackedQConvWeights, rq: DirectRequant, out: Uint8Array): void {
  const { kh, kw, cout } = wt;
  const row = convRowLength(kw, g.c);
  const depth = kh * row;
  const wcol = new Int32Array(kh * kw * g.c);
  for (let co = 0; co < cout; co++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let t = 0; t < kw * g.c; t++) wcol[ky * kw * g.c + t] = wt.data[packedIndex(depth, ky * row + t, co)]!;
    }
    const m = rq.mult[co]!, off = rq.offset[co]!;
    for (let b = 0; b < g.n; b++) {
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const xBase = ((b * g.h + iy) * g.w + ix) * g.c;
              const wBase = (ky * kw + kx) * g.c;
              for (let ci = 0; ci < g.c; ci++) acc += (x[xBase + ci]! - zx) * wcol[wBase + ci]!;
            }
          }
          let v = fmaF32(Math.fround(acc), m, off);
          v = v > rq.lo ? v : rq.lo;
          v = v < rq.hi ? v : rq.hi;
          out[((b * g.oh + oy) * g.ow + ox) * cout + co] = roundHalfEven(v);
        }
      }
    }
  }
}

/** Arguments of {@link qmaxPool2d}. */
export interface QMaxPool2dArgs {
  /** Input [n, h, w, c] channels-last, uint8 or int8. */
  x: Uint8Array | Int8Array;
  shape: readonly [number, number, number, number];
  /** [kh, kw]. */
  poolSize: readonly [number, number];
  /** [sh, sw], default poolSize. */
  strides?: readonly [number, number];
  /** [top, left] padding (skipped taps), default [0, 0]. */
  pads?: readonly [number, number];
  /** [oh, ow]. */
  outSize: readonly [number, number];
  /** Output [n, oh, ow, c], the same kind of array as x. */
  out: Uint8Array | Int8Array;
}

/**
 * Max pooling of quantized (uint8 or int8) NHWC values. Exact: quantization is monotone, so the
 * max of the integers is the integer of the max of the values. Taps in the padding are skipped (a
 * window with none gives the type's lowest value).
 */
export function qmaxPool2d(args: QMaxPool2dArgs): void {
  const fn = 'qmaxPool2d';
  const { x, out } = args;
  zeroPointRange(fn, x, 'x');
  if (!(out instanceof (x instanceof Int8Array ? Int8Array : Uint8Array))) argError(fn, 'out', `an array of x's kind (${x.constructor.name})`, describe(out));
  const shape = args.shape;
  if (!Array.isArray(shape) || shape.length !== 4) argError(fn, 'shape', '[n, h, w, c]', describe(shape));
  const [n, h, w, c] = shape.map((v, i) => checkInt(fn, `shape[${i}]`, v, i === 0 ? 0 : 1, 2 ** 31 - 1)) as [number, number, number, number];
  const pair = (name: string, v: readonly [number, number] | undefined, lo: number): [number, number] => {
    if (!Array.isArray(v) || v.length !== 2) argError(fn, name, 'two integers', describe(v));
    return [checkInt(fn, `${name}[0]`, v[0], lo, 65536), checkInt(fn, `${name}[1]`, v[1], lo, 65536)];
  };
  const [kh, kw] = pair('poolSize', args.poolSize, 1);
  const [sh, sw] = pair('strides', args.strides ?? args.poolSize, 1);
  const [padTop, padLeft] = pair('pads', args.pads ?? [0, 0], 0);
  const [oh, ow] = pair('outSize', args.outSize, 1);
  if (x.length < n * h * w * c) argError(fn, 'x', `${n * h * w * c} elements (shape [${shape.join(',')}])`, describe(x));
  if (out.length < n * oh * ow * c) argError(fn, 'out', `at least ${n * oh * ow * c} elements`, describe(out));
  if (n === 0) return;
  const addon = activeAddon();
  if (addon) {
    addon.qmaxPool2d(x, out, pack.qmaxPool2d({ n, h, w, c, kh, kw, oh, ow, sh, sw, padTop, padLeft }));
    return;
  }
  const lowest = x instanceof Int8Array ? -128 : 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = ((b * oh + oy) * ow + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let v = lowest;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padTop + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padLeft + kx;
              if (ix < 0 || ix >= w) continue;
              const e = x[((b * h + iy) * w + ix) * c + ch]!;
              if (e > v) v = e;
            }
          }
          out[o + ch] = v;
        }
      }
    }
  }
}
