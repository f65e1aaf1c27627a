// Conversions between ONNX tensors and library tensors. The library computes in float32 and int32:
// float64 narrows to float32, and every integer/bool type becomes int32 (ONNX's int64 shapes and
// indices always fit; values that do not are refused rather than wrapped).
import { tensor } from '../../ops/creation';
import type { Tensor } from '../../tensor/tensor';
import type { OnnxDType, OnnxTensor } from '../read-model';
import { type StoredTensor, tensorNumbers } from './attributes';

const FLOAT_TYPES: ReadonlySet<OnnxDType> = new Set(['float32', 'float64']);

/** Whether an ONNX element type maps to float32 (otherwise int32). */
export function isFloatType(dtype: OnnxDType): boolean {
  return FLOAT_TYPES.has(dtype) || dtype === 'float16';
}

/** A library tensor holding an ONNX tensor's values. */
export function fromOnnxTensor(t: OnnxTensor | StoredTensor, where: string): Tensor {
  const shape = t.shape.slice();
  // tensor() copies: no slice of the decoded array first (a third copy of every weight at import).
  if (t.dtype === 'float32') return tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as number[]), shape, 'float32');
  const values = Array.isArray(t.data) ? (t.data as number[]) : tensorNumbers(t as OnnxTensor, where);
  if (isFloatType(t.dtype)) return tensor(Float32Array.from(values), shape, 'float32');
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // int64 "infinity" sentinels (Slice ends = INT64_MAX) clamp; anything else out of range is an error.
    if (v > 2147483647) out[i] = 2147483647;
    else if (v < -2147483648) out[i] = -2147483648;
    else out[i] = v;
  }
  return tensor(out, shape, 'int32');
}

/** A stored (JSON) copy of a library tensor, for constants kept in a layer's config. */
export function toStoredTensor(t: Tensor): StoredTensor {
  return { dtype: t.dtype === 'int32' ? 'int64' : 'float32', shape: t.shape.slice(), data: Array.from(t.dataSync()) };
}

/** The values of a (small) integer tensor, e.g. a shape or a list of axes. */
export function intValues(t: Tensor | null | undefined, what: string, where: string): number[] {
  if (!t) throw new Error(`${where}: input '${what}' is required`);
  return Array.from(t.dataSync(), (v) => Math.trunc(v));
}

/** A 1-D int32 tensor. */
export function int32Tensor(values: readonly number[], shape: number[] = [values.length]): Tensor {
  return tensor(Int32Array.from(values), shape, 'int32');
}

/** Resolves a possibly negative axis against a rank, with a clear error when out of range. */
export function normAxis(axis: number, rank: number, where: string, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${where}: ${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/**
 * Largest tensor an op may create from sizes read out of the model's data (ConstantOfShape, Expand,
 * Range, Pad): 2^28 elements (1 GiB of float32). A damaged file can claim any size; failing fast
 * beats the allocator grinding through gigabytes first.
 */
export const MAX_DATA_DRIVEN_ELEMENTS = 2 ** 28;

/** Throws when a shape computed from model data is negative or implausibly large. */
export function checkCreatedShape(shape: readonly number[], where: string): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: shape [${shape.join(',')}] has an invalid dimension`);
    n *= d;
  }
  if (n > MAX_DATA_DRIVEN_ELEMENTS) throw new Error(`${where}: shape [${shape.join(',')}] has ${n} elements, more than the ${MAX_DATA_DRIVEN_ELEMENTS} allowed`);
}
