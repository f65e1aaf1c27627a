// The one table of layer classes. Every layer module registers its classes here when it loads, and
// everything that turns a className back into a class reads it: model loading, the wrappers
// (TimeDistributed, Bidirectional) rebuilding a saved inner layer, foldBatchNorm's copies, and the
// ONNX exporter's converter lookup. It imports no layer class (only types), so any module can read
// it without an import cycle; src/layers/index.ts loads every built-in layer module.
import { argError, describe } from '../errors';
import type { LayerConverter } from '../onnx/export/converter';
import type { Layer, LayerConfig } from './layer';

/** A layer class as the registry stores it: constructed from its own `getConfig()` output. */
export type LayerClass = new (config: never) => Layer;

/** The options argument of a layer class's constructor (for its factory function). */
export type ArgsOf<C extends abstract new (...args: never[]) => unknown> = ConstructorParameters<C>[0];

/** What a registration may add besides the class. */
export interface LayerRegistration {
  /** Rebuilds a layer from its saved config (default: `new cls(config)`). */
  fromConfig?: (config: LayerConfig) => Layer;
  /**
   * Whether TimeDistributed and Bidirectional may rebuild this class from a saved
   * `{ className, config }` (default false).
   */
  wrappable?: boolean;
  /** Its ONNX export converter (also settable later with `registerOnnxConverter`). */
  onnx?: LayerConverter;
  /**
   * How Keras / tfjs model.json files spell it, for `loadLayersModel`: other class names
   * (`MaxPool2D` for `MaxPooling2D`) and config keys whose camelCased Keras name differs from
   * this class's option (`{ keepdims: 'keepDims' }`).
   */
  keras?: KerasSpelling;
}

/** Keras's spelling of a registered class: extra class names and config-key renames. */
export interface KerasSpelling {
  names?: readonly string[];
  keys?: Readonly<Record<string, string>>;
  /** Weight names that differ from Keras's (`{ kernel: 'depthwise_kernel' }`). */
  weights?: Readonly<Record<string, string>>;
  /** Keras's name of a weight when it depends on the layer (a wrapper's inner layer name). */
  weightName?: (layer: Layer, weight: string) => string;
  /** Keras's shape of a weight stored in the same element order under another shape. */
  weightShape?: (layer: Layer, weight: string, shape: readonly number[]) => number[];
  /** Weights Keras keeps that this class has no use for (Keras 2 Normalization's `count`): dropped on load. */
  ignoredWeights?: readonly string[];
  /** Whether a file may hold none of this layer's weights (Keras writes none when the config fixes them). */
  weightsOptional?: (layer: Layer) => boolean;
}

interface Entry {
  cls: LayerClass | null;
  fromConfig: ((config: LayerConfig) => Layer) | null;
  wrappable: boolean;
  onnx: LayerConverter | null;
  keras: KerasSpelling | null;
}

const entries = new Map<string, Entry>();

function entry(className: string): Entry {
  let e = entries.get(className);
  if (!e) entries.set(className, (e = { cls: null, fromConfig: null, wrappable: false, onnx: null, keras: null }));
  return e;
}

function checkClassName(fn: string, className: unknown): asserts className is string {
  if (typeof className !== 'string' || className === '') argError(fn, 'className', 'a non-empty string', describe(className));
}

/**
 * Registers a layer class so saved models (`loadModel`), wrappers and `foldBatchNorm` can rebuild it
 * from `{ className, config }`; `className` must equal the instances' `className`. Registering a name
 * again with another class or with options replaces the registration (an ONNX converter registered
 * for the name is kept unless `options.onnx` replaces it). The short form `registerLayer(cls)` takes the name from a static `className` on the
 * class, else from the class's own name.
 */
export function registerLayer(className: string, cls: LayerClass, options?: LayerRegistration): void;
export function registerLayer(cls: LayerClass & { className?: string }, options?: LayerRegistration): void;
export function registerLayer(
  a: string | (LayerClass & { className?: string }),
  b?: LayerClass | LayerRegistration,
  c?: LayerRegistration,
): void {
  const [className, cls, options] = typeof a === 'function'
    ? [typeof a.className === 'string' ? a.className : a.name, a, b as LayerRegistration | undefined]
    : [a, b as LayerClass, c];
  checkClassName('registerLayer', className);
  if (typeof cls !== 'function') argError('registerLayer', 'cls', `a layer class for '${className}'`, describe(cls));
  if (options !== undefined && (typeof options !== 'object' || options === null)) argError('registerLayer', 'options', 'an object', describe(options));
  if (options?.fromConfig !== undefined && typeof options.fromConfig !== 'function') {
    argError('registerLayer', 'options.fromConfig', 'a function', describe(options.fromConfig));
  }
  if (options?.onnx !== undefined && typeof options.onnx !== 'function') argError('registerLayer', 'options.onnx', 'a function', describe(options.onnx));
  const e = entry(className);
  // Registering the same class again without options (a module loaded twice, a defensive call)
  // keeps what its own module declared.
  if (e.cls === cls && options === undefined) return;
  e.cls = cls;
  e.fromConfig = options?.fromConfig ?? null;
  e.wrappable = options?.wrappable ?? false;
  if (options?.onnx) e.onnx = options.onnx;
  e.keras = options?.keras ?? null;
}

/** tfjs's spelling: `serialization.registerClass(MyLayer)` is `registerLayer(MyLayer)`. */
export const serialization = {
  registerClass(cls: LayerClass & { className?: string }, options?: LayerRegistration): void {
    registerLayer(cls, options);
  },
};

/** Names of the registered layer classes (sorted), optionally only those the wrappers may rebuild. */
export function layerClassNames(filter: { wrappable?: boolean } = {}): string[] {
  return [...entries].filter(([, e]) => e.cls && (!filter.wrappable || e.wrappable)).map(([name]) => name).sort();
}

/** The registered class of `className`, or undefined. */
export function getLayerClass(className: string): LayerClass | undefined {
  return entries.get(className)?.cls ?? undefined;
}

/**
 * Rebuilds a layer from `{ className, config }` as stored in model.json. `fn` names the caller in
 * the error for an unknown class; `wrappable` limits the classes to those the wrappers accept.
 */
export function deserializeLayer(className: string, config: LayerConfig, options: { fn?: string; wrappable?: boolean } = {}): Layer {
  const fn = options.fn ?? 'loadModel';
  const e = entries.get(className);
  if (!e?.cls || (options.wrappable && !e.wrappable)) {
    argError(fn, 'layer className', `one of ${layerClassNames({ wrappable: options.wrappable }).join(', ')}`, describe(className));
  }
  return e.fromConfig ? e.fromConfig(config) : new e.cls(config as never);
}

/**
 * Sets the ONNX converter of a class name; with `replace` false an existing one is kept (built-in
 * converters load after a user may have replaced them). A class need not be registered as a layer
 * to have a converter.
 */
export function setLayerConverter(className: string, converter: LayerConverter, replace: boolean): void {
  const e = entry(className);
  if (replace || !e.onnx) e.onnx = converter;
}

/** The ONNX converter registered for a class name, or undefined. */
export function getLayerConverter(className: string): LayerConverter | undefined {
  return entries.get(className)?.onnx ?? undefined;
}

/** Class names that have an ONNX converter (sorted). */
export function layerConverterClassNames(): string[] {
  return [...entries].filter(([, e]) => e.onnx).map(([name]) => name).sort();
}

/** The Keras shape of a layer's weight (its own shape unless the registration says otherwise). */
export function kerasWeightShape(layer: Layer, weight: string, shape: readonly number[]): number[] {
  return entries.get(layer.className)?.keras?.weightShape?.(layer, weight, shape) ?? shape.slice();
}

/** The Keras name of a layer's weight (its own name unless the registration renames it). */
export function kerasWeightName(layer: Layer, weight: string): string {
  const k = entries.get(layer.className)?.keras;
  return k?.weightName?.(layer, weight) ?? k?.weights?.[weight] ?? weight;
}

/** Keras weights of a layer's class that have no counterpart here (see {@link KerasSpelling.ignoredWeights}). */
export function kerasIgnoredWeights(layer: Layer): readonly string[] {
  return entries.get(layer.className)?.keras?.ignoredWeights ?? [];
}

/** Whether a Keras / tfjs file may omit the layer's weights (see {@link KerasSpelling.weightsOptional}). */
export function kerasWeightsOptional(layer: Layer): boolean {
  return entries.get(layer.className)?.keras?.weightsOptional?.(layer) ?? false;
}

/**
 * The registered class a Keras / tfjs model.json class name stands for (its own name or one of the
 * `keras.names` of a registration) and the config-key renames that class declared; undefined when
 * no registered class has that name.
 */
export function kerasLayerClass(kerasName: string): { className: string; keys: Readonly<Record<string, string>> } | undefined {
  for (const [className, e] of entries) {
    if (!e.cls) continue;
    if (className === kerasName || e.keras?.names?.includes(kerasName)) return { className, keys: e.keras?.keys ?? {} };
  }
  return undefined;
}
