import { add, div, mul } from '../ops/binary';
import { sum } from '../ops/reduce';
import { logSoftmax } from '../ops/softmax';
import { clip, log, neg } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { EPSILON, type LossOptions, defineLoss } from './loss';
import { checkPair } from './validate';
import { logitsOf, warnIfNotLogits } from '../activations/logits';

/** Options of {@link categoricalCrossentropy}. */
export interface CategoricalCrossentropyOptions extends LossOptions {
  /** yPred holds logits (no softmax applied) rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: one-hot labels become `y (1 - s) + s / numClasses`. Default 0. */
  labelSmoothing?: number;
}

/**
 * Categorical crossentropy `-sum(y log p, -1)` over one-hot (or soft) labels, one value per sample.
 *
 * From logits it uses `logSoftmax` (log-sum-exp), so logits of any size give a finite loss and the
 * gradient `softmax(x) - y`. From probabilities it first rescales each row to sum to 1, then clips
 * to [1e-7, 1 - 1e-7] before the log, as Keras and tfjs-layers do; but when yPred is a softmax
 * layer's output, the loss uses that layer's logits instead, as Keras does on TensorFlow.
 */
export const categoricalCrossentropy = defineLoss<CategoricalCrossentropyOptions>({
  name: 'categoricalCrossentropy',
  className: 'CategoricalCrossentropy',
  defaults: { fromLogits: false, labelSmoothing: 0 },
  checkOption: (key, value) => (key === 'labelSmoothing' && !((value as number) >= 0 && (value as number) <= 1) ? 'a number in [0, 1]' : null),
  compute(yTrueIn, yPredIn, { fromLogits, labelSmoothing }) {
    const checked = checkPair('categoricalCrossentropy', yTrueIn, yPredIn);
    const yPred = checked.yPred;
    let y: Tensor = checked.yTrue;
    if (labelSmoothing > 0) {
      const numClasses = yPred.shape[yPred.rank - 1]!;
      y = add(mul(y, 1 - labelSmoothing), labelSmoothing / numClasses);
    }
    if (fromLogits) warnIfNotLogits('categoricalCrossentropy', yPred, 'softmax');
    const logits = fromLogits ? yPred : logitsOf(yPred, 'softmax');
    const logP = logits ? logSoftmax(logits, -1) : log(clip(div(yPred, sum(yPred, -1, true)), EPSILON, 1 - EPSILON));
    return neg(sum(mul(y, logP), -1));
  },
});
