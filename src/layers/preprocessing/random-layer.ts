// What the random augmentation layers share: a seed (a private generator, else the global one that
// manualSeed sets), identity outside training, and the parsing of Keras's factor ranges.
import { argError, describe } from '../../errors';
import { Generator, globalGenerator } from '../../random/generator';
import type { Tensor } from '../../tensor/tensor';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from '../layer';
import type { SymbolicTensor } from '../symbolic-tensor';

/** A factor as Keras takes it: `f` for the range [-f, f], or `[lower, upper]`. */
export type FactorRange = number | readonly [number, number];

/** Options every random augmentation layer accepts. */
export interface RandomLayerArgs extends LayerArgs {
  /** Seed of the layer's own generator; without one it draws from the global generator (`manualSeed`). */
  seed?: number | null;
}

/** `[lower, upper]` from a factor: a number f gives [-f, f]; both bounds must lie in [min, max]. */
export function factorRange(fn: string, arg: string, value: unknown, min: number, max: number): [number, number] {
  const expected = `a number or [lower, upper] (lower <= upper) within ${max === Infinity ? `[${min}, Infinity)` : `[${min}, ${max}]`}`;
  let range: [number, number];
  if (typeof value === 'number') range = [-Math.abs(value), Math.abs(value)];
  else if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) range = [value[0] as number, value[1] as number];
  else return argError(fn, arg, expected, describe(value));
  if (!range.every((v) => Number.isFinite(v) && v >= min && v <= max) || range[0] > range[1]) argError(fn, arg, expected, describe(value));
  return range;
}

export function checkChoice<T extends string>(fn: string, arg: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) argError(fn, arg, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, describe(value));
  return value as T;
}

/**
 * Base of the random augmentation layers: `call` returns its input unchanged unless the call is in
 * training mode, where `augment` draws fresh random parameters per image. Models pass the mode
 * explicitly (fit: training; predict / evaluate: inference). Called directly without a `training`
 * flag, the layer augments, as Keras's random layers do (`call(x, training=True)`), so
 * `layer.apply(images)` shows what training sees.
 */
export abstract class RandomLayer extends Layer {
  readonly seed: number | undefined;
  private readonly generator: Generator | null;

  constructor(args: RandomLayerArgs, defaultName: string) {
    super(args, defaultName);
    const seed = args.seed ?? undefined;
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) argError(defaultName, 'seed', 'a finite number', describe(seed));
    this.seed = seed;
    this.generator = seed === undefined ? null : new Generator(seed);
  }

  /** The generator of this call: the layer's own when seeded, else the global one. */
  protected rng(): Generator {
    return this.generator ?? globalGenerator();
  }

  /** Uniform in [lo, hi). */
  protected uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.rng().uniform();
  }

  override apply(inputs: SymbolicTensor, ctx?: Partial<CallContext>): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], ctx?: Partial<CallContext>): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: Tensor, ctx?: Partial<CallContext>): Tensor;
  override apply(inputs: Tensor[], ctx?: Partial<CallContext>): Tensor | Tensor[];
  override apply(inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[], ctx: Partial<CallContext> = {}): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const resolved = ctx.training === undefined ? { ...ctx, training: true } : ctx;
    return (super.apply as (i: typeof inputs, c: Partial<CallContext>) => SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[]).call(this, inputs, resolved);
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    return ctx.training ? this.augment(x) : x;
  }

  protected abstract augment(x: Tensor): Tensor;

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}
