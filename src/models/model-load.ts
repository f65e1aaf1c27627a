// loadModel(dir): rebuilds a model saved by model.save (model-save.ts), looking each layer class up
// in the layer registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argError, describe } from '../errors';
import { toFsPath } from '../io/path';
import { decodeSafetensors } from '../io/safetensors';
import { decodeWeights } from '../io/sparse-weights';
// The layer index, not registry.ts alone: importing it registers every built-in layer class.
import { deserializeLayer, registerLayer } from '../layers';
import type { Layer } from '../layers/layer';
import { InputLayer } from '../layers/input-layer';
import { SymbolicTensor } from '../layers/symbolic-tensor';
import { deserializeLoss, type SerializedLoss } from '../losses';
import { getOptimizer } from '../optimizers';
import { loadOptimizerState } from '../optimizers/saved-state';
import { LayersModel } from './layers-model';
import { FORMAT, MODEL_FILE, type SavedModel, WEIGHTS_FILE, namedWeights, storedDtypes, weightName } from './model-format';
import { type SafetensorsDType, defaultStoredDtype } from '../io/safetensors';
// Registers the int8 layer classes of quantized models.
import '../quantization/layers';
import '../quantization/onnx-fallback';
import { Int8ModelPlanner } from '../quantization/int8-planner';
import { Sequential } from './sequential';
import { OnnxNode } from '../onnx/import/onnx-node-layer';
import { ImportedModelPlanner } from '../onnx/compile/planner';
import { warmUpInference } from './warm-up';
import { confinedModelFile, readModelFile, readRegularFile } from './model-files';

function parseModelJson(text: string, file: string): SavedModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`loadModel: ${file} is not valid JSON (${(err as Error).message})`);
  }
  const m = json as Partial<SavedModel>;
  if (!m || m.format !== FORMAT || !m.modelTopology?.config || !Array.isArray(m.modelTopology.config.layers)) {
    throw new Error(`loadModel: ${file} is not a ${FORMAT} file (missing format or modelTopology)`);
  }
  return m as SavedModel;
}

/** @internal rebuilds the layers and wiring of a saved topology (also used for tfjs model.json files) */
export function rebuild(saved: Pick<SavedModel, 'modelTopology'>, file: string): LayersModel {
  return rebuildFromConfig(saved.modelTopology.className, saved.modelTopology.config, file);
}

/** A model (top-level, or nested as a layer of another) from its saved className and config. */
function rebuildFromConfig(className: string, cfg: SavedModel['modelTopology']['config'], file: string): LayersModel {
  if (!cfg || !Array.isArray(cfg.layers)) throw new Error(`loadModel: ${file}: model config has no layers list`);
  const layers = new Map<string, Layer>();
  for (const l of cfg.layers) {
    try {
      layers.set(l.name, deserializeLayer(l.className, { ...l.config, name: l.name }));
    } catch (err) {
      throw new Error(`loadModel: ${file}: layer '${l.name}': ${(err as Error).message}`);
    }
  }
  if (className === 'Sequential') {
    return new Sequential({ name: cfg.name, layers: cfg.layers.map((l) => layers.get(l.name)!) });
  }
  // Replay every layer call; shared layers may need inputs made later, so loop until done.
  const made = new Map<string, SymbolicTensor>();
  const key = (r: [string, number, number]) => r.join(':');
  for (const l of cfg.layers) {
    const layer = layers.get(l.name)!;
    if (layer instanceof InputLayer) made.set(key([l.name, 0, 0]), layer.output);
  }
  const pending = cfg.layers.flatMap((l) => l.inboundNodes.map((n, i) => ({ layer: layers.get(l.name)!, node: n, index: i })));
  while (pending.length) {
    const ready = pending.findIndex((p) => p.node.inputs.every((r) => made.has(key(r))));
    if (ready < 0) throw new Error(`loadModel: ${file}: the layer graph references tensors no layer produces`);
    const { layer, node, index } = pending.splice(ready, 1)[0]!;
    const ins = node.inputs.map((r) => made.get(key(r))!);
    const apply = layer.apply as (i: SymbolicTensor | SymbolicTensor[], ctx?: { training?: boolean }) => SymbolicTensor | SymbolicTensor[];
    const out = apply.call(layer, node.listInput ? ins : ins[0]!, typeof node.training === 'boolean' ? { training: node.training } : {});
    (Array.isArray(out) ? out : [out]).forEach((o, k) => made.set(key([layer.name, index, k]), o));
  }
  const lookup = (r: [string, number, number]) => {
    const t = made.get(key(r));
    if (!t) throw new Error(`loadModel: ${file}: unknown model input/output ${JSON.stringify(r)}`);
    return t;
  };
  return new LayersModel({ name: cfg.name, inputs: cfg.inputLayers.map(lookup), outputs: cfg.outputLayers.map(lookup) });
}

// A model nested in another is saved as one of its layers; rebuilding it is rebuilding a model.
for (const [className, cls] of [['Sequential', Sequential], ['Model', LayersModel]] as const) {
  registerLayer(className, cls as never, {
    fromConfig: (config) => rebuildFromConfig(className, config as unknown as SavedModel['modelTopology']['config'], 'nested model'),
  });
}

const NARROW_FLOATS: readonly SafetensorsDType[] = ['F16', 'BF16'];

/** model.json's weightDtypes: float weights the model stores as F16 / BF16. */
function checkWeightDtypes(v: unknown, file: string): Record<string, SafetensorsDType> {
  if (v === undefined) return {};
  const ok = v !== null && typeof v === 'object' && !Array.isArray(v)
    && Object.values(v).every((c) => NARROW_FLOATS.includes(c as SafetensorsDType));
  if (!ok) throw new Error(`loadModel: ${file}: weightDtypes must map weight names to 'F16' or 'BF16', got ${JSON.stringify(v)}`);
  return { ...(v as Record<string, SafetensorsDType>) };
}

/**
 * Loads a model saved by `model.save(dir)`: same architecture, same weights (identical predictions),
 * compiled again when it was saved compiled, with the optimizer's state restored when it was saved.
 * Corrupt or truncated files throw a clear Error.
 */
export async function loadModel(dir: string): Promise<LayersModel> {
  if (typeof dir !== 'string' || dir === '') argError('loadModel', 'dir', 'a directory path', describe(dir));
  dir = toFsPath('loadModel', 'dir', dir);
  const modelFile = path.join(dir, MODEL_FILE);
  const text = (await readRegularFile('loadModel', modelFile)).toString('utf8');
  const saved = parseModelJson(text, modelFile);
  let model: LayersModel;
  try {
    model = rebuild(saved, modelFile);
  } catch (err) {
    // A field of the wrong kind deep in a hand-edited topology surfaces as a TypeError: say where.
    if (err instanceof TypeError) throw new Error(`loadModel: ${modelFile}: malformed modelTopology (${err.message})`, { cause: err });
    throw err;
  }
  // Names inside model.json are untrusted: confined to the folder (see model-files.ts).
  const { file: weightsFile, bytes } = await readModelFile('loadModel', dir, 'model.json weightsFile', saved.weightsFile || WEIGHTS_FILE);
  const file = decodeSafetensors(bytes, weightsFile);
  const tensors = decodeWeights(file, weightsFile);
  const weightDtypes = checkWeightDtypes(saved.weightDtypes, modelFile);
  model.weightStorage = weightDtypes;
  const expectedDtypes = storedDtypes(model, weightDtypes);
  for (const l of model.layers) {
    const values = l.weightsInfo.map((w) => {
      const t = tensors.get(weightName(l, w.name));
      if (!t) throw new Error(`loadModel: ${weightsFile} has no weight '${weightName(l, w.name)}'`);
      if (t.shape.join(',') !== w.value.shape.join(',')) {
        throw new Error(`loadModel: ${weightsFile}: weight '${weightName(l, w.name)}' has shape [${t.shape.join(',')}], the layer expects [${w.value.shape.join(',')}]`);
      }
      // A header naming another dtype would reinterpret the stored bits (0.127 as 1040323840).
      if (t.dtype !== w.value.dtype) {
        throw new Error(`loadModel: ${weightsFile}: weight '${weightName(l, w.name)}' is stored as ${t.dtype}, the layer expects ${w.value.dtype}`);
      }
      // Sparse-encoded weights are decoded from float32 parts: they count as F32.
      const key = weightName(l, w.name);
      const found = file.dtypes.get(key) ?? defaultStoredDtype(t.dtype);
      const expected = expectedDtypes.get(key)!;
      if (found !== expected) {
        throw new Error(`loadModel: ${weightsFile}: weight '${key}' is stored as ${found}, the layer expects ${expected}`);
      }
      return t;
    });
    if (values.length) l.setWeights(values);
  }
  // A saved imported model (every layer an ONNX node) predicts through a compiled plan again.
  if (model.layers.every((l) => l instanceof InputLayer || l instanceof OnnxNode) && model.layers.some((l) => l instanceof OnnxNode)) {
    model.inferencePlanner = new ImportedModelPlanner(model);
  }
  // A static int8 model predicts with its activations kept in integers between int8 layers again.
  if (!model.inferencePlanner && Int8ModelPlanner.worthwhile(model)) model.inferencePlanner = new Int8ModelPlanner(model);
  if (Number.isInteger(saved.trainingSeed) && saved.trainingSeed! >= 0) model.trainingSeed = saved.trainingSeed!;
  const tc = saved.trainingConfig;
  if (tc) {
    if (typeof tc !== 'object' || !Array.isArray(tc.loss)) throw new Error(`loadModel: ${modelFile}: trainingConfig.loss must be a list of losses`);
    try {
      model.compile({
        optimizer: getOptimizer(tc.optimizer as never),
        loss: (tc.loss as SerializedLoss[]).map((l) => deserializeLoss(l)),
        metrics: tc.metrics as string[][],
        lossWeights: tc.lossWeights as number[],
      } as never);
    } catch (err) {
      if (err instanceof TypeError) throw new Error(`loadModel: ${modelFile}: malformed trainingConfig (${err.message})`, { cause: err });
      throw err;
    }
    if (saved.optimizerWeightsFile) {
      const optimizerFile = await confinedModelFile('loadModel', dir, 'model.json optimizerWeightsFile', saved.optimizerWeightsFile);
      await loadOptimizerState(model.optimizer!, namedWeights(model), optimizerFile).catch((err: Error) => {
        throw new Error(`loadModel: ${err.message}`);
      });
    }
  } else {
    // (compile above warms a model with a training config.)
    warmUpInference(model);
  }
  return model;
}
