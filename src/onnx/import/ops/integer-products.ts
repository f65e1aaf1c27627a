// Exact integer matrix products and convolutions of quantized values: sum (a - aZeroPoint) * (b - bZeroPoint)
// per output element, as MatMulInteger/ConvInteger return it and QLinearMatMul/QLinearConv requantize it.
// The native int8 kernels (src/ops/quant-kernels.ts) run when they fit: weights whose values are
// int8 with zero point 0 (symmetric, as onnxruntime's and this library's quantizers make them) and
// activations that are uint8 or int8 with their zero point. They are asked for the plain sum (scales
// 1, float32 output), which is exact below 2^24; a larger sum (possible only for deep products)
// reruns the exact TypeScript loop, which also serves every other case (uint8 weights, non-zero
// weight zero points, int16 values).
import {
  type PackedQConvWeights, type PackedQGemmWeights, QUANT_MAX_DEPTH, qconv2d, qconvPackWeights, qgemm, qgemmPackWeights,
} from '../../../ops/quant-kernels';
import type { Tensor } from '../../../tensor/tensor';

/** Integer sums in float64 (exact up to 2^53) and their shape. */
export interface IntegerSums {
  sums: Float64Array;
  shape: number[];
}

/** Sums the float32 kernels return exactly. */
const EXACT_F32 = 2 ** 24;

const ONE = Float32Array.of(1);

/** The activation values as the kernels' Uint8Array/Int8Array (with the zero point in its range), or null when they fit neither. */
function kernelActivations(values: Int32Array, zeroPoint: number): Uint8Array | Int8Array | null {
  let lo = zeroPoint;
  let hi = zeroPoint;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= 0 && hi <= 255) return Uint8Array.from(values);
  if (lo >= -128 && hi <= 127) return Int8Array.from(values);
  return null;
}

/** Int8 weights when every value is in [-128, 127] and every zero point is 0, else null. */
function symmetricInt8(values: Int32Array, zeroPoints: Int32Array): Int8Array | null {
  if (zeroPoints.some((z) => z !== 0)) return null;
  for (let i = 0; i < values.length; i++) if (values[i]! < -128 || values[i]! > 127) return null;
  return Int8Array.from(values);
}

/** Packed weights made once per weight tensor (imported weights are constants; the version guards in-place writes). */
const packCache = new WeakMap<Tensor, { version: number; key: string; packed: PackedQGemmWeights | PackedQConvWeights }>();

function cachedPack<P extends PackedQGemmWeights | PackedQConvWeights>(source: Tensor | null, key: string, make: () => P): P {
  if (!source) return make();
  const hit = packCache.get(source);
  if (hit && hit.version === source.storage.version && hit.key === key) return hit.packed as P;
  const packed = make();
  packCache.set(source, { version: source.storage.version, key, packed });
  return packed;
}

function allExact(out: Float32Array): boolean {
  for (let i = 0; i < out.length; i++) if (!(Math.abs(out[i]!) < EXACT_F32)) return false;
  return true;
}

/** Operands of {@link integerMatMul}: ONNX MatMul shapes (numpy broadcasting), one zero point for A, one or one per column for B. */
export interface IntegerMatMulArgs {
  a: Int32Array;
  aShape: readonly number[];
  aZeroPoint: number;
  b: Int32Array;
  bShape: readonly number[];
  /** Length 1 or the number of columns. */
  bZeroPoints: Int32Array;
  /** The tensor B came from, to reuse its packed form across calls. */
  bSource: Tensor | null;
  where: string;
}

/** sum_p (a[.., i, p] - za) * (b[.., p, j] - zb[j]) with numpy matmul shapes. */
export function integerMatMul(args: IntegerMatMulArgs): IntegerSums {
  const { a, b, where } = args;
  const aShape = args.aShape.length === 1 ? [1, args.aShape[0]!] : args.aShape.slice();
  const bShape = args.bShape.length === 1 ? [args.bShape[0]!, 1] : args.bShape.slice();
  const [m, k] = aShape.slice(-2) as [number, number];
  const [kb, n] = bShape.slice(-2) as [number, number];
  if (k !== kb) throw new Error(`${where}: A [${args.aShape.join(',')}] and B [${args.bShape.join(',')}] do not multiply (${k} vs ${kb})`);
  if (args.bZeroPoints.length !== 1 && args.bZeroPoints.length !== n) throw new Error(`${where}: B's zero point should have 1 or ${n} values, got ${args.bZeroPoints.length}`);
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pa = [...new Array<number>(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...new Array<number>(rank - bBatch.length).fill(1), ...bBatch];
  const batch = pa.map((d, i) => {
    const e = pb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`${where}: batch dims of A [${args.aShape.join(',')}] and B [${args.bShape.join(',')}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const shape = [...batch, m, n];
  if (args.aShape.length === 1) shape.splice(shape.length - 2, 1);
  if (args.bShape.length === 1) shape.pop();
  const batches = batch.reduce((p, d) => p * d, 1);
  const sums = new Float64Array(batches * m * n);
  if (batches * m * n === 0) return { sums, shape };
  // Kernel path: one weight matrix for all rows.
  if (bBatch.every((d) => d === 1) && k >= 1 && k <= QUANT_MAX_DEPTH) {
    const w = symmetricInt8(b, args.bZeroPoints);
    const act = w ? kernelActivations(a, args.aZeroPoint) : null;
    if (w && act) {
      const rows = (a.length / k);
      const packed = cachedPack(args.bSource, `gemm ${k}x${n}`, () => qgemmPackWeights(w, k, n, 'kn'));
      const out = new Float32Array(rows * n);
      qgemm({ m: rows, a: act, aZeroPoint: args.aZeroPoint, scaleA: 1, b: packed, scaleB: ONE, out });
      // Rows of A broadcast over B's (size-1) batch dims: a has exactly the output's rows.
      if (allExact(out) && rows * n === sums.length) {
        sums.set(out);
        return { sums, shape };
      }
    }
  }
  const za = args.aZeroPoint;
  const zb = args.bZeroPoints;
  const col = new Float64Array(k);
  const strides = (dims: number[]) => {
    const st = new Array<number>(dims.length).fill(0);
    let s = 1;
    for (let i = dims.length - 1; i >= 0; i--) {
      st[i] = dims[i] === 1 ? 0 : s;
      s *= dims[i]!;
    }
    return st;
  };
  const sa = strides(pa);
  const sb = strides(pb);
  for (let t = 0; t < batches; t++) {
    let rem = t;
    let ia = 0;
    let ib = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    const aBase = ia * m * k;
    const bBase = ib * k * n;
    for (let j = 0; j < n; j++) {
      const z = zb.length === 1 ? zb[0]! : zb[j]!;
      for (let p = 0; p < k; p++) col[p] = b[bBase + p * n + j]! - z;
      for (let i = 0; i < m; i++) {
        let acc = 0;
        const row = aBase + i * k;
        for (let p = 0; p < k; p++) acc += (a[row + p]! - za) * col[p]!;
        sums[(t * m + i) * n + j] = acc;
      }
    }
  }
  return { sums, shape };
}

/** Operands of {@link integerConv}: ONNX Conv layouts (NCW/NCHW input, OIW/OIHW weights). */
export interface IntegerConvArgs {
  x: Int32Array;
  /** [n, c, w] or [n, c, h, w]. */
  xShape: readonly number[];
  xZeroPoint: number;
  w: Int32Array;
  wShape: readonly number[];
  /** Length 1 or cout. */
  wZeroPoints: Int32Array;
  wSource: Tensor | null;
  groups: number;
  strides: readonly number[];
  dilations: readonly number[];
  /** [begin, end] per spatial axis. */
  pads: readonly (readonly [number, number])[];
  where: string;
}

/** The convolution's exact sums, [n, cout, (oh,) ow]; padding reads the input zero point (contributes nothing). */
export function integerConv(args: IntegerConvArgs): IntegerSums {
  const { where, groups } = args;
  const oneD = args.xShape.length === 3;
  if (!oneD && args.xShape.length !== 4) throw new Error(`${where}: a ${args.xShape.length - 2}-D convolution is not supported (1-D and 2-D are)`);
  // 1-D runs as 2-D with height 1.
  const [n, c, h, wd] = oneD ? [args.xShape[0]!, args.xShape[1]!, 1, args.xShape[2]!] : (args.xShape as [number, number, number, number]);
  const [cout, cg, kh, kw] = oneD ? [args.wShape[0]!, args.wShape[1]!, 1, args.wShape[2]!] : (args.wShape as [number, number, number, number]);
  const [sh, sw] = oneD ? [1, args.strides[0]!] : [args.strides[0]!, args.strides[1]!];
  const [dh, dw] = oneD ? [1, args.dilations[0]!] : [args.dilations[0]!, args.dilations[1]!];
  const [[pt, pb], [pl, pr]] = oneD ? [[0, 0] as const, args.pads[0]!] : [args.pads[0]!, args.pads[1]!];
  if (args.wShape.length !== args.xShape.length) throw new Error(`${where}: weights of shape [${args.wShape.join(',')}] for an input of shape [${args.xShape.join(',')}]`);
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || cout % groups !== 0 || c / groups !== cg) {
    throw new Error(`${where}: ${c} input channels, weights [${args.wShape.join(',')}] and group ${groups} do not match`);
  }
  if (args.wZeroPoints.length !== 1 && args.wZeroPoints.length !== cout) throw new Error(`${where}: the weight zero point should have 1 or ${cout} values, got ${args.wZeroPoints.length}`);
  const oh = Math.floor((h + pt + pb - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - (dw * (kw - 1) + 1)) / sw) + 1;
  if (oh < 1 || ow < 1) throw new Error(`${where}: the input of shape [${args.xShape.join(',')}] is smaller than the (dilated, padded) kernel`);
  const shape = oneD ? [n, cout, ow] : [n, cout, oh, ow];
  const sums = new Float64Array(n * cout * oh * ow);
  if (sums.length === 0) return { sums, shape };
  const rowDepth = Math.ceil((kw * cg) / 4) * 4;
  const wi = symmetricInt8(args.w, args.wZeroPoints);
  const fits = kh * rowDepth <= QUANT_MAX_DEPTH && pt <= 65536 && pl <= 65536;
  const xi = wi && fits ? nhwc(args.x, n, c, h, wd, args.xZeroPoint) : null;
  if (wi && xi) {
    const packed = cachedPack(args.wSource, `conv ${groups}`, () => qconvPackWeights(wi, 'OIHW', { cout, cinPerGroup: cg, kh, kw, groups }));
    const out = new Float32Array(n * oh * ow * cout);
    qconv2d({
      x: xi, shape: [n, h, wd, c], xZeroPoint: args.xZeroPoint, scaleX: 1, weights: packed, scaleW: ONE, out,
      strides: [sh, sw], dilations: [dh, dw], pads: [pt, pl], outSize: [oh, ow],
    });
    if (allExact(out)) {
      // NHWC -> NCHW.
      const plane = oh * ow;
      for (let b = 0; b < n; b++) {
        for (let p = 0; p < plane; p++) {
          const src = (b * plane + p) * cout;
          for (let co = 0; co < cout; co++) sums[(b * cout + co) * plane + p] = out[src + co]!;
        }
      }
      return { sums, shape };
    }
  }
  const { x, w, xZeroPoint: zx, wZeroPoints: zw } = args;
  const ng = cout / groups;
  for (let b = 0; b < n; b++) {
    for (let co = 0; co < cout; co++) {
      const z = zw.length === 1 ? zw[0]! : zw[co]!;
      const c0 = Math.floor(co / ng) * cg;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let acc = 0;
          for (let ci = 0; ci < cg; ci++) {
            const xPlane = (b * c + c0 + ci) * h;
            const wBase = (co * cg + ci) * kh;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= wd) continue;
                acc += (x[(xPlane + iy) * wd + ix]! - zx) * (w[(wBase + ky) * kw + kx]! - z);
              }
            }
          }
          sums[((b * cout + co) * oh + oy) * ow + ox] = acc;
        }
      }
    }
  }
  return { sums, shape };
}

/** NCHW int32 values as an NHWC Uint8Array/Int8Array for the kernel, or null when they fit neither type. */
function nhwc(x: Int32Array, n: number, c: number, h: number, w: number, zeroPoint: number): Uint8Array | Int8Array | null {
  const flat = kernelActivations(x, zeroPoint);
  if (!flat) return null;
  const out = flat instanceof Uint8Array ? new Uint8Array(flat.length) : new Int8Array(flat.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (b * c + ch) * plane;
      for (let p = 0; p < plane; p++) out[(b * plane + p) * c + ch] = flat[src + p]!;
    }
  }
  return out;
}
