// Argument checks shared by the losses and the metrics: tensors, matching shapes, float dtype,
// sparse labels.
import { argError, describe } from '../errors';
import { cast } from '../ops/cast';
import { reshape } from '../ops/views';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** Throws unless `value` is a live Tensor. */
export function requireTensor(fn: string, arg: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) argError(fn, arg, 'a Tensor', describe(value));
  void value.buffer; // throws a clear error if disposed
  return value;
}

function toFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/**
 * Checks a (yTrue, yPred) pair of dense targets and returns both as float32 with yPred's shape.
 * Shapes must match, except that a trailing axis of size 1 may be missing on one side
 * (`[batch]` labels for `[batch, 1]` outputs, as Keras accepts); yTrue is reshaped to yPred's shape.
 */
export function checkPair(fn: string, yTrueIn: unknown, yPredIn: unknown): { yTrue: Tensor; yPred: Tensor } {
  const yTrue = requireTensor(fn, 'yTrue', yTrueIn);
  const yPred = requireTensor(fn, 'yPred', yPredIn);
  if (yPred.rank === 0) argError(fn, 'yPred', 'a tensor of rank >= 1 (losses reduce its last axis)', 'a scalar');
  return { yTrue: toFloat(alignTo(fn, yTrue, yPred)), yPred: toFloat(yPred) };
}

/** yTrue reshaped to yPred's shape when they differ only by a trailing axis of size 1. */
function alignTo(fn: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const t = yTrue.shape;
  const p = yPred.shape;
  if (shapesEqual(t, p)) return yTrue;
  const dropsLastOne = (long: readonly number[], short: readonly number[]) =>
    long.length === short.length + 1 && long[long.length - 1] === 1 && shapesEqual(long.slice(0, -1), short);
  if (dropsLastOne(p, t) || dropsLastOne(t, p)) return reshape(yTrue, p);
  return argError(fn, 'yTrue', `the same shape as yPred ${fmt(p)}`, `shape ${fmt(t)}`);
}

/**
 * Checks sparse integer labels against `[..., numClasses]` predictions. Labels have yPred's shape
 * without its last axis (or with a last axis of 1), are int32 or float32 holding integers, and lie in
 * [0, numClasses). Returns the labels as an Int32Array, one per row of yPred.
 * Reading them costs one pass over `batch` numbers, which is what lets the error name the bad label.
 */
export function checkSparseLabels(fn: string, yTrueIn: unknown, yPredIn: unknown): { labels: Int32Array; yPred: Tensor } {
  const yTrue = requireTensor(fn, 'yTrue', yTrueIn);
  const yPred = requireTensor(fn, 'yPred', yPredIn);
  if (yPred.rank === 0) argError(fn, 'yPred', 'a tensor of rank >= 1 with classes on the last axis', 'a scalar');
  const rows = yPred.shape.slice(0, -1);
  const ok = shapesEqual(yTrue.shape, rows) || shapesEqual(yTrue.shape, [...rows, 1]);
  if (!ok) {
    argError(fn, 'yTrue', `integer labels of shape ${fmt(rows)} (or ${fmt([...rows, 1])}) for yPred ${fmt(yPred.shape)}`,
      `shape ${fmt(yTrue.shape)}`);
  }
  const numClasses = yPred.shape[yPred.rank - 1]!;
  // Read through the storage rather than dataSync(), which would mark the caller's label buffer as
  // handed out and keep it from ever returning to the buffer pool.
  const src = yTrue.contiguousCopy();
  const data = src.buffer;
  const labels = new Int32Array(yTrue.size);
  for (let i = 0; i < labels.length; i++) {
    const v = data[src.offset + i]!;
    if (!Number.isInteger(v)) argError(fn, 'yTrue', 'integer class labels', `label ${v} at index ${i}`);
    if (v < 0 || v >= numClasses) {
      argError(fn, 'yTrue', `labels in [0, ${numClasses}) for yPred ${fmt(yPred.shape)}`, `label ${v} at index ${i}`);
    }
    labels[i] = v;
  }
  return { labels, yPred: toFloat(yPred) };
}

/**
 * Sample weights made broadcastable against values of shape `valueShape`, aligned from the leading
 * (batch) axis: `[batch]`, `[batch, 1]` or full-shape weights all work for `[batch, units]` values.
 * Trailing size-1 axes beyond the values' rank are dropped, the rest padded with 1s on the right;
 * each axis must then equal the values' or be 1. Returns float32.
 */
export function alignWeights(fn: string, weightIn: unknown, valueShape: readonly number[]): Tensor {
  let w = requireTensor(fn, 'sampleWeight', weightIn);
  let shape = w.shape.slice();
  while (shape.length > valueShape.length && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
  const full = [...shape, ...new Array<number>(Math.max(0, valueShape.length - shape.length)).fill(1)];
  if (shape.length > valueShape.length || full.some((d, i) => d !== 1 && d !== valueShape[i])) {
    argError(fn, 'sampleWeight', `a shape that lines up with the values' shape ${fmt(valueShape)} from the first axis`,
      `shape ${fmt(w.shape)}`);
  }
  if (!shapesEqual(full, w.shape)) w = reshape(w, full);
  return toFloat(w);
}
