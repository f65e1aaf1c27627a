import { argError, describe } from '../errors';
import type { NestedArray } from '../tensor/tensor';
import { Tensor } from '../tensor/tensor';
import { toTensor } from '../ops/util';

/** Labels as the preprocessing helpers accept them: a tensor, (nested) numbers or a typed array. */
export type LabelsLike = Tensor | readonly NestedArray[] | Int32Array | Float32Array;

/** Labels as a tensor, without copying a tensor that came in. Arrays become float32 so 1.5 is not silently truncated. */
export function labelsTensor(fn: string, arg: string, labels: unknown): Tensor {
  if (labels instanceof Int32Array || labels instanceof Float32Array) return Tensor.fromArray(labels.slice(), [labels.length]);
  if (!(labels instanceof Tensor) && !Array.isArray(labels)) argError(fn, arg, 'a Tensor, an array of numbers or a typed array', describe(labels));
  return toTensor(fn, arg, labels);
}

/** The values of `t` in row-major order (no copy when already contiguous from offset 0). */
export function valuesOf(t: Tensor): Float32Array | Int32Array {
  const c = t.contiguousCopy();
  return c.offset === 0 && c.buffer.length === t.size ? c.buffer : c.buffer.subarray(c.offset, c.offset + t.size);
}

/**
 * One class per row: rank-1 labels as they are, rank-2 one-hot (or probability) rows by their
 * largest entry. Values are returned as they are; callers decide what a valid class is.
 */
export function classPerRow(fn: string, arg: string, labels: Tensor): Float64Array {
  const v = valuesOf(labels);
  if (labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1)) return Float64Array.from(v);
  if (labels.rank !== 2) argError(fn, arg, 'class labels of shape [n] or one-hot rows of shape [n, classes]', describe(labels));
  const [n, c] = labels.shape as [number, number];
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (v[r * c + j]! > v[r * c + best]!) best = j;
    out[r] = best;
  }
  return out;
}
