// Which output channels pruneChannels removes, and what every affected layer then looks like.
//
// The safe rule: a producer (Dense, Conv1D/2D, Conv2DTranspose, SeparableConv2D) is pruned only
// when every path from its output, through layers that keep channels apart (activations, pooling,
// BatchNormalization, depthwise convolution, Flatten), ends in layers that read the channels through
// a kernel (Dense, convolutions, recurrent layers), each called once. A path that reaches a merge
// (Add, Concatenate, ...) stops it: the merge ties channel counts (and positions) across branches.
// So does a model output (its shape would change), a layer without a rule, or a shared layer.
import { argError, describe } from '../errors';
import type { Layer, LayerConfig } from '../layers/layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { GraphNode } from '../models/graph';
import type { LayersModel } from '../models/layers-model';
import { type ChannelSet, type WeightSlice, channelProducer, channelRule } from './channel-rules';
import { weightData } from './masks';
import { checkModel, selectLayers } from './prune';

/** Options of {@link pruneChannels} and {@link channelPlan}. */
export interface PruneChannelsOptions {
  /** Fraction of each pruned layer's filters / units to remove, in [0, 1); at least one is kept. */
  fraction: number;
  /** Importance of a filter / unit: the L1 (default) or L2 norm of its kernel slice. */
  criterion?: 'l1' | 'l2';
  /** Only these layers (names or layers); each must be prunable, else an Error says why. */
  layers?: (string | Layer)[];
  /**
   * Without `layers`, every Dense/convolution whose output is not a model output is pruned, and one
   * that cannot be pruned safely (its channels reach a merge, a layer without a rule, ...) is an
   * Error; `skipUnsafe: true` leaves such layers as they are instead.
   */
  skipUnsafe?: boolean;
}

/** One pruned layer of a {@link ChannelPlan}. */
export interface PlannedLayer {
  name: string;
  className: string;
  /** Channels (filters / units) before pruning. */
  channels: number;
  /** Indices kept, ascending. */
  kept: number[];
  /** Indices removed, ascending. */
  removed: number[];
}

/** What {@link channelPlan} decides. */
export interface ChannelPlan {
  layers: PlannedLayer[];
  /** Layers that could have been pruned and were not, with the reason (only with skipUnsafe or model outputs). */
  skipped: { name: string; reason: string }[];
}

/** @internal a layer's changes: kept indices per weight and axis, and config entries */
export interface LayerEdit {
  slices: Map<string, Map<number, number[]>>;
  config: LayerConfig;
}

const FN = 'pruning.pruneChannels';
const MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);

function checkOptions(fn: string, options: unknown): PruneChannelsOptions {
  if (typeof options !== 'object' || options === null) argError(fn, 'options', '{ fraction, criterion? }', describe(options));
  const o = options as PruneChannelsOptions;
  if (typeof o.fraction !== 'number' || !(o.fraction >= 0 && o.fraction < 1)) argError(fn, 'fraction', 'a number in [0, 1)', describe(o.fraction));
  if (o.criterion !== undefined && o.criterion !== 'l1' && o.criterion !== 'l2') argError(fn, 'criterion', "'l1' or 'l2'", describe(o.criterion));
  if (o.skipUnsafe !== undefined && typeof o.skipUnsafe !== 'boolean') argError(fn, 'skipUnsafe', 'a boolean', describe(o.skipUnsafe));
  return o;
}

/** Norm of every output channel's slice of `weight` along `axis`. */
function channelNorms(layer: Layer, weight: string, axis: number, criterion: 'l1' | 'l2'): Float64Array {
  const w = layer.weightsInfo.find((x) => x.name === weight)!.value;
  const data = weightData(w);
  const C = w.shape[axis]!;
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const norms = new Float64Array(C);
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % C;
    const v = data[i]!;
    norms[c] = norms[c]! + (criterion === 'l1' ? Math.abs(v) : v * v);
  }
  return criterion === 'l2' ? norms.map(Math.sqrt) : norms;
}

/** The `keep` most important channels (ties broken by index), ascending. */
function keepTop(norms: Float64Array, keep: number): number[] {
  const order = Array.from(norms.keys()).sort((a, b) => norms[b]! - norms[a]! || a - b);
  return order.slice(0, keep).sort((a, b) => a - b);
}

class Refusal {
  constructor(readonly reason: string, readonly output = false) {}
}

interface Graph {
  consumers: Map<number, GraphNode[]>;
  calls: Map<Layer, number>;
  outputs: Set<number>;
}

function graphOf(model: LayersModel): Graph {
  const consumers = new Map<number, GraphNode[]>();
  const calls = new Map<Layer, number>();
  for (const n of model.graphNodes) {
    calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
    for (const t of n.inputs) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  }
  return { consumers, calls, outputs: new Set(model.outputs.map((t) => t.id)) };
}

function editOf(edits: Map<Layer, LayerEdit>, layer: Layer): LayerEdit {
  let e = edits.get(layer);
  if (!e) edits.set(layer, (e = { slices: new Map(), config: {} }));
  return e;
}

function addSlice(edits: Map<Layer, LayerEdit>, layer: Layer, s: WeightSlice): void {
  const e = editOf(edits, layer);
  let axes = e.slices.get(s.weight);
  if (!axes) e.slices.set(s.weight, (axes = new Map()));
  if (axes.has(s.axis)) throw new Refusal(`layer '${layer.name}' would have weight '${s.weight}' axis ${s.axis} cut twice`);
  axes.set(s.axis, s.kept);
}

/** Follows `channels` from `start` to the layers that consume them, collecting their edits. */
function walk(g: Graph, start: SymbolicTensor, channels: ChannelSet, edits: Map<Layer, LayerEdit>): void {
  const queue: [SymbolicTensor, ChannelSet][] = [[start, channels]];
  while (queue.length) {
    const [t, set] = queue.shift()!;
    if (g.outputs.has(t.id)) throw new Refusal('its channels reach a model output', true);
    for (const n of g.consumers.get(t.id) ?? []) {
      const { layer } = n;
      const who = `${layer.className} '${layer.name}'`;
      if (MERGES.has(layer.className)) throw new Refusal(`its channels reach ${who}, which ties channel counts across its inputs`);
      if (n.inputs.length !== 1 || n.listInput) throw new Refusal(`its channels reach ${who}, which takes several inputs`);
      if ((g.calls.get(layer) ?? 0) > 1) throw new Refusal(`its channels reach ${who}, which is shared (called ${g.calls.get(layer)} times)`);
      const rule = channelRule(layer.className);
      if (!rule) throw new Refusal(`its channels reach ${who}, which has no channel-pruning rule`);
      const out = n.outputs.find((o) => o) ?? null;
      const step = rule(layer, set, n.inputs[0]!.shape, out?.shape ?? null);
      if ('refuse' in step) throw new Refusal(`its channels reach ${step.refuse}`);
      for (const s of step.slices ?? []) addSlice(edits, layer, s);
      if (step.config) Object.assign(editOf(edits, layer).config, step.config);
      if (step.next) {
        if (n.outputs.filter((o) => o).length > 1) throw new Refusal(`its channels reach ${who}, which has several outputs`);
        if (out) queue.push([out, step.next]);
      }
    }
  }
}

/** @internal the plan and the per-layer edits that carry it out */
export function planChannels(model: LayersModel, options: PruneChannelsOptions, fn = FN): { plan: ChannelPlan; edits: Map<Layer, LayerEdit> } {
  checkModel(fn, model);
  const o = checkOptions(fn, options);
  const chosen = selectLayers(fn, model, o.layers);
  const criterion = o.criterion ?? 'l1';
  const g = graphOf(model);
  const nodeOf = new Map(model.graphNodes.map((n) => [n.layer, n]));
  const candidates = chosen ?? model.layers.filter((l) => channelProducer(l.className));
  const plan: ChannelPlan = { layers: [], skipped: [] };
  const edits = new Map<Layer, LayerEdit>();
  const unsafe: string[] = [];
  for (const layer of candidates) {
    const producer = channelProducer(layer.className);
    const node = nodeOf.get(layer);
    const attempt = new Map<Layer, LayerEdit>();
    let planned: PlannedLayer | null = null;
    try {
      if (!producer) throw new Refusal(`${layer.className} has no removable output channels (prunable: Dense, Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D)`);
      if (!node) throw new Refusal('it is not called in the model');
      if ((g.calls.get(layer) ?? 0) > 1) throw new Refusal(`it is shared (called ${g.calls.get(layer)} times)`);
      const why = producer.refuse?.(layer);
      if (why) throw new Refusal(why);
      const out = node.outputs[0]!;
      const weight = producer.weight(layer);
      const wAxis = producer.weightAxis(layer);
      const norms = channelNorms(layer, weight, wAxis, criterion);
      const total = norms.length;
      const kept = keepTop(norms, Math.max(1, total - Math.floor(o.fraction * total)));
      const keptSet = new Set(kept);
      planned = { name: layer.name, className: layer.className, channels: total, kept, removed: Array.from(norms.keys()).filter((c) => !keptSet.has(c)) };
      if (planned.removed.length === 0) continue;
      addSlice(attempt, layer, { weight, axis: wAxis, kept });
      if (layer.weightsInfo.some((w) => w.name === 'bias')) addSlice(attempt, layer, { weight: 'bias', axis: 0, kept });
      attempt.get(layer)!.config[producer.configKey] = kept.length;
      walk(g, out, { axis: producer.outputAxis(layer, out.shape.length), total, kept }, attempt);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const reason = `cannot prune ${layer.className} '${layer.name}': ${err.reason}`;
      if (chosen) throw new Error(`${fn}: ${reason}`);
      if (!err.output && !o.skipUnsafe) unsafe.push(reason);
      plan.skipped.push({ name: layer.name, reason: err.reason });
      continue;
    }
    plan.layers.push(planned);
    // A layer both consuming upstream channels and producing its own gets both cuts (other axes).
    for (const [l, e] of attempt) {
      const into = edits.get(l);
      if (!into) {
        edits.set(l, e);
        continue;
      }
      for (const [w, axes] of e.slices) for (const [axis, kept] of axes) addSliceOrThrow(fn, edits, l, { weight: w, axis, kept });
      Object.assign(into.config, e.config);
    }
  }
  if (unsafe.length) {
    throw new Error(`${fn}: ${unsafe.join('; ')}. Pass skipUnsafe: true to leave such layers unpruned, or name the layers to prune in 'layers'`);
  }
  return { plan, edits };
}

function addSliceOrThrow(fn: string, edits: Map<Layer, LayerEdit>, layer: Layer, s: WeightSlice): void {
  try {
    addSlice(edits, layer, s);
  } catch (err) {
    if (err instanceof Refusal) throw new Error(`${fn}: ${err.reason}`);
    throw err;
  }
}

/**
 * The channels {@link pruneChannels} would remove with these options, per layer, without changing
 * anything (the same checks and errors).
 */
export function channelPlan(model: LayersModel, options: PruneChannelsOptions): ChannelPlan {
  return planChannels(model, options, 'pruning.channelPlan').plan;
}
