// tf.pruning.strip and tf.pruning.sparsity.
import type { LayersModel } from '../models/layers-model';
import { checkModel } from './prune';
import { rebuildModel } from './rebuild-model';
import { prunableWeights } from './prunable';
import { countZeros } from './masks';
import { pruningState, reapplyMasks } from './state';

/**
 * A plain copy of a pruned model for deployment: the masks' zeros baked into its kernels, no
 * pruning state (fitting it no longer enforces masks). Predicts exactly as the pruned model; the
 * pruned model itself is left as it is. Saving the copy stores its sparse kernels compactly.
 */
export function strip(model: LayersModel): LayersModel {
  checkModel('pruning.strip', model);
  const state = pruningState(model);
  if (state) reapplyMasks(state);
  return rebuildModel('pruning.strip', model, () => null);
}

/** Zeros in one layer's prunable weights (kernels, embeddings). */
export interface LayerSparsity {
  name: string;
  className: string;
  /** Elements in the layer's prunable weights. */
  size: number;
  zeros: number;
  /** zeros / size. */
  sparsity: number;
  /** Whether the layer is under magnitude pruning. */
  pruned: boolean;
}

/** What {@link sparsity} reports. */
export interface SparsityReport {
  /** Every layer with prunable weights, in model order. */
  layers: LayerSparsity[];
  /** Zeros over elements across all of them. */
  total: number;
}

/**
 * The fraction of exact zeros in each layer's prunable weights (kernels, embeddings; biases and
 * normalization parameters excluded), for any model, pruned or not.
 */
export function sparsity(model: LayersModel): SparsityReport {
  checkModel('pruning.sparsity', model);
  const masked = new Set(pruningState(model)?.weights.map((w) => w.layer) ?? []);
  let size = 0;
  let zeros = 0;
  const layers: LayerSparsity[] = [];
  for (const layer of model.layers) {
    const ws = prunableWeights(layer);
    if (!ws.length) continue;
    const n = ws.reduce((a, w) => a + w.value.size, 0);
    const z = ws.reduce((a, w) => a + countZeros(w.value), 0);
    layers.push({ name: layer.name, className: layer.className, size: n, zeros: z, sparsity: n ? z / n : 0, pruned: masked.has(layer) });
    size += n;
    zeros += z;
  }
  return { layers, total: size ? zeros / size : 0 };
}
