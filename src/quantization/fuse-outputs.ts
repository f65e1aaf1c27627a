// Static mode requantizes a layer's output inside the integer kernel when its value reaches the next
// int8 layer untouched (directly, or through Flatten, Reshape and inference-time Dropout and noise,
// which keep its storage) or through max pooling: the output is written on that layer's input grid
// and handed over as uint8. Max pooling commutes with quantization (it is monotone), so requantizing
// before the pool gives the bytes quantizing after it would; the quantized model's inference plan
// (int8-planner.ts) then pools the bytes (or the direct convolution pools in its kernel) and no
// float tensor sits between the two int8 layers.
import type { Layer } from '../layers/layer';
import type { LayersModel } from '../models/layers-model';
import type { ActivationQuant } from './activation-grid';
import { fusedActivation } from './activation-grid';

/** Layers whose inference output is their input, as is or as a reshaped view. */
const PASS_THROUGH = new Set(['Flatten', 'Reshape', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'SpatialDropout1D', 'SpatialDropout2D']);
/** Layers whose output is a selection of their input's values (max commutes with the monotone quantization). */
const MONOTONE = new Set(['MaxPooling1D', 'MaxPooling2D']);

/** For each int8-bound layer (keys of inputGrids) whose output can be requantized: the grid to use. */
export function fuseOutputs(model: LayersModel, inputGrids: ReadonlyMap<Layer, ActivationQuant>): Map<Layer, ActivationQuant> {
  const nodes = model.graphNodes;
  const callCount = new Map<Layer, number>();
  for (const n of nodes) callCount.set(n.layer, (callCount.get(n.layer) ?? 0) + 1);
  const consumers = new Map<number, (typeof nodes)[number][]>();
  for (const n of nodes) for (const t of n.inputs) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  const modelOutputs = new Set(model.outputs.map((t) => t.id));
  const out = new Map<Layer, ActivationQuant>();
  for (const n of nodes) {
    if (!inputGrids.has(n.layer) || callCount.get(n.layer) !== 1) continue;
    const act = (n.layer.getConfig()['activation'] as string | undefined) ?? 'linear';
    if (!fusedActivation(act) || n.outputs.length !== 1 || !n.outputs[0]) continue;
    let t = n.outputs[0];
    for (;;) {
      if (modelOutputs.has(t.id)) break;
      const next = consumers.get(t.id) ?? [];
      if (next.length !== 1 || callCount.get(next[0]!.layer) !== 1) break;
      const c = next[0]!;
      const grid = inputGrids.get(c.layer);
      if (grid) {
        out.set(n.layer, grid);
        break;
      }
      if (!(PASS_THROUGH.has(c.layer.className) || MONOTONE.has(c.layer.className)) || c.inputs.length !== 1 || c.outputs.length !== 1 || !c.outputs[0]) break;
      t = c.outputs[0];
    }
  }
  return out;
}
