import { argError, describe } from '../errors';
import { oneHot } from '../ops/movement';
import { Tensor } from '../tensor/tensor';
import { type LabelsLike, labelsTensor, valuesOf } from './label-values';

/**
 * One-hot encodes integer class labels (Keras `to_categorical`): labels of shape [...s] become
 * float32 of shape [...s, numClasses] with a 1 at each label's position. As in Keras, a trailing
 * axis of size 1 is dropped first, so [n, 1] labels give [n, numClasses].
 *
 * Labels may be int32 or float32 holding whole numbers. `numClasses` defaults to the largest
 * label + 1. A negative, fractional or too-large label is an Error naming its position.
 *
 * @example
 * toCategorical([0, 2, 1]).toArray(); // [[1,0,0],[0,0,1],[0,1,0]]
 */
export function toCategorical(labels: LabelsLike, numClasses?: number): Tensor {
  const fn = 'toCategorical';
  const t = labelsTensor(fn, 'labels', labels);
  const shape = t.rank > 1 && t.shape[t.rank - 1] === 1 ? t.shape.slice(0, -1) : t.shape.slice();
  if (numClasses !== undefined && (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1)) {
    argError(fn, 'numClasses', 'a positive integer', describe(numClasses));
  }
  const v = valuesOf(t);
  const ids = new Int32Array(v.length);
  let largest = -1;
  for (let i = 0; i < v.length; i++) {
    const label = v[i]!;
    if (!Number.isInteger(label) || label < 0) {
      argError(fn, 'labels', 'non-negative integer class labels', `${label} at flat index ${i}`);
    }
    if (numClasses !== undefined && label >= numClasses) {
      argError(fn, 'labels', `labels in [0, ${numClasses}) for numClasses ${numClasses}`, `${label} at flat index ${i}`);
    }
    if (label > largest) largest = label;
    ids[i] = label;
  }
  const depth = numClasses ?? largest + 1;
  if (depth < 1) argError(fn, 'numClasses', 'a class count (it cannot be inferred from empty labels)', describe(numClasses));
  return oneHot(Tensor.fromArray(ids, shape), depth);
}
