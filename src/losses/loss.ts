import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { camelOptions } from '../option-names';

/**
 * Keras's fuzz factor `epsilon()`: probabilities are clipped to [EPSILON, 1 - EPSILON] before their
 * log is taken, so a confident wrong prediction costs about 16 instead of Infinity.
 */
export const EPSILON = 1e-7;

/** A JSON-safe option value stored in a loss config. */
export type ConfigValue = number | boolean | string | null;

/** The options of a loss, as stored by `model.save` (camelCase keys). */
export interface LossConfig {
  [key: string]: ConfigValue;
}

/** A loss as JSON: `{ className: 'CategoricalCrossentropy', config: { fromLogits: true, ... } }`. */
export interface SerializedLoss {
  className: string;
  config: LossConfig;
}

/** Any function from labels and predictions to per-sample losses (a custom loss). */
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * A loss: called as `loss(yTrue, yPred)` it returns the PER-SAMPLE loss, of shape `yPred.shape`
 * without its last axis (`[batch]` for `[batch, units]` outputs), so the model can weight samples
 * and classes before it takes the mean. `className` and `getConfig()` make it serializable
 * (see `getLossConfig` / `deserializeLoss`).
 */
export interface Loss {
  (yTrue: Tensor, yPred: Tensor): Tensor;
  /** Display name: the tfjs camelCase name (e.g. 'categoricalCrossentropy') unless set by `name`. */
  readonly name: string;
  /** Keras class name (e.g. 'CategoricalCrossentropy'); for a custom loss, its function's name. */
  readonly className: string;
  /** The options this loss was built with, JSON-safe. */
  getConfig(): LossConfig;
}

/**
 * A built-in loss such as `losses.categoricalCrossentropy`. It is itself a {@link Loss} with the
 * default options, and has two call forms:
 * - `categoricalCrossentropy(yTrue, yPred)` computes per-sample losses with the defaults (the
 *   Keras function form `keras.losses.categorical_crossentropy`; NOTE tfjs-core's
 *   `tf.losses.*(labels, predictions)` reduce to a scalar, these do not: take `mean()` of the result);
 * - `categoricalCrossentropy({ fromLogits: true })` returns a configured {@link Loss}
 *   (the Keras class form `keras.losses.CategoricalCrossentropy(from_logits=True)`).
 */
export interface LossFactory<O extends LossOptions> extends Loss {
  (yTrue: Tensor, yPred: Tensor): Tensor;
  (options?: O): Loss;
}

/** Options every loss takes. */
export interface LossOptions {
  /** Display name of the configured loss. */
  name?: string;
}

/** @internal how a built-in loss is defined */
export interface LossSpec<O extends LossOptions> {
  /** tfjs camelCase name; also the function name in error messages. */
  name: string;
  className: string;
  /** Every option except `name`, with its default value. */
  defaults: Required<Omit<O, 'name'>>;
  /** Extra checks on an option's value (types are checked against the defaults already). */
  checkOption?: (key: string, value: ConfigValue) => string | null;
  compute: (yTrue: unknown, yPred: unknown, options: Required<Omit<O, 'name'>>) => Tensor;
}

/** @internal marks losses made by {@link defineLoss} so they serialize as built-ins */
export const BUILT_IN = Symbol('tensorforge.builtInLoss');

function makeLoss<O extends LossOptions>(spec: LossSpec<O>, options: Required<Omit<O, 'name'>>, name: string): Loss {
  const fn = (yTrue: Tensor, yPred: Tensor): Tensor => spec.compute(yTrue, yPred, options);
  return decorate(fn, spec, options, name) as Loss;
}

function decorate<F extends object, O extends LossOptions>(fn: F, spec: LossSpec<O>, options: Required<Omit<O, 'name'>>, name: string): F {
  // Functions already own a read-only `name`; defineProperty is the way to set it.
  Object.defineProperty(fn, 'name', { value: name, configurable: true });
  Object.defineProperty(fn, 'className', { value: spec.className, enumerable: true });
  Object.defineProperty(fn, 'getConfig', {
    value: (): LossConfig => ({ name, ...(options as unknown as LossConfig) }),
  });
  Object.defineProperty(fn, BUILT_IN, { value: spec.name });
  return fn;
}

function parseOptions<O extends LossOptions>(spec: LossSpec<O>, raw: unknown): { options: Required<Omit<O, 'name'>>; name: string } {
  if (raw === undefined) return { options: spec.defaults, name: spec.name };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    argError(spec.name, 'options', 'an options object, or two tensors (yTrue, yPred)', describe(raw));
  }
  const defaults = spec.defaults as unknown as Record<string, ConfigValue>;
  const options: Record<string, ConfigValue> = { ...defaults };
  let name = spec.name;
  for (const [key, value] of Object.entries(camelOptions(spec.name, raw as Record<string, unknown>))) {
    if (value === undefined) continue;
    if (key === 'name') {
      if (typeof value !== 'string' || value === '') argError(spec.name, 'name', 'a non-empty string', describe(value));
      name = value;
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(defaults, key)) {
      const known = ['name', ...Object.keys(defaults)].join(', ');
      argError(spec.name, key, `one of the options ${known}`, `unknown option '${key}'`);
    }
    const expectedType = typeof defaults[key];
    if (typeof value !== expectedType || (expectedType === 'number' && !Number.isFinite(value))) {
      argError(spec.name, key, expectedType === 'number' ? 'a finite number' : `a ${expectedType}`, describe(value));
    }
    const problem = spec.checkOption?.(key, value as ConfigValue) ?? null;
    if (problem !== null) argError(spec.name, key, problem, describe(value));
    options[key] = value as ConfigValue;
  }
  return { options: options as unknown as Required<Omit<O, 'name'>>, name };
}

/**
 * @internal builds the exported two-form function of a built-in loss: `(yTrue, yPred)` computes
 * with the defaults, `(options?)` returns a configured {@link Loss}.
 */
export function defineLoss<O extends LossOptions>(spec: LossSpec<O>): LossFactory<O> {
  function factory(a?: unknown, b?: unknown): Tensor | Loss {
    // Two arguments (or a tensor first) means the function form: compute right away.
    if (a instanceof Tensor || b !== undefined) return spec.compute(a, b, spec.defaults);
    const { options, name } = parseOptions(spec, a);
    return makeLoss(spec, options, name);
  }
  return decorate(factory, spec, spec.defaults, spec.name) as unknown as LossFactory<O>;
}

/** True for losses made by this module (built-ins, possibly configured). */
export function isBuiltInLoss(value: unknown): value is Loss {
  return typeof value === 'function' && typeof (value as unknown as Record<symbol, unknown>)[BUILT_IN] === 'string';
}

/** True for anything with the {@link Loss} shape (a function with `className` and `getConfig`). */
export function isLoss(value: unknown): value is Loss {
  return (
    typeof value === 'function' &&
    typeof (value as unknown as { className?: unknown }).className === 'string' &&
    typeof (value as unknown as { getConfig?: unknown }).getConfig === 'function'
  );
}
