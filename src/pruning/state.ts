// The pruning state of a model: its schedule, the masked weights and the optimizer step count.
// Kept beside the model (not in it) so a pruned model is still an ordinary LayersModel.
import type { Layer } from '../layers/layer';
import type { Tensor } from '../tensor/tensor';
import type { LayersModel } from '../models/layers-model';
import type { PruningSchedule } from './schedule';
import { applyMask, magnitudeMask } from './masks';

export interface MaskedWeight {
  layer: Layer;
  name: string;
  value: Tensor;
  mask: Uint8Array;
}

export interface PruningState {
  schedule: PruningSchedule;
  weights: MaskedWeight[];
  /** Optimizer steps taken under pruning (what the schedule is indexed by). */
  step: number;
}

const states = new WeakMap<LayersModel, PruningState>();

export function pruningState(model: LayersModel): PruningState | undefined {
  return states.get(model);
}

export function setPruningState(model: LayersModel, state: PruningState | null): void {
  if (state) states.set(model, state);
  else states.delete(model);
}

/** Recomputes every mask at the schedule's sparsity for the current step and applies it. */
export function updateMasks(state: PruningState): void {
  const s = state.schedule.sparsityAt(state.step);
  for (const w of state.weights) {
    w.mask = magnitudeMask(w.value, s);
    applyMask(w.value, w.mask);
  }
}

/** Writes the current masks' zeros into the weights again (after an optimizer step moved them). */
export function reapplyMasks(state: PruningState): void {
  for (const w of state.weights) applyMask(w.value, w.mask);
}
