// Copies of a model with some layers' configs and weights replaced: what strip and channel pruning
// return. Layers keep their names; wiring is replayed from the original graph.
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import type { Layer, LayerConfig } from '../layers/layer';
import { type InputLayer, input } from '../layers/input-layer';
// The layer index, not registry.ts alone: importing it registers every built-in layer class.
import { deserializeLayer } from '../layers';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import { LayersModel } from '../models/layers-model';
import { Sequential } from '../models/sequential';
import { type Optimizer, getOptimizer } from '../optimizers';

/** How one layer changes in the copy: config entries to override and its new weights. */
export interface LayerRewrite {
  config?: LayerConfig;
  weights: Tensor[];
  /**
   * Another layer class to build instead (quantization's int8 layers): then `config` is its whole
   * config, and only the name and a first layer's input shape carry over from the original.
   */
  className?: string;
}

function copyLayer(fn: string, layer: Layer, config: LayerConfig, className?: string): Layer {
  try {
    const base = layer.getConfig();
    if (className !== undefined) {
      const shape = base['batchInputShape'] === undefined ? {} : { batchInputShape: base['batchInputShape'] };
      return deserializeLayer(className, { ...shape, ...config, name: layer.name });
    }
    // Shapes are re-derived from the (possibly narrower) inputs; only a first layer keeps its own.
    return deserializeLayer(layer.className, { ...base, ...config, name: layer.name });
  } catch (err) {
    throw new Error(`${fn}: cannot copy layer '${layer.name}' (${layer.className}): ${(err as Error).message}`);
  }
}

/**
 * A new model with the same graph; `rewrite(layer)` gives a layer's changed config and weights, or
 * null to copy it as is. The copy is compiled like the original (a fresh optimizer of the same
 * class and settings) when the original is compiled and its optimizer class is registered.
 */
export function rebuildModel(fn: string, model: LayersModel, rewrite: (layer: Layer) => LayerRewrite | null): LayersModel {
  const copies = new Map<Layer, Layer>();
  const pending: [Layer, Tensor[]][] = [];
  for (const n of model.graphNodes) {
    if (copies.has(n.layer)) continue;
    const r = rewrite(n.layer);
    const copy = copyLayer(fn, n.layer, { ...(r?.config ?? {}), ...(copies.size > 0 ? { batchInputShape: undefined } : {}) }, r?.className);
    copies.set(n.layer, copy);
    pending.push([copy, r ? r.weights : n.layer.getWeights()]);
  }
  let result: LayersModel;
  if (model instanceof Sequential) {
    result = new Sequential({ name: model.name, layers: model.graphNodes.map((n) => copies.get(n.layer)!) });
  } else {
    const made = new Map<number, SymbolicTensor>();
    const inputs = model.inputs.map((t) => {
      const x = input({ batchShape: t.shape, dtype: t.dtype, name: (t.sourceLayer as InputLayer).name });
      made.set(t.id, x);
      return x;
    });
    for (const n of model.graphNodes) {
      const layer = copies.get(n.layer)!;
      const ins = n.inputs.map((t) => made.get(t.id)!);
      const out = n.listInput ? layer.apply(ins) : layer.apply(ins[0]!);
      const list = Array.isArray(out) ? out : [out];
      n.outputs.forEach((o, i) => {
        if (o) made.set(o.id, list[i]!);
      });
    }
    result = new LayersModel({ name: model.name, inputs, outputs: model.outputs.map((t) => made.get(t.id)!) });
  }
  for (const [copy, weights] of pending) {
    if (copy.weights.length !== weights.length) {
      argError(fn, `weights of '${copy.name}'`, `${copy.weights.length} tensors`, describe(weights));
    }
    if (weights.length) copy.setWeights(weights);
  }
  const c = model.compiled;
  if (c) {
    let optimizer: Optimizer | null = null;
    try {
      optimizer = getOptimizer({ className: c.optimizer.className, config: c.optimizer.getConfig() });
    } catch {
      // An optimizer class that is not registered cannot be copied: the copy stays uncompiled.
    }
    if (optimizer) result.compile({ ...c.args, optimizer });
  }
  return result;
}
