// Layer calls fused in training: a layer whose only used output feeds exactly one other layer call
// may run both as one (an imported BatchNormalization and the Relu or Clip after it become one
// batchNormTraining whose passes apply the activation and its gradient). Inference has its own
// fusions in the compiled plan; this is the eager training path's counterpart, decided per model
// graph so that an output read elsewhere (a second consumer, a model output, a tap) is never lost.
import type { CallContext, Layer } from '../layers/layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { Tensor } from '../tensor/tensor';
import type { GraphNode } from './graph';

/**
 * @internal runs a layer and the one layer that consumes its output as one call; returns the
 * second layer's output, or null when they cannot fuse for this call (the caller then runs both).
 */
export type FusedTrainingCall = (input: Tensor | Tensor[], ctx: CallContext) => Tensor | null;

/** @internal a layer that may fuse with the layer reading its output, in training */
export interface FusesInTraining {
  trainingFusion(next: Layer): FusedTrainingCall | null;
}

/** @internal node -> the node it fuses with and the fused call */
export type TrainingFusions = Map<GraphNode, { next: GraphNode; run: FusedTrainingCall }>;

function fusesInTraining(layer: Layer): layer is Layer & FusesInTraining {
  return typeof (layer as Partial<FusesInTraining>).trainingFusion === 'function';
}

/** The pairs of calls in `nodes` (execution order) that may run fused in training. */
export function planTrainingFusions(nodes: readonly GraphNode[], outputs: readonly SymbolicTensor[]): TrainingFusions {
  const fusions: TrainingFusions = new Map();
  if (!nodes.some((n) => fusesInTraining(n.layer))) return fusions;
  const readers = new Map<number, GraphNode[]>();
  for (const n of nodes) {
    for (const t of n.inputs) {
      const list = readers.get(t.id);
      if (list) list.push(n);
      else readers.set(t.id, [n]);
    }
  }
  const modelOutputs = new Set(outputs.map((t) => t.id));
  for (const n of nodes) {
    // A fused call skips apply(), so neither layer may have an activity regularizer to add there.
    if (!fusesInTraining(n.layer) || n.training !== null || n.layer.hasActivityRegularizer) continue;
    // Only output 0 used, by exactly one call that reads nothing else, and not a model output.
    const out = n.outputs[0];
    if (!out || n.outputs.some((o, i) => i > 0 && o) || modelOutputs.has(out.id)) continue;
    const next = readers.get(out.id);
    if (next?.length !== 1) continue;
    const m = next[0]!;
    if (m.inputs.length !== 1 || m.training !== null || m.layer === n.layer || m.layer.hasActivityRegularizer || fusions.has(m)) continue;
    const run = n.layer.trainingFusion(m.layer);
    if (run) fusions.set(n, { next: m, run });
  }
  return fusions;
}
