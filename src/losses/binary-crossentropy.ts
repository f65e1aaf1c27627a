import { add, mul, sub } from '../ops/binary';
import { mean } from '../ops/reduce';
import { clip, log, neg, softplus } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { logitsOf, warnIfNotLogits } from '../activations/logits';
import { EPSILON, type LossOptions, defineLoss } from './loss';
import { checkPair } from './validate';

/** Options of {@link binaryCrossentropy}. */
export interface BinaryCrossentropyOptions extends LossOptions {
  /** yPred holds logits (no sigmoid applied) rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: labels become `y (1 - s) + 0.5 s`. Default 0. */
  labelSmoothing?: number;
}

/**
 * Binary crossentropy averaged over the last axis, one value per sample.
 *
 * From logits x it is `softplus(x) - y x` (= -y log sigmoid(x) - (1-y) log(1 - sigmoid(x)) written
 * as log-sum-exp), finite for any x with gradient `sigmoid(x) - y`. From probabilities p it clips p
 * to [1e-7, 1 - 1e-7] and takes `-(y log p + (1-y) log(1-p))`, the value tfjs-layers computes.
 */
export const binaryCrossentropy = defineLoss<BinaryCrossentropyOptions>({
  name: 'binaryCrossentropy',
  className: 'BinaryCrossentropy',
  defaults: { fromLogits: false, labelSmoothing: 0 },
  checkOption: (key, value) => (key === 'labelSmoothing' && !((value as number) >= 0 && (value as number) <= 1) ? 'a number in [0, 1]' : null),
  compute(yTrueIn, yPredIn, { fromLogits, labelSmoothing }) {
    const checked = checkPair('binaryCrossentropy', yTrueIn, yPredIn);
    const yPred = checked.yPred;
    let y: Tensor = checked.yTrue;
    if (labelSmoothing > 0) y = add(mul(y, 1 - labelSmoothing), 0.5 * labelSmoothing);
    if (fromLogits) warnIfNotLogits('binaryCrossentropy', yPred, 'sigmoid');
    const logits = fromLogits ? yPred : logitsOf(yPred, 'sigmoid');
    if (logits) return mean(sub(softplus(logits), mul(y, logits)), -1);
    const p = clip(yPred, EPSILON, 1 - EPSILON);
    const logLikelihood = add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))));
    return neg(mean(logLikelihood, -1));
  },
});
