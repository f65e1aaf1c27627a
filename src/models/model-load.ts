// loadModel(dir): rebuilds a model saved by model.save (model-save.ts), looking each layer class up
// in the layer registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argError, describe } from '../errors';
import { decodeSafetensors } from '../io/safetensors';
import { decodeWeights } from '../io/sparse-weights';
// The layer index, not registry.ts alone: importing it registers every built-in layer class.
import { deserializeLayer } from '../layers';
import type { Layer } from '../layers/layer';
import { InputLayer } from '../layers/input-layer';
import { SymbolicTensor } from '../layers/symbolic-tensor';
import { deserializeLoss, type SerializedLoss } from '../losses';
import { getOptimizer } from '../optimizers';
import { loadOptimizerState } from '../optimizers/saved-state';
import { LayersModel } from './layers-model';
import { FORMAT, MODEL_FILE, type SavedModel, WEIGHTS_FILE, namedWeights, weightName } from './model-format';
import { Sequential } from './sequential';
import { OnnxNode } from '../onnx/import/onnx-node-layer';
import { ImportedModelPlanner } from '../onnx/compile/planner';

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

function rebuild(saved: SavedModel, file: string): LayersModel {
  const cfg = saved.modelTopology.config;
  const layers = new Map<string, Layer>();
  for (const l of cfg.layers) {
    try {
      layers.set(l.name, deserializeLayer(l.className, { ...l.config, name: l.name }));
    } catch (err) {
      throw new Error(`loadModel: ${file}: layer '${l.name}': ${(err as Error).message}`);
    }
  }
  if (saved.modelTopology.className === 'Sequential') {
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
    const apply = layer.apply as (i: SymbolicTensor | SymbolicTensor[]) => SymbolicTensor | SymbolicTensor[];
    const out = apply.call(layer, node.listInput ? ins : ins[0]!);
    (Array.isArray(out) ? out : [out]).forEach((o, k) => made.set(key([layer.name, index, k]), o));
  }
  const lookup = (r: [string, number, number]) => {
    const t = made.get(key(r));
    if (!t) throw new Error(`loadModel: ${file}: unknown model input/output ${JSON.stringify(r)}`);
    return t;
  };
  return new LayersModel({ name: cfg.name, inputs: cfg.inputLayers.map(lookup), outputs: cfg.outputLayers.map(lookup) });
}

/**
 * Loads a model saved by `model.save(dir)`: same architecture, same weights (identical predictions),
 * compiled again when it was saved compiled, with the optimizer's state restored when it was saved.
 * Corrupt or truncated files throw a clear Error.
 */
export async function loadModel(dir: string): Promise<LayersModel> {
  if (typeof dir !== 'string' || dir === '') argError('loadModel', 'dir', 'a directory path', describe(dir));
  const modelFile = path.join(dir, MODEL_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(modelFile, 'utf8');
  } catch (err) {
    throw new Error(`loadModel: cannot read ${modelFile}: ${(err as Error).message}`);
  }
  const saved = parseModelJson(text, modelFile);
  const model = rebuild(saved, modelFile);
  const weightsFile = path.join(dir, saved.weightsFile || WEIGHTS_FILE);
  const bytes = await fs.promises.readFile(weightsFile).catch((err: Error) => {
    throw new Error(`loadModel: cannot read ${weightsFile}: ${err.message}`);
  });
  const tensors = decodeWeights(decodeSafetensors(bytes, weightsFile), weightsFile);
  for (const l of model.layers) {
    const values = l.weightsInfo.map((w) => {
      const t = tensors.get(weightName(l, w.name));
      if (!t) throw new Error(`loadModel: ${weightsFile} has no weight '${weightName(l, w.name)}'`);
      if (t.shape.join(',') !== w.value.shape.join(',')) {
        throw new Error(`loadModel: ${weightsFile}: weight '${weightName(l, w.name)}' has shape [${t.shape.join(',')}], the layer expects [${w.value.shape.join(',')}]`);
      }
      return t;
    });
    if (values.length) l.setWeights(values);
  }
  // A saved imported model (every layer an ONNX node) predicts through a compiled plan again.
  if (model.layers.every((l) => l instanceof InputLayer || l instanceof OnnxNode) && model.layers.some((l) => l instanceof OnnxNode)) {
    model.inferencePlanner = new ImportedModelPlanner(model);
  }
  const tc = saved.trainingConfig;
  if (tc) {
    model.compile({
      optimizer: getOptimizer(tc.optimizer as never),
      loss: (tc.loss as SerializedLoss[]).map((l) => deserializeLoss(l)),
      metrics: tc.metrics as string[][],
      lossWeights: tc.lossWeights as number[],
    } as never);
    if (saved.optimizerWeightsFile) {
      await loadOptimizerState(model.optimizer!, namedWeights(model), path.join(dir, saved.optimizerWeightsFile)).catch((err: Error) => {
        throw new Error(`loadModel: ${err.message}`);
      });
    }
  }
  return model;
}
