import { argError, describe } from '../errors';
import type { Optimizer, OptimizerConfig } from './optimizer';

/**
 * An optimizer class as the registry holds it: constructible from an options object (or none,
 * for the defaults), optionally with its own static `fromConfig`.
 */
export interface OptimizerClass {
  new (options?: never): Optimizer;
  readonly name: string;
  fromConfig?(config: OptimizerConfig): Optimizer;
}

// Keyed by lower-cased name, so 'Adam', 'adam', 'RMSProp' (tfjs) and 'RMSprop' (Keras) all resolve.
const classes = new Map<string, { name: string; cls: OptimizerClass }>();

/**
 * Makes an optimizer class known by name (Keras `register_keras_serializable`), so that
 * `compile({ optimizer: 'name' })`, {@link deserializeOptimizer} and `loadModel` can build it.
 * `name` defaults to the class name and must be the `className` its instances report (lookups
 * ignore case). Registering a name again replaces the class (re-running a notebook cell).
 */
export function registerOptimizer(cls: OptimizerClass, name: string = cls?.name): void {
  const fn = 'registerOptimizer';
  if (typeof cls !== 'function') argError(fn, 'cls', 'an Optimizer subclass', describe(cls));
  if (typeof name !== 'string' || name === '') argError(fn, 'name', 'a non-empty string', describe(name));
  classes.set(name.toLowerCase(), { name, cls });
}

/** The class registered under `name` (any case), or undefined. */
export function registeredOptimizer(name: string): OptimizerClass | undefined {
  return classes.get(name.toLowerCase())?.cls;
}

/** The registered names, lower-cased, in registration order (for error messages). */
export function registeredOptimizerNames(): string[] {
  return [...classes.keys()];
}
