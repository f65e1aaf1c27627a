import { sub } from '../ops/binary';
import { mean } from '../ops/reduce';
import { square } from '../ops/unary';
import { type LossOptions, defineLoss } from './loss';
import { checkPair } from './validate';

/**
 * Mean squared error over the last axis: `mean((yPred - yTrue)^2, -1)`, one value per sample
 * (shape `[batch]` for `[batch, units]` inputs). Aliases 'mse' and 'MSE'.
 *
 * `meanSquaredError(yTrue, yPred)` computes it; `meanSquaredError({ name })` returns a configured loss.
 */
export const meanSquaredError = defineLoss<LossOptions>({
  name: 'meanSquaredError',
  className: 'MeanSquaredError',
  defaults: {},
  compute(yTrueIn, yPredIn) {
    const { yTrue, yPred } = checkPair('meanSquaredError', yTrueIn, yPredIn);
    return mean(square(sub(yPred, yTrue)), -1);
  },
});
