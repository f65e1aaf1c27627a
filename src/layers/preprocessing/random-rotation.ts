import type { LayerConverter } from '../../onnx/export/converter';
import type { LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { Affine } from './image-sampling';
import { RandomAffineLayer, type RandomAffineArgs } from './random-affine';
import { type FactorRange, factorRange } from './random-layer';

/**
 * Rotates each training image by a random angle (Keras `RandomRotation`): `factor` is a fraction of
 * a full turn, `f` for [-f, f] or `[lower, upper]` (0.1 is up to 36 degrees either way); positive
 * angles turn counter-clockwise. Identity at inference.
 */
export class RandomRotation extends RandomAffineLayer {
  readonly className = 'RandomRotation';
  readonly factor: [number, number];

  constructor(args: RandomAffineArgs & { factor: FactorRange }) {
    super(args, 'random_rotation');
    this.factor = factorRange(this.name, 'factor', args?.factor, -1, 1);
  }

  protected drawTransform(h: number, w: number): Affine {
    const angle = this.uniform(this.factor[0] * 2 * Math.PI, this.factor[1] * 2 * Math.PI);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Keras's rotation about the image center, as a map from output to input pixels.
    const xOffset = (w - 1 - (cos * (w - 1) - sin * (h - 1))) / 2;
    const yOffset = (h - 1 - (sin * (w - 1) + cos * (h - 1))) / 2;
    return [cos, -sin, xOffset, sin, cos, yOffset];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: this.factor };
  }
}

/** Random layers act only in training; the exported inference graph passes images through. */
export const identityConverter: LayerConverter = ({ inputs }) => [inputs[0]!];

export const randomRotationFactories = {
  randomRotation: (args: ArgsOf<typeof RandomRotation>) => new RandomRotation(args),
};

registerLayer('RandomRotation', RandomRotation, { onnx: identityConverter });
