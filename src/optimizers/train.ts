import { Adagrad } from './adagrad';
import { Adam } from './adam';
import { RMSprop } from './rmsprop';
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
