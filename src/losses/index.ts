/**
 * Loss functions, exported as the `losses` namespace. Each returns the PER-SAMPLE loss (shape
 * `yPred.shape` without its last axis); the model applies sample/class weights and takes the mean.
 */
export { meanSquaredError, meanSquaredError as mse, meanSquaredError as MSE } from './mean-squared-error';
export { meanAbsoluteError, meanAbsoluteError as mae, meanAbsoluteError as MAE } from './mean-absolute-error';
export { huber, type HuberOptions } from './huber';
export { binaryCrossentropy, type BinaryCrossentropyOptions } from './binary-crossentropy';
export { categoricalCrossentropy, type CategoricalCrossentropyOptions } from './categorical-crossentropy';
export { sparseCategoricalCrossentropy, type SparseCategoricalCrossentropyOptions } from './sparse-categorical-crossentropy';
export {
  EPSILON,
  isLoss,
  type ConfigValue,
  type Loss,
  type LossConfig,
  type LossFactory,
  type LossFunction,
  type LossOptions,
  type SerializedLoss,
} from './loss';
export { getLoss, type LossIdentifier } from './get-loss';
export { getLossConfig, deserializeLoss } from './serialization';
export { canonicalLossName, lossNames } from './registry';
