// Writing a model in tfjs's Layers format: model.json (Keras-spelled topology + weightsManifest)
// beside weights.bin, readable by @tensorflow/tfjs's loadLayersModel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LayersModel } from '../models/layers-model';
import type { SavedModel } from '../models/model-format';
import { kerasWeightName, kerasWeightShape } from '../layers/registry';
import { reshape } from '../ops/views';
import type { Tensor } from '../tensor/tensor';
import { type KerasTopology, leafLayers, toKerasTopology } from './tfjs-format-config';
import { type WeightSpec, type WeightsGroup, encodeWeights } from './tfjs-format-weights';
import { toFsPath } from './path';

/** The file names tfjs-node's file:// handler uses. */
export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

/** A tfjs model.json as tensorforge writes and reads it. */
export interface TfjsModelJson {
  modelTopology: KerasTopology;
  weightsManifest: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: unknown;
}

/** A model in memory in tfjs's ModelArtifacts shape (what tfjs IOHandlers save and load). */
export interface TfjsArtifacts {
  modelTopology: KerasTopology;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  format: string;
  generatedBy: string;
  convertedBy: null;
}

/**
 * The model as tfjs ModelArtifacts: Keras-spelled topology, weight specs named `layer/weight`
 * and all values in one ArrayBuffer (float32, little-endian).
 */
export function toTfjsArtifacts(model: LayersModel, fn = 'toTfjsArtifacts'): TfjsArtifacts {
  if (model.inputs.length === 0) throw new Error(`${fn}: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
  // tfjs has no int8 or quantization-aware layers: such a file would not load anywhere.
  const quantized = model.layers.find((l) => /^(Quantized|Qat)[A-Z]/.test(l.className));
  if (quantized) {
    throw new Error(`${fn}: layer '${quantized.name}' is a ${quantized.className}, which tfjs's format cannot hold; save quantized models in the tensorforge format (model.save(dir)), or convert a QAT model first`);
  }
  const config = model.getConfig() as SavedModel['modelTopology']['config'];
  // Nested models' weights go under their inner layers' names, as tfjs and Keras write them.
  const named = leafLayers(model.layers).flatMap(({ layer: l }) => l.weightsInfo.map((w) => {
    const shape = kerasWeightShape(l, w.name, w.value.shape);
    return [`${l.name}/${kerasWeightName(l, w.name)}`, shape.join(',') === w.value.shape.join(',') ? w.value : reshape(w.value, shape)] as [string, Tensor];
  }));
  const names = new Set<string>();
  for (const [name] of named) {
    if (names.has(name)) throw new Error(`${fn}: two layers of model '${model.name}' (in it or in models nested in it) are named '${name.split('/')[0]}', so tfjs's format cannot tell their weights apart; give them distinct names`);
    names.add(name);
  }
  const { specs, data } = encodeWeights(named);
  return {
    modelTopology: toKerasTopology(model.className, config),
    weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    format: 'layers-model',
    generatedBy: 'tensorforge',
    convertedBy: null,
  };
}

/**
 * Writes `dir/model.json` and `dir/weights.bin` in tfjs's Layers format (what tfjs-node's
 * `model.save('file://dir')` writes). `dir` may be a path or a `file://` URL; it is created if needed.
 */
export async function saveTfjsModel(model: LayersModel, dir: string | URL, fn = 'save'): Promise<void> {
  await writeTfjsArtifacts(toTfjsArtifacts(model, fn), dir, fn);
}

/** Writes tfjs ModelArtifacts as `dir/model.json` + `dir/weights.bin` (tfjs-node's file:// layout). */
export async function writeTfjsArtifacts(a: Pick<TfjsArtifacts, 'modelTopology' | 'weightSpecs' | 'weightData'> & { format?: string; generatedBy?: string }, dir: string | URL, fn = 'save'): Promise<void> {
  const target = toFsPath(fn, 'dir', dir);
  const json: TfjsModelJson = {
    modelTopology: a.modelTopology,
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? 'tensorforge',
    convertedBy: null,
    weightsManifest: [{ paths: [`./${TFJS_WEIGHTS_FILE}`], weights: a.weightSpecs }],
  };
  await fs.promises.mkdir(target, { recursive: true });
  await fs.promises.writeFile(path.join(target, TFJS_WEIGHTS_FILE), new Uint8Array(a.weightData));
  await fs.promises.writeFile(path.join(target, TFJS_MODEL_FILE), JSON.stringify(json));
}
