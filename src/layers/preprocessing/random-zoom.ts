import { argError, describe } from '../../errors';
import type { LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { Affine } from './image-sampling';
import { RandomAffineLayer, type RandomAffineArgs } from './random-affine';
import { type FactorRange, factorRange } from './random-layer';
import { identityConverter } from './random-rotation';

/**
 * Zooms each training image by a random amount (Keras `RandomZoom`) about its center. Factors are
 * fractions, `f` for [-f, f] or `[lower, upper]`: positive values zoom out (the image shrinks and
 * the border is filled), negative values zoom in. Without `widthFactor` both axes zoom alike.
 * Identity at inference.
 */
export class RandomZoom extends RandomAffineLayer {
  readonly className = 'RandomZoom';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number] | null;

  constructor(args: RandomAffineArgs & { heightFactor: FactorRange; widthFactor?: FactorRange | null }) {
    super(args, 'random_zoom');
    if (args?.heightFactor === undefined) argError(this.name, 'heightFactor', 'a number or [lower, upper] within [-1, Infinity)', describe(undefined));
    this.heightFactor = factorRange(this.name, 'heightFactor', args.heightFactor, -1, Infinity);
    this.widthFactor = args.widthFactor === undefined || args.widthFactor === null ? null : factorRange(this.name, 'widthFactor', args.widthFactor, -1, Infinity);
  }

  protected drawTransform(h: number, w: number): Affine {
    const zy = 1 + this.uniform(this.heightFactor[0], this.heightFactor[1]);
    const zx = this.widthFactor ? 1 + this.uniform(this.widthFactor[0], this.widthFactor[1]) : zy;
    return [zx, 0, ((w - 1) / 2) * (1 - zx), 0, zy, ((h - 1) / 2) * (1 - zy)];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
}

export const randomZoomFactories = {
  randomZoom: (args: ArgsOf<typeof RandomZoom>) => new RandomZoom(args),
};

registerLayer('RandomZoom', RandomZoom, { onnx: identityConverter });
