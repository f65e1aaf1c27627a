// Quantized values in imported ONNX graphs. The library holds every integer type as int32, so a
// quantized tensor is an int32 tensor of uint8/int8/... values, and its ONNX type (which sets the
// saturation range) travels beside it in OpContext.inputTypes. Arithmetic follows onnxruntime's CPU
// kernels bit for bit: float32 division x / scale, round half to even, saturate; dequantization
// (x - zeroPoint) * scale in float32; requantization of int32 sums as float32(sum) * multiplier with
// multiplier = (scaleA * scaleB) / scaleY in float32.
import { tensor } from '../../../ops/creation';
import { roundHalfEven } from '../../../ops/quant-kernels';
import type { Tensor } from '../../../tensor/tensor';
import type { OnnxDType } from '../../read-model';
import type { NodeAttributes } from '../attributes';
import type { OpContext } from '../op-spec';
import { normAxis } from '../values';

/** Integer types a quantized value can have. */
export type QuantType = 'uint8' | 'int8' | 'uint16' | 'int16';

/** Saturation range of each quantized type. */
export const QUANT_RANGES: Readonly<Record<QuantType, readonly [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
};

/** ONNX TensorProto element type codes of the quantized types (QuantizeLinear's output_dtype). */
export const QUANT_TYPE_CODES: Readonly<Record<number, QuantType>> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16' };

export function isQuantType(t: OnnxDType | undefined): t is QuantType {
  return t !== undefined && t in QUANT_RANGES;
}

/**
 * The quantized type a zero-point input declares (input `k`), or `fallback` when the input is
 * omitted. An input of unknown or non-quantized type is an error: saturating to the wrong range
 * would silently give a different model.
 */
export function zeroPointType(inputs: readonly (Tensor | null)[], k: number, ctx: OpContext, fallback: QuantType = 'uint8'): QuantType {
  if (!inputs[k]) return fallback;
  const t = ctx.inputTypes[k];
  if (isQuantType(t)) return t;
  throw new Error(`${ctx.where}: input ${k} (zero point) should be uint8, int8, uint16 or int16, got ${t ?? 'a value of unknown type'}`);
}

/** The whole-number values of an integer tensor (int32, or float holding integers), checked against [lo, hi]. */
export function integerValues(t: Tensor, what: string, ctx: OpContext, range?: readonly [number, number]): Int32Array {
  const data = t.dataSync();
  const out = data instanceof Int32Array ? data : new Int32Array(data.length);
  const [lo, hi] = range ?? [-2147483648, 2147483647];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new Error(`${ctx.where}: ${what} should hold integers in [${lo}, ${hi}], element ${i} is ${v}`);
    if (out !== data) out[i] = v;
  }
  return out;
}

/** The values of a float tensor (scales). */
export function floatValues(t: Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** Scale and zero point of a (de)quantization: one pair, or one per index along `axis`. */
export interface QuantParams {
  scales: Float32Array;
  zeroPoints: Int32Array;
  /** Elements between consecutive indices along the axis (1 for per-tensor parameters). */
  inner: number;
  /** Size of the axis (1 for per-tensor parameters). */
  count: number;
}

/**
 * Reads QuantizeLinear/DequantizeLinear parameters for an input of shape `shape`: per-tensor when
 * the scale is a scalar or a one-element vector (as onnxruntime reads it), else per-axis along the
 * `axis` attribute (default 1; opset 13 on) with a scale of that axis's length.
 */
export function quantParams(shape: readonly number[], scale: Tensor, zeroPoint: Tensor | null, a: NodeAttributes, ctx: OpContext,
  zpRange: readonly [number, number]): QuantParams {
  const scales = floatValues(scale);
  const zeroPoints = zeroPoint ? integerValues(zeroPoint, 'the zero point', ctx, zpRange) : new Int32Array(scales.length);
  if (zeroPoint && (zeroPoint.size !== scale.size || zeroPoint.rank !== scale.rank)) {
    throw new Error(`${ctx.where}: the zero point has shape [${zeroPoint.shape.join(',')}], the scale [${scale.shape.join(',')}]; they must match`);
  }
  if (scale.size === 1 && scale.rank <= 1) return { scales, zeroPoints, inner: 1, count: 1 };
  const axis = normAxis(a.int('axis', 1), shape.length, ctx.where);
  if (scale.rank !== 1 || scale.size !== shape[axis]) {
    throw new Error(`${ctx.where}: the scale should be a scalar or a vector of ${shape[axis]} values (axis ${axis} of input shape [${shape.join(',')}]), got shape [${scale.shape.join(',')}]`);
  }
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { scales, zeroPoints, inner, count: scales.length };
}

/** Rejects blocked quantization (opset 21 block_size) and `axis` before opset 13 (per-axis did not exist). */
export function validateQuantAttributes(a: NodeAttributes, ctx: OpContext): void {
  if (a.int('block_size', 0) !== 0) throw new Error(`${ctx.where}: blocked quantization (block_size ${a.int('block_size', 0)}) is not supported`);
  if (a.has('axis') && ctx.opset < 13) throw new Error(`${ctx.where}: attribute 'axis' needs opset 13 or later`);
}

/** clamp(roundHalfEven(float32(x / scale)) + zeroPoint, lo, hi): ONNX QuantizeLinear as onnxruntime computes it. */
export function quantize(x: number, scale: number, zeroPoint: number, lo: number, hi: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return q < lo ? lo : q > hi ? hi : q;
}

/** Per-output-column requantization multipliers float32(float32(scaleA * scaleB[j]) / scaleY), as onnxruntime's QLinear kernels. */
export function requantMultipliers(scaleA: number, scaleB: Float32Array, scaleY: number): Float32Array {
  const out = new Float32Array(scaleB.length);
  for (let j = 0; j < out.length; j++) out[j] = Math.fround(Math.fround(scaleA * scaleB[j]!) / scaleY);
  return out;
}

/** clamp(roundHalfEven(float32(float32(acc) * multiplier)) + zeroPoint, lo, hi): onnxruntime's requantization of an int32 sum. */
export function requantize(acc: number, multiplier: number, zeroPoint: number, lo: number, hi: number): number {
  const q = roundHalfEven(Math.fround(Math.fround(acc) * multiplier)) + zeroPoint;
  return q < lo ? lo : q > hi ? hi : q;
}

/** An int32 library tensor holding quantized (or accumulated) values. */
export function intTensor(values: Int32Array, shape: readonly number[]): Tensor {
  return tensor(values, shape.slice(), 'int32');
}
