// model.save(dir). Apart from model-load.ts, which needs the model classes to rebuild a model, so
// that LayersModel can call this without an import cycle.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argError, describe } from '../errors';
import { toFsPath } from '../io/path';
import { saveTfjsModel } from '../io/tfjs-format-save';
import type { Tensor } from '../tensor/tensor';
import { encodeSafetensors } from '../io/safetensors';
import { encodeWeights } from '../io/sparse-weights';
import type { LayersModel } from './layers-model';
import { saveOptimizerState } from '../optimizers/saved-state';
import { FORMAT, MODEL_FILE, OPTIMIZER_FILE, type SavedModel, WEIGHTS_FILE, namedWeights, storedDtypes } from './model-format';
import { defaultStoredDtype } from '../io/safetensors';
import { trainingConfig } from './training';

/** Options of `model.save`. */
export interface SaveOptions {
  /**
   * 'tensorforge' (default): model.json + model.safetensors (+ optimizer state), read by loadModel.
   * 'tfjs': tfjs's Layers format, model.json + weights.bin, read by `loadLayersModel` here and
   * in @tensorflow/tfjs (architecture and weights; no optimizer state).
   */
  format?: 'tensorforge' | 'tfjs';
}

/**
 * Writes `dir/model.json` (architecture and training config), `dir/model.safetensors` (weights)
 * and, for a compiled model whose optimizer has state, `dir/optimizer.safetensors` (so training
 * resumes where it stopped after loadModel). The directory is created if needed.
 */
export async function saveModel(model: LayersModel, dir: string, options: SaveOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir === '') argError('save', 'dir', 'a directory path', describe(dir));
  if (options === null || typeof options !== 'object') argError('save', 'options', 'an object', describe(options));
  const format = options.format ?? 'tensorforge';
  if (format === 'tfjs') return saveTfjsModel(model, dir);
  if (format !== 'tensorforge') argError('save', 'options.format', "'tensorforge' or 'tfjs'", describe(format));
  dir = toFsPath('save', 'dir', dir);
  if (model.inputs.length === 0) throw new Error(`save: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
  const named = namedWeights(model);
  const weights = new Map<string, Tensor>(named);
  const saved: SavedModel = {
    format: FORMAT,
    formatVersion: 1,
    modelTopology: { className: model.className, config: model.getConfig() as SavedModel['modelTopology']['config'] },
    trainingConfig: model.compiled ? trainingConfig(model.compiled) : null,
    weightsFile: WEIGHTS_FILE,
    ...(model.trainingSeed !== null ? { trainingSeed: model.trainingSeed } : {}),
    ...(Object.keys(model.weightStorage).length ? { weightDtypes: { ...model.weightStorage } } : {}),
  };
  await fs.promises.mkdir(dir, { recursive: true });
  // Sparse (pruned) kernels and other registered encodings are stored compactly (io/sparse-weights.ts).
  // Weights stored in a narrow dtype (int8, float16) are written as such; the others may be encoded.
  const dtypes = storedDtypes(model);
  const narrow = new Map([...dtypes].filter(([key, code]) => weights.has(key) && code !== defaultStoredDtype(weights.get(key)!.dtype)));
  const stored = encodeWeights(new Map([...weights].filter(([key]) => !narrow.has(key))), { format: FORMAT });
  for (const key of narrow.keys()) stored.tensors.set(key, weights.get(key)!);
  await fs.promises.writeFile(path.join(dir, WEIGHTS_FILE), encodeSafetensors(stored.tensors, stored.metadata, narrow));
  if (model.compiled && (await saveOptimizerState(model.compiled.optimizer, named, path.join(dir, OPTIMIZER_FILE)))) {
    saved.optimizerWeightsFile = OPTIMIZER_FILE;
  }
  await fs.promises.writeFile(path.join(dir, MODEL_FILE), JSON.stringify(saved, null, 1));
}
