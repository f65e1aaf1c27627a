import { argError, describe } from '../errors';
import { type DType, isDType } from '../tensor/dtype';
import { checkShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { globalGenerator } from '../random/generator';
import { flatten } from './util';

/** Options accepted by every factory in place of a dtype. */
export interface FactoryOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function options(fn: string, value: DType | FactoryOptions | undefined): { dtype: DType; requiresGrad: boolean } {
  if (value === undefined) return { dtype: 'float32', requiresGrad: false };
  if (typeof value === 'string') {
    if (!isDType(value)) argError(fn, 'dtype', "'float32' or 'int32'", describe(value));
    return { dtype: value, requiresGrad: false };
  }
  if (typeof value !== 'object' || value === null) argError(fn, 'options', 'a dtype or { dtype, requiresGrad }', describe(value));
  const dtype = value.dtype ?? 'float32';
  if (!isDType(dtype)) argError(fn, 'dtype', "'float32' or 'int32'", describe(dtype));
  return { dtype, requiresGrad: value.requiresGrad === true };
}

function finish(t: Tensor, requiresGrad: boolean): Tensor {
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Creates a tensor from nested arrays, a flat array or a typed array (copied), with an optional
 * shape and dtype (or `{ dtype, requiresGrad }`). The dtype defaults to the typed array's, else float32.
 */
export function tensor(
  values: number | readonly unknown[] | Float32Array | Int32Array | ArrayLike<number>,
  shape?: readonly number[] | DType | FactoryOptions,
  dtypeOrOptions?: DType | FactoryOptions,
): Tensor {
  if (shape !== undefined && !Array.isArray(shape)) {
    dtypeOrOptions = shape as DType | FactoryOptions;
    shape = undefined;
  }
  let opts = options('tensor', dtypeOrOptions);
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (values instanceof Float32Array || values instanceof Int32Array) {
    if (dtypeOrOptions === undefined || (typeof dtypeOrOptions === 'object' && dtypeOrOptions.dtype === undefined)) {
      opts = { ...opts, dtype: values instanceof Int32Array ? 'int32' : 'float32' };
    }
    flat = values;
    inferred = [values.length];
  } else if (ArrayBuffer.isView(values)) {
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
  } else if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (Array.isArray(values)) {
    const f = flatten('tensor', 'values', values);
    flat = f.values;
    inferred = f.shape;
  } else {
    return argError('tensor', 'values', 'a number, nested arrays or a typed array', describe(values));
  }
  const finalShape = shape === undefined ? inferred : checkShape('tensor', 'shape', shape);
  if (sizeOf(finalShape) !== flat.length) {
    argError('tensor', 'shape', `a shape with ${flat.length} elements`, describe(shape));
  }
  const t = Tensor.empty(finalShape, opts.dtype);
  const data = t.buffer;
  if (opts.dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) data[i] = Math.trunc(flat[i]!);
  } else {
    data.set(flat as ArrayLike<number>);
  }
  return finish(t, opts.requiresGrad);
}

/** A rank-0 tensor. */
export function scalar(value: number, dtypeOrOptions?: DType | FactoryOptions): Tensor {
  return tensor(value, [], dtypeOrOptions);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, dtypeOrOptions?: DType | FactoryOptions): Tensor {
  const s = checkShape('full', 'shape', shape);
  const opts = options('full', dtypeOrOptions);
  if (typeof value !== 'number') argError('full', 'value', 'a number', describe(value));
  const t = Tensor.empty(s, opts.dtype);
  t.buffer.fill(value);
  return finish(t, opts.requiresGrad);
}

export function zeros(shape: readonly number[], dtypeOrOptions?: DType | FactoryOptions): Tensor {
  return full(shape, 0, dtypeOrOptions);
}
export function ones(shape: readonly number[], dtypeOrOptions?: DType | FactoryOptions): Tensor {
  return full(shape, 1, dtypeOrOptions);
}
export function zerosLike(x: Tensor): Tensor {
  return full(x.shape, 0, x.dtype);
}
export function onesLike(x: Tensor): Tensor {
  return full(x.shape, 1, x.dtype);
}

/**
 * Evenly spaced values in [start, stop) (`arange(n)` counts 0..n-1). int32 when all arguments are
 * integers, float32 otherwise, unless a dtype is given.
 */
export function arange(start: number, stop?: number, step = 1, dtypeOrOptions?: DType | FactoryOptions): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  for (const [name, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) argError('arange', name, 'a finite number', describe(v));
  }
  if (step === 0) argError('arange', 'step', 'a non-zero number', '0');
  const allInt = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const opts = options('arange', dtypeOrOptions ?? (allInt ? 'int32' : 'float32'));
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = Tensor.empty([n], opts.dtype);
  const d = t.buffer;
  for (let i = 0; i < n; i++) d[i] = start + i * step;
  return finish(t, opts.requiresGrad);
}

/** Identity matrix n x m (m defaults to n). */
export function eye(n: number, m = n, dtypeOrOptions?: DType | FactoryOptions): Tensor {
  const t = zeros(checkShape('eye', 'n', [n, m]), dtypeOrOptions);
  const d = t.buffer;
  for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = 1;
  return t;
}

/** Uniform values in [min, max) (default [0, 1)) from the seedable global generator. */
export function rand(shape: readonly number[], options?: FactoryOptions & { min?: number; max?: number }): Tensor {
  const s = checkShape('rand', 'shape', shape);
  const lo = options?.min ?? 0;
  const hi = options?.max ?? 1;
  if (!(hi > lo)) argError('rand', 'max', `a number greater than min (${lo})`, describe(hi));
  const t = Tensor.empty(s, 'float32');
  const d = t.buffer;
  const g = globalGenerator();
  for (let i = 0; i < t.size; i++) d[i] = lo + (hi - lo) * g.uniform();
  return finish(t, options?.requiresGrad === true);
}

/** Normal values with mean 0 and standard deviation 1 (or as given) from the seedable global generator. */
export function randn(shape: readonly number[], options?: FactoryOptions & { mean?: number; std?: number }): Tensor {
  const s = checkShape('randn', 'shape', shape);
  const mean = options?.mean ?? 0;
  const std = options?.std ?? 1;
  if (!(std >= 0)) argError('randn', 'std', 'a non-negative number', describe(std));
  const t = Tensor.empty(s, 'float32');
  const d = t.buffer;
  const g = globalGenerator();
  for (let i = 0; i < t.size; i++) d[i] = mean + std * g.normal();
  return finish(t, options?.requiresGrad === true);
}

/** Uniform integers in [low, high) as int32. */
export function randint(low: number, high: number, shape: readonly number[]): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    argError('randint', 'high', `an integer greater than low (${low})`, describe(high));
  }
  const s = checkShape('randint', 'shape', shape);
  const t = Tensor.empty(s, 'int32');
  const d = t.buffer;
  const g = globalGenerator();
  for (let i = 0; i < t.size; i++) d[i] = g.int(low, high);
  return t;
}
