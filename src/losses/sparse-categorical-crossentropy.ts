import { div } from '../ops/binary';
import { logitsOf, warnIfNotLogits } from '../activations/logits';
import { tensor } from '../ops/creation';
import { gather } from '../ops/movement';
import { sum } from '../ops/reduce';
import { logSoftmax } from '../ops/softmax';
import { clip, log, neg } from '../ops/unary';
import { reshape } from '../ops/views';
import { EPSILON, type LossOptions, defineLoss } from './loss';
import { checkSparseLabels } from './validate';

/** Options of {@link sparseCategoricalCrossentropy}. */
export interface SparseCategoricalCrossentropyOptions extends LossOptions {
  /** yPred holds logits (no softmax applied) rather than probabilities. Default false. */
  fromLogits?: boolean;
}

/**
 * Categorical crossentropy with integer class labels: `-log p[label]` per sample. Labels are int32,
 * or float32 holding integers, of shape `yPred.shape[:-1]` (or with a trailing 1), in [0, numClasses);
 * anything else throws naming the bad label.
 *
 * From logits it uses `logSoftmax`; from probabilities it rescales rows to sum to 1 and clips to
 * [1e-7, 1 - 1e-7] (same values as {@link categoricalCrossentropy} on one-hot labels). Only the
 * true class of each row is gathered, so no one-hot tensor is built.
 */
export const sparseCategoricalCrossentropy = defineLoss<SparseCategoricalCrossentropyOptions>({
  name: 'sparseCategoricalCrossentropy',
  className: 'SparseCategoricalCrossentropy',
  defaults: { fromLogits: false },
  compute(yTrueIn, yPredIn, { fromLogits }) {
    const { labels, yPred } = checkSparseLabels('sparseCategoricalCrossentropy', yTrueIn, yPredIn);
    const numClasses = yPred.shape[yPred.rank - 1]!;
    const rows = yPred.shape.slice(0, -1);
    // Flat positions row * numClasses + label pick each row's true class from the flattened matrix.
    const flat = new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) flat[i] = i * numClasses + labels[i]!;
    const index = tensor(flat, [flat.length], 'int32');
    if (fromLogits) warnIfNotLogits('sparseCategoricalCrossentropy', yPred, 'softmax');
    const logits = fromLogits ? yPred : logitsOf(yPred, 'softmax');
    if (logits) return neg(reshape(gather(reshape(logSoftmax(logits, -1), [-1]), index), rows));
    const p = div(yPred, sum(yPred, -1, true));
    const picked = clip(gather(reshape(p, [-1]), index), EPSILON, 1 - EPSILON);
    return neg(reshape(log(picked), rows));
  },
});
