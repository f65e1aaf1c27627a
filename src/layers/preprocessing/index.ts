// The Keras preprocessing and augmentation layers, one module per layer; loading this index
// registers them all (src/layers/index.ts spreads the factories into `layers`).
import { centerCropFactories } from './center-crop';
import { normalizationFactories } from './normalization';
import { randomContrastFactories } from './random-contrast';
import { randomFlipFactories } from './random-flip';
import { randomRotationFactories } from './random-rotation';
import { randomTranslationFactories } from './random-translation';
import { randomZoomFactories } from './random-zoom';
import { rescalingFactories } from './rescaling';
import { resizingFactories } from './resizing';

export const preprocessingFactories = {
  ...rescalingFactories,
  ...resizingFactories,
  ...centerCropFactories,
  ...normalizationFactories,
  ...randomFlipFactories,
  ...randomRotationFactories,
  ...randomZoomFactories,
  ...randomTranslationFactories,
  ...randomContrastFactories,
};

export { Rescaling } from './rescaling';
export { Resizing } from './resizing';
export { CenterCrop } from './center-crop';
export { Normalization, type AdaptData } from './normalization';
export { RandomFlip, type FlipMode } from './random-flip';
export { RandomRotation } from './random-rotation';
export { RandomZoom } from './random-zoom';
export { RandomTranslation } from './random-translation';
export { RandomContrast } from './random-contrast';
export { RandomLayer, type RandomLayerArgs, type FactorRange } from './random-layer';
export type { RandomAffineArgs } from './random-affine';
export type { FillMode, Interpolation } from './image-sampling';
