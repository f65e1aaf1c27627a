import { argError, describe } from '../../errors';
import { add, mul, sub } from '../../ops/binary';
import { tensor } from '../../ops/creation';
import { mean } from '../../ops/reduce';
import { clip } from '../../ops/unary';
import type { Tensor } from '../../tensor/tensor';
import type { LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import { type FactorRange, RandomLayer, type RandomLayerArgs } from './random-layer';
import { identityConverter } from './random-rotation';

/**
 * Scales each training image's contrast by a random factor (Keras `RandomContrast`): per image and
 * channel, `(x - mean) * c + mean` with c drawn from [1 - lower, 1 + upper] (`factor` f gives
 * [1 - f, 1 + f]), then clipped to `valueRange` (default [0, 255]; use [0, 1] for scaled images).
 * Identity at inference.
 */
export class RandomContrast extends RandomLayer {
  readonly className = 'RandomContrast';
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(args: RandomLayerArgs & { factor: FactorRange; valueRange?: readonly [number, number] }) {
    super(args, 'random_contrast');
    // Keras reads both bounds as distances from 1: [1 - lower, 1 + upper].
    const f = args?.factor;
    const pair = typeof f === 'number' ? [f, f] : f;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
      argError(this.name, 'factor', 'a number in [0, 1] or [lower, upper] of such numbers', describe(f));
    }
    this.factor = [pair[0]!, pair[1]!];
    const range = args.valueRange ?? [0, 255];
    if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number' && Number.isFinite(v)) || range[0] >= range[1]) {
      argError(this.name, 'valueRange', '[low, high] with low < high', describe(args.valueRange));
    }
    this.valueRange = [range[0], range[1]];
  }

  protected augment(x: Tensor): Tensor {
    if (x.rank !== 4) argError(this.name, 'inputs', 'images [batch, height, width, channels]', describe(x));
    const n = x.shape[0]!;
    const factors = Array.from({ length: n }, () => this.uniform(1 - this.factor[0], 1 + this.factor[1]));
    const c = tensor(factors, [n, 1, 1, 1]);
    const m = mean(x, [1, 2], true);
    return clip(add(mul(sub(x, m), c), m), this.valueRange[0], this.valueRange[1]);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange };
  }
}

export const randomContrastFactories = {
  randomContrast: (args: ArgsOf<typeof RandomContrast>) => new RandomContrast(args),
};

registerLayer('RandomContrast', RandomContrast, { onnx: identityConverter });
