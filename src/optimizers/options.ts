import { argError, describe } from '../errors';
import { camelOptions } from '../option-names';

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged (what getConfig returns). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A serialized optimizer or schedule: `{ className, config }`, as Keras and tfjs store them. */
// A type alias, not an interface, so it is assignable to JsonValue (interfaces lack index signatures).
export type SerializedObject = {
  className: string;
  config: { [key: string]: JsonValue };
};

/**
 * Reads a user's options object: rejects non-objects and, given the `known` keys, unknown keys (a
 * typo like `lr` must not silently fall back to a default) and returns it as a record.
 */
export function readOptions(fn: string, options: unknown, known: readonly string[] | null): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) argError(fn, 'options', 'an options object', describe(options));
  const record = camelOptions(fn, options as Record<string, unknown>);
  if (known === null) return record;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      // Keras spellings that differ by more than case (clipnorm, clipvalue): point at ours.
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase().replace(/_/g, ''));
      argError(fn, key, `one of the options ${known.join(', ')}`, `an unknown option${near ? ` (did you mean '${near}'?)` : ''}`);
    }
  }
  return record;
}

interface NumberRule {
  min?: number;
  max?: number;
  /** Excludes `min` itself (e.g. decaySteps > 0). */
  minExclusive?: boolean;
  /** Excludes `max` itself (e.g. beta1 < 1). */
  maxExclusive?: boolean;
  integer?: boolean;
}

function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a finite number';
  const lo = rule.min === undefined ? '' : `${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  const hi = rule.max === undefined ? '' : `${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  if (lo && hi) return `${kind} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}${rule.maxExclusive ? ')' : ']'}`;
  return lo || hi ? `${kind} ${lo || hi}` : kind;
}

/** A finite number within `rule`, or `fallback` when the value is undefined or null. */
export function numberOption(fn: string, arg: string, value: unknown, fallback: number, rule: NumberRule = {}): number {
  if (value === undefined || value === null) return fallback;
  return checkNumber(fn, arg, value, rule);
}

/** Like {@link numberOption} but unset stays null (clipNorm, weightDecay, ...). */
export function nullableNumberOption(fn: string, arg: string, value: unknown, rule: NumberRule = {}): number | null {
  if (value === undefined || value === null) return null;
  return checkNumber(fn, arg, value, rule);
}

export function checkNumber(fn: string, arg: string, value: unknown, rule: NumberRule = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min)) &&
    (rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max));
  if (!ok) argError(fn, arg, ruleText(rule), describe(value));
  return value as number;
}

export function booleanOption(fn: string, arg: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') argError(fn, arg, 'a boolean', describe(value));
  return value;
}

/**
 * Converts a stored config to constructor options. Accepts this library's camelCase keys, Keras's
 * snake_case ones (`learning_rate`, `beta_1`, `clipnorm`, ...) and any `aliases` given (tfjs names).
 * Keras bookkeeping keys are dropped, but a Keras feature this library lacks (use_ema, gradient
 * accumulation, loss scaling, Keras 2 time-based `decay`) is refused rather than silently ignored.
 * Null means "use the default".
 */
export function configToOptions(fn: string, config: unknown, aliases: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    argError(fn, 'config', 'a config object', describe(config));
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    const unsupported = KERAS_UNSUPPORTED[key];
    if (unsupported) {
      if (!unsupported.harmless(value)) argError(fn, key, unsupported.expected, `${describe(value)} (${unsupported.what} is not supported)`);
      continue;
    }
    if (KERAS_IGNORED.includes(key)) continue;
    out[aliases[key] ?? KERAS_KEYS[key] ?? snakeToCamel(key)] = value;
  }
  return out;
}

// Keras bookkeeping with no effect on the update.
const KERAS_IGNORED = ['name', 'is_legacy_optimizer', 'jit_compile', 'ema_momentum', 'ema_overwrite_frequency', 'module', 'registered_name'];

// Keras options accepted only at values that leave the update unchanged.
const KERAS_UNSUPPORTED: Readonly<Record<string, { harmless: (v: unknown) => boolean; expected: string; what: string }>> = {
  use_ema: { harmless: (v) => v === false, expected: 'false', what: 'an exponential moving average of the weights' },
  gradient_accumulation_steps: { harmless: (v) => v === 1, expected: 'null or 1', what: 'gradient accumulation' },
  loss_scale_factor: { harmless: (v) => v === 1, expected: 'null or 1', what: 'loss scaling' },
  decay: { harmless: (v) => v === 0, expected: '0', what: 'Keras 2 time-based learning-rate decay (use a schedule instead)' },
};

// Keras spellings that plain snake-to-camel conversion gets wrong.
const KERAS_KEYS: Readonly<Record<string, string>> = {
  clipnorm: 'clipNorm',
  global_clipnorm: 'globalClipNorm',
  clipvalue: 'clipValue',
};

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Reads `{ className, config }` (or Keras's `{ class_name, config }`). */
export function readSerialized(fn: string, arg: string, value: unknown): { className: string; config: unknown } {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const className = v['className'] ?? v['class_name'];
    if (typeof className === 'string') return { className, config: v['config'] ?? {} };
  }
  return argError(fn, arg, '{ className, config }', describe(value));
}
