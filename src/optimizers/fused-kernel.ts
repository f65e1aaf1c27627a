import { activeAddon } from '../backend/backend';
import type { NativeAddon } from '../backend/binding';
import type { Tensor } from '../tensor/tensor';
import {
  FUSED_KINDS,
  type FusedHyperparameters,
  type FusedKind,
  STEP_COMMON_FIELDS,
  SUM_SQUARES_FIELDS,
  checkOptimizerLayouts,
} from './fused-layouts';

// The native fused updates: an acceleration of the built-in optimizers' updateStep, used when the
// native backend is active and the addon's optimizer layouts match fused-layouts.ts. Everything
// here is allocated once per optimizer, so a step allocates nothing.

type F32 = Float32Array;

/** State arrays in the kernel's argument order; null where the optimizer keeps no such slot. */
export type KernelSlots = readonly [F32 | null, F32 | null, F32 | null];

function indexOf<const T extends readonly string[]>(names: T): { readonly [K in T[number]]: number } {
  return Object.fromEntries(names.map((n, i) => [n, i])) as { [K in T[number]]: number };
}
const C = indexOf(STEP_COMMON_FIELDS);
const S = indexOf(SUM_SQUARES_FIELDS);

let enabled = true;
let checkedAddon: object | null = null;
let codes: Readonly<Record<FusedKind, number>> | null = null;
let problem: string | null = null;

/**
 * The active addon with its kind codes, or null on the js backend or when the addon's optimizer
 * layouts differ from fused-layouts.ts (then optimizers run their TypeScript updateStep, and a
 * warning says why once per addon).
 */
function verifiedAddon(): { addon: NativeAddon; codes: Readonly<Record<FusedKind, number>> } | null {
  const addon = activeAddon();
  if (!addon) return null;
  if (checkedAddon !== addon) {
    checkedAddon = addon;
    problem = checkOptimizerLayouts(addon.optimizerLayouts, addon.optimizerKinds);
    codes = null;
    if (problem === null) {
      const kinds = Object.keys(FUSED_KINDS) as FusedKind[];
      codes = Object.fromEntries(kinds.map((k) => [k, addon.optimizerKinds.indexOf(k)])) as Record<FusedKind, number>;
    } else {
      process.emitWarning(
        `the native addon's optimizer layouts differ from this version of tensorforge (${problem}); ` +
          'optimizers use their TypeScript update instead of the fused kernels',
        'TensorforgeWarning',
      );
    }
  }
  return codes ? { addon, codes } : null;
}

/**
 * @internal Turns the fused kernels off (or back on), so tests can run the built-ins' TypeScript
 * updateStep on the native backend and compare. Also forgets the layout check of the last addon,
 * so the next update checks again.
 */
export function setFusedUpdates(on: boolean): void {
  enabled = on;
  checkedAddon = null;
  codes = null;
  problem = null;
}

/** @internal Why the fused kernels are not used with the active addon, or null if they are (or not checked yet). */
export function fusedUpdateProblem(): string | null {
  return problem;
}

/** What the Optimizer base class sees of a fused kernel, whatever its kind. @internal */
export interface FusedUpdate {
  /** The optimizer class (its prototype) whose updateStep and buildSlots the kernel computes. */
  readonly reference: object;
  begin(learningRate: number, step: number, clipValue: number, decay: number): boolean;
  run(param: Tensor, grad: Tensor, slots: KernelSlots, gradScale: number): void;
  runAll(params: readonly Tensor[], grads: readonly Tensor[], slots: readonly KernelSlots[], gradScales: readonly number[] | null): void;
  slotArrays(slots: ReadonlyMap<string, Tensor>): KernelSlots;
}

/**
 * One built-in optimizer's fused kernel: its kind, the prototype whose updateStep and buildSlots
 * it replaces, and the writer that fills the named hyper-parameters for a step.
 * @internal
 */
export class FusedKernel<K extends FusedKind> implements FusedUpdate {
  /** Slot names in the kernel's argument order. */
  readonly slotNames: readonly string[];
  private readonly hyper: FusedHyperparameters<K>;
  private readonly hyperNames: readonly (keyof FusedHyperparameters<K>)[];
  private readonly meta: Float64Array;
  /** runAll's blocks, one per parameter (grown as needed, kept across steps). */
  private metas = new Float64Array(0);
  private addon: NativeAddon | null = null;
  private code = -1;

  constructor(
    readonly kind: K,
    /** The optimizer class (its prototype) whose update this kernel computes. */
    readonly reference: object,
    private readonly writeHyperparameters: (h: FusedHyperparameters<K>, learningRate: number, step: number) => void,
  ) {
    const spec = FUSED_KINDS[kind];
    this.slotNames = spec.slots;
    this.hyperNames = spec.fields as unknown as (keyof FusedHyperparameters<K>)[];
    this.hyper = Object.fromEntries(spec.fields.map((f) => [f, 0])) as FusedHyperparameters<K>;
    this.meta = new Float64Array(STEP_COMMON_FIELDS.length + spec.fields.length);
  }

  /**
   * Readies a step on the native backend: true when the fused kernel will run (the per-step
   * fields are then written), false when the caller must use updateStep.
   */
  begin(learningRate: number, step: number, clipValue: number, decay: number): boolean {
    const active = enabled ? verifiedAddon() : null;
    if (!active) return false;
    this.addon = active.addon;
    this.code = active.codes[this.kind];
    const meta = this.meta;
    meta[C.lr] = learningRate;
    meta[C.clipValue] = clipValue;
    meta[C.decay] = decay;
    this.writeHyperparameters(this.hyper, learningRate, step);
    const base = STEP_COMMON_FIELDS.length;
    const names = this.hyperNames;
    for (let i = 0; i < names.length; i++) meta[base + i] = this.hyper[names[i]!] as number;
    return true;
  }

  /** Updates one contiguous parameter in place from a contiguous gradient (after {@link begin}). */
  run(param: Tensor, grad: Tensor, slots: KernelSlots, gradScale: number): void {
    const meta = this.meta;
    param.storage.version++;
    meta[C.paramOffset] = param.offset;
    meta[C.gradOffset] = grad.offset;
    meta[C.n] = param.size;
    meta[C.gradScale] = gradScale;
    this.addon!.optimizerStep(this.code, param.buffer as F32, grad.buffer as F32, slots[0], slots[1], slots[2], meta);
  }

  /**
   * Updates every parameter in one native call, its elements split across the thread pool as one
   * range (after {@link begin}): a step of a network with many small parameters (biases,
   * normalization scales) made one call per parameter, most too small to split. The caller makes
   * sure no parameter, gradient or state array overlaps another parameter's (the addon refuses).
   */
  runAll(params: readonly Tensor[], grads: readonly Tensor[], slots: readonly KernelSlots[], gradScales: readonly number[] | null): void {
    const count = params.length;
    if (count === 0) return;
    const one = this.meta;
    const len = one.length;
    if (this.metas.length < count * len) this.metas = new Float64Array(count * len);
    const metas = this.metas;
    const ps: F32[] = new Array(count);
    const gs: F32[] = new Array(count);
    const s0: (F32 | null)[] = new Array(count);
    const s1: (F32 | null)[] = new Array(count);
    const s2: (F32 | null)[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const param = params[i]!;
      const grad = grads[i]!;
      param.storage.version++;
      one[C.paramOffset] = param.offset;
      one[C.gradOffset] = grad.offset;
      one[C.n] = param.size;
      one[C.gradScale] = gradScales ? gradScales[i]! : 1;
      metas.set(one, i * len);
      ps[i] = param.buffer as F32;
      gs[i] = grad.buffer as F32;
      const k = slots[i]!;
      s0[i] = k[0];
      s1[i] = k[1];
      s2[i] = k[2];
    }
    this.addon!.optimizerSteps(this.code, ps, gs, s0, s1, s2, count * len === metas.length ? metas : metas.subarray(0, count * len));
  }

  /** The kernel's state arrays from an optimizer's named slots (each at offset 0 of its own storage). */
  slotArrays(slots: ReadonlyMap<string, Tensor>): KernelSlots {
    const pick = (k: number): F32 | null => {
      const name = this.slotNames[k];
      const t = name === undefined ? undefined : slots.get(name);
      if (!t) return null;
      if (t.offset !== 0 || !t.isContiguous) throw new Error(`optimizer slot '${name}' must be a contiguous tensor at offset 0`);
      return t.buffer as F32;
    };
    return [pick(0), pick(1), pick(2)];
  }
}

const sumMeta = new Float64Array(SUM_SQUARES_FIELDS.length);

/** Sum of squares of `x[offset, offset + n)` in float64 (for clipping by norm). */
export function sumSquares(x: F32, offset: number, n: number): number {
  const active = verifiedAddon();
  if (active) {
    sumMeta[S.offset] = offset;
    sumMeta[S.n] = n;
    return active.addon.optimizerSumSquares(x, sumMeta);
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i]!;
    s += v * v;
  }
  return s;
}
