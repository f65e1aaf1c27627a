// The folder of ONNX networks the `real` group measures (written by bench/models/export-real-models.py,
// outside the repository): where it is, which models it holds, and their inputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomFloats } from './data.mjs';

/** The models the export script writes, in table order (cheap first); others in the manifest follow. */
export const REAL_MODELS = [
  'vit_small', 'gpt_small', 'unet_small', 'shufflenet_v2_x0_5', 'squeezenet1_1', 'mobilenet_v3_small',
  'regnet_x_400mf', 'mobilenet_v2', 'efficientnet_b0', 'resnet18', 'resnet50', 'densenet121', 'convnext_tiny',
];

const exportCommand = (dir, names) => `/usr/bin/python3 bench/models/export-real-models.py ${dir}${names ? ` --only ${names.join(',')}` : ''}`;

/** --models DIR, else $TENSORFORGE_REAL_MODELS, else ~/.cache/tensorforge/real-models. */
export function modelsDir(option) {
  return path.resolve(option ?? process.env.TENSORFORGE_REAL_MODELS ?? path.join(os.homedir(), '.cache', 'tensorforge', 'real-models'));
}

/**
 * The models present in `dir`: [{ name, file, inputs }] plus notes naming the ones that are absent.
 * `inputs` come from manifest.json: [{ name, shape (with 'N' for the batch axis), dtype, max? }].
 */
export function findModels(dir) {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    return { models: [], notes: [`real: no ${manifestPath}; every real network skipped (write them with: ${exportCommand(dir)})`] };
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const listed = manifest.models ?? {};
  const names = [...REAL_MODELS, ...Object.keys(listed).filter((n) => !REAL_MODELS.includes(n))];
  const models = [];
  const absent = [];
  for (const name of names) {
    const entry = listed[name];
    const file = entry && path.join(dir, entry.file);
    if (!entry || !fs.existsSync(file)) absent.push(name);
    else models.push({ name, file, inputs: entry.inputs, params: entry.params ?? null });
  }
  const notes = absent.length
    ? [`real: ${absent.length} network(s) absent from ${dir}, skipped: ${absent.join(', ')} (write them with: ${exportCommand(dir, absent)})`]
    : [];
  return { models, notes };
}

const size = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Deterministic inputs at a batch size: images in [0, 1) like normalized pixels, token ids in
 * [0, max). Token ids are kept as Int32Array (tensorforge's index dtype) and widened for ORT.
 */
export function makeInputs(model, batch, seed = 7) {
  return model.inputs.map((spec, i) => {
    const dims = spec.shape.map((d) => (d === 'N' ? batch : d));
    const u = randomFloats(size(dims), seed + i);
    if (spec.dtype === 'int64') {
      const max = spec.max ?? 2;
      return { name: spec.name, dims, dtype: 'int64', data: Int32Array.from(u, (v) => Math.min(max - 1, Math.floor(((v + 1) / 2) * max))) };
    }
    return { name: spec.name, dims, dtype: 'float32', data: u.map((v) => (v + 1) / 2) };
  });
}

/**
 * The training exports present in `dir` (manifest.json's `training` entries, written by the export
 * script for TRAIN_MODELS): [{ name, file, weights, inputs, params }] plus notes naming absent ones.
 */
export function findTrainingModels(dir) {
  const wanted = ['resnet18', 'mobilenet_v2'];
  const manifestPath = path.join(dir, 'manifest.json');
  const listed = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')).training ?? {} : {};
  const models = [];
  const absent = [];
  for (const name of wanted) {
    const entry = listed[name];
    const file = entry && path.join(dir, entry.file);
    if (!entry || !fs.existsSync(file)) absent.push(name);
    else models.push({ name, file, weights: path.join(dir, entry.weights), inputs: entry.inputs, params: entry.params ?? null });
  }
  const notes = absent.length
    ? [`train: ${absent.length} training export(s) absent from ${dir}, skipped: ${absent.join(', ')} ` +
      `(write them with: ${exportCommand(dir, absent.map((n) => `train:${n}`))})`]
    : [];
  return { models, notes };
}
