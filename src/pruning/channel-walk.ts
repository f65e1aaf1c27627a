// The graph walk of channel pruning: from a tensor whose channels are being removed, through the
// layers that keep channels apart, to the layers that read them, collecting every layer's edits
// (channel-rules.ts says what each class does). Merges end a walk and are reported: channel-plan.ts
// decides whether all inputs of an elementwise merge are pruned alike, and what a concatenation of
// pruned and unpruned inputs keeps.
import type { Layer, LayerConfig } from '../layers/layer';
import { normalizeAxis } from '../tensor/shape';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { GraphNode } from '../models/graph';
import type { LayersModel } from '../models/layers-model';
import { type ChannelSet, type WeightSlice, channelRule } from './channel-rules';

/** @internal a layer's changes: kept indices per weight and axis, and config entries */
export interface LayerEdit {
  slices: Map<string, Map<number, number[]>>;
  config: LayerConfig;
}

/** Merges whose inputs line up channel by channel: prunable only when all their inputs are pruned alike. */
export const ELEMENTWISE_MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

/** Why a layer cannot be pruned; `output` when only because its channels reach a model output. */
export class Refusal {
  constructor(readonly reason: string, readonly output = false) {}
}

export interface Graph {
  consumers: Map<number, GraphNode[]>;
  calls: Map<Layer, number>;
  outputs: Set<number>;
}

export function graphOf(model: LayersModel): Graph {
  const consumers = new Map<number, GraphNode[]>();
  const calls = new Map<Layer, number>();
  for (const n of model.graphNodes) {
    calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
    for (const t of n.inputs) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  }
  return { consumers, calls, outputs: new Set(model.outputs.map((t) => t.id)) };
}

export function editOf(edits: Map<Layer, LayerEdit>, layer: Layer): LayerEdit {
  let e = edits.get(layer);
  if (!e) edits.set(layer, (e = { slices: new Map(), config: {} }));
  return e;
}

export function addSlice(edits: Map<Layer, LayerEdit>, layer: Layer, s: WeightSlice): void {
  const e = editOf(edits, layer);
  let axes = e.slices.get(s.weight);
  if (!axes) e.slices.set(s.weight, (axes = new Map()));
  if (axes.has(s.axis)) throw new Refusal(`layer '${layer.name}' would have weight '${s.weight}' axis ${s.axis} cut twice`);
  axes.set(s.axis, s.kept);
}

export interface Reach {
  /** Elementwise merges the channels arrive at (the walk stops there), with the channels arriving. */
  merges: Map<GraphNode, ChannelSet>;
  /** Concatenations along the channel axis the channels arrive at: input index -> channels arriving. */
  concats: Map<GraphNode, Map<number, ChannelSet>>;
  /** Tensors that carry the channels (the start and everything passed through). */
  owned: Set<number>;
}

/**
 * Follows `channels` from `start` to the layers that consume them, collecting their edits. Stops
 * at elementwise merges (Add, ...), which it reports: they tie channels across their inputs.
 */
export function walk(g: Graph, start: SymbolicTensor, channels: ChannelSet, edits: Map<Layer, LayerEdit>): Reach {
  const reach: Reach = { merges: new Map(), concats: new Map(), owned: new Set() };
  const queue: [SymbolicTensor, ChannelSet][] = [[start, channels]];
  while (queue.length) {
    const [t, set] = queue.shift()!;
    reach.owned.add(t.id);
    if (g.outputs.has(t.id)) throw new Refusal('its channels reach a model output', true);
    for (const n of g.consumers.get(t.id) ?? []) {
      const { layer } = n;
      const who = `${layer.className} '${layer.name}'`;
      if ((g.calls.get(layer) ?? 0) > 1) throw new Refusal(`its channels reach ${who}, which is shared (called ${g.calls.get(layer)} times)`);
      if (ELEMENTWISE_MERGES.has(layer.className) && n.listInput) {
        const before = reach.merges.get(n);
        if (before && before.axis !== set.axis) throw new Refusal(`its channels reach ${who} on different axes`);
        reach.merges.set(n, set);
        continue;
      }
      if (layer.className === 'Concatenate' && n.listInput) {
        const axis = normalizeAxis(layer.name, (layer as unknown as { axis: number }).axis, t.shape.length);
        if (axis !== set.axis) throw new Refusal(`its channels (axis ${set.axis}) reach ${who}, which joins along axis ${axis}`);
        let arrived = reach.concats.get(n);
        if (!arrived) reach.concats.set(n, (arrived = new Map()));
        n.inputs.forEach((x, i) => x.id === t.id && arrived!.set(i, set));
        continue;
      }
      if (n.inputs.length !== 1 || n.listInput) throw new Refusal(`its channels reach ${who}, which takes several inputs`);
      const rule = channelRule(layer.className);
      if (!rule) throw new Refusal(`its channels reach ${who}, which has no channel-pruning rule`);
      const out = n.outputs.find((o) => o) ?? null;
      const step = rule(layer, set, n.inputs[0]!.shape, out?.shape ?? null);
      if ('refuse' in step) throw new Refusal(`its channels reach ${step.refuse}`);
      for (const sl of step.slices ?? []) addSlice(edits, layer, sl);
      if (step.config) Object.assign(editOf(edits, layer).config, step.config);
      if (step.next) {
        if (n.outputs.filter((o) => o).length > 1) throw new Refusal(`its channels reach ${who}, which has several outputs`);
        if (out) queue.push([out, step.next]);
      }
    }
  }
  return reach;
}
