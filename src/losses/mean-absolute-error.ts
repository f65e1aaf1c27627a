import { sub } from '../ops/binary';
import { mean } from '../ops/reduce';
import { abs } from '../ops/unary';
import { type LossOptions, defineLoss } from './loss';
import { checkPair } from './validate';

/**
 * Mean absolute error over the last axis: `mean(|yPred - yTrue|, -1)`, one value per sample.
 * Alias 'mae'. Its gradient at a zero error is 0 (the subgradient tfjs and TensorFlow pick).
 */
export const meanAbsoluteError = defineLoss<LossOptions>({
  name: 'meanAbsoluteError',
  className: 'MeanAbsoluteError',
  defaults: {},
  compute(yTrueIn, yPredIn) {
    const { yTrue, yPred } = checkPair('meanAbsoluteError', yTrueIn, yPredIn);
    return mean(abs(sub(yPred, yTrue)), -1);
  },
});
