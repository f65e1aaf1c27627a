import { argError, describe } from '../../errors';
import type { Tensor } from '../../tensor/tensor';
import type { LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import { type Affine, sampleImages } from './image-sampling';
import { RandomLayer, type RandomLayerArgs, checkChoice } from './random-layer';
import { identityConverter } from './random-rotation';

/** Which flips {@link RandomFlip} may make (Keras spellings). */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

const MODES: readonly FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

/**
 * Flips each training image left-right and/or top-bottom, each with probability 1/2 (Keras
 * `RandomFlip`; default mode 'horizontal_and_vertical'). Identity at inference.
 */
export class RandomFlip extends RandomLayer {
  readonly className = 'RandomFlip';
  readonly mode: FlipMode;

  constructor(args: RandomLayerArgs & { mode?: FlipMode | 'horizontalAndVertical' } = {}) {
    super(args, 'random_flip');
    const mode = args.mode === 'horizontalAndVertical' ? 'horizontal_and_vertical' : args.mode;
    this.mode = checkChoice(this.name, 'mode', mode, MODES, 'horizontal_and_vertical');
  }

  protected augment(x: Tensor): Tensor {
    if (x.rank !== 4) argError(this.name, 'inputs', 'images [batch, height, width, channels]', describe(x));
    const [n, h, w] = x.shape as [number, number, number];
    const horizontal = this.mode !== 'vertical';
    const vertical = this.mode !== 'horizontal';
    const transforms = Array.from({ length: n }, (): Affine => {
      const fx = horizontal && this.rng().uniform() < 0.5;
      const fy = vertical && this.rng().uniform() < 0.5;
      return [fx ? -1 : 1, 0, fx ? w - 1 : 0, 0, fy ? -1 : 1, fy ? h - 1 : 0];
    });
    // Whole-pixel maps: nearest reads each pixel exactly.
    return sampleImages(this.name, x, transforms, { outHeight: h, outWidth: w, interpolation: 'nearest', fillMode: 'nearest', fillValue: 0 });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), mode: this.mode };
  }
}

export const randomFlipFactories = {
  randomFlip: (args: ArgsOf<typeof RandomFlip> = {}) => new RandomFlip(args),
};

registerLayer('RandomFlip', RandomFlip, { onnx: identityConverter });
