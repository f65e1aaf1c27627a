import { argError, describe } from '../errors';
import { Adadelta } from './adadelta';
import { Adagrad } from './adagrad';
import { Adam } from './adam';
import { Adamax } from './adamax';
import { RMSprop } from './rmsprop';
import { InverseTimeDecay } from './schedules';
import { SGD } from './sgd';

// tfjs's `tf.train` factories, with tfjs's positional arguments, building this library's
// optimizers. Updates follow Keras's formulas (see each class), which for Adam place epsilon
// slightly differently from tfjs-core's AdamOptimizer.

/** Plain gradient descent: `tf.train.sgd(learningRate)`. */
export function sgd(learningRate: number): SGD {
  return new SGD({ learningRate });
}

/** Gradient descent with momentum: `tf.train.momentum(learningRate, momentum, useNesterov)`. */
export function momentum(learningRate: number, momentum: number, useNesterov = false): SGD {
  return new SGD({ learningRate, momentum, nesterov: useNesterov });
}

/** `tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7)`. */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number | null): Adam {
  return new Adam({ learningRate, beta1, beta2, epsilon: epsilon ?? undefined });
}

/** `tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1)`. */
export function adagrad(learningRate: number, initialAccumulatorValue = 0.1): Adagrad {
  return new Adagrad({ learningRate, initialAccumulatorValue });
}

/** `tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false)`; decay is rho. */
export function rmsprop(learningRate: number, decay = 0.9, momentum = 0, epsilon?: number | null, centered = false): RMSprop {
  return new RMSprop({ learningRate, rho: decay, momentum, epsilon: epsilon ?? undefined, centered });
}

/**
 * `tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = 1e-7)`. The update is Keras's,
 * which divides by the squared-gradient average including this step's gradient; tfjs-core divides
 * by last step's, so trajectories differ slightly (most on the first steps).
 */
export function adadelta(learningRate = 0.001, rho = 0.95, epsilon?: number | null): Adadelta {
  return new Adadelta({ learningRate, rho, epsilon: epsilon ?? undefined });
}

/**
 * `tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0)`.
 * tfjs's `decay` (the rate divided by 1 + decay * step) becomes an {@link InverseTimeDecay} schedule.
 */
export function adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon?: number | null, decay = 0): Adamax {
  if (typeof decay !== 'number' || !Number.isFinite(decay) || decay < 0) argError('train.adamax', 'decay', 'a finite number >= 0', describe(decay));
  const rate = decay === 0 ? learningRate : new InverseTimeDecay({ initialLearningRate: learningRate, decaySteps: 1, decayRate: decay });
  return new Adamax({ learningRate: rate, beta1, beta2, epsilon: epsilon ?? undefined });
}
