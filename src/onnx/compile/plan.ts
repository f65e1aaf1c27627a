// An inference plan: the imported graph compiled for one input shape signature, run as a flat list
// of steps over an array of values (no name look-ups, no per-call validation or shape arithmetic).
import { channelAffine } from '../../ops/channel-affine';
import { bindConv2d, conv2dTranspose, type Conv2DOptions, prepackFilter, prepackTransposeFilter } from '../../ops/conv';
import { linearInference } from '../../ops/linear';
import { resolveFusedActivation } from '../../ops/fused-activation';
import { closeScope, openScope, scoped, track } from '../../tensor/scope';
import { type Storage, deferPoolRegistration } from '../../tensor/storage';
import { PlanArena, type StorageLife } from './arena';
import { Tensor } from '../../tensor/tensor';
import { asFloat } from '../import/op-spec';
import { foldBatchNorms, lowerBatchNorms } from './fold-batch-norm';
import { foldStatic } from './fold-static';
import { fuseEpilogues, fuseGatedActivations } from './fuse-activations';
import { type IrGraph, type IrNode, type KernelDesc, removeDead } from './ir';
import { assignLayout } from './layout';
import { fuseErfGelu } from './fuse-gelu';
import { fuseResidualAdds } from './fuse-residual';
import { fuseChannelShuffles, fuseConcatShuffles } from './fuse-channel-shuffle';
import { fuseAttentionHeadsLast } from './fuse-attention';
import { lowerKernels } from './lower-kernels';
import { concatConvsInPlace, concatInPlace } from './concat-in-place';
import { elideNoOps } from './elide-no-ops';
import { poolBeforePointwise } from './pool-before-pointwise';

/** What compilation did, for tests and reports. */
export interface PlanStats {
  /** Nodes of the imported graph. */
  importedNodes: number;
  /** Steps the plan runs per call. */
  steps: number;
  foldedStatic: number;
  foldedBatchNorms: number;
  /** BatchNormalizations that could not fold, run as one per-channel scale-and-shift pass. */
  affineBatchNorms: number;
  gatedActivations: number;
  kernels: number;
  /** Residual Adds joined to the convolution before them. */
  fusedResiduals: number;
  fusedEpilogues: number;
  /** Reshape-Transpose-Reshape channel shuffles made one ChannelShuffle step. */
  channelShuffles: number;
  /** Attentions writing their heads-last output directly (the Transpose after them gone). */
  headsLastAttentions: number;
  /** Steps that only make views of their input, run from recorded geometry (see viewStep). */
  viewSteps: number;
  layoutConversions: number;
  /** Identity, Dropout and all-zero Pad nodes whose readers read their input instead. */
  elidedNoOps: number;
  /** AveragePools moved before the 1x1 convolution feeding them (it then convolves fewer pixels). */
  poolsBeforePointwise: number;
  /** Concats of a ChannelShuffle's groups written shuffled in one step (no Concat copy). */
  concatShuffles: number;
  /** Channel Concats run as slices of one buffer shared with longer Concats of the same leading parts. */
  inPlaceConcats: number;
  /** Channel Concats of convolutions that write their outputs straight into the Concat's channel slices (no copy). */
  convConcats: number;
}

interface Step {
  op: string;
  run: (inputs: readonly (Tensor | null)[]) => Tensor[];
  /** Set when the step only makes views of its input 0 (see viewRun): it allocates nothing, so no scope. */
  view?: boolean;
  /** Per input: a value id, or -1 for the fixed tensor (or null) at the same index of `fixed`. */
  src: Int32Array;
  fixed: (Tensor | null)[];
  outs: Int32Array;
  scratch: (Tensor | null)[];
}

function kernelRun(k: KernelDesc): (inputs: readonly (Tensor | null)[]) => Tensor[] {
  if (k.kind === 'linear') {
    const act = resolveFusedActivation('linear', k.activation);
    if (k.residual) return (ins) => [linearInference(asFloat(ins[0]!), k.weight, k.bias, act, asFloat(ins[1]!))];
    return (ins) => [linearInference(asFloat(ins[0]!), k.weight, k.bias, act, null)];
  }
  if (k.kind === 'channelAffine') {
    const o = { axis: k.axis ?? 1, activation: k.activation };
    return (ins) => [channelAffine(asFloat(ins[0]!), k.weight, k.bias!, o)];
  }
  if (k.kind === 'conv2dTranspose') {
    // The transposed convolution has no epilogue: fuseEpilogues leaves it linear.
    const o = { dataFormat: 'NHWC' as const, strides: k.strides, dilations: k.dilations, padding: k.pads, groups: k.groups, bias: k.bias, outputShape: k.outSize };
    // Packed once for the stride == kernel path (ignored by the others).
    if ((k.groups ?? 1) === 1 && k.strides?.[0] === k.weight.shape[0] && k.strides?.[1] === k.weight.shape[1]) prepackTransposeFilter(k.weight);
    return (ins) => [conv2dTranspose(asFloat(ins[0]!), k.weight, o)];
  }
  if (k.groups === 1 || k.groups === undefined) prepackFilter(k.weight);
  const opts: Conv2DOptions = {
    dataFormat: 'NHWC', strides: k.strides, dilations: k.dilations, padding: k.pads, groups: k.groups, bias: k.bias,
    activation: k.activation as Conv2DOptions['activation'],
  };
  const conv = bindConv2d(k.weight, opts);
  const into = k.into;
  if (into?.makes) {
    const { channelOffset, makes } = into;
    return (ins) => [conv(asFloat(ins[0]!), null, { tensor: Tensor.empty(makes.slice(), 'float32'), channelOffset })];
  }
  if (into) {
    const channelOffset = into.channelOffset;
    return (ins) => {
      conv(asFloat(ins[0]!), null, { tensor: ins[ins.length - 1]!, channelOffset });
      return [];
    };
  }
  if (k.residual) return (ins) => [conv(asFloat(ins[0]!), asFloat(ins[1]!))];
  return (ins) => [conv(asFloat(ins[0]!), null)];
}

/** 'relu', 'clip', ... for profiles (parametrised activations are objects). */
function activationName(a: KernelDesc['activation']): string {
  return typeof a === 'string' ? a : a.name;
}

function toStep(n: IrNode): Step {
  return {
    op: n.kernel ? `${n.op}${n.kernel.residual ? '+add' : ''}+${activationName(n.kernel.activation)}` : n.unary ? n.unary.name : n.op,
    run: n.kernel ? kernelRun(n.kernel) : n.run,
    src: Int32Array.from(n.inputs, (o) => (o?.kind === 'value' ? o.id : -1)),
    fixed: n.inputs.map((o) => (o?.kind === 'tensor' ? o.tensor : null)),
    outs: Int32Array.from(n.outputs),
    scratch: new Array<Tensor | null>(n.inputs.length).fill(null),
  };
}

const keepAll = (outs: Tensor[]): Tensor[] => outs;

/** Whether `t` is one of a step's outputs that the plan stores (value id >= 0). */
function keptOutput(t: Tensor, outs: readonly Tensor[], ids: Int32Array): boolean {
  for (let k = 0; k < outs.length; k++) if (outs[k] === t && ids[k]! >= 0) return true;
  return false;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The step as a view maker, when its probe run made every output a view of its input 0 (Reshape,
 * Transpose, Squeeze/Unsqueeze, Flatten, Split, Slice and Expand with static arguments: the plan's
 * shapes are fixed). The generic step re-reads its shape arguments, validates and infers dimensions
 * on every call; the view step makes each output from the recorded shape, strides and offset. The
 * input's strides are checked per call (a producer's layout is fixed by the plan, but a changed one
 * must not be read with stale strides): a different layout runs the generic step.
 */
function viewStep(step: Step, ins: readonly (Tensor | null)[], outs: readonly Tensor[]): Step | null {
  const x = ins[0];
  if (!x || outs.length === 0 || step.outs.length !== outs.length) return null;
  if (outs.length === 1 && outs[0] === x) {
    // The input itself (an Expand or Reshape to the shape it has): hand it on.
    const shape = x.shape.slice();
    const generic = step.run;
    return { ...step, view: true, run: (xs) => (sameNumbers(xs[0]!.shape, shape) ? [xs[0]!] : scoped(() => generic(xs), keepAll)) };
  }
  if (!outs.every((t) => t.storage === x.storage && t !== x && t.dtype === x.dtype)) return null;
  const inStrides = x.strides.slice();
  const inShape = x.shape.slice();
  const shapes = outs.map((t) => t.shape.slice());
  const strides = outs.map((t) => t.strides.slice());
  const deltas = outs.map((t) => t.offset - x.offset);
  const generic = step.run;
  const dtype = x.dtype;
  const run = (xs: readonly (Tensor | null)[]): Tensor[] => {
    const t = xs[0]!;
    if (!sameNumbers(t.strides, inStrides) || !sameNumbers(t.shape, inShape)) return scoped(() => generic(xs), keepAll);
    const o = t.offset;
    const r: Tensor[] = new Array<Tensor>(shapes.length);
    // Fresh arrays per output: a tensor owns its shape and strides (nothing may mutate them, but
    // sharing one array across calls' tensors would make that a hazard).
    for (let k = 0; k < shapes.length; k++) r[k] = new Tensor(t.storage, shapes[k]!.slice(), strides[k]!.slice(), o + deltas[k]!, dtype);
    return r;
  };
  return { ...step, run, view: true };
}

/** Union-find over value ids: values that may be the same tensor object. */
function aliasRoots(n: number): { find(i: number): number; union(a: number, b: number): void } {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  return { find, union: (a, b) => void (parent[find(a)] = find(b)) };
}

/** The compiled graph for one input shape signature. */
export class InferencePlan {
  readonly stats: PlanStats;
  private readonly steps: Step[];
  private readonly inputIds: Int32Array;
  private readonly outputIds: Int32Array;
  private readonly valueCount: number;
  /** Per step: values dead after it, whose tensors go back to the buffer pool for the next steps. */
  private freeAfter: Int32Array[] = [];
  /** Tensors the plan reads but does not make (fixed inputs of steps): never disposed or handed over by a run. */
  private readonly fixedTensors = new Set<Tensor>();
  /** The tensors one step creates (reused by every step of every call: plans run synchronously). */
  private readonly made: Tensor[] = [];
  /** The regions of one buffer the intermediates are planned into (null: they come from the pool). */
  private arena: PlanArena | null = null;

  /** Compiles `g` (fresh from buildIr, after its recording run on `xs`); the caller runs this untracked. */
  constructor(g: IrGraph, xs: readonly Tensor[]) {
    const importedNodes = g.nodes.length;
    const foldedStatic = foldStatic(g);
    const elidedNoOps = elideNoOps(g);
    const foldedBatchNorms = foldBatchNorms(g);
    const affineBatchNorms = lowerBatchNorms(g);
    const poolsBeforePointwise = poolBeforePointwise(g);
    const gatedActivations = fuseGatedActivations(g) + fuseErfGelu(g);
    const kernels = lowerKernels(g);
    const fusedResiduals = fuseResidualAdds(g);
    const fusedEpilogues = fuseEpilogues(g);
    const channelShuffles = fuseChannelShuffles(g);
    const headsLastAttentions = fuseAttentionHeadsLast(g);
    const layoutConversions = assignLayout(g);
    removeDead(g);
    const concatShuffles = fuseConcatShuffles(g);
    const convConcats = concatConvsInPlace(g);
    const inPlaceConcats = concatInPlace(g);
    this.steps = g.nodes.map(toStep);
    this.inputIds = Int32Array.from(g.inputs);
    this.outputIds = Int32Array.from(g.outputs);
    this.valueCount = g.valueCount;
    this.releaseRecording(g, xs);
    for (const st of this.steps) for (const t of st.fixed) if (t) this.fixedTensors.add(t);
    this.planFrees(xs);
    this.arena = this.planArena(xs);
    this.stats = { importedNodes, steps: this.steps.length, foldedStatic, elidedNoOps, poolsBeforePointwise, foldedBatchNorms, affineBatchNorms, gatedActivations, kernels, fusedResiduals, fusedEpilogues, channelShuffles, headsLastAttentions, layoutConversions, concatShuffles, inPlaceConcats, convConcats, viewSteps: this.steps.filter((st) => st.view).length };
  }

  /**
   * Hands the recording run's tensors back to the buffer pool now rather than at garbage
   * collection (a batch of 224x224 images leaves ~100 MB of them), keeping those the plan reads
   * (static constants), the inputs, and anything that is a weight or constant of the graph.
   */
  private releaseRecording(g: IrGraph, xs: readonly Tensor[]): void {
    const keep = new Set<Tensor>([...xs, ...g.pinned]);
    for (const s of this.steps) for (const t of s.fixed) if (t) keep.add(t);
    for (const t of g.recorded) if (t && !keep.has(t)) t.dispose();
    g.recorded = [];
  }

  /**
   * Frees each intermediate right after its last reader, so later steps reuse its buffer while it is
   * still in cache (the buffers of one call are planned once, not grown per call). Some ops hand
   * back an input or a fixed tensor itself (Identity, a one-part Concat, Cast to the same type):
   * a probe run finds which values may be one object, and such a group is freed only after all its
   * readers, never when it holds an input, a fixed tensor or an output.
   */
  private planFrees(xs: readonly Tensor[]): void {
    const n = this.valueCount;
    const alias = aliasRoots(n);
    const fixedSet = new Set<Tensor>(xs);
    for (const s of this.steps) for (const t of s.fixed) if (t) fixedSet.add(t);
    const keep = new Uint8Array(n);
    for (const id of this.inputIds) keep[id] = 1;
    for (const id of this.outputIds) keep[id] = 1;
    const made = new Set<Tensor>();
    const views: (Step | null)[] = [];
    this.execute(xs, null, (step, ins, outs) => {
      for (const t of outs) made.add(t);
      // Steps are probed in order.
      views.push(viewStep(step, ins, outs));
      for (let k = 0; k < step.outs.length; k++) {
        const id = step.outs[k]!;
        const t = outs[k];
        if (id < 0 || !t) continue;
        if (fixedSet.has(t)) keep[id] = 1;
        ins.forEach((x, j) => {
          if (x === t && step.src[j]! >= 0) alias.union(id, step.src[j]!);
        });
      }
    });
    // The probe's tensors are nobody's: back to the pool now rather than at garbage collection.
    for (const t of made) if (!fixedSet.has(t)) t.dispose();
    for (let id = 0; id < n; id++) if (keep[id]) keep[alias.find(id)] = 1;
    const last = new Int32Array(n).fill(-1);
    const producer = new Int32Array(n).fill(-1);
    this.steps.forEach((s, k) => {
      for (const id of s.src) if (id >= 0) last[alias.find(id)] = Math.max(last[alias.find(id)]!, k);
      for (const id of s.outs) if (id >= 0) producer[id] = k;
    });
    const free: number[][] = this.steps.map(() => []);
    for (let id = 0; id < n; id++) {
      const root = alias.find(id);
      if (keep[root]) continue;
      // A value nothing reads (a MaxPool's indices, an unused Split part) goes right after the step
      // making it: runs track no step's outputs in a scope, so nothing else would dispose it.
      const at = last[root]! >= 0 ? last[root]! : producer[id]!;
      if (at >= 0) free[at]!.push(id);
    }
    this.freeAfter = free.map((ids) => Int32Array.from(ids));
    views.forEach((v, j) => {
      if (v) this.steps[j] = v;
    });
  }

  /** Bytes of the arena the intermediates live in (0 when they come from the buffer pool). */
  get arenaBytes(): number {
    return this.arena?.inUse ? this.arena.bytes : 0;
  }

  /**
   * Plans the storages the steps make into one arena. A probe run over the final steps (view steps
   * in place) finds each output's storage: the step that makes it, the last step after which a
   * value in it is freed, its size. Storages of inputs, fixed tensors and outputs (never freed),
   * and slab-sized ones, stay out.
   */
  private planArena(xs: readonly Tensor[]): PlanArena | null {
    const freeAt = new Int32Array(this.valueCount).fill(-1);
    this.freeAfter.forEach((ids, j) => {
      for (const id of ids) freeAt[id] = j;
    });
    const outside = new Set<Storage>();
    for (const t of xs) outside.add(t.storage);
    for (const t of this.fixedTensors) outside.add(t.storage);
    const lives = new Map<Storage, { first: number; last: number; bytes: number; out: number; ok: boolean }>();
    const made = new Set<Tensor>();
    let j = 0;
    this.execute(xs, null, (step, _ins, outs) => {
      for (let k = 0; k < outs.length; k++) {
        const t = outs[k];
        if (!t) continue;
        made.add(t);
        const st = t.storage;
        let life = lives.get(st);
        if (!life) {
          const bytes = st.data?.byteLength ?? 0;
          life = { first: j, last: j, bytes, out: k, ok: !outside.has(st) && !st.escaped && bytes > 64 };
          lives.set(st, life);
        }
        const id = step.outs[k]!;
        // An output lowering dropped (id -1) is disposed within its step.
        const free = id >= 0 ? freeAt[id]! : j;
        if (free < 0) life.ok = false;
        else life.last = Math.max(life.last, free);
      }
      j++;
    });
    for (const t of made) if (!this.fixedTensors.has(t) && !xs.includes(t)) t.dispose();
    const planned: StorageLife[] = [];
    for (const l of lives.values()) if (l.ok) planned.push({ first: l.first, last: l.last, bytes: l.bytes, out: l.out });
    return planned.length > 0 ? new PlanArena(this.steps.length, planned) : null;
  }

  /**
   * Runs the plan; with `profile`, adds each step's milliseconds to its op's entry. The outputs it
   * made join the caller's scope (as an op's result would) and get their registry entries: the
   * intermediates, disposed by the plan itself, never had any (deferPoolRegistration).
   */
  run(xs: readonly Tensor[], profile?: Map<string, number>): Tensor[] {
    const prev = deferPoolRegistration(true);
    let outs: Tensor[];
    try {
      outs = this.execute(xs, profile ?? null);
    } finally {
      deferPoolRegistration(prev);
    }
    for (let i = 0; i < outs.length; i++) {
      const t = outs[i]!;
      if (this.fixedTensors.has(t) || xs.includes(t)) continue;
      t.storage.register();
      track(t);
    }
    return outs;
  }

  private execute(xs: readonly Tensor[], profile: Map<string, number> | null,
    probe?: (step: Step, ins: readonly (Tensor | null)[], outs: readonly Tensor[]) => void): Tensor[] {
    const vals = new Array<Tensor | undefined>(this.valueCount);
    for (let i = 0; i < this.inputIds.length; i++) vals[this.inputIds[i]!] = xs[i];
    const steps = this.steps;
    const freeAfter = this.freeAfter;
    const made = this.made;
    const arena = this.arena;
    let j = 0;
    try {
      for (; j < steps.length; j++) {
        const s = steps[j]!;
        const ins = s.scratch;
        for (let k = 0; k < ins.length; k++) {
          const id = s.src[k]!;
          ins[k] = id >= 0 ? vals[id]! : s.fixed[k]!;
        }
        const t0 = profile ? performance.now() : 0;
        // Each step runs in a scope of its own (an open array, no closure): its own intermediates (a
        // composite op's partial results: BatchNormalization's x * inv) go back to the buffer pool
        // when it ends, for the next steps to reuse while still in cache; left to the call's scope
        // they pile up until the call ends, overflow the pool on a large network and every call pays
        // fresh, zero-filled pages for them. The outputs it keeps are the plan's to free
        // (freeAfter), so they join no enclosing scope either.
        const parent = openScope(made);
        let outs: Tensor[];
        arena?.before(j);
        try {
          outs = s.run(ins);
        } finally {
          arena?.withdraw();
          closeScope(parent);
        }
        if (profile) profile.set(s.op, (profile.get(s.op) ?? 0) + performance.now() - t0);
        if (probe) probe(s, ins, outs);
        for (let k = 0; k < s.outs.length; k++) {
          const id = s.outs[k]!;
          if (id >= 0) vals[id] = outs[k];
        }
        // Everything the step made except the outputs the plan keeps (outputs lowering dropped,
        // such as a MatMul's before its merged bias Add, have id -1).
        // Emptied by pop (setting length is a runtime call, per step).
        while (made.length > 0) {
          const t = made.pop()!;
          if (!keptOutput(t, outs, s.outs)) t.dispose();
        }
        arena?.check(j, outs);
        for (let k = 0; k < ins.length; k++) ins[k] = null;
        const free = freeAfter[j];
        if (free) {
          for (let k = 0; k < free.length; k++) {
            const id = free[k]!;
            vals[id]?.dispose();
            vals[id] = undefined;
          }
        }
        arena?.released(j);
      }
    } catch (err) {
      // What the steps so far made goes back to the pool (the caller then runs the imported graph).
      for (const t of this.made) t.dispose();
      this.made.length = 0;
      steps[j]?.scratch.fill(null);
      for (const t of vals) if (t && !this.fixedTensors.has(t) && !xs.includes(t)) t.dispose();
      throw err;
    }
    const ids = this.outputIds;
    const result = new Array<Tensor>(ids.length);
    for (let i = 0; i < ids.length; i++) result[i] = vals[ids[i]!]!;
    return result;
  }
}
