// tfjs's tensor factories and Tensor methods that tensorforge's Tensor lacks (toFloat, asType,
// array, print, as1D...), added to the one Tensor class when the tfjs entry point loads. The
// methods are additions only: nothing the main API defines changes.
import { argError, describe } from '../errors';
import type { DType } from '../tensor/dtype';
import { type NestedArray, Tensor } from '../tensor/tensor';
import { arange, full, rand, randn, tensor as makeTensor } from '../ops/creation';
import { cast } from '../ops/cast';
import { argmax, argmin } from '../ops/reduce';
import { concat, stack } from '../ops/movement';
import { matmul } from '../ops/matmul';
import { reshape } from '../ops/views';
import * as unary from '../ops/unary';
import { materialize } from '../ops/copy';
import { noGrad } from '../autograd/tape';

/** Values tfjs's tensor factories take. */
export type TensorLike = number | readonly unknown[] | Float32Array | Int32Array | Uint8Array;
type TfjsDType = DType | 'bool';

function dtypeOf(fn: string, dtype: TfjsDType | undefined): DType | undefined {
  if (dtype === undefined || dtype === 'float32' || dtype === 'int32') return dtype;
  // tfjs bool tensors hold 0/1; int32 keeps those values and every op accepts it.
  if (dtype === 'bool') return 'int32';
  return argError(fn, 'dtype', "'float32', 'int32' or 'bool'", describe(dtype));
}

function values(v: TensorLike): number | readonly unknown[] | Float32Array | Int32Array {
  return v instanceof Uint8Array ? Int32Array.from(v) : (v as number | readonly unknown[] | Float32Array | Int32Array);
}

/** tfjs `tensor(values, shape?, dtype?)`. */
export function tensor(v: TensorLike, shape?: readonly number[], dtype?: TfjsDType): Tensor {
  const dt = dtypeOf('tensor', dtype);
  return shape ? makeTensor(values(v), shape, dt) : dt ? makeTensor(values(v), dt) : makeTensor(values(v));
}

function ranked(rank: number) {
  const fn = rank === 0 ? 'scalar' : `tensor${rank}d`;
  return (v: TensorLike, shape?: readonly number[], dtype?: TfjsDType): Tensor => {
    if (shape !== undefined && shape.length !== rank) argError(fn, 'shape', `${rank} dimensions`, describe(shape));
    const t = tensor(v, shape, dtype);
    if (t.rank !== rank) argError(fn, 'values', `a rank-${rank} array (or flat values with a shape)`, `shape [${t.shape.join(',')}]`);
    return t;
  };
}

export const tensor1d = (v: TensorLike, dtype?: TfjsDType): Tensor => ranked(1)(v, undefined, dtype);
export const tensor2d = ranked(2);
export const tensor3d = ranked(3);
export const tensor4d = ranked(4);
export const tensor5d = ranked(5);
export const tensor6d = ranked(6);

/** tfjs `scalar(value, dtype?)`. */
export function scalar(value: number | boolean, dtype?: TfjsDType): Tensor {
  return tensor(Number(value), [], dtype);
}

/** tfjs `fill(shape, value, dtype?)`. */
export function fill(shape: readonly number[], value: number, dtype?: TfjsDType): Tensor {
  return full(shape, value, dtypeOf('fill', dtype));
}

/** tfjs `range(start, stop, step?, dtype?)`. */
export function range(start: number, stop: number, step = 1, dtype?: TfjsDType): Tensor {
  return arange(start, stop, step, dtypeOf('range', dtype));
}

/** tfjs `randomNormal(shape, mean?, stdDev?, dtype?, seed?)`. */
export function randomNormal(shape: readonly number[], mean = 0, stdDev = 1): Tensor {
  return randn(shape, { mean, std: stdDev });
}

/** tfjs `randomUniform(shape, minval?, maxval?)`. */
export function randomUniform(shape: readonly number[], minval = 0, maxval = 1): Tensor {
  return rand(shape, { min: minval, max: maxval });
}

/** A tfjs Variable: a tensor with its own buffer that `assign` overwrites in place. */
export type Variable = Tensor & { readonly trainable: boolean; readonly name: string; assign(value: Tensor): void };

let variableCount = 0;
// Trainable variables made by variable(), for tfjs's defaults: minimize() and variableGrads()
// without a varList use them all. Weak, so a dropped variable is not kept alive.
const trainableVariables = new Set<WeakRef<Variable>>();

/** The live trainable variables made by {@link variable}, oldest first. */
export function registeredVariables(): Variable[] {
  const out: Variable[] = [];
  for (const ref of trainableVariables) {
    const v = ref.deref();
    if (v && !v.isDisposed) out.push(v);
    else trainableVariables.delete(ref);
  }
  return out;
}

/** tfjs `variable(initialValue, trainable?, name?, dtype?)`. */
export function variable(initialValue: Tensor, trainable = true, name?: string, dtype?: TfjsDType): Variable {
  if (!(initialValue instanceof Tensor)) argError('variable', 'initialValue', 'a Tensor', describe(initialValue));
  const dt = dtypeOf('variable', dtype);
  const v = noGrad(() => materialize(dt && dt !== initialValue.dtype ? cast(initialValue, dt) : initialValue)) as Variable;
  v.requiresGrad = trainable && v.dtype === 'float32';
  Object.defineProperties(v, {
    trainable: { value: trainable },
    name: { value: name ?? `Variable${variableCount++}` },
    assign: {
      value(value: Tensor): void {
        if (!(value instanceof Tensor) || value.shape.join(',') !== v.shape.join(',')) {
          argError('Variable.assign', 'value', `a Tensor of shape [${v.shape.join(',')}]`, describe(value));
        }
        const src = value.contiguousCopy();
        v.buffer.set(src.buffer.subarray(src.offset, src.offset + src.size), v.offset);
        v.storage.version++;
      },
    },
  });
  if (trainable) trainableVariables.add(new WeakRef(v));
  return v;
}

declare module '../tensor/tensor' {
  interface Tensor {
    /** tfjs: a float32 copy. */
    toFloat(): Tensor;
    /** tfjs: an int32 copy. */
    toInt(): Tensor;
    /** tfjs: a 0/1 int32 copy (no bool dtype here). */
    toBool(): Tensor;
    /** tfjs: cast to `dtype`. */
    asType(dtype: DType | 'bool'): Tensor;
    /** tfjs: the values as nested arrays (resolved at once). */
    array(): Promise<NestedArray>;
    /** tfjs: prints the tensor. */
    print(verbose?: boolean): void;
    clone(): Tensor;
    asScalar(): Tensor;
    as1D(): Tensor;
    as2D(rows: number, columns: number): Tensor;
    as3D(a: number, b: number, c: number): Tensor;
    as4D(a: number, b: number, c: number, d: number): Tensor;
    argMax(axis?: number): Tensor;
    argMin(axis?: number): Tensor;
    matMul(b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
    concat(other: Tensor | Tensor[], axis?: number): Tensor;
    stack(other: Tensor | Tensor[], axis?: number): Tensor;
    hardSigmoid(): Tensor;
    selu(): Tensor;
    softsign(): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
const methods: Record<string, (this: Tensor, ...args: never[]) => unknown> = {
  toFloat(this: Tensor) { return cast(this, 'float32'); },
  toInt(this: Tensor) { return cast(this, 'int32'); },
  toBool(this: Tensor) { return cast(this.notEqual(0), 'int32'); },
  asType(this: Tensor, dtype: DType | 'bool') { return dtype === 'bool' ? cast(this.notEqual(0), 'int32') : cast(this, dtype); },
  array(this: Tensor) { return Promise.resolve(this.arraySync()); },
  print(this: Tensor) { console.log(this.toString()); },
  clone(this: Tensor) { return noGrad(() => materialize(this)); },
  asScalar(this: Tensor) { return reshape(this, []); },
  as1D(this: Tensor) { return reshape(this, [this.size]); },
  as2D(this: Tensor, a: number, b: number) { return reshape(this, [a, b]); },
  as3D(this: Tensor, a: number, b: number, c: number) { return reshape(this, [a, b, c]); },
  as4D(this: Tensor, a: number, b: number, c: number, d: number) { return reshape(this, [a, b, c, d]); },
  argMax(this: Tensor, axis?: number) { return argmax(this, axis ?? 0); },
  argMin(this: Tensor, axis?: number) { return argmin(this, axis ?? 0); },
  matMul(this: Tensor, b: Tensor, ta?: boolean, tb?: boolean) { return matmul(this, b, ta, tb); },
  concat(this: Tensor, other: Tensor | Tensor[], axis = 0) { return concat([this, ...(Array.isArray(other) ? other : [other])], axis); },
  stack(this: Tensor, other: Tensor | Tensor[], axis = 0) { return stack([this, ...(Array.isArray(other) ? other : [other])], axis); },
  hardSigmoid(this: Tensor) { return unary.hardSigmoid(this); },
  selu(this: Tensor) { return unary.selu(this); },
  softsign(this: Tensor) { return unary.softsign(this); },
};
for (const [name, f] of Object.entries(methods)) if (!(name in proto)) proto[name] = f;
