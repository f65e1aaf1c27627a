import { argError, describe } from '../errors';
import { type Loss, type LossFunction, type SerializedLoss, isLoss } from './loss';
import { findLoss, lossNames, wrapCustomLoss } from './registry';
import { deserializeLoss } from './serialization';

/** Anything `getLoss` resolves: a name, a loss, a custom function, or a serialized loss. */
export type LossIdentifier = string | Loss | LossFunction | SerializedLoss;

/**
 * Resolves what `model.compile({ loss })` receives into a {@link Loss}:
 * - a name: tfjs camelCase ('categoricalCrossentropy'), Keras snake_case ('categorical_crossentropy'),
 *   Keras class name ('CategoricalCrossentropy') or alias ('mse', 'MSE', 'mae', 'huber_loss');
 *   unknown names throw an Error listing the valid ones;
 * - a loss (`losses.huber`, `losses.categoricalCrossentropy({ fromLogits: true })`): returned as is;
 * - a function `(yTrue, yPred) => Tensor`: wrapped, named after the function (it should return
 *   per-sample losses; the model takes the mean);
 * - a serialized loss `{ className, config }`: see {@link deserializeLoss}.
 */
export function getLoss(identifier: LossIdentifier): Loss {
  if (typeof identifier === 'string') {
    const found = findLoss(identifier);
    if (!found) {
      // tfjs-core's name for the same loss; say what to write instead, as tfjs-layers does.
      const hint = /softmaxcrossentropy/i.test(identifier) ? " (for tf.losses.softmaxCrossEntropy use 'categoricalCrossentropy' with fromLogits: true)" : '';
      throw new Error(`getLoss: unknown loss ${JSON.stringify(identifier)}${hint}; valid names are ${lossNames().join(', ')}`);
    }
    return found;
  }
  if (isLoss(identifier)) return identifier;
  if (typeof identifier === 'function') return wrapCustomLoss(identifier);
  if (typeof identifier === 'object' && identifier !== null) return deserializeLoss(identifier);
  return argError('getLoss', 'identifier', 'a loss name, a loss, a function (yTrue, yPred) => Tensor or { className, config }', describe(identifier));
}
