// Pruning schedules: how sparse the masked weights should be at a given optimizer step, and at
// which steps the masks are recomputed (tfmot's PolynomialDecay / ConstantSparsity semantics).
import { argError, describe } from '../errors';

/** When and how much to prune; `tf.pruning.polynomialDecay(...)` or `tf.pruning.constantSparsity(...)`. */
export interface PruningSchedule {
  readonly className: 'PolynomialDecay' | 'ConstantSparsity';
  /** Fraction of zeros in each pruned weight at optimizer step `step` (0-based). */
  sparsityAt(step: number): number;
  /** Whether the masks are recomputed at the start of step `step`. */
  shouldUpdate(step: number): boolean;
  /** The sparsity the schedule ends at. */
  readonly finalSparsity: number;
  getConfig(): Record<string, number>;
}

/** Options of {@link polynomialDecay}. */
export interface PolynomialDecayOptions {
  /** Sparsity at `beginStep` (default 0). */
  initialSparsity?: number;
  /** Sparsity reached at `endStep` and kept after it. */
  finalSparsity: number;
  /** First step at which masks are computed (default 0). */
  beginStep?: number;
  /** Step at which `finalSparsity` is reached; after it masks are frozen. */
  endStep: number;
  /** Exponent of the decay (default 3: prunes fast early, slowly near the end). */
  power?: number;
  /** Steps between mask updates (default 100). */
  frequency?: number;
}

/** Options of {@link constantSparsity}. */
export interface ConstantSparsityOptions {
  targetSparsity: number;
  /** First step at which masks are computed (default 0). */
  beginStep?: number;
  /** Last step at which masks may be recomputed; -1 (default) means no end. */
  endStep?: number;
  /** Steps between mask updates (default 100). */
  frequency?: number;
}

function checkSparsity(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) argError(fn, arg, 'a number in [0, 1)', describe(v));
  return v;
}

function checkStep(fn: string, arg: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) argError(fn, arg, `an integer >= ${min}`, describe(v));
  return v as number;
}

function checkOptions(fn: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) argError(fn, 'options', 'an options object', describe(options));
}

/**
 * Sparsity rising from `initialSparsity` at `beginStep` to `finalSparsity` at `endStep` as
 * `final + (initial - final) * (1 - (step - begin) / (end - begin)) ** power`. Masks are
 * recomputed every `frequency` steps from `beginStep`, and once more at `endStep` so the final
 * sparsity is always reached exactly.
 */
export function polynomialDecay(options: PolynomialDecayOptions): PruningSchedule {
  const fn = 'pruning.polynomialDecay';
  checkOptions(fn, options);
  const initial = checkSparsity(fn, 'initialSparsity', options.initialSparsity ?? 0);
  const final = checkSparsity(fn, 'finalSparsity', options.finalSparsity);
  const begin = checkStep(fn, 'beginStep', options.beginStep ?? 0, 0);
  const end = checkStep(fn, 'endStep', options.endStep, begin + 1);
  const power = options.power ?? 3;
  if (typeof power !== 'number' || !(power > 0) || !Number.isFinite(power)) argError(fn, 'power', 'a positive number', describe(options.power));
  const frequency = checkStep(fn, 'frequency', options.frequency ?? 100, 1);
  return {
    className: 'PolynomialDecay',
    finalSparsity: final,
    sparsityAt(step: number): number {
      const t = Math.min(Math.max(step - begin, 0), end - begin) / (end - begin);
      return final + (initial - final) * (1 - t) ** power;
    },
    shouldUpdate(step: number): boolean {
      return step >= begin && step <= end && ((step - begin) % frequency === 0 || step === end);
    },
    getConfig: () => ({ initialSparsity: initial, finalSparsity: final, beginStep: begin, endStep: end, power, frequency }),
  };
}

/** One sparsity throughout, with masks recomputed every `frequency` steps from `beginStep` to `endStep`. */
export function constantSparsity(options: ConstantSparsityOptions): PruningSchedule {
  const fn = 'pruning.constantSparsity';
  checkOptions(fn, options);
  const target = checkSparsity(fn, 'targetSparsity', options.targetSparsity);
  const begin = checkStep(fn, 'beginStep', options.beginStep ?? 0, 0);
  const end = options.endStep ?? -1;
  if (end !== -1) checkStep(fn, 'endStep', end, begin);
  const frequency = checkStep(fn, 'frequency', options.frequency ?? 100, 1);
  return {
    className: 'ConstantSparsity',
    finalSparsity: target,
    sparsityAt: () => target,
    shouldUpdate: (step: number) => step >= begin && (end === -1 || step <= end) && (step - begin) % frequency === 0,
    getConfig: () => ({ targetSparsity: target, beginStep: begin, endStep: end, frequency }),
  };
}
