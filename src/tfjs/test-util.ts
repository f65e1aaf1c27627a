// tfjs's `tf.test_util` comparisons, used by tfjs-examples' tests.
import { Tensor } from '../tensor/tensor';
import { flatten } from './util';

function values(x: unknown): number[] {
  if (x instanceof Tensor) return Array.from(x.dataSync());
  // Any tensor-like (e.g. one from @tensorflow/tfjs itself).
  if (x && typeof (x as { dataSync?: unknown }).dataSync === 'function') return Array.from((x as { dataSync(): ArrayLike<number> }).dataSync());
  if (typeof x === 'number') return [x];
  return flatten(x as number[]).map(Number);
}

/** Throws unless `actual` and `expected` (tensors, arrays or numbers) agree within `epsilon` (default 1e-3). */
export function expectArraysClose(actual: unknown, expected: unknown, epsilon = 1e-3): void {
  const a = values(actual);
  const e = values(expected);
  if (a.length !== e.length) throw new Error(`Arrays differ in length: actual ${a.length} vs expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= epsilon) && !(Number.isNaN(a[i]!) && Number.isNaN(e[i]!))) {
      throw new Error(`Arrays differ: actual[${i}] = ${a[i]}, expected[${i}] = ${e[i]}`);
    }
  }
}

/** Throws unless the values are exactly equal. */
export function expectArraysEqual(actual: unknown, expected: unknown): void {
  expectArraysClose(actual, expected, 0);
}
