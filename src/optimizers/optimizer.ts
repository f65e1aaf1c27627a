import { backward } from '../autograd/backward';
import { noGrad } from '../autograd/tape';
import { argError, describe } from '../errors';
import { scalar, tensor } from '../ops/creation';
import { scoped } from '../tensor/scope';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { type Slots, type UpdateKind, M, META_LENGTH, fusedStep } from './fused-update';
import { normClipScales } from './gradient-clipping';
import { type JsonValue, configToOptions, nullableNumberOption } from './options';
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

interface ParamState {
  readonly param: Tensor;
  readonly slots: Slots;
}

/** Slot names in kernel order ([s0, s1, s2]); null for slots the configuration does not use. */
export type SlotLayout = readonly [string | null, string | null, string | null];

const nonNegative = { min: 0 };
const positive = { min: 0, minExclusive: true };

/**
 * Base class of the optimizers. Each update runs as one fused pass per parameter (native kernel on
 * the native backend, TypeScript reference on the js backend) that reads the parameter, its
 * gradient and its state and writes the parameter and state in place.
 *
 * State (momenta, accumulators) is created on a parameter's first update and kept per parameter
 * tensor, in the order parameters were first seen; {@link getWeights} and {@link setWeights} use
 * that order, so {@link build} with the model's parameters before restoring saved state.
 */
export abstract class Optimizer {
  /** Name used when serialized (Keras class name). */
  abstract readonly className: string;
  /** The fused kernel's update rule. */
  protected abstract readonly kind: UpdateKind;

  readonly clipNorm: number | null;
  readonly globalClipNorm: number | null;
  readonly clipValue: number | null;
  readonly weightDecay: number | null;

  private lr: number | LearningRateSchedule;
  private iters = 0;
  private readonly states: ParamState[] = [];
  private readonly byParam = new Map<Tensor, ParamState>();
  private readonly meta = new Float64Array(META_LENGTH);

  /** `options` must already be checked for unknown keys by the subclass. */
  protected constructor(
    fn: string,
    options: Readonly<Record<string, unknown>>,
    defaults: { learningRate: number; weightDecay?: number },
  ) {
    this.lr = checkLearningRate(fn, options['learningRate'] ?? defaults.learningRate);
    this.clipNorm = nullableNumberOption(fn, 'clipNorm', options['clipNorm'], positive);
    this.globalClipNorm = nullableNumberOption(fn, 'globalClipNorm', options['globalClipNorm'], positive);
    this.clipValue = nullableNumberOption(fn, 'clipValue', options['clipValue'], positive);
    const wd = options['weightDecay'] === undefined ? defaults.weightDecay : options['weightDecay'];
    this.weightDecay = nullableNumberOption(fn, 'weightDecay', wd, nonNegative);
    const clips = (['clipNorm', 'globalClipNorm', 'clipValue'] as const).filter((k) => this[k] !== null);
    if (clips.length > 1) {
      argError(fn, clips[1]!, `at most one of clipNorm, globalClipNorm and clipValue (as in Keras)`, `both ${clips.join(' and ')}`);
    }
  }

  /** Slots this configuration keeps per parameter, in kernel order. */
  protected abstract slotLayout(): SlotLayout;
  /** Writes h0..h4 of the kernel meta for one step (`step` counts from 1). */
  protected abstract writeHyperparameters(meta: Float64Array, learningRate: number, step: number): void;
  /** The subclass's own config entries. */
  protected abstract ownConfig(): OptimizerConfig;
  /** Starting value of a slot (Adagrad's accumulator starts above 0). */
  protected slotInitialValue(_slot: number): number {
    return 0;
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
   * Updates each parameter in place from its gradient: clipping, weight decay and the update rule
   * in one pass per parameter. Takes `[param, grad]` pairs or a Map; parameters must be
   * contiguous float32 leaf tensors, gradients float32 of the same shape (any layout). A null
   * gradient skips its parameter. Increments {@link iterations} once per call.
   */
  applyGradients(grads: GradientPairs): void {
    const pairs = collectPairs(grads);
    if (pairs.length === 0) return;
    const lr = this.learningRate;
    if (!(Number.isFinite(lr) && lr >= 0)) {
      throw new Error(`applyGradients: the learning-rate schedule gave ${lr} at step ${this.iters}; expected a finite number >= 0`);
    }
    noGrad(() => {
      const temporaries: Tensor[] = [];
      const gs = pairs.map(([p, g]) => {
        const c = gradientBuffer(p, g);
        if (c !== g) temporaries.push(c);
        return c;
      });
      const scales = normClipScales(gs, this);
      const meta = this.meta;
      meta[M.lr] = lr;
      meta[M.clipValue] = this.clipValue ?? 0;
      meta[M.decay] = this.weightDecay ? lr * this.weightDecay : 0;
      this.writeHyperparameters(meta, lr, this.iters + 1);
      for (let i = 0; i < pairs.length; i++) {
        const p = pairs[i]![0];
        const g = gs[i]!;
        const state = this.stateFor(p);
        meta[M.paramOffset] = p.offset;
        meta[M.gradOffset] = g.offset;
        meta[M.size] = p.size;
        meta[M.gradScale] = scales ? scales[i]! : 1;
        fusedStep(this.kind, p.buffer as Float32Array, g.buffer as Float32Array, state.slots, meta);
      }
      for (const t of temporaries) t.dispose();
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
   * `param<i>/<slot>` with Keras slot names (`momentum`, `velocity`, ...).
   */
  getWeights(): NamedTensor[] {
    const out: NamedTensor[] = [{ name: 'iter', tensor: scalar(this.iters, 'int32') }];
    const names = this.slotLayout();
    this.states.forEach((s, i) => {
      s.slots.forEach((slot, k) => {
        if (slot) out.push({ name: `param${i}/${names[k]}`, tensor: tensor(slot, [...s.param.shape]) });
      });
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
    const names = this.slotLayout();
    const expected: { name: string; shape: readonly number[]; target: Float32Array }[] = [];
    this.states.forEach((s, i) => {
      s.slots.forEach((slot, k) => {
        if (slot) expected.push({ name: `${names[k]}`, shape: s.param.shape, target: slot });
      });
    });
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
      if (t.dtype !== 'float32' || !shapesEqual(t.shape, e.shape)) {
        argError(fn, `weights[${i + 1}]`, `a float32 tensor of shape [${e.shape.join(',')}] (slot '${e.name}')`, describe(t));
      }
      if (name !== null && !name.endsWith(`/${e.name}`) && name !== e.name) {
        argError(fn, `weights[${i + 1}]`, `the '${e.name}' slot of ${this.className}`, `a tensor named ${describe(name)}`);
      }
      return t;
    });
    sources.forEach((t, i) => expected[i]!.target.set(t.dataSync().subarray(0, t.size)));
    this.iters = count;
  }

  /** The constructor options as a JSON-safe object (a schedule as `{ className, config }`). */
  getConfig(): OptimizerConfig {
    return {
      learningRate: typeof this.lr === 'number' ? this.lr : serializeSchedule(this.lr),
      weightDecay: this.weightDecay,
      clipNorm: this.clipNorm,
      globalClipNorm: this.globalClipNorm,
      clipValue: this.clipValue,
      ...this.ownConfig(),
    };
  }

  /** Drops all state (momenta, accumulators); the next update starts fresh for every parameter. */
  dispose(): void {
    this.states.length = 0;
    this.byParam.clear();
  }

  private stateFor(p: Tensor): ParamState {
    let state = this.byParam.get(p);
    if (state) return state;
    const layout = this.slotLayout();
    const make = (k: number): Float32Array | null => {
      if (layout[k] === null) return null;
      const a = new Float32Array(p.size);
      const init = this.slotInitialValue(k);
      if (init !== 0) a.fill(init);
      return a;
    };
    state = { param: p, slots: [make(0), make(1), make(2)] };
    this.byParam.set(p, state);
    this.states.push(state);
    return state;
  }
}

/**
 * Constructor options from a stored config (see configToOptions), with a serialized learning-rate
 * schedule rebuilt. Used by every optimizer's static fromConfig.
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

/** A contiguous gradient whose memory is not the parameter's (an in-place update must not read what it writes). */
function gradientBuffer(p: Tensor, g: Tensor): Tensor {
  const c = g.contiguousCopy();
  if (c.storage !== p.storage) return c;
  const copy = Tensor.fromArray((c.buffer as Float32Array).slice(c.offset, c.offset + c.size), [...g.shape]);
  if (c !== g) c.dispose();
  return copy;
}
