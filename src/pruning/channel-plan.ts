// Which output channels pruneChannels removes, and what every affected layer then looks like.
//
// The safe rule: a producer (Dense, Conv1D/2D, Conv2DTranspose, SeparableConv2D) is pruned only
// when every path from its output, through layers that keep channels apart (activations, pooling,
// BatchNormalization, depthwise convolution, Flatten), ends in layers that read the channels through
// a kernel (Dense, convolutions, recurrent layers), each called once. An elementwise merge (Add,
// Subtract, Multiply, Average, Maximum, Minimum: residual connections) ties the channels of all its
// inputs: the producers behind them form one group, pruned together with one kept set chosen by
// their summed norms, and only when every input of every merge in the group comes from a member
// (an identity skip from the model input, or from a layer that cannot be pruned, stops the group).
// Concatenate, a model output (its shape would change), a layer without a rule and a shared layer
// stop a producer.
import { argError, describe } from '../errors';
import type { Layer } from '../layers/layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { GraphNode } from '../models/graph';
import type { LayersModel } from '../models/layers-model';
import { type ChannelSet, type WeightSlice, channelProducer } from './channel-rules';
import { type LayerEdit, type Reach, Refusal, addSlice, editOf, graphOf, walk } from './channel-walk';
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
  /** Layers that could have been pruned and were not, with the reason (model outputs, or with skipUnsafe). */
  skipped: { name: string; reason: string }[];
}

const FN = 'pruning.pruneChannels';
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

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A channel source: a producer layer, or an elementwise merge whose inputs are all pruned alike. */
interface Source {
  key: Layer | GraphNode;
  /** The pruned layer (producers only). */
  layer: Layer | null;
  start: SymbolicTensor | null;
  set: ChannelSet | null;
  refusal: Refusal | null;
  reach: Reach | null;
}

/** Union-find over sources: a merge joins every source whose channels arrive at it. */
class Groups {
  private readonly parent = new Map<object, object>();
  find(x: object): object {
    let r = x;
    while (this.parent.has(r) && this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(x, r);
    return r;
  }
  union(a: object, b: object): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent.set(ra, rb);
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
  for (const l of chosen ?? []) {
    if (!channelProducer(l.className)) {
      throw new Error(`${fn}: cannot prune ${l.className} '${l.name}': ${l.className} has no removable output channels (prunable: Dense, Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D)`);
    }
  }

  // Discovery: every producer's reach with all channels kept, and every merge its channels meet.
  const sources = new Map<object, Source>();
  const groups = new Groups();
  const explore = (src: Source): void => {
    sources.set(src.key, src);
    groups.find(src.key);
    if (src.refusal || !src.start || !src.set) return;
    try {
      src.reach = walk(g, src.start, src.set, new Map());
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      src.refusal = err;
      return;
    }
    for (const [m, set] of src.reach.merges) {
      let ms = sources.get(m);
      if (!ms) {
        const out = m.outputs[0] ?? null;
        ms = { key: m, layer: null, start: out, set: { axis: set.axis, total: set.total, kept: all(set.total) }, refusal: null, reach: null };
        if (!out) ms.refusal = new Refusal(`its channels reach ${m.layer.className} '${m.layer.name}', whose output is unused`);
        explore(ms);
      } else if (ms.set && (ms.set.axis !== set.axis || ms.set.total !== set.total)) {
        ms.refusal ??= new Refusal(`${m.layer.className} '${m.layer.name}' adds channels of different counts or axes`);
      }
      groups.union(src.key, m);
    }
  };
  for (const layer of model.layers) {
    const producer = channelProducer(layer.className);
    if (!producer) continue;
    const node = nodeOf.get(layer);
    const src: Source = { key: layer, layer, start: null, set: null, refusal: null, reach: null };
    const calls = g.calls.get(layer) ?? 0;
    const why = producer.refuse?.(layer);
    if (!node) src.refusal = new Refusal('it is not called in the model');
    else if (calls > 1) src.refusal = new Refusal(`it is shared (called ${calls} times)`);
    else if (why) src.refusal = new Refusal(why);
    else {
      src.start = node.outputs[0]!;
      const total = layer.weightsInfo.find((w) => w.name === producer.weight(layer))!.value.shape[producer.weightAxis(layer)]!;
      src.set = { axis: producer.outputAxis(layer, src.start.shape.length), total, kept: all(total) };
    }
    explore(src);
  }

  // Decision per group: every member prunable, every merge input carried by a member, one kept set.
  const byRoot = new Map<object, Source[]>();
  for (const src of sources.values()) {
    const root = groups.find(src.key);
    byRoot.set(root, [...(byRoot.get(root) ?? []), src]);
  }
  const plan: ChannelPlan = { layers: [], skipped: [] };
  const edits = new Map<Layer, LayerEdit>();
  const unsafe: string[] = [];
  const chosenSet = new Set(chosen ?? []);
  for (const members of byRoot.values()) {
    const producers = members.filter((m) => m.layer);
    const merges = members.filter((m) => !m.layer).map((m) => m.key as GraphNode);
    if (!producers.length) continue;
    if (chosen) {
      const picked = producers.filter((p) => chosenSet.has(p.layer!));
      if (!picked.length) continue;
      if (picked.length < producers.length && !members.some((m) => m.refusal)) {
        const missing = producers.filter((p) => !chosenSet.has(p.layer!)).map((p) => `'${p.layer!.name}'`);
        const via = merges.map((m) => `${m.layer.className} '${m.layer.name}'`).join(', ');
        throw new Error(`${fn}: cannot prune '${picked[0]!.layer!.name}' alone: its channels are tied through ${via} to ${missing.join(', ')}; name all of them in 'layers' to prune them together`);
      }
    }
    let refusal = members.find((m) => m.refusal && !m.refusal.output)?.refusal ?? members.find((m) => m.refusal)?.refusal ?? null;
    if (!refusal && merges.length) {
      const owned = new Set(members.flatMap((m) => [...(m.reach?.owned ?? [])]));
      for (const m of merges) {
        const stray = m.inputs.find((t) => !owned.has(t.id));
        if (stray) {
          refusal = new Refusal(`its channels meet, at ${m.layer.className} '${m.layer.name}', channels of ${stray.sourceLayer.className} '${stray.sourceLayer.name}', which cannot be pruned with them`);
          break;
        }
      }
    }
    if (!refusal && new Set(producers.map((p) => p.set!.total)).size > 1) refusal = new Refusal('the layers tied through merges have different channel counts');
    const attempt = new Map<Layer, LayerEdit>();
    const planned: PlannedLayer[] = [];
    if (!refusal) {
      try {
        const total = producers[0]!.set!.total;
        const norms = new Float64Array(total);
        for (const p of producers) {
          const producer = channelProducer(p.layer!.className)!;
          channelNorms(p.layer!, producer.weight(p.layer!), producer.weightAxis(p.layer!), criterion).forEach((v, c) => (norms[c] = norms[c]! + v));
        }
        const kept = keepTop(norms, Math.max(1, total - Math.floor(o.fraction * total)));
        const keptSet = new Set(kept);
        const removed = all(total).filter((c) => !keptSet.has(c));
        if (!removed.length) continue;
        for (const p of producers) {
          const layer = p.layer!;
          const producer = channelProducer(layer.className)!;
          addSlice(attempt, layer, { weight: producer.weight(layer), axis: producer.weightAxis(layer), kept });
          if (layer.weightsInfo.some((w) => w.name === 'bias')) addSlice(attempt, layer, { weight: 'bias', axis: 0, kept });
          editOf(attempt, layer).config[producer.configKey] = kept.length;
          planned.push({ name: layer.name, className: layer.className, channels: total, kept, removed });
        }
        // Each source's walk stops at merges; a merge's own walk carries the channels beyond it.
        for (const m of members) walk(g, m.start!, { ...m.set!, kept }, attempt);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        refusal = err;
      }
    }
    if (refusal) {
      for (const p of producers) {
        const reason = `cannot prune ${p.layer!.className} '${p.layer!.name}': ${refusal.reason}`;
        if (chosen && chosenSet.has(p.layer!)) throw new Error(`${fn}: ${reason}`);
        if (!refusal.output && !o.skipUnsafe && !chosen) unsafe.push(reason);
        plan.skipped.push({ name: p.layer!.name, reason: refusal.reason });
      }
      continue;
    }
    plan.layers.push(...planned);
    // A layer both consuming upstream channels and producing its own gets both cuts (other axes).
    for (const [l, e] of attempt) {
      for (const [w, axes] of e.slices) for (const [axis, kept] of axes) addSliceOrThrow(fn, edits, l, { weight: w, axis, kept });
      Object.assign(editOf(edits, l).config, e.config);
    }
  }
  if (unsafe.length) {
    throw new Error(`${fn}: ${unsafe.join('; ')}. Pass skipUnsafe: true to leave such layers unpruned, or name the layers to prune in 'layers'`);
  }
  const order = new Map(model.layers.map((l, i) => [l.name, i]));
  plan.layers.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  plan.skipped.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
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
