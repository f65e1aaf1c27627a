import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { binaryCrossentropy } from './binary-crossentropy';
import { categoricalCrossentropy } from './categorical-crossentropy';
import { huber } from './huber';
import type { Loss, LossFactory, LossFunction, LossOptions } from './loss';
import { meanAbsoluteError } from './mean-absolute-error';
import { meanSquaredError } from './mean-squared-error';
import { sparseCategoricalCrossentropy } from './sparse-categorical-crossentropy';

interface Entry {
  factory: LossFactory<LossOptions>;
  /** Names shown in errors besides the camelCase one (Keras snake_case function name, aliases). */
  aliases: string[];
}

const entries: Entry[] = [
  { factory: meanSquaredError, aliases: ['mean_squared_error', 'mse', 'MSE'] },
  { factory: meanAbsoluteError, aliases: ['mean_absolute_error', 'mae', 'MAE'] },
  { factory: huber, aliases: ['huber_loss', 'huberLoss'] },
  { factory: binaryCrossentropy, aliases: ['binary_crossentropy'] },
  { factory: categoricalCrossentropy, aliases: ['categorical_crossentropy'] },
  { factory: sparseCategoricalCrossentropy, aliases: ['sparse_categorical_crossentropy'] },
];

/**
 * Lookup key: case and underscores dropped, so 'categoricalCrossentropy', 'categorical_crossentropy'
 * and the Keras class name 'CategoricalCrossentropy' all meet.
 */
export function nameKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

const byKey = new Map<string, LossFactory<LossOptions>>();
for (const e of entries) {
  for (const n of [e.factory.name, e.factory.className, ...e.aliases]) byKey.set(nameKey(n), e.factory);
}

/** The valid loss names, for error messages. */
export function lossNames(): string[] {
  return entries.flatMap((e) => [e.factory.name, ...e.aliases]);
}

/** The built-in loss factory for a name or alias, or undefined. */
export function findLoss(name: string): LossFactory<LossOptions> | undefined {
  return byKey.get(nameKey(name));
}

/**
 * The canonical camelCase name of a loss name or alias ('categorical_crossentropy' and 'MSE' give
 * 'categoricalCrossentropy' and 'meanSquaredError'); unknown names come back unchanged.
 */
export function canonicalLossName(name: string): string {
  return findLoss(name)?.name ?? name;
}

/**
 * Wraps a plain `(yTrue, yPred) => Tensor` as a {@link Loss} named after the function; its class
 * name is the function's name ('' for an anonymous function, which then cannot be serialized).
 */
export function wrapCustomLoss(fn: LossFunction, name = fn.name): Loss {
  const label = name || 'customLoss';
  const wrapped = (yTrue: Tensor, yPred: Tensor): Tensor => {
    const out = fn(yTrue, yPred);
    if (!(out instanceof Tensor)) argError(label, 'return value', 'a Tensor of per-sample losses', describe(out));
    return out;
  };
  Object.defineProperty(wrapped, 'name', { value: label, configurable: true });
  Object.defineProperty(wrapped, 'className', { value: name, enumerable: true });
  Object.defineProperty(wrapped, 'getConfig', { value: () => ({}) });
  return wrapped as unknown as Loss;
}

