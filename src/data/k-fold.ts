import { argError, describe } from '../errors';
import { generatorFor, randomPermutation } from './random';

/** Options of {@link kFold}. */
export interface KFoldOptions {
  /** Shuffle the rows before cutting folds (default false: folds are consecutive runs of rows). */
  shuffle?: boolean;
  /** Seed for the shuffle; without it the global generator is used (repeatable with `manualSeed`). */
  seed?: number;
}

/** One cross-validation fold: row indices to train on and to test on. */
export interface Fold {
  /** Every row not in this fold's test set, ascending. */
  trainIndices: Int32Array;
  /** This fold's rows (in shuffled order when shuffling). */
  testIndices: Int32Array;
}

/**
 * K-fold cross-validation indices for `n` rows (sklearn's `KFold`): the rows are cut into `k`
 * folds, each used once as the test set while the others train. Every row is tested exactly once;
 * fold sizes differ by at most one (the first n % k folds get the extra row). Pick rows with
 * `gather(x, tensor(fold.trainIndices))`.
 *
 * @example
 * for (const { trainIndices, testIndices } of kFold(x.shape[0], 5, { shuffle: true, seed: 0 })) { ... }
 */
export function kFold(n: number, k: number, options: KFoldOptions = {}): Fold[] {
  const fn = 'kFold';
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) argError(fn, 'n', 'a non-negative integer row count', describe(n));
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 2) argError(fn, 'k', 'an integer >= 2', describe(k));
  if (k > n) argError(fn, 'k', `at most n (${n}) folds, so that no fold is empty`, describe(k));
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an options object', describe(options));
  const order = options.shuffle ? randomPermutation(n, generatorFor(fn, options.seed)) : Int32Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  const base = Math.floor(n / k);
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = base + (f < n % k ? 1 : 0);
    const testIndices = order.slice(start, start + size);
    const inTest = new Uint8Array(n);
    for (const r of testIndices) inTest[r] = 1;
    const trainIndices = new Int32Array(n - size);
    let at = 0;
    for (let r = 0; r < n; r++) if (!inTest[r]) trainIndices[at++] = r;
    folds.push({ trainIndices, testIndices });
    start += size;
  }
  return folds;
}
