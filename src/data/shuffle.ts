import { argError, describe } from '../errors';
import { gather } from '../ops/movement';
import { Tensor } from '../tensor/tensor';
import { generatorFor, randomPermutation } from './random';

/** Options of {@link shuffle} and {@link permutation}. */
export interface ShuffleOptions {
  /** Seed for this call alone; without it the global generator is used (repeatable with `manualSeed`). */
  seed?: number;
}

/** 0..n-1 in random order, as an Int32Array. */
export function permutation(n: number, options: ShuffleOptions = {}): Int32Array {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) argError('permutation', 'n', 'a non-negative integer', describe(n));
  return randomPermutation(n, generatorFor('permutation', options.seed));
}

/**
 * Shuffles the rows (axis 0) of a tensor, or of several tensors with the same row count by one
 * shared permutation, so features and labels stay paired. Returns new tensors; inputs are unchanged.
 *
 * @example
 * const [xs, ys] = shuffle([x, y], { seed: 1 });
 */
export function shuffle(x: Tensor, options?: ShuffleOptions): Tensor;
export function shuffle(tensors: readonly Tensor[], options?: ShuffleOptions): Tensor[];
export function shuffle(input: Tensor | readonly Tensor[], options: ShuffleOptions = {}): Tensor | Tensor[] {
  const fn = 'shuffle';
  const list = input instanceof Tensor ? [input] : input;
  if (!Array.isArray(list) || list.length === 0) argError(fn, 'tensors', 'a Tensor or a non-empty array of tensors', describe(input));
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) argError(fn, `tensors[${i}]`, 'a Tensor', describe(t));
    if (t.rank === 0) argError(fn, `tensors[${i}]`, 'a tensor with rows (rank >= 1)', describe(t));
  });
  const n = list[0]!.shape[0]!;
  list.forEach((t, i) => {
    if (t.shape[0] !== n) argError(fn, `tensors[${i}]`, `${n} rows like tensors[0]`, describe(t));
  });
  const order = Tensor.fromArray(randomPermutation(n, generatorFor(fn, options.seed)), [n]);
  const out = list.map((t) => gather(t, order));
  return input instanceof Tensor ? out[0]! : out;
}
