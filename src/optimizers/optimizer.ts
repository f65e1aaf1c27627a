import { backward } from '../autograd/backward';
import { noGrad } from '../autograd/tape';
import { argError, describe } from '../errors';
import { mul, sub, add } from '../ops/binary';
import { copyView } from '../ops/copy';
import { scalar } from '../ops/creation';
import { clip } from '../ops/unary';
import { broadcastTo } from '../ops/views';
import { scoped, untracked } from '../tensor/scope';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { FusedUpdate, KernelSlots } from './fused-kernel';
import { normClipScales } from './gradient-clipping';
import { type JsonValue, configToOptions, nullableNumberOption, readOptions } from './options';
import { LearningRateSchedule, deserializeSchedule, serializeSchedule } from './schedules';

/** Options every optimizer takes (Keras names in camelCase). */
export interface OptimizerOptions {
  /** A fixed rate or a schedule evaluated at `iterations`. Defaults per optimizer, as in Keras. */
  learningRate?: number | LearningRateSchedule;
  /** Scale each gradient so its L2 norm is at most this (Keras `clipnorm`). */
  clipNorm?: number | null;
  /** Scale all gradients together so their joint L2 norm is at most this (Keras `global_clipnorm`). */
  globalClipNorm?: number | null;
  /** Clamp each gradient element to [-clipValue, clipValue] (Keras `clipvalue`). */
  clipValue?: number | null;
  /**
   * Decoupled weight decay, as Keras 3 applies it on every optimizer: before each update
   * `p -= p * weightDecay * learningRate`. Unset by default except for AdamW.
   */
  weightDecay?: number | null;
}

/** Option names shared by every optimizer (for unknown-key checks). */
export const COMMON_OPTION_KEYS = ['learningRate', 'clipNorm', 'globalClipNorm', 'clipValue', 'weightDecay'] as const;

/** What a subclass tells the {@link Optimizer} constructor. */
export interface OptimizerDefaults {
  /** The learning rate when the options give none. */
  learningRate: number;
  /** The weight decay when the options give none (AdamW's 0.004); by default there is none. */
  weightDecay?: number;
  /**
   * The subclass's own option names. When given, any other key than these and the common ones is
   * refused (a typo like `lr` must not silently fall back to a default).
   */
  optionKeys?: readonly string[];
  /** Name used in error messages; defaults to the class name. */
  name?: string;
}

/** Parameter/gradient pairs for {@link Optimizer.applyGradients}; a null gradient skips its parameter. */
export type GradientPairs =
  | ReadonlyArray<readonly [Tensor, Tensor | null | undefined]>
  | ReadonlyMap<Tensor, Tensor | null | undefined>;

/** A state tensor with its name, as returned by {@link Optimizer.getWeights} (tfjs `NamedTensor`). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** The JSON-safe result of {@link Optimizer.getConfig}. */
export type OptimizerConfig = { [key: string]: JsonValue };

interface VariableState {
  readonly variable: Tensor;
  /** Slot tensors by name, in the order they were added. */
  readonly slots: Map<string, Tensor>;
  /** The slots in fused-kernel order, made on the first fused update. */
  kernelSlots: KernelSlots | null;
}

const nonNegative = { min: 0 };
const positive = { min: 0, minExclusive: true };

/**
 * Base class of the optimizers, built-in or written by users (as Keras 3's `Optimizer`).
 *
 * A subclass declares its per-variable state in {@link buildSlots} with {@link addSlot} and writes
 * its rule in {@link updateStep} with tensor ops, updating the variable and its slots in place with
 * {@link assign}, {@link assignAdd} and {@link assignSub}. The base class does everything else for
 * every optimizer: validating gradients, gradient clipping (`clipNorm`, `globalClipNorm`,
 * `clipValue`), decoupled weight decay, learning-rate schedules, the iteration count, state export
 * and import by name ({@link getWeights}, {@link setWeights}, `model.save`), and configs.
 *
 * The built-in optimizers also run as one fused native pass per parameter when the native backend
 * is active; their updateStep is the reference that pass is tested against and what runs on the js
 * backend (and in any subclass that overrides updateStep).
 *
 * State is created on a variable's first update (or by {@link build}) and kept per variable tensor,
 * in the order variables were first seen; {@link getWeights} and {@link setWeights} use that order.
 */
export abstract class Optimizer {
  /** Name used when serialized (Keras class name); register the class under it with registerOptimizer. */
  abstract readonly className: string;

  readonly clipNorm: number | null;
  readonly globalClipNorm: number | null;
  readonly clipValue: number | null;
  readonly weightDecay: number | null;

  private lr: number | LearningRateSchedule;
  private iters = 0;
  private readonly states: VariableState[] = [];
  private readonly byVariable = new Map<Tensor, VariableState>();

  /**
   * Reads the common options (learningRate, clipping, weightDecay) from `options`; the subclass
   * reads its own. See {@link OptimizerDefaults}.
   */
  protected constructor(options: object | undefined, defaults: OptimizerDefaults) {
    const fn = defaults.name ?? new.target.name;
    const o = readOptions(fn, options, defaults.optionKeys ? [...COMMON_OPTION_KEYS, ...defaults.optionKeys] : null);
    this.lr = checkLearningRate(fn, o['learningRate'] ?? defaults.learningRate);
    this.clipNorm = nullableNumberOption(fn, 'clipNorm', o['clipNorm'], positive);
    this.globalClipNorm = nullableNumberOption(fn, 'globalClipNorm', o['globalClipNorm'], positive);
    this.clipValue = nullableNumberOption(fn, 'clipValue', o['clipValue'], positive);
    const wd = o['weightDecay'] === undefined ? defaults.weightDecay : o['weightDecay'];
    this.weightDecay = nullableNumberOption(fn, 'weightDecay', wd, nonNegative);
    const clips = (['clipNorm', 'globalClipNorm', 'clipValue'] as const).filter((k) => this[k] !== null);
    if (clips.length > 1) {
      argError(fn, clips[1]!, `at most one of clipNorm, globalClipNorm and clipValue (as in Keras)`, `both ${clips.join(' and ')}`);
    }
  }

  /**
   * Creates the state one variable needs, with {@link addSlot} (Keras `build`). Called once per
   * variable, before its first update. The default creates none.
   */
  protected buildSlots(_variable: Tensor): void {}

  /**
   * The update rule for one variable (Keras 3 `update_step`), written with tensor ops: reads the
   * gradient, the variable and its slots ({@link getSlot}) and writes the variable and slots in
   * place with {@link assign}, {@link assignAdd} or {@link assignSub}. It runs without gradient
   * recording; every tensor it creates is released when it returns. The gradient is already clipped,
   * contiguous and float32, and weight decay is already applied to the variable. The step number,
   * counting from 1, is `this.iterations + 1`.
   */
  protected abstract updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void;

  /**
   * The native kernel that computes this optimizer's updateStep in one pass (built-ins only).
   * @internal
   */
  protected fusedKernel(): FusedUpdate | null {
    return null;
  }

  /**
   * Adds a state tensor named `name` for `variable` (Keras `add_variable_from_reference`): float32,
   * of the variable's shape, filled with `initialValue` (a number, or a tensor broadcastable to the
   * variable's shape). Call it from {@link buildSlots}. Returns the slot.
   */
  protected addSlot(variable: Tensor, name: string, initialValue: number | Tensor = 0): Tensor {
    const fn = `${this.className}.addSlot`;
    if (typeof name !== 'string' || name === '' || name.includes('/')) argError(fn, 'name', "a non-empty name without '/'", describe(name));
    const state = this.byVariable.get(variable);
    if (!state) return argError(fn, 'variable', 'a variable this optimizer updates (call addSlot from buildSlots)', describe(variable));
    if (state.slots.has(name)) argError(fn, 'name', `a new slot name (the variable already has '${name}')`, describe(name));
    if (typeof initialValue !== 'number' && !(initialValue instanceof Tensor)) {
      argError(fn, 'initialValue', 'a number or a tensor', describe(initialValue));
    }
    const slot = untracked(() => Tensor.empty([...variable.shape], 'float32'));
    if (typeof initialValue === 'number') (slot.buffer as Float32Array).fill(initialValue, 0, slot.size);
    else assignInto(fn, slot, initialValue);
    state.slots.set(name, slot);
    state.kernelSlots = null;
    return slot;
  }

  /** The state tensor `name` of `variable` (live: it changes as training runs). Throws if there is none. */
  getSlot(variable: Tensor, name: string): Tensor {
    const state = this.byVariable.get(variable);
    const slot = state?.slots.get(name);
    if (!slot) {
      const has = state ? `slots ${[...state.slots.keys()].map((n) => `'${n}'`).join(', ') || '(none)'}` : 'no state for this variable yet';
      return argError('getSlot', 'name', `a slot of ${this.className} for this variable (it has ${has})`, describe(name));
    }
    return slot;
  }

  /** Names of the slots `variable` has, in the order they were added (empty before its first update). */
  getSlotNames(variable: Tensor): string[] {
    return [...(this.byVariable.get(variable)?.slots.keys() ?? [])];
  }

  /** Copies `value` (a tensor broadcastable to the target's shape, or a number) into `target` in place. */
  protected assign(target: Tensor, value: Tensor | number): void {
    assignInto(`${this.className}.assign`, target, value);
  }

  /** `target += value`, in place. */
  protected assignAdd(target: Tensor, value: Tensor | number): void {
    assignInto(`${this.className}.assignAdd`, target, add(target, value));
  }

  /** `target -= value`, in place. */
  protected assignSub(target: Tensor, value: Tensor | number): void {
    assignInto(`${this.className}.assignSub`, target, sub(target, value));
  }

  /** Number of updates applied so far (Keras `iterations`); schedules are evaluated at it. */
  get iterations(): number {
    return this.iters;
  }

  /**
   * The current learning rate: the fixed rate, or the schedule's value at {@link iterations}.
   * Assigning a number changes the fixed rate (what callbacks such as reduceLROnPlateau do);
   * assigning a schedule replaces it. Like Keras, an optimizer driven by a schedule refuses a number.
   */
  get learningRate(): number {
    return typeof this.lr === 'number' ? this.lr : this.lr.call(this.iters);
  }
  set learningRate(value: number | LearningRateSchedule) {
    if (typeof value === 'number' && this.lr instanceof LearningRateSchedule) {
      throw new Error(
        `${this.className}: the learning rate is set by a ${this.lr.className} schedule and cannot be set to a number; ` +
          'assign a new schedule, or create the optimizer with a numeric learningRate',
      );
    }
    this.lr = checkLearningRate('learningRate', value);
  }

  /** The schedule driving the learning rate, or null for a fixed rate. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return typeof this.lr === 'number' ? null : this.lr;
  }

  /**
   * Updates each parameter in place from its gradient: clipping, weight decay, then the update
   * rule. Takes `[param, grad]` pairs or a Map; parameters must be contiguous float32 leaf
   * tensors, gradients float32 of the same shape (any layout). A null gradient skips its
   * parameter. Increments {@link iterations} once per call.
   */
  applyGradients(grads: GradientPairs): void {
    const pairs = collectPairs(grads);
    if (pairs.length === 0) return;
    const lr = this.learningRate;
    if (!(Number.isFinite(lr) && lr >= 0)) {
      throw new Error(`applyGradients: the learning-rate schedule gave ${lr} at step ${this.iters}; expected a finite number >= 0`);
    }
    const decay = this.weightDecay ? lr * this.weightDecay : 0;
    noGrad(() => {
      const kernel = this.activeFusedKernel();
      if (kernel?.begin(lr, this.iters + 1, this.clipValue ?? 0, decay)) this.applyFused(kernel, pairs);
      else scoped(() => this.applyWithOps(pairs, lr, decay), () => []);
    });
    this.iters++;
  }

  /**
   * PyTorch-style form of {@link applyGradients}: `grads[i]` updates `params[i]`; without `grads`
   * each parameter's `.grad` (filled by `backward()`) is used.
   */
  step(params: readonly Tensor[], grads?: readonly (Tensor | null | undefined)[]): void {
    if (!Array.isArray(params)) argError('step', 'params', 'an array of tensors', describe(params));
    const gs = grads ?? params.map((p) => (p instanceof Tensor ? p.grad : null));
    if (!Array.isArray(gs) || gs.length !== params.length) {
      argError('step', 'grads', `an array of ${params.length} gradients (one per param)`, describe(gs));
    }
    this.applyGradients(params.map((p, i) => [p, gs[i]] as const));
  }

  /**
   * tfjs-style training step: evaluates `f`, differentiates it with respect to `varList` and
   * applies the gradients. Returns the cost when `returnCost`, else null. Existing `.grad` values of
   * `varList` are left as they were; intermediate tensors are released at once.
   */
  minimize(f: () => Tensor, returnCost = false, varList?: readonly Tensor[]): Tensor | null {
    if (typeof f !== 'function') argError('minimize', 'f', 'a function returning a scalar tensor', describe(f));
    if (!Array.isArray(varList) || varList.length === 0) {
      argError('minimize', 'varList', 'a non-empty array of the tensors to update', describe(varList));
    }
    varList.forEach((v, i) => checkParam('minimize', `varList[${i}]`, v));
    const saved = varList.map((v) => ({ grad: v.grad, requiresGrad: v.requiresGrad }));
    try {
      return scoped(
        () => {
          for (const v of varList) {
            v.grad = null;
            v.requiresGrad = true;
          }
          const cost = f();
          if (!(cost instanceof Tensor) || cost.size !== 1) argError('minimize', 'f', 'a function returning a scalar tensor', describe(cost));
          if (!cost.requiresGrad) throw new Error('minimize: the cost does not depend on any tensor in varList');
          backward(cost);
          this.applyGradients(varList.map((v) => [v, v.grad] as const));
          return returnCost ? cost.detach() : null;
        },
        (r) => (r ? [r] : []),
      );
    } finally {
      varList.forEach((v, i) => {
        v.grad = saved[i]!.grad;
        v.requiresGrad = saved[i]!.requiresGrad;
      });
    }
  }

  /**
   * Creates the state of these parameters now (zero momenta etc.), in this order, instead of on
   * their first update: needed before {@link setWeights} restores saved state into a new optimizer.
   */
  build(params: readonly Tensor[]): void {
    if (!Array.isArray(params)) argError('build', 'params', 'an array of tensors', describe(params));
    params.forEach((p, i) => checkParam('build', `params[${i}]`, p));
    for (const p of params) this.stateFor(p);
  }

  /**
   * The optimizer state as tensors (copies): first the iteration count (`iter`, an int32 scalar,
   * as tfjs), then each parameter's slots in the order the parameters were first seen, named
   * `param<i>/<slot>` with the slot names (`momentum`, `velocity`, ...).
   */
  getWeights(): NamedTensor[] {
    const out: NamedTensor[] = [{ name: 'iter', tensor: scalar(this.iters, 'int32') }];
    this.states.forEach((s, i) => {
      for (const [name, slot] of s.slots) {
        const copy = (slot.buffer as Float32Array).slice(slot.offset, slot.offset + slot.size);
        out.push({ name: `param${i}/${name}`, tensor: Tensor.fromArray(copy, [...slot.shape]) });
      }
    });
    return out;
  }

  /**
   * Restores state saved by {@link getWeights} (names are checked when given, positions always).
   * With `params`, calls {@link build} first, so a fresh optimizer can resume training after a
   * model is loaded. Every tensor is checked before any state is overwritten.
   */
  setWeights(weights: readonly (NamedTensor | Tensor)[], params?: readonly Tensor[]): void {
    const fn = 'setWeights';
    if (params !== undefined) this.build(params);
    if (!Array.isArray(weights)) argError(fn, 'weights', 'an array of tensors or { name, tensor }', describe(weights));
    const expected: { name: string; target: Tensor }[] = [];
    for (const s of this.states) for (const [name, target] of s.slots) expected.push({ name, target });
    if (weights.length !== expected.length + 1) {
      argError(
        fn,
        'weights',
        `${expected.length + 1} tensors (the iteration count, then ${expected.length} slots for ${this.states.length} parameters; ` +
          'pass the parameters as the second argument if this optimizer has not seen them yet)',
        `${weights.length}`,
      );
    }
    const unwrap = (w: NamedTensor | Tensor, i: number): { name: string | null; t: Tensor } => {
      if (w instanceof Tensor) return { name: null, t: w };
      if (typeof w === 'object' && w !== null && w.tensor instanceof Tensor) return { name: String(w.name), t: w.tensor };
      return argError(fn, `weights[${i}]`, 'a Tensor or { name, tensor }', describe(w));
    };
    const iter = unwrap(weights[0]!, 0).t;
    const count = iter.size === 1 ? iter.item() : NaN;
    if (!(Number.isInteger(count) && count >= 0)) argError(fn, 'weights[0]', 'the iteration count (a scalar integer >= 0)', describe(iter));
    const sources = expected.map((e, i) => {
      const { name, t } = unwrap(weights[i + 1]!, i + 1);
      if (t.dtype !== 'float32' || !shapesEqual(t.shape, e.target.shape)) {
        argError(fn, `weights[${i + 1}]`, `a float32 tensor of shape [${e.target.shape.join(',')}] (slot '${e.name}')`, describe(t));
      }
      if (name !== null && !name.endsWith(`/${e.name}`) && name !== e.name) {
        argError(fn, `weights[${i + 1}]`, `the '${e.name}' slot of ${this.className}`, `a tensor named ${describe(name)}`);
      }
      return t;
    });
    sources.forEach((t, i) => assignInto(fn, expected[i]!.target, t));
    this.iters = count;
  }

  /**
   * The constructor options as a JSON-safe object (a schedule as `{ className, config }`).
   * Subclasses add their own: `{ ...super.getConfig(), beta1: this.beta1 }`.
   */
  getConfig(): OptimizerConfig {
    return {
      learningRate: typeof this.lr === 'number' ? this.lr : serializeSchedule(this.lr),
      weightDecay: this.weightDecay,
      clipNorm: this.clipNorm,
      globalClipNorm: this.globalClipNorm,
      clipValue: this.clipValue,
    };
  }

  /** Drops all state (momenta, accumulators); the next update starts fresh for every parameter. */
  dispose(): void {
    for (const s of this.states) for (const slot of s.slots.values()) slot.dispose();
    this.states.length = 0;
    this.byVariable.clear();
  }

  /** One fused native pass per parameter: clipping, decay and the update rule together. */
  private applyFused(kernel: FusedUpdate, pairs: readonly (readonly [Tensor, Tensor])[]): void {
    // The training loop's hot path: temporaries (only for non-contiguous or aliasing gradients)
    // are tracked by hand rather than through a scope.
    const temporaries: Tensor[] = [];
    try {
      const gs = pairs.map(([p, g]) => {
        const c = gradientBuffer(p, g);
        if (c !== g) temporaries.push(c);
        return c;
      });
      const scales = normClipScales(gs, this);
      const states = pairs.map(([p]) => this.stateFor(p));
      for (const state of states) state.kernelSlots ??= kernel.slotArrays(state.slots);
      if (separateStorages(states, gs)) {
        kernel.runAll(states.map((s) => s.variable), gs, states.map((s) => s.kernelSlots!), scales);
        return;
      }
      // Two parameters sharing a storage, or a gradient in another parameter's memory: one at a
      // time, in order.
      for (let i = 0; i < pairs.length; i++) {
        kernel.run(states[i]!.variable, gs[i]!, states[i]!.kernelSlots!, scales ? scales[i]! : 1);
      }
    } finally {
      for (const t of temporaries) t.dispose();
    }
  }

  /** Clipping and decay with ops, then the subclass's updateStep, per parameter. */
  private applyWithOps(pairs: readonly (readonly [Tensor, Tensor])[], lr: number, decay: number): void {
    const gs = pairs.map(([p, g]) => gradientBuffer(p, g));
    const variables = pairs.map(([p]) => this.stateFor(p).variable);
    const scales = normClipScales(gs, this);
    for (let i = 0; i < pairs.length; i++) {
      const variable = variables[i]!;
      let g = gs[i]!;
      const scale = scales ? scales[i]! : 1;
      if (scale !== 1) g = mul(g, scale);
      if (this.clipValue !== null) g = clip(g, -this.clipValue, this.clipValue);
      if (decay > 0) this.assignSub(variable, mul(variable, decay));
      this.updateStep(g, variable, lr);
    }
  }

  /** The fused kernel, unless a subclass replaced the update it computes. */
  private activeFusedKernel(): FusedUpdate | null {
    const kernel = this.fusedKernel();
    if (!kernel) return null;
    const reference = kernel.reference as Optimizer;
    return this.updateStep === reference.updateStep && this.buildSlots === reference.buildSlots ? kernel : null;
  }

  private stateFor(variable: Tensor): VariableState {
    let state = this.byVariable.get(variable);
    if (state) return state;
    state = { variable, slots: new Map(), kernelSlots: null };
    this.byVariable.set(variable, state);
    this.states.push(state);
    try {
      this.buildSlots(variable);
    } catch (err) {
      this.byVariable.delete(variable);
      this.states.pop();
      throw err;
    }
    return state;
  }
}

/** Writes `value` into `target`'s memory (no recording; `target` keeps its identity). */
function assignInto(fn: string, target: Tensor, value: Tensor | number): void {
  if (!(target instanceof Tensor) || target.isDisposed) argError(fn, 'target', 'a live tensor', describe(target));
  if (target.dtype !== 'float32' || !target.isContiguous) argError(fn, 'target', 'a contiguous float32 tensor', describe(target));
  target.storage.version++;
  if (typeof value === 'number') {
    (target.buffer as Float32Array).fill(value, target.offset, target.offset + target.size);
    return;
  }
  if (!(value instanceof Tensor) || value.isDisposed || value.dtype !== 'float32') {
    argError(fn, 'value', `a float32 tensor broadcastable to [${target.shape.join(',')}] or a number`, describe(value));
  }
  const v = shapesEqual(value.shape, target.shape) ? value : broadcastTo(value, target.shape);
  copyView(target.shape, v.buffer, v, target.buffer, target);
  if (v !== value) v.dispose();
}

/**
 * Constructor options from a stored config (see configToOptions), with a serialized learning-rate
 * schedule rebuilt. Used by fromConfig.
 */
export function optionsFromConfig(fn: string, config: unknown, aliases: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const options = configToOptions(fn, config, aliases);
  const lr = options['learningRate'];
  if (typeof lr === 'object' && lr !== null && !(lr instanceof LearningRateSchedule)) options['learningRate'] = deserializeSchedule(lr);
  return options;
}

function checkLearningRate(fn: string, value: unknown): number | LearningRateSchedule {
  if (value instanceof LearningRateSchedule) return value;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  return argError(fn, 'learningRate', 'a finite number >= 0 or a LearningRateSchedule', describe(value));
}

function checkParam(fn: string, arg: string, p: unknown): asserts p is Tensor {
  if (!(p instanceof Tensor)) argError(fn, arg, 'a Tensor', describe(p));
  if (p.isDisposed) argError(fn, arg, 'a live tensor', 'a disposed tensor');
  if (p.dtype !== 'float32') argError(fn, arg, 'a float32 tensor', describe(p));
  if (!p.isContiguous) argError(fn, arg, 'a contiguous tensor (parameters are updated in place)', 'a non-contiguous view');
  if (p.node !== null) argError(fn, arg, 'a leaf tensor (parameters are updated in place)', 'the result of an operation');
}

/** Validated [param, grad] pairs with null gradients dropped. */
function collectPairs(grads: GradientPairs): (readonly [Tensor, Tensor])[] {
  const fn = 'applyGradients';
  let entries: (readonly [unknown, unknown])[];
  if (grads instanceof Map) entries = [...grads.entries()];
  else if (Array.isArray(grads)) entries = grads as (readonly [unknown, unknown])[];
  else return argError(fn, 'grads', 'an array of [param, grad] pairs or a Map from param to grad', describe(grads));
  const out: (readonly [Tensor, Tensor])[] = [];
  const seen = new Set<Tensor>();
  let skipped = 0;
  entries.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) argError(fn, `grads[${i}]`, 'a [param, grad] pair', describe(pair));
    const [p, g] = pair as [unknown, unknown];
    checkParam(fn, `grads[${i}][0]`, p);
    if (seen.has(p)) argError(fn, `grads[${i}][0]`, 'each parameter at most once', 'a repeated parameter');
    seen.add(p);
    if (g === null || g === undefined) {
      skipped++;
      return;
    }
    if (!(g instanceof Tensor) || g.isDisposed || g.dtype !== 'float32' || !shapesEqual(g.shape, p.shape)) {
      argError(fn, `grads[${i}][1]`, `a float32 gradient of shape [${p.shape.join(',')}]`, describe(g));
    }
    out.push([p, g]);
  });
  if (out.length === 0 && skipped > 0) {
    throw new Error(`applyGradients: no gradients provided for any of the ${skipped} parameters (every grad is null)`);
  }
  return out;
}

/**
 * Whether one fused call may update all these parameters: each has a storage of its own that no
 * gradient lives in (a parameter's own gradient was already copied out by gradientBuffer). State
 * slots are always tensors of their own.
 */
function separateStorages(states: readonly { variable: Tensor }[], grads: readonly Tensor[]): boolean {
  const params = new Set<unknown>();
  for (const s of states) params.add(s.variable.storage);
  if (params.size !== states.length) return false;
  for (const g of grads) if (params.has(g.storage)) return false;
  return true;
}

/** A contiguous gradient whose memory is not the parameter's (an in-place update must not read what it writes). */
function gradientBuffer(p: Tensor, g: Tensor): Tensor {
  const c = g.contiguousCopy();
  if (c.storage !== p.storage) return c;
  return Tensor.fromArray((c.buffer as Float32Array).slice(c.offset, c.offset + c.size), [...g.shape]);
}
