// The `optimizers` namespace: optimizer classes, their factories, lookup and (de)serialization.
export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerDefaults,
  type OptimizerConfig,
  type GradientPairs,
  type NamedTensor,
} from './optimizer';
export { SGD, sgd, type SGDOptions } from './sgd';
export { Adagrad, adagrad, type AdagradOptions } from './adagrad';
export { RMSprop, rmsprop, type RMSpropOptions } from './rmsprop';
export { Adam, adam, type AdamOptions } from './adam';
export { AdamW, adamw, type AdamWOptions } from './adamw';
export { Adadelta, adadelta, type AdadeltaOptions } from './adadelta';
export { Adamax, adamax, type AdamaxOptions } from './adamax';
export { registerOptimizer, type OptimizerClass } from './registry';
export { getOptimizer, serializeOptimizer, deserializeOptimizer, type OptimizerIdentifier } from './serialization';
export type { SerializedObject, JsonValue } from './options';
/** Keras's `optimizers.schedules` lives here too. */
export * as schedules from './schedules';
