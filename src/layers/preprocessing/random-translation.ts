import { argError, describe } from '../../errors';
import type { LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { Affine } from './image-sampling';
import { RandomAffineLayer, type RandomAffineArgs } from './random-affine';
import { type FactorRange, factorRange } from './random-layer';
import { identityConverter } from './random-rotation';

/**
 * Shifts each training image by a random offset (Keras `RandomTranslation`): factors are fractions
 * of the height and width, `f` for [-f, f] or `[lower, upper]` in [-1, 1]; positive values move the
 * content down / right. Identity at inference.
 */
export class RandomTranslation extends RandomAffineLayer {
  readonly className = 'RandomTranslation';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];

  constructor(args: RandomAffineArgs & { heightFactor: FactorRange; widthFactor: FactorRange }) {
    super(args, 'random_translation');
    for (const key of ['heightFactor', 'widthFactor'] as const) {
      if (args?.[key] === undefined) argError(this.name, key, 'a number or [lower, upper] within [-1, 1]', describe(undefined));
    }
    this.heightFactor = factorRange(this.name, 'heightFactor', args.heightFactor, -1, 1);
    this.widthFactor = factorRange(this.name, 'widthFactor', args.widthFactor, -1, 1);
  }

  protected drawTransform(h: number, w: number): Affine {
    const dy = this.uniform(this.heightFactor[0], this.heightFactor[1]) * h;
    const dx = this.uniform(this.widthFactor[0], this.widthFactor[1]) * w;
    return [1, 0, -dx, 0, 1, -dy];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
}

export const randomTranslationFactories = {
  randomTranslation: (args: ArgsOf<typeof RandomTranslation>) => new RandomTranslation(args),
};

registerLayer('RandomTranslation', RandomTranslation, { onnx: identityConverter });
