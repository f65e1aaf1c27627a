import { argError, describe } from '../errors';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { requireTensor } from '../losses/validate';
import { MeanMetricWrapper } from './mean-metric-wrapper';

function checkK(fn: string, k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) argError(fn, 'k', 'a positive integer', describe(k));
  return k;
}

/**
 * 1 per row where the true class's score is among the k largest, by tf.math.in_top_k's rule:
 * the class is in when fewer than k classes score strictly higher (ties at the boundary count as
 * in), and a non-finite true-class score is never in.
 */
function inTopK(pred: Tensor, target: (row: number) => number, k: number): Tensor {
  const classes = pred.shape[pred.rank - 1]!;
  const rows = pred.size / Math.max(classes, 1);
  const p = pred.contiguousCopy();
  const d = p.buffer;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = p.offset + r * classes;
    const t = target(r);
    if (t < 0 || t >= classes) continue;
    const score = d[start + t]!;
    if (!Number.isFinite(score)) continue;
    let higher = 0;
    for (let j = 0; j < classes && higher < k; j++) if (d[start + j]! > score) higher++;
    out[r] = higher < k ? 1 : 0;
  }
  return Tensor.fromArray(out, pred.shape.slice(0, -1));
}

function checkScores(fn: string, yPred: unknown): Tensor {
  const pred = requireTensor(fn, 'yPred', yPred);
  if (pred.rank === 0 || pred.shape[pred.rank - 1]! < 1) argError(fn, 'yPred', 'scores with classes on the last axis (rank >= 1)', describe(pred));
  return pred;
}

/**
 * Per-sample top-k categorical accuracy (Keras `top_k_categorical_accuracy`): 1 where the class of
 * the largest yTrue (one-hot labels) is among the k highest yPred scores, else 0. Shape
 * `yPred.shape[:-1]`.
 */
export function topKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  const fn = 'topKCategoricalAccuracy';
  checkK(fn, k);
  const pred = checkScores(fn, yPred);
  const labels = requireTensor(fn, 'yTrue', yTrue);
  if (!shapesEqual(labels.shape, pred.shape)) argError(fn, 'yTrue', `one-hot rows of shape [${pred.shape.join(',')}] like yPred`, describe(labels));
  const t = labels.contiguousCopy();
  const td = t.buffer;
  const classes = pred.shape[pred.rank - 1]!;
  return inTopK(pred, (r) => {
    const s = t.offset + r * classes;
    let best = 0;
    for (let j = 1; j < classes; j++) if (td[s + j]! > td[s + best]!) best = j;
    return best;
  }, k);
}

/**
 * Per-sample top-k accuracy with integer labels (Keras `sparse_top_k_categorical_accuracy`): 1
 * where the label's score is among the k highest of its yPred row. yTrue has yPred's shape
 * without the class axis (or with a trailing 1).
 */
export function sparseTopKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  const fn = 'sparseTopKCategoricalAccuracy';
  checkK(fn, k);
  const pred = checkScores(fn, yPred);
  const labels = requireTensor(fn, 'yTrue', yTrue);
  const rows = pred.shape.slice(0, -1);
  if (!shapesEqual(labels.shape, rows) && !shapesEqual(labels.shape, [...rows, 1])) {
    argError(fn, 'yTrue', `integer labels of shape [${rows.join(',')}] for yPred [${pred.shape.join(',')}]`, describe(labels));
  }
  const t = labels.contiguousCopy();
  const td = t.buffer;
  return inTopK(pred, (r) => {
    const v = td[t.offset + r]!;
    return Number.isInteger(v) ? v : -1;
  }, k);
}

/** Options of {@link TopKCategoricalAccuracy} and {@link SparseTopKCategoricalAccuracy}. */
export interface TopKOptions {
  /** How many of the highest scores count as a hit (default 5, as Keras). */
  k?: number;
  name?: string;
}

/** Epoch-level {@link topKCategoricalAccuracy} (Keras `TopKCategoricalAccuracy`). */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(options: TopKOptions = {}) {
    const k = checkK('TopKCategoricalAccuracy', options.k ?? 5);
    super((yTrue, yPred) => topKCategoricalAccuracy(yTrue, yPred, k), options.name ?? 'topKCategoricalAccuracy');
    this.k = k;
  }
}

/** Epoch-level {@link sparseTopKCategoricalAccuracy} (Keras `SparseTopKCategoricalAccuracy`). */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(options: TopKOptions = {}) {
    const k = checkK('SparseTopKCategoricalAccuracy', options.k ?? 5);
    super((yTrue, yPred) => sparseTopKCategoricalAccuracy(yTrue, yPred, k), options.name ?? 'sparseTopKCategoricalAccuracy');
    this.k = k;
  }
}
