import { argError, describe } from '../errors';
import { gather } from '../ops/movement';
import { Tensor } from '../tensor/tensor';
import { apportion } from './apportion';
import { type DataLike, floatInput } from './float-input';
import { classPerRow, labelsTensor, type LabelsLike } from './label-values';
import { generatorFor, randomPermutation, shuffleInPlace } from './random';
import type { Generator } from '../random/generator';

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions {
  /** Fraction of rows for the test set when below 1 (rounded up), else a row count; default 0.25. */
  testSize?: number;
  /** Shuffle before splitting (default true); false keeps row order: the first rows train, the last test. */
  shuffle?: boolean;
  /** Seed for this split alone; without it the global generator is used (repeatable with `manualSeed`). */
  seed?: number;
  /**
   * Keep each class's share equal in both sets: `true` to use `y` as the classes, or separate labels.
   * Labels may be class values [n] (any numbers) or one-hot rows [n, classes]. Needs shuffle.
   */
  stratify?: boolean | LabelsLike;
}

/** The four tensors of a split, rows in the same (shuffled) order in x and y. */
export interface TrainTestSplit {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Tensor;
  yTest: Tensor;
}

function countTest(fn: string, testSize: unknown, n: number): number {
  if (typeof testSize !== 'number' || !Number.isFinite(testSize) || testSize <= 0 || (testSize >= 1 && !Number.isInteger(testSize))) {
    argError(fn, 'options.testSize', 'a fraction in (0, 1) or a whole number of rows', describe(testSize));
  }
  const nTest = testSize < 1 ? Math.ceil(testSize * n) : testSize;
  if (nTest >= n) argError(fn, 'options.testSize', `fewer test rows than the ${n} rows (some must be left to train on)`, `${nTest} test rows`);
  return nTest;
}

/** Dense class ids 0..k-1 (by sorted label value) for each row. */
function classIds(fn: string, labels: Tensor, n: number): { ids: Int32Array; counts: number[] } {
  const values = classPerRow(fn, 'options.stratify', labels);
  if (values.length !== n) argError(fn, 'options.stratify', `labels for ${n} rows`, describe(labels));
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const idOf = new Map(distinct.map((v, i) => [v, i]));
  const ids = new Int32Array(n);
  const counts = new Array<number>(distinct.length).fill(0);
  values.forEach((v, r) => {
    ids[r] = idOf.get(v)!;
    counts[ids[r]!]!++;
  });
  return { ids, counts };
}

/**
 * Test row indices: a random `nTest` of each class in proportion to its size (largest-remainder
 * rounding, so the total is exact), then mixed.
 */
function stratifiedTest(ids: Int32Array, counts: number[], nTest: number, g: Generator): Int32Array {
  const perClass = apportion(nTest, counts, counts);
  const members = counts.map((c) => new Int32Array(c));
  const filled = new Array<number>(counts.length).fill(0);
  ids.forEach((id, r) => (members[id]![filled[id]!++] = r));
  const test = new Int32Array(nTest);
  let at = 0;
  members.forEach((m, c) => {
    shuffleInPlace(m, g);
    test.set(m.subarray(0, perClass[c]!), at);
    at += perClass[c]!;
  });
  return shuffleInPlace(test, g);
}

/**
 * Splits rows of `x` and `y` into training and test sets (sklearn's `train_test_split`). Rows are
 * shuffled first unless `shuffle: false`; with `stratify`, each class keeps its proportion in both
 * sets (up to rounding by whole rows). The test set gets ceil(testSize * n) rows for a fractional
 * testSize. Both sets come back in shuffled order.
 *
 * @example
 * const { xTrain, xTest, yTrain, yTest } = trainTestSplit(x, y, { testSize: 0.2, seed: 42, stratify: true });
 */
export function trainTestSplit(x: DataLike, y: LabelsLike, options: TrainTestSplitOptions = {}): TrainTestSplit {
  const fn = 'trainTestSplit';
  const xt = x instanceof Tensor ? x : floatInput(fn, 'x', x);
  const yt = y instanceof Tensor ? y : labelsTensor(fn, 'y', y);
  if (xt.rank === 0) argError(fn, 'x', 'a tensor with rows (rank >= 1)', describe(xt));
  if (yt.rank === 0) argError(fn, 'y', 'a tensor with rows (rank >= 1)', describe(yt));
  const n = xt.shape[0]!;
  if (yt.shape[0] !== n) argError(fn, 'y', `${n} rows like x`, describe(yt));
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an options object', describe(options));
  if (n < 2) argError(fn, 'x', 'at least 2 rows to split', describe(xt));
  const nTest = countTest(fn, options.testSize ?? 0.25, n);
  const shuffle = options.shuffle ?? true;
  const strat = options.stratify;
  let order: Int32Array;
  if (strat !== undefined && strat !== false) {
    if (!shuffle) argError(fn, 'options.shuffle', 'true when stratify is set (a stratified split picks rows at random)', 'false');
    const labels = strat === true ? yt : labelsTensor(fn, 'options.stratify', strat);
    const g = generatorFor(fn, options.seed);
    const { ids, counts } = classIds(fn, labels, n);
    const test = stratifiedTest(ids, counts, nTest, g);
    const inTest = new Uint8Array(n);
    test.forEach((r) => (inTest[r] = 1));
    const train = new Int32Array(n - nTest);
    let at = 0;
    for (let r = 0; r < n; r++) if (!inTest[r]) train[at++] = r;
    shuffleInPlace(train, g);
    order = new Int32Array(n);
    order.set(train);
    order.set(test, n - nTest);
  } else if (shuffle) {
    order = randomPermutation(n, generatorFor(fn, options.seed));
  } else {
    order = Int32Array.from({ length: n }, (_, i) => i);
  }
  const trainIdx = Tensor.fromArray(order.slice(0, n - nTest), [n - nTest]);
  const testIdx = Tensor.fromArray(order.slice(n - nTest), [nTest]);
  return {
    xTrain: gather(xt, trainIdx),
    xTest: gather(xt, testIdx),
    yTrain: gather(yt, trainIdx),
    yTest: gather(yt, testIdx),
  };
}
