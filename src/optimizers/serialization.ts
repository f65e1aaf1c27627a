import { argError, describe } from '../errors';
import { Adagrad } from './adagrad';
import { Adam } from './adam';
import { AdamW } from './adamw';
import type { SerializedObject } from './options';
import { Optimizer, type OptimizerConfig } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

type OptimizerClass = { new (): Optimizer; fromConfig(config: OptimizerConfig): Optimizer };

// Keyed by lower-cased name, so 'Adam', 'adam', 'RMSProp' (tfjs) and 'RMSprop' (Keras) all resolve.
const classes: ReadonlyMap<string, OptimizerClass> = new Map<string, OptimizerClass>([
  ['sgd', SGD],
  ['momentum', SGD], // tfjs's MomentumOptimizer
  ['adam', Adam],
  ['rmsprop', RMSprop],
  ['adagrad', Adagrad],
  ['adamw', AdamW],
]);

const VALID = "'sgd', 'adam', 'rmsprop', 'adagrad', 'adamw'";

/** What {@link getOptimizer} (and `model.compile({ optimizer })`) accepts. */
export type OptimizerIdentifier = Optimizer | string | SerializedObject;

/** `{ className, config }` for an optimizer, the form Keras and tfjs store in a model's training config. */
export function serializeOptimizer(optimizer: Optimizer): SerializedObject {
  if (!(optimizer instanceof Optimizer)) argError('serializeOptimizer', 'optimizer', 'an Optimizer', describe(optimizer));
  return { className: optimizer.className, config: optimizer.getConfig() };
}

/**
 * Rebuilds an optimizer from `{ className, config }` ({@link serializeOptimizer} output, or a Keras
 * `{ class_name, config }` with snake_case keys). A learning-rate schedule inside is rebuilt too.
 */
export function deserializeOptimizer(value: unknown): Optimizer {
  const fn = 'deserializeOptimizer';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) argError(fn, 'value', '{ className, config }', describe(value));
  const v = value as Record<string, unknown>;
  const className = v['className'] ?? v['class_name'];
  if (typeof className !== 'string') argError(fn, 'className', 'a string', describe(className));
  const cls = classes.get(className.toLowerCase());
  if (!cls) argError(fn, 'className', `the class of one of ${VALID} (any case)`, describe(className));
  const config = v['config'] ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) argError(fn, 'config', 'a config object', describe(config));
  return cls.fromConfig(config as OptimizerConfig);
}

/**
 * Resolves what `model.compile({ optimizer })` accepts: an Optimizer (returned as is), a name
 * ('sgd', 'adam', 'rmsprop', 'adagrad', 'adamw', any case; Keras defaults), or a serialized
 * `{ className, config }`. Anything else throws, naming the valid choices.
 */
export function getOptimizer(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') {
    const cls = classes.get(identifier.toLowerCase());
    if (!cls || identifier.toLowerCase() === 'momentum') {
      argError('getOptimizer', 'identifier', `one of ${VALID} (case-insensitive)`, describe(identifier));
    }
    return new cls();
  }
  if (typeof identifier === 'object' && identifier !== null && !Array.isArray(identifier)) return deserializeOptimizer(identifier);
  return argError('getOptimizer', 'identifier', `an Optimizer, one of ${VALID}, or { className, config }`, describe(identifier));
}
