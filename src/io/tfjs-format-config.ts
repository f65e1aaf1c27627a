// Keras / tfjs model.json topology <-> tensorforge's saved topology. tfjs stores layer configs in
// Keras's spelling: snake_case keys and snake_case string values ('channels_last'), except layer
// and model names; tensorforge's configs use tfjs-layers' camelCase option names. Converting is a
// recursive re-spelling plus the wiring format (Keras's nested inbound_nodes lists) and the
// per-class renames declared in the layer registry (`keras` in registerLayer).
import { getInitializer } from '../initializers/initializers';
import { kerasLayerClass, layerClassNames } from '../layers/registry';
import type { Layer, LayerConfig } from '../layers/layer';
import { getRegularizer } from '../regularizers/regularizers';
import type { SavedLayer, SavedModel } from '../models/model-format';

/** A JSON value as model.json holds it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** One layer as a Keras topology lists it. */
export interface KerasLayerJson {
  class_name: string;
  config: JsonObject;
  name?: string;
  inbound_nodes?: JsonValue[];
}

/** A Keras model topology (`modelTopology` of a tfjs model.json, or its `model_config`). */
export interface KerasTopology {
  class_name: string;
  config: JsonObject | KerasLayerJson[];
  keras_version?: string;
  backend?: string;
}

export function toSnake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

export function toCamel(s: string): string {
  return s.replace(/[_-]([a-z])/g, (_, c: string) => c.toUpperCase());
}

// Under these keys an array's first string is a layer name (Keras wiring), never re-spelled.
const WIRING_KEYS = new Set(['inboundNodes', 'inputLayers', 'outputLayers', 'inbound_nodes', 'input_layers', 'output_layers']);
// String values under these keys are names, kept as they are.
const NAME_KEYS = new Set(['name', 'className', 'class_name']);

function respell(value: unknown, key: string, spell: (s: string) => string): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return NAME_KEYS.has(key) ? value : spell(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    return value.map((item, i) => (WIRING_KEYS.has(key) && i === 0 && typeof item === 'string' ? item : respell(item, key, spell)));
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const nk = k === 'className' ? 'class_name' : k === 'class_name' ? 'className' : spell(k);
    out[nk] = respell(v, k === 'className' || k === 'class_name' ? 'className' : nk, spell);
  }
  return out;
}

/** tensorforge (tfjs camelCase) config -> Keras spelling, as tfjs writes model.json. */
export function toKerasSpelling(value: unknown): JsonValue {
  return respell(value, '', toSnake);
}

/** Keras spelling -> camelCase, as tfjs reads model.json. */
export function fromKerasSpelling(value: unknown): JsonValue {
  return respell(value, '', toCamel);
}

type Ref = [string, number, number];
type ModelConfig = SavedModel['modelTopology']['config'];

/** Class names under which Keras / tfjs files hold a model used as a layer (Keras 2+ writes 'Functional'). */
const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** Whether a layer entry of class `className` is a whole model nested in another. */
export function isModelClass(className: string): boolean {
  return MODEL_CLASSES.has(className);
}

/** Our saved topology (model.getConfig()) as a Keras topology tfjs can read. */
export function toKerasTopology(className: string, config: ModelConfig): KerasTopology {
  const sequential = className === 'Sequential';
  return { class_name: sequential ? 'Sequential' : 'Model', config: kerasModelConfig(className, config), keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}

/**
 * A model's config in Keras's layout. A nested model's entry carries its own model config (as tfjs
 * and Keras write it), and references to its outputs count its calls from 1: in Keras and tfjs a
 * built model's node 0 is the one linking its own inputs to its outputs, while our configs count
 * only the calls made in the enclosing model.
 */
function kerasModelConfig(className: string, config: ModelConfig): JsonObject {
  const sequential = className === 'Sequential';
  const nested = new Set(config.layers.filter((l) => isModelClass(l.className)).map((l) => l.name));
  const ref = ([name, node, index]: Ref): Ref => [name, nested.has(name) ? node + 1 : node, index];
  const layers = config.layers.map((l, i): KerasLayerJson => {
    let cfg: JsonObject;
    if (isModelClass(l.className)) {
      cfg = kerasModelConfig(l.className, l.config as unknown as ModelConfig);
      cfg['name'] = l.name;
    } else {
      const c: Record<string, unknown> = { ...l.config, name: l.name };
      // Only the model's first layer declares the input shape (tfjs rebuilds later ones from it).
      if (l.className !== 'InputLayer' && !(sequential && i === 0)) delete c['batchInputShape'];
      if (c['groups'] === 1) delete c['groups'];
      cfg = toKerasSpelling(c) as JsonObject;
    }
    const layer: KerasLayerJson = { class_name: l.className, config: cfg };
    if (!sequential) {
      layer.name = l.name;
      layer.inbound_nodes = l.inboundNodes.map((n) => n.inputs.map((r) => [...ref(r), {}]));
    }
    return layer;
  });
  const cfg: JsonObject = { name: config.name, layers: layers as unknown as JsonValue[] };
  if (!sequential) {
    cfg['input_layers'] = config.inputLayers.map(ref);
    cfg['output_layers'] = config.outputLayers.map(ref);
  }
  return cfg;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops options a loaded model does not need and tensorforge cannot take (see fixLayerConfig). */
function settle(fn: string, config: Record<string, unknown>): void {
  for (const key of Object.keys(config)) {
    const v = config[key];
    // tfjs writes null for options left unset; tensorforge's constructors take undefined for those.
    if (v === null) {
      delete config[key];
      continue;
    }
    // Initializers only shape fresh weights, which the file's weights replace; keep those we know.
    if (key.endsWith('Initializer') && v !== null && v !== undefined) {
      try {
        getInitializer(fn, key, v as never);
      } catch {
        delete config[key];
      }
    }
    if (key.endsWith('Regularizer') && v !== null && v !== undefined) {
      try {
        getRegularizer(fn, key, v as never);
      } catch {
        delete config[key];
      }
    }
    // tensorforge has no weight constraints; tfjs writes null for them unless set.
    if (key.endsWith('Constraint')) delete config[key];
  }
  // Keras 3 writes dtype as a policy object.
  const dtype = config['dtype'];
  if (isObject(dtype)) config['dtype'] = isObject(dtype['config']) ? dtype['config']['name'] : 'float32';
  if (config['dtype'] !== 'int32') config['dtype'] = 'float32';
}

/** A Keras layer's config as the registered class's options; unknown classes throw naming the class. */
function layerConfig(fn: string, file: string, l: KerasLayerJson): { className: string; name: string; config: LayerConfig } {
  const kerasName = l.class_name;
  const name = typeof l.config?.['name'] === 'string' ? (l.config['name'] as string) : typeof l.name === 'string' ? l.name : kerasName;
  if (typeof kerasName === 'string' && isModelClass(kerasName)) {
    const sub = fromKerasTopology(fn, file, { class_name: kerasName, config: l.config });
    return { className: sub.className, name, config: { ...(sub.config as unknown as LayerConfig), name } };
  }
  const found = typeof kerasName === 'string' ? kerasLayerClass(kerasName) : undefined;
  if (!found) {
    throw new Error(`${fn}: ${file}: layer '${name}' has class '${String(kerasName)}', which tensorforge does not support (supported: ${layerClassNames().join(', ')})`);
  }
  const config = fromKerasSpelling(l.config ?? {}) as Record<string, unknown>;
  for (const [from, to] of Object.entries(found.keys)) {
    if (from in config) {
      config[to] = config[from];
      delete config[from];
    }
  }
  settle(fn, config);
  // A wrapped layer (Bidirectional, TimeDistributed) carries its own { className, config }.
  const inner = config['layer'];
  if (isObject(inner) && typeof inner['className'] === 'string' && isObject(inner['config'])) {
    const sub = layerConfig(fn, file, { class_name: inner['className'], config: toKerasSpelling(inner['config']) as JsonObject });
    config['layer'] = { className: sub.className, config: sub.config };
  }
  return { className: found.className, name, config: { ...config, name } };
}

function asRef(fn: string, file: string, v: unknown): Ref {
  if (!Array.isArray(v) || typeof v[0] !== 'string') throw new Error(`${fn}: ${file}: expected a [layer, node, tensor] reference, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return [v[0], Number(v[1] ?? 0), Number(v[2] ?? 0)];
}

/** Keras's input_layers/output_layers: a list of refs, or a single ref for one tensor. */
function refList(fn: string, file: string, v: unknown): Ref[] {
  if (!Array.isArray(v)) return [];
  return typeof v[0] === 'string' ? [asRef(fn, file, v)] : v.map((r) => asRef(fn, file, r));
}

/** One Keras inbound node ([[name, node, tensor, kwargs], ...], or Keras 3's { args }) as ours. */
function inboundNode(fn: string, file: string, node: unknown): SavedLayer['inboundNodes'][number] {
  if (Array.isArray(node)) {
    const inputs = node.map((r) => asRef(fn, file, r));
    return { inputs, listInput: inputs.length > 1 };
  }
  if (isObject(node) && Array.isArray(node['args'])) {
    // Keras 3: args hold keras tensors { class_name: '__keras_tensor__', config: { keras_history: [...] } } or lists of them.
    const arg0 = node['args'][0];
    const list = Array.isArray(arg0);
    const tensors = (list ? arg0 : [arg0]) as unknown[];
    const inputs = tensors.map((t) => asRef(fn, file, isObject(t) && isObject(t['config']) ? t['config']['keras_history'] : t));
    return { inputs, listInput: list };
  }
  throw new Error(`${fn}: ${file}: unreadable inbound node ${JSON.stringify(node)?.slice(0, 80)}`);
}

/**
 * A Keras topology as our saved topology (what model-load's rebuild takes). `Sequential` stays
 * a Sequential; `Model` and `Functional` become functional models.
 */
export function fromKerasTopology(fn: string, file: string, topology: unknown): SavedModel['modelTopology'] {
  let t = topology as Record<string, unknown>;
  // Keras's model.to_json() nests the topology under model_config (tfjs converter output).
  if (isObject(t) && isObject(t['model_config'])) t = t['model_config'];
  if (!isObject(t) || typeof t['class_name'] !== 'string') throw new Error(`${fn}: ${file}: modelTopology has no class_name`);
  const cls = t['class_name'];
  const rawConfig = t['config'];
  // Old Keras Sequential configs are the bare list of layers.
  const cfg = (Array.isArray(rawConfig) ? { layers: rawConfig } : rawConfig) as Record<string, unknown> | undefined;
  if (!isObject(cfg) || !Array.isArray(cfg['layers'])) throw new Error(`${fn}: ${file}: modelTopology.config has no layers list`);
  const name = typeof cfg['name'] === 'string' ? cfg['name'] : cls === 'Sequential' ? 'sequential' : 'model';
  if (cls === 'Sequential') {
    const layers = (cfg['layers'] as KerasLayerJson[]).map((l) => ({ ...layerConfig(fn, file, l), inboundNodes: [] }));
    return { className: 'Sequential', config: { name, layers, inputLayers: [], outputLayers: [] } };
  }
  if (cls !== 'Model' && cls !== 'Functional') throw new Error(`${fn}: ${file}: model class '${cls}' is not supported (expected Sequential, Model or Functional)`);
  const entries = cfg['layers'] as KerasLayerJson[];
  const offsets = new Map(entries.filter((l) => isModelClass(l.class_name)).map((l) => [l.config?.['name'] ?? l.name, nodeOffset(l)]));
  // Our configs count a nested model's calls from 0 (see kerasModelConfig).
  const own = ([name, node, index]: Ref): Ref => [name, Math.max(0, node - (offsets.get(name) ?? 0)), index];
  const layers = entries.map((l) => ({
    ...layerConfig(fn, file, l),
    inboundNodes: (Array.isArray(l.inbound_nodes) ? l.inbound_nodes : []).map((n) => {
      const node = inboundNode(fn, file, n);
      return { ...node, inputs: node.inputs.map(own) };
    }),
  }));
  return { className: 'Model', config: { name, layers, inputLayers: refList(fn, file, cfg['input_layers']).map(own), outputLayers: refList(fn, file, cfg['output_layers']).map(own) } };
}

/**
 * How many nodes a nested model's entry counts before its first call in the enclosing model: 1 for
 * a functional model (its own inputs-to-outputs node, as tfjs and Keras number them) and for a
 * tf.keras / tfjs Sequential, which is functional once built; Keras 3's Sequential is not, and
 * its files (Keras 3 marks entries with `module` / `registered_name`) count from 0.
 */
function nodeOffset(l: KerasLayerJson): number {
  if (l.class_name !== 'Sequential') return 1;
  const keras3 = 'module' in (l as object) || 'registered_name' in (l as object);
  return keras3 ? 0 : 1;
}

/** A weight-holding layer with the names of the models it is nested in (outermost first). */
export interface LeafLayer {
  layer: Layer;
  path: string[];
}

/**
 * The layers of `layers` with nested models opened up, each once: tfjs and Keras name a nested
 * model's weights after its inner layers (`dense/kernel`), not after the model.
 */
export function leafLayers(layers: readonly Layer[], path: string[] = [], seen = new Set<Layer>()): LeafLayer[] {
  const out: LeafLayer[] = [];
  for (const layer of layers) {
    if (seen.has(layer)) continue;
    seen.add(layer);
    const inner = (layer as unknown as { layers?: unknown }).layers;
    if (isModelClass(layer.className) && Array.isArray(inner)) out.push(...leafLayers(inner as Layer[], [...path, layer.name], seen));
    else out.push({ layer, path });
  }
  return out;
}
