import { add, minimum, mul, sub } from '../ops/binary';
import { mean } from '../ops/reduce';
import { abs, square } from '../ops/unary';
import { type LossOptions, defineLoss } from './loss';
import { checkPair } from './validate';

/** Options of {@link huber}. */
export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1, as Keras). */
  delta?: number;
}

/**
 * Huber loss averaged over the last axis: with `e = |yPred - yTrue|`, `0.5 e^2` for `e <= delta`
 * and `delta (e - 0.5 delta)` beyond, one value per sample (Keras `huber`, tfjs-core `huberLoss`).
 */
export const huber = defineLoss<HuberOptions>({
  name: 'huber',
  className: 'Huber',
  defaults: { delta: 1 },
  checkOption: (key, value) => (key === 'delta' && !((value as number) > 0) ? 'a positive number' : null),
  compute(yTrueIn, yPredIn, { delta }) {
    const { yTrue, yPred } = checkPair('huber', yTrueIn, yPredIn);
    const err = abs(sub(yPred, yTrue));
    // Keras's branch-free form: the quadratic part is capped at delta and the rest grows linearly,
    // so the gradient is err inside the band and delta * sign outside without a `where`.
    const quadratic = minimum(err, delta);
    const linear = sub(err, quadratic);
    return mean(add(mul(square(quadratic), 0.5), mul(linear, delta)), -1);
  },
});
