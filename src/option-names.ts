// One policy for Keras's Python spellings of options, used by layer factories, tf.input, compile,
// fit, evaluate, predict, losses and optimizers: snake_case keys are accepted as aliases of the
// camelCase names (`input_shape` is `inputShape`), so code ported from Keras works instead of
// silently losing options.
import { argError } from './errors';

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;

/** `input_shape` -> `inputShape`, `beta_1` -> `beta1`. */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Returns `options` with its snake_case keys renamed to camelCase (top level only: nested objects
 * such as per-output loss maps keep their keys, which are names). The same object comes back when
 * no key needs renaming; giving both spellings of one option is an Error naming both.
 */
export function camelOptions<T>(fn: string, options: T): T {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return options;
  if (Object.getPrototypeOf(options) !== Object.prototype && Object.getPrototypeOf(options) !== null) return options;
  const keys = Object.keys(options);
  if (!keys.some((k) => SNAKE.test(k))) return options;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (options as Record<string, unknown>)[key];
    if (!SNAKE.test(key)) {
      out[key] = value;
      continue;
    }
    const camel = snakeToCamel(key);
    if (Object.prototype.hasOwnProperty.call(options, camel)) {
      argError(fn, camel, `one spelling of the option (camelCase '${camel}' or Keras's '${key}')`, 'both');
    }
    out[camel] = value;
  }
  return out as T;
}

/** Wraps every factory of a table so its options objects (any plain-object argument) accept Keras's snake_case keys. */
export function camelFactories<T extends Record<string, (...args: never[]) => unknown>>(prefix: string, factories: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(factories)) {
    const fn = f as unknown as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => fn(...args.map((a) => camelOptions(`${prefix}${name}`, a)));
  }
  return out as T;
}
