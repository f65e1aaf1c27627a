// The random geometric augmentations (rotation, zoom, translation): one affine map per image,
// resampled with the layer's interpolation and fill mode.
import { argError, describe } from '../../errors';
import type { Tensor } from '../../tensor/tensor';
import type { LayerConfig } from '../layer';
import { type Affine, FILL_MODES, type FillMode, INTERPOLATIONS, type Interpolation, sampleImages } from './image-sampling';
import { RandomLayer, type RandomLayerArgs, checkChoice } from './random-layer';

/** Options of the random geometric layers (Keras names). */
export interface RandomAffineArgs extends RandomLayerArgs {
  /** How points outside the input are filled (default 'reflect'). */
  fillMode?: FillMode;
  /** Default 'bilinear'. */
  interpolation?: Interpolation;
  /** The value of `fillMode: 'constant'` (default 0). */
  fillValue?: number;
}

export abstract class RandomAffineLayer extends RandomLayer {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  constructor(args: RandomAffineArgs, defaultName: string) {
    super(args, defaultName);
    this.fillMode = checkChoice(defaultName, 'fillMode', args.fillMode, FILL_MODES, 'reflect');
    this.interpolation = checkChoice(defaultName, 'interpolation', args.interpolation, INTERPOLATIONS, 'bilinear');
    const fill = args.fillValue ?? 0;
    if (typeof fill !== 'number' || !Number.isFinite(fill)) argError(defaultName, 'fillValue', 'a finite number', describe(args.fillValue));
    this.fillValue = fill;
  }

  /** The map of one image of `height` x `width`, drawn afresh. */
  protected abstract drawTransform(height: number, width: number): Affine;

  protected augment(x: Tensor): Tensor {
    if (x.rank !== 4) argError(this.name, 'inputs', 'images [batch, height, width, channels]', describe(x));
    const [n, h, w] = x.shape as [number, number, number];
    const transforms = Array.from({ length: n }, () => this.drawTransform(h, w));
    return sampleImages(this.name, x, transforms, { outHeight: h, outWidth: w, interpolation: this.interpolation, fillMode: this.fillMode, fillValue: this.fillValue });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue };
  }
}
