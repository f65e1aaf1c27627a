import { argError, describe } from '../errors';
import {
  type JsonValue,
  type SerializedObject,
  booleanOption,
  checkNumber,
  configToOptions,
  nullableNumberOption,
  numberOption,
  readOptions,
  readSerialized,
} from './options';

/**
 * A learning rate that depends on the optimizer's step count (Keras `LearningRateSchedule`).
 * Optimizers evaluate it at `iterations`, the number of updates applied so far (0 on the first).
 */
export abstract class LearningRateSchedule {
  /** Name used when serialized (Keras's class name where one exists). */
  abstract readonly className: string;
  /** The learning rate at `step` (the optimizer passes its `iterations`). */
  abstract call(step: number): number;
  /** Constructor options as a JSON-safe object (Keras config keys in camelCase). */
  abstract getConfig(): { [key: string]: JsonValue };
}

const nonNegative = { min: 0 };
const positive = { min: 0, minExclusive: true };

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole periods of `decaySteps` (a step function) instead of continuously. */
  staircase?: boolean;
}

/** `initialLearningRate * decayRate ^ (step / decaySteps)`, the exponent floored when `staircase`. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(options: ExponentialDecayOptions) {
    super();
    const fn = 'exponentialDecay';
    const o = readOptions(fn, options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
    this.initialLearningRate = checkNumber(fn, 'initialLearningRate', o['initialLearningRate'], nonNegative);
    this.decaySteps = checkNumber(fn, 'decaySteps', o['decaySteps'], positive);
    this.decayRate = checkNumber(fn, 'decayRate', o['decayRate'], positive);
    this.staircase = booleanOption(fn, 'staircase', o['staircase'], false);
  }

  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate * this.decayRate ** p;
  }

  getConfig(): { [key: string]: JsonValue } {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this;
    return { initialLearningRate, decaySteps, decayRate, staircase };
  }
}

/** Options of {@link inverseTimeDecay}. */
export interface InverseTimeDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole periods of `decaySteps` instead of continuously. */
  staircase?: boolean;
}

/**
 * `initialLearningRate / (1 + decayRate * step / decaySteps)`, the ratio floored when `staircase`
 * (Keras `InverseTimeDecay`). With decaySteps 1 it is tfjs's and Keras 2's time-based `decay`.
 */
export class InverseTimeDecay extends LearningRateSchedule {
  readonly className = 'InverseTimeDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(options: InverseTimeDecayOptions) {
    super();
    const fn = 'inverseTimeDecay';
    const o = readOptions(fn, options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
    this.initialLearningRate = checkNumber(fn, 'initialLearningRate', o['initialLearningRate'], nonNegative);
    this.decaySteps = checkNumber(fn, 'decaySteps', o['decaySteps'], positive);
    this.decayRate = checkNumber(fn, 'decayRate', o['decayRate'], nonNegative);
    this.staircase = booleanOption(fn, 'staircase', o['staircase'], false);
  }

  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate / (1 + this.decayRate * p);
  }

  getConfig(): { [key: string]: JsonValue } {
    const { initialLearningRate, decaySteps, decayRate, staircase } = this;
    return { initialLearningRate, decaySteps, decayRate, staircase };
  }
}

/** Options of {@link piecewiseConstantDecay}. */
export interface PiecewiseConstantDecayOptions {
  /** Increasing step numbers where the rate changes. */
  boundaries: number[];
  /** One more value than boundaries: `values[0]` up to and including `boundaries[0]`, and so on. */
  values: number[];
}

/**
 * `values[0]` for step <= boundaries[0], `values[i]` for boundaries[i-1] < step <= boundaries[i],
 * and the last value after the last boundary (Keras `PiecewiseConstantDecay`).
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: readonly number[];
  readonly values: readonly number[];

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const fn = 'piecewiseConstantDecay';
    const o = readOptions(fn, options, ['boundaries', 'values']);
    const boundaries = o['boundaries'];
    const values = o['values'];
    if (!Array.isArray(boundaries)) argError(fn, 'boundaries', 'an array of increasing numbers', describe(boundaries));
    if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
      argError(fn, 'values', `an array of ${boundaries.length + 1} numbers (one more than boundaries)`, describe(values));
    }
    boundaries.forEach((b, i) => {
      checkNumber(fn, `boundaries[${i}]`, b);
      if (i > 0 && !(b > boundaries[i - 1])) argError(fn, 'boundaries', 'strictly increasing numbers', describe(boundaries));
    });
    values.forEach((v, i) => checkNumber(fn, `values[${i}]`, v, nonNegative));
    this.boundaries = [...(boundaries as number[])];
    this.values = [...(values as number[])];
  }

  call(step: number): number {
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && step > b[i]!) i++;
    return this.values[i]!;
  }

  getConfig(): { [key: string]: JsonValue } {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

/** Options of {@link cosineDecay}. */
export interface CosineDecayOptions {
  initialLearningRate: number;
  /** Steps to decay over (after the warmup, when there is one). */
  decaySteps: number;
  /** Final rate as a fraction of the rate decayed from. Default 0. */
  alpha?: number;
  /** With `warmupSteps`: rise linearly from initialLearningRate to this, then decay from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

/**
 * Cosine decay (Keras `CosineDecay`): `from * ((1 - alpha) * 0.5 * (1 + cos(pi * t / decaySteps)) + alpha)`
 * with t capped at decaySteps. With `warmupTarget`, the first `warmupSteps` steps go linearly from
 * initialLearningRate to warmupTarget and the decay starts from warmupTarget.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(options: CosineDecayOptions) {
    super();
    const fn = 'cosineDecay';
    const o = readOptions(fn, options, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps']);
    this.initialLearningRate = checkNumber(fn, 'initialLearningRate', o['initialLearningRate'], nonNegative);
    this.decaySteps = checkNumber(fn, 'decaySteps', o['decaySteps'], positive);
    this.alpha = numberOption(fn, 'alpha', o['alpha'], 0, { min: 0, max: 1 });
    this.warmupTarget = nullableNumberOption(fn, 'warmupTarget', o['warmupTarget'], nonNegative);
    this.warmupSteps = numberOption(fn, 'warmupSteps', o['warmupSteps'], 0, nonNegative);
  }

  call(step: number): number {
    if (this.warmupTarget === null) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps) {
      return (this.warmupTarget - this.initialLearningRate) * (s / this.warmupSteps) + this.initialLearningRate;
    }
    return this.decay(s - this.warmupSteps, this.warmupTarget);
  }

  private decay(step: number, from: number): number {
    const cosine = 0.5 * (1 + Math.cos(Math.PI * (step / this.decaySteps)));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): { [key: string]: JsonValue } {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps } = this;
    return { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps };
  }
}

/** Options of {@link warmup}. */
export interface WarmupOptions {
  /** What to warm up to: a schedule (which then starts at step 0 when the warmup ends) or a constant rate. */
  schedule: LearningRateSchedule | number;
  warmupSteps: number;
  /** Rate at step 0. Default 0. */
  initialLearningRate?: number;
}

/**
 * Linear warmup in front of another schedule: for step < warmupSteps the rate goes linearly from
 * `initialLearningRate` to the schedule's value at its step 0; after that it is
 * `schedule(step - warmupSteps)`.
 */
export class LinearWarmup extends LearningRateSchedule {
  readonly className = 'LinearWarmup';
  readonly schedule: LearningRateSchedule | number;
  readonly warmupSteps: number;
  readonly initialLearningRate: number;

  constructor(options: WarmupOptions) {
    super();
    const fn = 'warmup';
    const o = readOptions(fn, options, ['schedule', 'warmupSteps', 'initialLearningRate']);
    const schedule = o['schedule'];
    if (!(schedule instanceof LearningRateSchedule)) checkNumber(fn, 'schedule', schedule, nonNegative);
    this.schedule = schedule as LearningRateSchedule | number;
    this.warmupSteps = checkNumber(fn, 'warmupSteps', o['warmupSteps'], positive);
    this.initialLearningRate = numberOption(fn, 'initialLearningRate', o['initialLearningRate'], 0, nonNegative);
  }

  call(step: number): number {
    const target = (s: number): number => (typeof this.schedule === 'number' ? this.schedule : this.schedule.call(s));
    if (step < this.warmupSteps) {
      return this.initialLearningRate + (target(0) - this.initialLearningRate) * (step / this.warmupSteps);
    }
    return target(step - this.warmupSteps);
  }

  getConfig(): { [key: string]: JsonValue } {
    const schedule = typeof this.schedule === 'number' ? this.schedule : serializeSchedule(this.schedule);
    return { schedule, warmupSteps: this.warmupSteps, initialLearningRate: this.initialLearningRate };
  }
}

/** Exponential decay schedule; see {@link ExponentialDecay}. */
export function exponentialDecay(options: ExponentialDecayOptions): ExponentialDecay {
  return new ExponentialDecay(options);
}

/** Inverse time decay schedule; see {@link InverseTimeDecay}. */
export function inverseTimeDecay(options: InverseTimeDecayOptions): InverseTimeDecay {
  return new InverseTimeDecay(options);
}

/** Piecewise constant schedule; see {@link PiecewiseConstantDecay}. */
export function piecewiseConstantDecay(options: PiecewiseConstantDecayOptions): PiecewiseConstantDecay {
  return new PiecewiseConstantDecay(options);
}

/**
 * Step decay: the same schedule as {@link piecewiseConstantDecay} (explicit boundaries and values).
 * For a rate multiplied by a factor every N steps use `exponentialDecay({ ..., staircase: true })`.
 */
export const stepDecay = piecewiseConstantDecay;

/** Cosine decay with optional warmup; see {@link CosineDecay}. */
export function cosineDecay(options: CosineDecayOptions): CosineDecay {
  return new CosineDecay(options);
}

/** Linear warmup into a schedule or a constant; see {@link LinearWarmup}. */
export function warmup(options: WarmupOptions): LinearWarmup {
  return new LinearWarmup(options);
}

/** `{ className, config }` for a schedule (what optimizers put in their config). */
export function serializeSchedule(schedule: LearningRateSchedule): SerializedObject {
  return { className: schedule.className, config: schedule.getConfig() };
}

/**
 * Rebuilds a schedule from {@link serializeSchedule}'s output, or from a Keras config
 * (`{ class_name: 'ExponentialDecay', config: { initial_learning_rate, ... } }`).
 */
export function deserializeSchedule(value: unknown): LearningRateSchedule {
  const fn = 'deserializeSchedule';
  if (value instanceof LearningRateSchedule) return value;
  const { className, config } = readSerialized(fn, 'value', value);
  const options = configToOptions(fn, config);
  switch (className.toLowerCase()) {
    case 'exponentialdecay':
      return new ExponentialDecay(options as unknown as ExponentialDecayOptions);
    case 'inversetimedecay':
      return new InverseTimeDecay(options as unknown as InverseTimeDecayOptions);
    case 'piecewiseconstantdecay':
      return new PiecewiseConstantDecay(options as unknown as PiecewiseConstantDecayOptions);
    case 'cosinedecay':
      return new CosineDecay(options as unknown as CosineDecayOptions);
    case 'linearwarmup': {
      const inner = options['schedule'];
      if (typeof inner === 'object' && inner !== null) options['schedule'] = deserializeSchedule(inner);
      return new LinearWarmup(options as unknown as WarmupOptions);
    }
    default:
      return argError(
        fn,
        'className',
        "one of 'ExponentialDecay', 'InverseTimeDecay', 'PiecewiseConstantDecay', 'CosineDecay', 'LinearWarmup'",
        describe(className),
      );
  }
}
