// Reading tfjs Layers models (model.json with a Keras-spelled topology + weight shards, as written
// by tfjs's model.save, tfjs-node's file:// handler or the tfjs converter from Keras) into
// tensorforge models, through the same rebuild as loadModel and the layer registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argError, describe } from '../errors';
import type { Layer } from '../layers/layer';
import { kerasIgnoredWeights, kerasWeightName, kerasWeightShape, kerasWeightsOptional } from '../layers/registry';
import { reshape } from '../ops/views';
import type { LayersModel } from '../models/layers-model';
import { FORMAT } from '../models/model-format';
import { loadModel, rebuild } from '../models/model-load';
import type { Tensor } from '../tensor/tensor';
import { fromKerasSpelling, fromKerasTopology, leafLayers } from './tfjs-format-config';
import { TFJS_MODEL_FILE, type TfjsModelJson } from './tfjs-format-save';
import { type WeightSpec, type WeightsGroup, decodeWeights } from './tfjs-format-weights';
import { type PathLike, toFsPath } from './path';

/** What a tfjs IOHandler's `load()` resolves to (the parts tensorforge reads). */
export interface TfjsModelArtifacts {
  modelTopology?: unknown;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[] | Uint8Array;
  format?: string;
  /** Loss, metrics and optimizer (tfjs's includeOptimizer saves, Keras's training_config). */
  trainingConfig?: unknown;
}

/** A tfjs IOHandler with a `load` method (tf.io.fromMemory, custom handlers); optional as in tfjs's type. */
export interface TfjsLoadHandler {
  load?: () => Promise<TfjsModelArtifacts> | TfjsModelArtifacts;
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[] | Uint8Array | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) out.set(new Uint8Array(b), o), (o += b.byteLength);
  return out;
}

// Candidate file names of a layer's i-th weight: tfjs's `layer/weight`, TF 2.2+'s
// `layer/cell/weight` for recurrent cells, and Keras 3's `layer/index`; for a layer of a nested
// model also the name prefixed with the models it is in (`outer/inner/layer/weight`).
function findWeight(layer: Layer, path: string[], i: number, name: string, weights: Map<string, Tensor>, used: Set<string>): [string, Tensor] | undefined {
  const exact = `${layer.name}/${name}`;
  const keras = `${layer.name}/${kerasWeightName(layer, name)}`;
  const prefixed = path.length ? [`${path.join('/')}/${keras}`, `${path[path.length - 1]}/${keras}`] : [];
  for (const key of [keras, exact, `${keras}:0`, `${layer.name}/${i}`, ...prefixed]) {
    const t = weights.get(key);
    if (t && !used.has(key)) return [key, t];
  }
  const leaf = kerasWeightName(layer, name).split('/').pop()!;
  for (const [key, t] of weights) {
    if (used.has(key)) continue;
    const parts = key.replace(/:0$/, '').split('/');
    if (parts[0] === layer.name && parts.length === 3 && parts[2] === leaf && name.split('/').length === 1) return [key, t];
  }
  return undefined;
}

function assignWeights(fn: string, where: string, model: LayersModel, weights: Map<string, Tensor>): void {
  const used = new Set<string>();
  const leaves = leafLayers(model.layers);
  for (const { layer } of leaves) {
    for (const w of kerasIgnoredWeights(layer)) for (const key of [`${layer.name}/${w}`, `${layer.name}/${w}:0`]) weights.delete(key);
  }
  for (const { layer, path } of leaves) {
    const infos = layer.weightsInfo;
    if (infos.length === 0) continue;
    if (kerasWeightsOptional(layer) && infos.every((w, i) => !findWeight(layer, path, i, w.name, weights, used))) continue;
    const values = infos.map((w, i) => {
      const found = findWeight(layer, path, i, w.name, weights, used);
      if (!found) {
        const have = [...weights.keys()].filter((k) => !used.has(k)).slice(0, 6).join(', ');
        throw new Error(`${fn}: ${where} has no weight '${layer.name}/${w.name}' (unused weights: ${have || 'none'})`);
      }
      const [key, stored] = found;
      const t = stored.shape.join(',') === kerasWeightShape(layer, w.name, w.value.shape).join(',') ? reshape(stored, w.value.shape) : stored;
      if (t.shape.join(',') !== w.value.shape.join(',')) {
        throw new Error(`${fn}: ${where}: weight '${key}' has shape [${t.shape.join(',')}], layer '${layer.name}' expects [${w.value.shape.join(',')}]`);
      }
      used.add(key);
      return t;
    });
    layer.setWeights(values);
  }
  // As tfjs's loader: a weight no layer takes means the file and the topology disagree (or the
  // model was never built, e.g. a Sequential without an input shape).
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length) {
    const hint = model.inputs.length === 0 ? ' (the model declares no input shape, so its layers have no weights yet)' : '';
    throw new Error(`${fn}: ${where} holds weights no layer takes: ${unused.slice(0, 6).join(', ')}${unused.length > 6 ? ', ...' : ''}${hint}`);
  }
}

/**
 * Builds a model from tfjs ModelArtifacts (the Keras-spelled topology, weight specs and their
 * data). Layer classes tensorforge lacks fail with an Error naming the class.
 */
export function modelFromTfjsArtifacts(artifacts: TfjsModelArtifacts, where = 'model artifacts', fn = 'loadLayersModel'): LayersModel {
  if (!artifacts || typeof artifacts !== 'object' || !artifacts.modelTopology) {
    throw new Error(`${fn}: ${where} has no modelTopology (expected a tfjs Layers model)`);
  }
  const topology = fromKerasTopology(fn, where, artifacts.modelTopology);
  let model: LayersModel;
  try {
    model = rebuild({ modelTopology: topology }, where);
  } catch (err) {
    throw new Error((err as Error).message.replace(/^loadModel:/, `${fn}:`), { cause: err });
  }
  const specs = artifacts.weightSpecs ?? [];
  const weights = decodeWeights(fn, where, specs, joinBuffers(artifacts.weightData));
  // Optimizer state saved by tfjs (includeOptimizer) has no tensorforge counterpart; training resumes with fresh slots.
  for (const s of specs) if (s.group === 'optimizer') weights.delete(s.name);
  assignWeights(fn, where, model, weights);
  compileFrom(model, artifacts.trainingConfig ?? (artifacts.modelTopology as { training_config?: unknown }).training_config);
  return model;
}

/**
 * Compiles a loaded model from its saved training config, as tfjs does. Best effort: a loss,
 * metric or optimizer tensorforge cannot rebuild leaves the model uncompiled (compile() it before
 * fit), since the architecture and weights loaded fine.
 */
function compileFrom(model: LayersModel, trainingConfig: unknown): void {
  if (!trainingConfig || typeof trainingConfig !== 'object') return;
  const tc = fromKerasSpelling(trainingConfig) as { loss?: unknown; metrics?: unknown; optimizerConfig?: unknown };
  if (tc.loss === undefined || tc.loss === null) return;
  try {
    model.compile({
      optimizer: (tc.optimizerConfig ?? 'adam') as never,
      loss: tc.loss as never,
      metrics: (Array.isArray(tc.metrics) ? tc.metrics : undefined) as never,
    });
  } catch {
    model.compiled = null;
  }
}

function readJson(fn: string, file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${fn}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${fn}: ${file} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function readShards(fn: string, dir: string, manifest: unknown, file: string): { specs: WeightSpec[]; data: Uint8Array } {
  if (manifest === undefined || manifest === null) return { specs: [], data: new Uint8Array(0) };
  if (!Array.isArray(manifest)) throw new Error(`${fn}: ${file}: weightsManifest is not a list`);
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const group of manifest as WeightsGroup[]) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new Error(`${fn}: ${file}: a weightsManifest entry lacks paths or weights`);
    specs.push(...group.weights);
    for (const p of group.paths) {
      const shard = path.resolve(dir, toFsPath(fn, 'weightsManifest path', p));
      const rel = path.relative(dir, shard);
      if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${fn}: ${file}: weight shard path '${p}' points outside the model's directory`);
      try {
        parts.push(fs.readFileSync(shard));
      } catch (err) {
        throw new Error(`${fn}: cannot read weight shard ${shard}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  return { specs, data: joinBuffers(parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer)) };
}

/**
 * Loads a tfjs Layers model: `loadLayersModel('file://path/model.json')` (or a plain path, or the
 * directory holding model.json), reading the Keras-spelled topology and every weight shard of its
 * weightsManifest (float32, int32, and uint8/uint16/float16-quantized weights). A model.json
 * written by tensorforge's own `model.save` is read by {@link loadModel}. A tfjs IOHandler (an
 * object with `load()`, e.g. `tf.io.fromMemory(...)`) is accepted too.
 */
export async function loadLayersModel(source: PathLike | TfjsLoadHandler): Promise<LayersModel> {
  const fn = 'loadLayersModel';
  if (typeof source === 'object' && source !== null && !(source instanceof URL) && typeof (source as TfjsLoadHandler).load === 'function') {
    return modelFromTfjsArtifacts(await (source as Required<TfjsLoadHandler>).load(), 'IOHandler artifacts', fn);
  }
  if (typeof source !== 'string' && !(source instanceof URL)) argError(fn, 'source', "a path or 'file://' URL of model.json, or an IOHandler", describe(source));
  let file = path.resolve(toFsPath(fn, 'source', source));
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, TFJS_MODEL_FILE);
  const json = readJson(fn, file) as Partial<TfjsModelJson> & { format?: string };
  if (json && json.format === FORMAT) return loadModel(path.dirname(file));
  if (!json || typeof json !== 'object' || !json.modelTopology) throw new Error(`${fn}: ${file} has no modelTopology (not a tfjs Layers model.json)`);
  const { specs, data } = readShards(fn, path.dirname(file), json.weightsManifest, file);
  return modelFromTfjsArtifacts({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data, trainingConfig: json.trainingConfig }, file, fn);
}
