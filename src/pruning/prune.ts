// tf.pruning.prune: magnitude pruning of a model's kernels on a schedule.
import { argError, describe } from '../errors';
import { Layer } from '../layers/layer';
import { LayersModel } from '../models/layers-model';
import { type PruningSchedule, constantSparsity } from './schedule';
import { prunableWeights } from './prunable';
import { type MaskedWeight, type PruningState, pruningState, setPruningState, updateMasks } from './state';

/** Options of {@link prune}. */
export interface PruneOptions {
  /**
   * Sparsity to reach. Alone it means `constantSparsity({ targetSparsity })`; with a `schedule` it
   * must equal the schedule's final sparsity.
   */
  targetSparsity?: number;
  /** When and how much to prune (see `polynomialDecay`, `constantSparsity`). */
  schedule?: PruningSchedule;
  /** Only these layers (names or layer objects); default every layer with prunable weights. */
  layers?: (string | Layer)[];
}

const FN = 'pruning.prune';

/** @internal checks that `model` is a built LayersModel */
export function checkModel(fn: string, model: unknown): LayersModel {
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (sequential or functional)', describe(model));
  if (model.inputs.length === 0) throw new Error(`${fn}: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
  return model;
}

function resolveSchedule(options: PruneOptions): PruningSchedule {
  const { targetSparsity, schedule } = options;
  if (schedule !== undefined) {
    const ok = typeof schedule === 'object' && schedule !== null && typeof schedule.sparsityAt === 'function' && typeof schedule.shouldUpdate === 'function';
    if (!ok) argError(FN, 'schedule', 'a schedule from pruning.polynomialDecay or pruning.constantSparsity', describe(schedule));
    if (targetSparsity !== undefined && targetSparsity !== schedule.finalSparsity) {
      argError(FN, 'targetSparsity', `the schedule's final sparsity ${schedule.finalSparsity} (or leave it out)`, describe(targetSparsity));
    }
    return schedule;
  }
  if (targetSparsity === undefined) argError(FN, 'options', 'targetSparsity or schedule', 'neither');
  if (typeof targetSparsity !== 'number' || !(targetSparsity >= 0 && targetSparsity < 1)) argError(FN, 'targetSparsity', 'a number in [0, 1)', describe(targetSparsity));
  return constantSparsity({ targetSparsity });
}

/** @internal the layers named by a `layers` option (all of the model's when absent) */
export function selectLayers(fn: string, model: LayersModel, wanted: unknown): Layer[] | null {
  if (wanted === undefined) return null;
  if (!Array.isArray(wanted) || wanted.length === 0) argError(fn, 'layers', 'a non-empty array of layer names or layers', describe(wanted));
  const all = model.layers;
  return wanted.map((w, i) => {
    const found = w instanceof Layer ? all.find((l) => l === w) : typeof w === 'string' ? all.find((l) => l.name === w) : undefined;
    if (!found) argError(fn, `layers[${i}]`, `a layer of model '${model.name}' (${all.map((l) => l.name).join(', ')})`, describe(w instanceof Layer ? w.name : w));
    return found;
  });
}

/**
 * Magnitude pruning, in place: the kernels of Dense, every convolution, Embedding, recurrent
 * layers and attention projections (biases and normalization parameters are left dense) get a
 * mask that zeros their smallest-magnitude entries. Masks are computed now if the schedule prunes
 * at step 0, then at the schedule's steps by `pruning.updateCallback()` during `fit`, which also
 * writes the zeros back after every optimizer step so pruned weights stay zero. Returns `model`.
 *
 * Train a pruned model only with the callback in `fit`'s callbacks: without it the optimizer
 * regrows pruned weights. `pruning.strip(model)` gives the plain model to deploy.
 */
export function prune(model: LayersModel, options: PruneOptions): LayersModel {
  checkModel(FN, model);
  if (typeof options !== 'object' || options === null) argError(FN, 'options', '{ targetSparsity } or { schedule }', describe(options));
  const schedule = resolveSchedule(options);
  const chosen = selectLayers(FN, model, options.layers);
  const weights: MaskedWeight[] = [];
  for (const layer of chosen ?? model.layers) {
    const ws = prunableWeights(layer);
    if (!ws.length && chosen) argError(FN, 'layers', 'layers with prunable weights (kernels, embeddings)', `'${layer.name}' (${layer.className}) has none`);
    for (const w of ws) weights.push({ layer, name: w.name, value: w.value, mask: new Uint8Array(w.value.size).fill(1) });
  }
  if (!weights.length) throw new Error(`${FN}: model '${model.name}' has no prunable weights (kernels of Dense, convolution, recurrent, attention or Embedding layers)`);
  // Re-pruning a pruned model continues its step count under the new schedule.
  const state: PruningState = { schedule, weights, step: pruningState(model)?.step ?? 0 };
  setPruningState(model, state);
  if (schedule.shouldUpdate(state.step)) updateMasks(state);
  return model;
}

/** Whether `model` is under magnitude pruning (pruned and not stripped). */
export function isPruned(model: LayersModel): boolean {
  return pruningState(model) !== undefined;
}
