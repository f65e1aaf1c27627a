// tf.pruning.updateCallback: the fit() callback that drives magnitude pruning.
import { describe } from '../errors';
import type { Callback } from '../callbacks/callback';
import type { LayersModel } from '../models/layers-model';
import { type PruningState, pruningState, reapplyMasks, updateMasks } from './state';

/**
 * Keeps a pruned model pruned during `fit`: at the start of each batch recomputes the masks when
 * the schedule says so, and after each optimizer step writes the masks' zeros back, so pruned
 * weights are zero in every forward pass and at the end. The step count lives with the model, so
 * several `fit` calls continue one schedule.
 */
export class PruningCallback implements Callback {
  private model: LayersModel | null = null;

  setModel(model: LayersModel): void {
    this.model = model;
  }

  private state(): PruningState {
    const state = this.model ? pruningState(this.model) : undefined;
    if (!state) {
      throw new Error(`pruning.updateCallback: model '${this.model?.name ?? '?'}' is not pruned (call tf.pruning.prune(model, options) before fit)`);
    }
    return state;
  }

  onTrainBegin(): void {
    this.state();
  }

  onBatchBegin(): void {
    const state = this.state();
    if (state.schedule.shouldUpdate(state.step)) updateMasks(state);
  }

  onBatchEnd(): void {
    const state = this.state();
    reapplyMasks(state);
    state.step++;
  }
}

/**
 * For custom training loops (`tf.train`, `trainOnBatch`): call after every optimizer step of a
 * pruned model. Writes the masks' zeros back, advances the schedule's step and recomputes the masks
 * when the schedule says so, exactly as {@link updateCallback} does in `fit`.
 */
export function step(model: LayersModel): void {
  const state = pruningState(model);
  if (!state) throw new Error(`pruning.step: model '${(model as { name?: string } | null)?.name ?? describe(model)}' is not pruned (call tf.pruning.prune(model, options) first)`);
  reapplyMasks(state);
  state.step++;
  if (state.schedule.shouldUpdate(state.step)) updateMasks(state);
}

/** The callback that updates and enforces pruning masks during `fit` (pass it in `callbacks`). */
export function updateCallback(): Callback {
  return new PruningCallback();
}
