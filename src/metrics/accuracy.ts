import { argError, describe } from '../errors';
import { equal, greater } from '../ops/binary';
import { cast } from '../ops/cast';
import { argmax, mean } from '../ops/reduce';
import { reshape } from '../ops/views';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkPair, requireTensor } from '../losses/validate';
import { MeanMetricWrapper } from './mean-metric-wrapper';

/**
 * Per-sample binary accuracy: the fraction of the last axis where `yPred > threshold` equals
 * yTrue (0/1 labels), as tfjs `metrics.binaryAccuracy`. Shape `yPred.shape[:-1]`.
 */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) argError('binaryAccuracy', 'threshold', 'a number', describe(threshold));
  const p = checkPair('binaryAccuracy', yTrue, yPred);
  return mean(equal(p.yTrue, greater(p.yPred, threshold)), -1);
}

/**
 * Per-sample categorical accuracy: 1 where the largest yPred of a row sits at the largest yTrue
 * (one-hot labels), else 0. Shape `yPred.shape[:-1]`.
 */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const p = checkPair('categoricalAccuracy', yTrue, yPred);
  return equal(argmax(p.yTrue, -1), argmax(p.yPred, -1));
}

/**
 * Per-sample sparse categorical accuracy: 1 where the largest yPred of a row is at the integer
 * label yTrue (shape `yPred.shape[:-1]`, or with a trailing 1), else 0. Out-of-range labels count
 * as misses (no error: metrics stay cheap; the sparse loss validates labels).
 */
export function sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const labels = requireTensor('sparseCategoricalAccuracy', 'yTrue', yTrue);
  const pred = requireTensor('sparseCategoricalAccuracy', 'yPred', yPred);
  if (pred.rank === 0) argError('sparseCategoricalAccuracy', 'yPred', 'a tensor of rank >= 1 with classes on the last axis', 'a scalar');
  const rows = pred.shape.slice(0, -1);
  if (!shapesEqual(labels.shape, rows) && !shapesEqual(labels.shape, [...rows, 1])) {
    argError('sparseCategoricalAccuracy', 'yTrue', `labels of shape [${rows.join(',')}] for yPred [${pred.shape.join(',')}]`,
      `shape [${labels.shape.join(',')}]`);
  }
  const flat = labels.rank === rows.length ? labels : reshape(labels, rows);
  return equal(flat.dtype === 'float32' ? flat : cast(flat, 'float32'), argmax(pred, -1));
}

/** Epoch-level {@link binaryAccuracy} (Keras `BinaryAccuracy`). */
export class BinaryAccuracy extends MeanMetricWrapper {
  constructor(options: { name?: string; threshold?: number } = {}) {
    const threshold = options.threshold ?? 0.5;
    super((yTrue, yPred) => binaryAccuracy(yTrue, yPred, threshold), options.name ?? 'binaryAccuracy');
  }
}

/** Index of the first largest value of row r (a NaN counts as largest, as argmax does). */
function rowArgmax(d: ArrayLike<number>, start: number, n: number): number {
  let best = d[start]!;
  if (best !== best) return 0;
  let at = 0;
  for (let j = 1; j < n; j++) {
    const v = d[start + j]!;
    if (v !== v) return j;
    if (v > best) {
      best = v;
      at = j;
    }
  }
  return at;
}

/**
 * Accuracy runs after every training batch; for the common [batch, classes] case a plain loop
 * over the batch beats five tensor ops and a sync, and gives the same counts.
 */
function fastCounts(yTrue: Tensor, yPred: Tensor, sparse: boolean): number | null {
  if (!(yTrue instanceof Tensor) || !(yPred instanceof Tensor) || yPred.rank !== 2 || yPred.dtype !== 'float32') return null;
  if (!yPred.isContiguous || !yTrue.isContiguous || yTrue.isDisposed || yPred.isDisposed) return null;
  const [rows, classes] = yPred.shape as [number, number];
  if (sparse ? !(yTrue.rank === 1 && yTrue.shape[0] === rows) : !shapesEqual(yTrue.shape, yPred.shape) || yTrue.dtype !== 'float32') return null;
  const p = yPred.buffer;
  const t = yTrue.buffer;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const predicted = rowArgmax(p, yPred.offset + r * classes, classes);
    const label = sparse ? t[yTrue.offset + r]! : rowArgmax(t, yTrue.offset + r * classes, classes);
    if (predicted === label) hits++;
  }
  return hits;
}

/** An argmax-matching accuracy with the loop fast path; the tensor-op path handles the rest. */
abstract class ArgmaxAccuracy extends MeanMetricWrapper {
  protected abstract readonly sparse: boolean;

  override update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    const hits = sampleWeight ? null : fastCounts(yTrue, yPred, this.sparse);
    if (hits === null) return super.update(yTrue, yPred, sampleWeight);
    this.total += hits;
    this.count += yPred.shape[0]!;
  }
}

/** Epoch-level {@link categoricalAccuracy} (Keras `CategoricalAccuracy`). */
export class CategoricalAccuracy extends ArgmaxAccuracy {
  protected readonly sparse = false;
  constructor(options: { name?: string } = {}) {
    super(categoricalAccuracy, options.name ?? 'categoricalAccuracy');
  }
}

/** Epoch-level {@link sparseCategoricalAccuracy} (Keras `SparseCategoricalAccuracy`). */
export class SparseCategoricalAccuracy extends ArgmaxAccuracy {
  protected readonly sparse = true;
  constructor(options: { name?: string } = {}) {
    super(sparseCategoricalAccuracy, options.name ?? 'sparseCategoricalAccuracy');
  }
}
