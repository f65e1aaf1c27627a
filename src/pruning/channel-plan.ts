// Which output channels pruneChannels removes, and what every affected layer then looks like.
//
// The safe rule: a producer (Dense, Conv1D/2D, Conv2DTranspose, SeparableConv2D) is pruned only
// when every path from its output, through layers that keep channels apart (activations, pooling,
// BatchNormalization, depthwise convolution, Flatten), ends in layers that read the channels through
// a kernel (Dense, convolutions, recurrent layers), each called once.
//   - An elementwise merge (Add, Subtract, Multiply, Average, Maximum, Minimum: residual
//     connections) ties the channels of its inputs: the producers behind them are pruned together
//     with one kept set chosen by their summed norms, and only when every input of every such merge
//     comes from one of them (an identity skip from the model input, or from a layer that cannot be
//     pruned, refuses the group).
//   - A Concatenate along the channel axis keeps each input's kept channels at that input's offset
//     (inputs nothing pruned reaches keep all), so its producers are pruned independently; its
//     output must not meet an elementwise merge (that would tie concatenated channels).
// A model output (its shape would change), a layer without a rule and a shared layer stop a producer,
// and with it every producer decided together with it.
import { argError, describe } from '../errors';
import type { Layer } from '../layers/layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { GraphNode } from '../models/graph';
import type { LayersModel } from '../models/layers-model';
import { type ChannelSet, type WeightSlice, channelProducer } from './channel-rules';
import { type Graph, type LayerEdit, type Reach, Refusal, addSlice, editOf, graphOf, walk } from './channel-walk';
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

/**
 * A channel source: a producer layer, an elementwise merge (whose inputs are all pruned alike) or a
 * concatenation (whose output keeps what each input kept, at that input's offset).
 */
interface Source {
  key: Layer | GraphNode;
  kind: 'producer' | 'merge' | 'concat';
  /** The pruned layer (producers only). */
  layer: Layer | null;
  start: SymbolicTensor | null;
  set: ChannelSet | null;
  refusal: Refusal | null;
  reach: Reach | null;
}

/** Union-find over sources. */
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

const who = (n: GraphNode) => `${n.layer.className} '${n.layer.name}'`;

/**
 * Every producer's reach with all channels kept, and every merge and concatenation its channels
 * meet. `tied` joins the sources an elementwise merge ties to one kept set; `linked` also joins
 * through concatenations (their members are decided together but keep their own channels).
 */
function discover(model: LayersModel, g: Graph): { sources: Map<object, Source>; tied: Groups; linked: Groups } {
  const sources = new Map<object, Source>();
  const tied = new Groups();
  const linked = new Groups();
  const nodeOf = new Map(model.graphNodes.map((n) => [n.layer, n]));
  const explore = (src: Source): void => {
    sources.set(src.key, src);
    tied.find(src.key);
    linked.find(src.key);
    if (src.refusal || !src.start || !src.set) return;
    try {
      src.reach = walk(g, src.start, src.set, new Map());
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      src.refusal = err;
      return;
    }
    if (src.kind === 'concat' && src.reach.merges.size) {
      src.refusal = new Refusal(`its channels reach ${who(src.key as GraphNode)}, whose output meets ${[...src.reach.merges.keys()].map(who).join(', ')}`);
    }
    for (const [m, set] of src.reach.merges) {
      let ms = sources.get(m);
      if (!ms) {
        const out = m.outputs[0] ?? null;
        ms = { key: m, kind: 'merge', layer: null, start: out, set: { axis: set.axis, total: set.total, kept: all(set.total) }, refusal: null, reach: null };
        if (!out) ms.refusal = new Refusal(`its channels reach ${who(m)}, whose output is unused`);
        explore(ms);
      } else if (ms.set && (ms.set.axis !== set.axis || ms.set.total !== set.total)) {
        ms.refusal ??= new Refusal(`${who(m)} adds channels of different counts or axes`);
      }
      tied.union(src.key, m);
      linked.union(src.key, m);
    }
    for (const [c, arrived] of src.reach.concats) {
      if (!sources.has(c)) {
        const out = c.outputs[0] ?? null;
        const axis = [...arrived.values()][0]!.axis;
        const sizes = c.inputs.map((t) => t.shape[axis]);
        const cs: Source = { key: c, kind: 'concat', layer: null, start: out, set: null, refusal: null, reach: null };
        if (!out) cs.refusal = new Refusal(`its channels reach ${who(c)}, whose output is unused`);
        else if (!sizes.every((d): d is number => typeof d === 'number')) cs.refusal = new Refusal(`its channels reach ${who(c)}, which has inputs of unknown size`);
        else {
          const total = sizes.reduce((a, b) => a + b, 0);
          cs.set = { axis, total, kept: all(total) };
        }
        explore(cs);
      }
      linked.union(src.key, c);
    }
  };
  for (const layer of model.layers) {
    const producer = channelProducer(layer.className);
    if (!producer) continue;
    const node = nodeOf.get(layer);
    const src: Source = { key: layer, kind: 'producer', layer, start: null, set: null, refusal: null, reach: null };
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
  return { sources, tied, linked };
}

/** Sources grouped by the root of `groups`. */
function components(sources: Iterable<Source>, groups: Groups): Source[][] {
  const byRoot = new Map<object, Source[]>();
  for (const src of sources) {
    const root = groups.find(src.key);
    byRoot.set(root, [...(byRoot.get(root) ?? []), src]);
  }
  return [...byRoot.values()];
}

/** Why a linked component cannot be pruned, or null: refused members, or a merge fed from outside. */
function componentRefusal(members: Source[]): Refusal | null {
  const refused = members.find((m) => m.refusal && !m.refusal.output)?.refusal ?? members.find((m) => m.refusal)?.refusal;
  if (refused) return refused;
  const owned = new Set(members.flatMap((m) => [...(m.reach?.owned ?? [])]));
  for (const m of members) {
    if (m.kind !== 'merge') continue;
    const node = m.key as GraphNode;
    const stray = node.inputs.find((t) => !owned.has(t.id));
    if (stray) return new Refusal(`its channels meet, at ${who(node)}, channels of ${stray.sourceLayer.className} '${stray.sourceLayer.name}', which cannot be pruned with them`);
  }
  return null;
}

/** @internal the plan and the per-layer edits that carry it out */
export function planChannels(model: LayersModel, options: PruneChannelsOptions, fn = FN): { plan: ChannelPlan; edits: Map<Layer, LayerEdit> } {
  checkModel(fn, model);
  const o = checkOptions(fn, options);
  const chosen = selectLayers(fn, model, o.layers);
  const criterion = o.criterion ?? 'l1';
  const g = graphOf(model);
  for (const l of chosen ?? []) {
    if (!channelProducer(l.className)) {
      throw new Error(`${fn}: cannot prune ${l.className} '${l.name}': ${l.className} has no removable output channels (prunable: Dense, Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D)`);
    }
  }
  const { sources, tied, linked } = discover(model, g);
  const chosenSet = new Set(chosen ?? []);
  const isPicked = (src: Source) => !chosen || chosenSet.has(src.layer!);
  const nodeIndex = new Map(model.graphNodes.map((n, i) => [n, i]));
  const plan: ChannelPlan = { layers: [], skipped: [] };
  const edits = new Map<Layer, LayerEdit>();
  const unsafe: string[] = [];

  for (const members of components(sources.values(), linked)) {
    const producers = members.filter((m) => m.kind === 'producer');
    if (!producers.some(isPicked)) continue;
    let refusal = componentRefusal(members);
    const attempt = new Map<Layer, LayerEdit>();
    const planned: PlannedLayer[] = [];
    if (!refusal) {
      try {
        // Each tied set (producers and the elementwise merges joining them) keeps one set of channels.
        const arrivals = new Map<GraphNode, Map<number, ChannelSet>>();
        const record = (reach: Reach) => {
          for (const [c, arrived] of reach.concats) {
            const into = arrivals.get(c) ?? new Map<number, ChannelSet>();
            arrivals.set(c, into);
            for (const [i, set] of arrived) into.set(i, set);
          }
        };
        for (const set of components(members.filter((m) => m.kind !== 'concat'), tied)) {
          const ps = set.filter((m) => m.kind === 'producer');
          const picked = ps.filter(isPicked);
          if (!picked.length) continue;
          if (picked.length < ps.length) {
            const missing = ps.filter((p) => !isPicked(p)).map((p) => `'${p.layer!.name}'`);
            const via = set.filter((m) => m.kind === 'merge').map((m) => who(m.key as GraphNode)).join(', ');
            throw new Error(`${fn}: cannot prune '${picked[0]!.layer!.name}' alone: its channels are tied through ${via} to ${missing.join(', ')}; name all of them in 'layers' to prune them together`);
          }
          if (new Set(ps.map((p) => p.set!.total)).size > 1) throw new Refusal('the layers tied through merges have different channel counts');
          const total = ps[0]!.set!.total;
          const norms = new Float64Array(total);
          for (const p of ps) {
            const producer = channelProducer(p.layer!.className)!;
            channelNorms(p.layer!, producer.weight(p.layer!), producer.weightAxis(p.layer!), criterion).forEach((v, c) => (norms[c] = norms[c]! + v));
          }
          const kept = keepTop(norms, Math.max(1, total - Math.floor(o.fraction * total)));
          const keptSet = new Set(kept);
          const removed = all(total).filter((c) => !keptSet.has(c));
          if (!removed.length) continue;
          for (const p of ps) {
            const layer = p.layer!;
            const producer = channelProducer(layer.className)!;
            addSlice(attempt, layer, { weight: producer.weight(layer), axis: producer.weightAxis(layer), kept });
            if (layer.weightsInfo.some((w) => w.name === 'bias')) addSlice(attempt, layer, { weight: 'bias', axis: 0, kept });
            editOf(attempt, layer).config[producer.configKey] = kept.length;
            planned.push({ name: layer.name, className: layer.className, channels: total, kept, removed });
          }
          // Each source's walk stops at merges; a merge's own walk carries the channels beyond it.
          for (const m of set) record(walk(g, m.start!, { ...m.set!, kept }, attempt));
        }
        // Concatenations in graph order (one may feed another): each input at its offset, all of
        // an input's channels where nothing pruned reached it.
        const concats = members.filter((m) => m.kind === 'concat').sort((a, b) => nodeIndex.get(a.key as GraphNode)! - nodeIndex.get(b.key as GraphNode)!);
        for (const c of concats) {
          const node = c.key as GraphNode;
          const arrived = arrivals.get(node);
          if (!arrived) continue;
          const kept: number[] = [];
          let offset = 0;
          node.inputs.forEach((t, i) => {
            const size = t.shape[c.set!.axis] as number;
            for (const k of arrived.get(i)?.kept ?? all(size)) kept.push(offset + k);
            offset += size;
          });
          record(walk(g, c.start!, { ...c.set!, kept }, attempt));
        }
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
