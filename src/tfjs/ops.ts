// tfjs ops the main API does not have under tfjs's name, composed from its ops.
import { argError, describe } from '../errors';
import type { DType } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { tensor } from '../ops/creation';
import { mean } from '../ops/reduce';
import { slice, squeeze } from '../ops/views';

/** tfjs `unstack(x, axis?)`: the slices of `x` along `axis`, that axis removed. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  if (!(x instanceof Tensor)) argError('unstack', 'x', 'a Tensor', describe(x));
  const ax = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.rank) argError('unstack', 'axis', `an axis of a rank-${x.rank} tensor`, describe(axis));
  return Array.from({ length: x.shape[ax]! }, (_, i) => {
    const begin = x.shape.map((_d, k) => (k === ax ? i : 0));
    const size = x.shape.map((d, k) => (k === ax ? 1 : d));
    return squeeze(slice(x, begin, size), ax);
  });
}

/** tfjs `linspace(start, stop, num)`: `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 1) argError('linspace', 'num', 'a positive integer', describe(num));
  const step = num === 1 ? 0 : (stop - start) / (num - 1);
  return tensor(Float32Array.from({ length: num }, (_, i) => start + i * step));
}

/** tfjs `moments(x, axes?, keepDims?)`: mean and (population) variance. */
export function moments(x: Tensor, axes: number | number[] | null = null, keepDims = false): { mean: Tensor; variance: Tensor } {
  const m = mean(x, axes, true);
  const d = x.sub(m);
  const variance = mean(d.mul(d), axes, keepDims);
  return { mean: keepDims ? m : mean(x, axes, false), variance };
}

/** tfjs's TensorBuffer: a mutable array with a shape, turned into a tensor with `toTensor()`. */
export class TensorBuffer {
  readonly values: Float32Array | Int32Array;
  readonly size: number;
  private readonly strides: number[];

  constructor(readonly shape: number[], readonly dtype: DType = 'float32', values?: Float32Array | Int32Array) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (values && values.length !== this.size) argError('buffer', 'values', `${this.size} values for shape [${shape.join(',')}]`, describe(values));
    this.values = values ?? (dtype === 'int32' ? new Int32Array(this.size) : new Float32Array(this.size));
    this.strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  }

  private index(locs: number[]): number {
    if (locs.length !== this.shape.length) argError('TensorBuffer', 'locs', `${this.shape.length} indices`, describe(locs));
    return locs.reduce((o, l, i) => o + l * this.strides[i]!, 0);
  }

  set(value: number, ...locs: number[]): void {
    this.values[this.index(locs)] = value;
  }

  get(...locs: number[]): number {
    return this.values[this.index(locs)]!;
  }

  toTensor(): Tensor {
    return tensor(this.values.slice(), this.shape, this.dtype);
  }
}

/** tfjs `buffer(shape, dtype?, values?)`. */
export function buffer(shape: number[], dtype: DType = 'float32', values?: Float32Array | Int32Array): TensorBuffer {
  return new TensorBuffer(shape, dtype, values);
}
