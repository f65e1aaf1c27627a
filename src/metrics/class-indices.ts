// Turning labels or score rows into class indices, and counting a confusion matrix from them: the
// one computation behind metrics.confusionMatrix, metrics.classificationReport and the vis pictures.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';

/** Classes as indices `[N]`, or as probability / one-hot rows `[N, K]` (argmax; one column thresholds at 0.5). */
export type ClassLabels = Tensor | readonly number[] | readonly (readonly number[])[];

/** How {@link confusionCounts} sizes and scales the matrix. */
export interface ConfusionCountOptions {
  /** Class names, in index order (default '0', '1', ...). Fixes the number of classes. */
  labels?: readonly string[];
  /** Number of classes when there are no labels (default: the widest of the inputs). */
  numClasses?: number;
  /**
   * Scale the matrix: over each true class (`'true'` or `true`, rows sum to 1), each predicted class
   * (`'pred'`, columns sum to 1) or all samples (`'all'`). Default false: counts.
   */
  normalize?: boolean | 'true' | 'pred' | 'all';
}

/** @internal class indices from `value` and, for rows of scores, how many classes they have. */
export function classIndices(fn: string, arg: string, value: unknown): { indices: number[]; width: number | null } {
  const expected = 'class indices [N] or probability / one-hot rows [N,K] (a Tensor or array)';
  let shape: number[];
  let data: ArrayLike<number>;
  if (value instanceof Tensor) {
    shape = value.shape.slice();
    data = value.dataSync();
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    shape = [value.length];
    data = value as number[];
  } else if (Array.isArray(value) && value.length > 0 && value.every((r) => Array.isArray(r) && r.length === (value[0] as unknown[]).length && r.every((v) => typeof v === 'number'))) {
    const rows = value as number[][];
    shape = [rows.length, rows[0]!.length];
    data = rows.flat();
  } else return argError(fn, arg, expected, describe(value));
  if (shape.length === 1) {
    const indices = Array.from(data);
    const bad = indices.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (bad >= 0) argError(fn, arg, 'class indices (non-negative integers)', `${indices[bad]} at position ${bad}`);
    return { indices, width: null };
  }
  if (shape.length !== 2 || shape[1]! < 1) return argError(fn, arg, expected, describe(value));
  const [n, k] = shape as [number, number];
  const indices = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (k === 1) {
      indices[i] = data[i]! >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (data[i * k + j]! > data[i * k + best]!) best = j;
    indices[i] = best;
  }
  return { indices, width: k === 1 ? 2 : k };
}

/** @internal counts[true][pred] and the scaled matrix `normalize` asks for. */
export function confusionCounts(fn: string, yTrue: unknown, yPred: unknown, options: ConfusionCountOptions): { counts: number[][]; matrix: number[][]; labels: string[] } {
  const t = classIndices(fn, 'yTrue', yTrue);
  const p = classIndices(fn, 'yPred', yPred);
  if (t.indices.length !== p.indices.length) argError(fn, 'yPred', `${t.indices.length} samples (as many as yTrue)`, `${p.indices.length}`);
  if (options.labels !== undefined && !(Array.isArray(options.labels) && options.labels.length > 0 && options.labels.every((l) => typeof l === 'string'))) {
    argError(fn, 'options.labels', 'a non-empty array of strings', describe(options.labels));
  }
  if (options.numClasses !== undefined && !(Number.isInteger(options.numClasses) && options.numClasses >= 1)) argError(fn, 'options.numClasses', 'a positive integer', describe(options.numClasses));
  const normalize = options.normalize === true ? 'true' : options.normalize ?? false;
  if (![false, 'true', 'pred', 'all'].includes(normalize)) argError(fn, 'options.normalize', "false, true, 'true', 'pred' or 'all'", describe(options.normalize));
  // A loop, not Math.max(...indices): spreading a million samples overflows the stack.
  const seen = [t.indices, p.indices].reduce((m, list) => list.reduce((a, b) => (b > a ? b : a), m), 0) + 1;
  const k = options.labels?.length ?? options.numClasses ?? Math.max(seen, t.width ?? 0, p.width ?? 0);
  if (seen > k) argError(fn, options.labels ? 'options.labels' : 'options.numClasses', `at least ${seen} classes (the largest class index is ${seen - 1})`, `${k}`);
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  t.indices.forEach((c, i) => counts[c]![p.indices[i]!]!++);
  const total = t.indices.length;
  const colSums = counts[0]!.map((_, j) => counts.reduce((s, r) => s + r[j]!, 0));
  const matrix = counts.map((row, i) =>
    row.map((v, j) => {
      if (normalize === false) return v;
      const d = normalize === 'true' ? counts[i]!.reduce((s, x) => s + x, 0) : normalize === 'pred' ? colSums[j]! : total;
      return d === 0 ? 0 : v / d;
    }),
  );
  const labels = options.labels ? [...options.labels] : Array.from({ length: k }, (_, i) => String(i));
  return { counts, matrix, labels };
}

