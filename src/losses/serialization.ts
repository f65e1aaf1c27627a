import { argError, describe } from '../errors';
import { type ConfigValue, type Loss, type LossConfig, type LossFunction, type SerializedLoss, isBuiltInLoss, isLoss } from './loss';
import { findLoss, lossNames, wrapCustomLoss } from './registry';

/**
 * A loss as JSON for `model.save`: `{ className, config }`, e.g.
 * `{ className: 'CategoricalCrossentropy', config: { name: 'categoricalCrossentropy', fromLogits: true, labelSmoothing: 0 } }`.
 * A custom function serializes as `{ className: <its function name>, config: {} }` and must be given
 * to {@link deserializeLoss} in `customObjects` under that name; an anonymous one cannot be saved.
 */
export function getLossConfig(loss: Loss | LossFunction): SerializedLoss {
  if (isBuiltInLoss(loss)) return { className: loss.className, config: loss.getConfig() };
  const className = isLoss(loss) ? loss.className : loss.name;
  if (!className) {
    throw new Error('getLossConfig: an anonymous loss function cannot be serialized; give the function a name ' +
      '(function myLoss(yTrue, yPred) {...}) and pass it in customObjects when loading');
  }
  return { className, config: isLoss(loss) ? loss.getConfig() : {} };
}

// Keras keys that describe the reduction or the computation's dtype: this library's losses always
// return per-sample values (the model reduces), so they carry no information here.
const IGNORED_KEYS = new Set(['reduction', 'dtype']);

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Keras configs use snake_case and carry keys with no meaning here; maps them to our options. */
function toOptions(className: string, config: Record<string, unknown>): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const [rawKey, value] of Object.entries(config)) {
    const key = camel(rawKey);
    if (IGNORED_KEYS.has(key)) continue;
    if (key === 'axis') {
      if (value !== -1 && value !== null) argError('deserializeLoss', 'config.axis', `-1 (${className} reduces the last axis)`, describe(value));
      continue;
    }
    if (key === 'ignoreClass') {
      if (value !== null) argError('deserializeLoss', 'config.ignoreClass', 'null (ignoreClass is not supported)', describe(value));
      continue;
    }
    out[key] = value as ConfigValue;
  }
  return out;
}

/**
 * Rebuilds a loss from {@link getLossConfig}'s JSON. Also reads Keras's form
 * (`{ class_name: 'CategoricalCrossentropy', config: { from_logits: true, reduction: ... } }`, the
 * `reduction` being ignored) and a bare name as stored in tfjs `training_config` ('categorical_crossentropy').
 * Custom losses are looked up by class name in `customObjects` first.
 */
export function deserializeLoss(json: SerializedLoss | string | { class_name: string; config?: object },
  customObjects: Record<string, Loss | LossFunction> = {}): Loss {
  if (typeof json === 'string') json = { className: json, config: {} };
  if (typeof json !== 'object' || json === null) argError('deserializeLoss', 'json', '{ className, config } or a loss name', describe(json));
  const record = json as { className?: unknown; class_name?: unknown; config?: unknown };
  const className = record.className ?? record.class_name;
  if (typeof className !== 'string' || className === '') {
    argError('deserializeLoss', 'json.className', 'a non-empty string', describe(className));
  }
  const config = record.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    argError('deserializeLoss', 'json.config', 'an object', describe(config));
  }
  const custom = Object.prototype.hasOwnProperty.call(customObjects, className) ? customObjects[className] : undefined;
  if (custom) return isLoss(custom) ? custom : wrapCustomLoss(custom, className);
  const factory = findLoss(className);
  if (!factory) {
    throw new Error(`deserializeLoss: unknown loss class ${JSON.stringify(className)}; pass custom losses in customObjects, ` +
      `or use one of ${lossNames().join(', ')}`);
  }
  const options = toOptions(className, config as Record<string, unknown>);
  // The default configuration comes back as the shared built-in itself, as getLoss(name) gives.
  const defaults = factory.getConfig();
  if (Object.entries(options).every(([k, v]) => defaults[k] === v)) return factory;
  return (factory as unknown as (o: object) => Loss)(options);
}
