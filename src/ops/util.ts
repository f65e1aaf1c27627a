import { argError, describe } from '../errors';
import type { DType } from '../tensor/dtype';
import { type Shape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** Anything an op accepts where a tensor goes: a Tensor, a number, or nested arrays of numbers. */
export type TensorLike = Tensor | number | readonly TensorLikeArray[] | readonly number[];
type TensorLikeArray = number | readonly TensorLikeArray[];

function flattenNested(fn: string, arg: string, value: unknown, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(value)) {
    if (shape.length === depth) shape.push(value.length);
    else if (shape[depth] !== value.length) argError(fn, arg, 'a rectangular nested array', 'ragged rows');
    for (const v of value) flattenNested(fn, arg, v, shape, out, depth + 1);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    if (depth !== shape.length) argError(fn, arg, 'a rectangular nested array', 'ragged rows');
    out.push(Number(value));
  } else {
    argError(fn, arg, 'numbers or nested arrays of numbers', describe(value));
  }
}

/** Flattens nested arrays row-major and infers their shape. */
export function flatten(fn: string, arg: string, value: unknown): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  const values: number[] = [];
  flattenNested(fn, arg, value, shape, values, 0);
  return { values, shape };
}

/** Converts an op argument to a tensor; plain numbers become scalars of `dtype`. */
export function toTensor(fn: string, arg: string, value: unknown, dtype: DType = 'float32'): Tensor {
  if (value instanceof Tensor) {
    void value.buffer; // throws if disposed
    return value;
  }
  if (typeof value === 'number') {
    const t = Tensor.empty([], dtype);
    t.buffer[0] = value;
    return t;
  }
  if (Array.isArray(value)) {
    const { values, shape } = flatten(fn, arg, value);
    const t = Tensor.empty(shape, dtype);
    t.buffer.set(values);
    return t;
  }
  return argError(fn, arg, 'a Tensor, a number or an array', describe(value));
}

export function requireFloat(fn: string, arg: string, t: Tensor): void {
  if (t.dtype !== 'float32') argError(fn, arg, 'a float32 tensor', `dtype ${t.dtype} (cast it with cast(x, 'float32'))`);
}

export function requireInt(fn: string, arg: string, t: Tensor): void {
  if (t.dtype !== 'int32') argError(fn, arg, 'an int32 tensor', `dtype ${t.dtype}`);
}

/**
 * Calls body(offsets of each view at the start of a row) for every innermost row of `shape`;
 * the reference kernels loop over the row themselves. Rank-0 shapes have one row of length 1.
 */
export function forEachRow(
  shape: Shape,
  views: readonly { offset: number; strides: readonly number[] }[],
  body: (offsets: number[]) => void,
): void {
  const n = shape.length;
  if (sizeOf(shape) === 0) return;
  const offs = views.map((v) => v.offset);
  if (n <= 1) {
    body(offs);
    return;
  }
  const idx = new Array<number>(n - 1).fill(0);
  const rows = sizeOf(shape) / shape[n - 1]!;
  for (let r = 0; r < rows; r++) {
    body(offs);
    for (let d = n - 2; d >= 0; d--) {
      idx[d]!++;
      for (let v = 0; v < views.length; v++) offs[v]! += views[v]!.strides[d]!;
      if (idx[d]! < shape[d]!) break;
      for (let v = 0; v < views.length; v++) offs[v]! -= views[v]!.strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** The innermost stride of a view (1 for rank 0). */
export function lastStride(strides: readonly number[]): number {
  return strides.length === 0 ? 1 : strides[strides.length - 1]!;
}
