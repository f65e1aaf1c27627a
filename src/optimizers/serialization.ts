import { argError, describe } from '../errors';
import type { SerializedObject } from './options';
import { Optimizer, type OptimizerConfig, optionsFromConfig } from './optimizer';
import { type OptimizerClass, registeredOptimizer, registeredOptimizerNames } from './registry';

// Class names other libraries store for a registered class.
const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  momentum: 'sgd', // tfjs's MomentumOptimizer
};

function valid(): string {
  return registeredOptimizerNames().map((n) => `'${n}'`).join(', ');
}

/** What {@link getOptimizer} (and `model.compile({ optimizer })`) accepts. */
export type OptimizerIdentifier = Optimizer | string | SerializedObject;

/** `{ className, config }` for an optimizer, the form Keras and tfjs store in a model's training config. */
export function serializeOptimizer(optimizer: Optimizer): SerializedObject {
  if (!(optimizer instanceof Optimizer)) argError('serializeOptimizer', 'optimizer', 'an Optimizer', describe(optimizer));
  return { className: optimizer.className, config: optimizer.getConfig() };
}

function fromConfig(cls: OptimizerClass, config: OptimizerConfig): Optimizer {
  if (typeof cls.fromConfig === 'function') return cls.fromConfig(config);
  return new cls(optionsFromConfig(`${cls.name}.fromConfig`, config) as never);
}

/**
 * Rebuilds an optimizer from `{ className, config }` ({@link serializeOptimizer} output, or a Keras
 * `{ class_name, config }` with snake_case keys). A learning-rate schedule inside is rebuilt too.
 * The class must be registered (the built-ins are; see registerOptimizer).
 */
export function deserializeOptimizer(value: unknown): Optimizer {
  const fn = 'deserializeOptimizer';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) argError(fn, 'value', '{ className, config }', describe(value));
  const v = value as Record<string, unknown>;
  const className = v['className'] ?? v['class_name'];
  if (typeof className !== 'string') argError(fn, 'className', 'a string', describe(className));
  const cls = registeredOptimizer(FOREIGN_NAMES[className.toLowerCase()] ?? className);
  if (!cls) argError(fn, 'className', `the class of one of ${valid()} (any case; register other classes with registerOptimizer)`, describe(className));
  const config = v['config'] ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) argError(fn, 'config', 'a config object', describe(config));
  return fromConfig(cls, config as OptimizerConfig);
}

/**
 * Resolves what `model.compile({ optimizer })` accepts: an Optimizer (returned as is), the name of
 * a registered class ('sgd', 'adam', 'rmsprop', 'adagrad', 'adamw', ..., any case; with its
 * defaults), or a serialized `{ className, config }`. Anything else throws, naming the valid choices.
 */
export function getOptimizer(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') {
    const cls = registeredOptimizer(identifier);
    if (!cls) argError('getOptimizer', 'identifier', `one of ${valid()} (case-insensitive)`, describe(identifier));
    return new cls();
  }
  if (typeof identifier === 'object' && identifier !== null && !Array.isArray(identifier)) return deserializeOptimizer(identifier);
  return argError('getOptimizer', 'identifier', `an Optimizer, one of ${valid()}, or { className, config }`, describe(identifier));
}
