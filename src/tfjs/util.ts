// tfjs's `tf.util` helpers that Node scripts call (assert, sizeFromShape, shuffle, flatten...).
// Random ones draw from the global generator, so manualSeed repeats them.
import { argError, describe } from '../errors';
import { globalGenerator } from '../random/generator';
import { randomBelow } from '../data/random';

type Nested<T> = T | Nested<T>[];

/** Throws `Error(msg)` unless `expr` holds; `msg` may be a function, called only on failure. */
export function assert(expr: boolean, msg: string | (() => string)): asserts expr {
  if (!expr) throw new Error(typeof msg === 'function' ? msg() : msg);
}

/** Number of elements of a shape (1 for []). */
export function sizeFromShape(shape: readonly number[]): number {
  if (!Array.isArray(shape)) argError('util.sizeFromShape', 'shape', 'an array of dimensions', describe(shape));
  return shape.reduce((a, b) => a * b, 1);
}

/** Shuffles an array (or typed array) in place. */
export function shuffle<T>(array: T[] | Float32Array | Int32Array | Uint32Array | Uint8Array): void {
  const g = globalGenerator();
  for (let i = array.length - 1; i > 0; i--) {
    const j = randomBelow(g, i + 1);
    const t = array[i]!;
    array[i] = array[j]!;
    array[j] = t;
  }
}

/** Shuffles two arrays of equal length in place with the same permutation. */
export function shuffleCombo<T, U>(a: T[] | Float32Array | Int32Array, b: U[] | Float32Array | Int32Array): void {
  if (a.length !== b.length) argError('util.shuffleCombo', 'b', `length ${a.length} (as a)`, `length ${b.length}`);
  const g = globalGenerator();
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBelow(g, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
}

/** 0..n-1 in random order. */
export function createShuffledIndices(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  shuffle(out);
  return out;
}

/** Flattens nested arrays (typed arrays too, unless `skipTypedArray`) into one array. */
export function flatten<T>(arr: Nested<T> | ArrayLike<T>, result: T[] = [], skipTypedArray = false): T[] {
  if (Array.isArray(arr) || (ArrayBuffer.isView(arr) && !skipTypedArray)) {
    for (let i = 0; i < (arr as ArrayLike<T>).length; i++) flatten((arr as ArrayLike<Nested<T>>)[i]!, result, skipTypedArray);
  } else {
    result.push(arr as T);
  }
  return result;
}

/** Element-wise equality of two flat arrays. */
export function arraysEqual(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  if (a === b) return true;
  if (a == null || b == null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The shape of nested arrays (a typed array is one dimension). */
export function inferShape(values: unknown): number[] {
  const shape: number[] = [];
  let v = values;
  while (Array.isArray(v) || ArrayBuffer.isView(v)) {
    shape.push((v as ArrayLike<unknown>).length);
    if (ArrayBuffer.isView(v)) break;
    v = (v as unknown[])[0];
  }
  return shape;
}

export function isTypedArray(a: unknown): a is Float32Array | Int32Array | Uint8Array {
  return a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray;
}
export const isNumber = (v: unknown): v is number => typeof v === 'number';
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const clamp = (min: number, x: number, max: number): number => Math.max(min, Math.min(x, max));
export const nearestLargerEven = (v: number): number => (v % 2 === 0 ? v : v + 1);
export function sum(arr: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < arr.length; i++) s += arr[i]!;
  return s;
}
export const randUniform = (a: number, b: number): number => a + (b - a) * globalGenerator().uniform();
export const distSquared = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
};
export const makeZerosTypedArray = (size: number, dtype: 'float32' | 'int32' = 'float32'): Float32Array | Int32Array =>
  dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
export const makeOnesTypedArray = (size: number, dtype: 'float32' | 'int32' = 'float32'): Float32Array | Int32Array =>
  makeZerosTypedArray(size, dtype).fill(1);
export const now = (): number => performance.now();
export const encodeString = (s: string): Uint8Array => new TextEncoder().encode(s);
export const decodeString = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** Shape [a, b] with a * b = size and a, b as close as possible. */
export function sizeToSquarishShape(size: number): [number, number] {
  const w = Math.ceil(Math.sqrt(size));
  return [w, Math.ceil(size / w)];
}

/** Throws unless the two shapes are equal. */
export function assertShapesMatch(a: readonly number[], b: readonly number[], errorMessagePrefix = ''): void {
  assert(arraysEqual(a, b), () => `${errorMessagePrefix}Shapes [${a.join(',')}] and [${b.join(',')}] must match`);
}
