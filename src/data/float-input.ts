import { argError, describe } from '../errors';
import { cast } from '../ops/cast';
import { toTensor } from '../ops/util';
import { Tensor, type NestedArray } from '../tensor/tensor';

/** Numeric data as the preprocessing helpers accept it: a tensor or nested arrays of numbers. */
export type DataLike = Tensor | readonly NestedArray[];

/** `x` as a float32 tensor of rank >= 1 (int32 is cast; arrays are converted). */
export function floatInput(fn: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor) && !Array.isArray(x)) argError(fn, arg, 'a Tensor or nested arrays of numbers', describe(x));
  const t = toTensor(fn, arg, x);
  if (t.rank === 0) argError(fn, arg, 'a tensor of rank >= 1 (rows first)', describe(t));
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}
