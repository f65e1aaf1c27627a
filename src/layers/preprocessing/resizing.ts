import { argError, describe } from '../../errors';
import type { LayerConverter } from '../../onnx/export/converter';
import type { Tensor } from '../../tensor/tensor';
import { Layer, type LayerArgs, type LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { ShapeWithBatch } from '../symbolic-tensor';
import { INTERPOLATIONS, type Interpolation, resizeAffine, sampleImages } from './image-sampling';
import { checkChoice } from './random-layer';
import { type CropBox, resizeNhwc } from './resize-onnx';

export function checkSize(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) argError(fn, arg, 'a positive integer', describe(value));
  return value;
}

export function checkImageShape(fn: string, shape: readonly (number | null)[]): void {
  if (shape.length !== 4) argError(fn, 'inputShape', 'images [batch, height, width, channels] (channels last)', `[${shape.join(',')}]`);
}

/** The centred region of an h x w image with the aspect ratio of outH x outW (Keras's crop_to_aspect_ratio). */
export function aspectCrop(h: number, w: number, outH: number, outW: number): CropBox {
  // Keras truncates the crop size (and keeps at least one pixel).
  const cropH = Math.max(1, Math.min(h, Math.floor((w * outH) / outW)));
  const cropW = Math.max(1, Math.min(w, Math.floor((h * outW) / outH)));
  return { top: Math.floor((h - cropH) / 2), left: Math.floor((w - cropW) / 2), height: cropH, width: cropW };
}

/**
 * `x` [N, H, W, C] resized to height x width with half-pixel centres (tf.image.resize), after
 * cropping the centred region of the target aspect ratio when `cropToAspectRatio`. Differentiable.
 */
export function resizeImages(fn: string, x: Tensor, height: number, width: number, interpolation: Interpolation, cropToAspectRatio: boolean): Tensor {
  checkImageShape(fn, x.shape);
  const [n, h, w] = x.shape as [number, number, number];
  const r = cropToAspectRatio ? aspectCrop(h, w, height, width) : { top: 0, left: 0, height: h, width: w };
  const map = resizeAffine(r.height, r.width, height, width);
  return sampleImages(fn, x, new Array(n).fill(map), { outHeight: height, outWidth: width, interpolation, fillMode: 'nearest', fillValue: 0, region: r });
}

/**
 * Resizes channels-last images [N, H, W, C] to `height` x `width` (Keras `Resizing`) with bilinear
 * (default) or nearest interpolation and half-pixel centres, as tf.image.resize. With
 * `cropToAspectRatio` the largest centred region of the target aspect ratio is resized, so images
 * are not distorted. Acts at inference too (and exports to ONNX Resize); differentiable.
 */
export class Resizing extends Layer {
  readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: Interpolation;
  readonly cropToAspectRatio: boolean;

  constructor(args: LayerArgs & { height: number; width: number; interpolation?: Interpolation; cropToAspectRatio?: boolean }) {
    super(args, 'resizing');
    this.height = checkSize(this.name, 'height', args?.height);
    this.width = checkSize(this.name, 'width', args.width);
    this.interpolation = checkChoice(this.name, 'interpolation', args.interpolation, INTERPOLATIONS, 'bilinear');
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    checkImageShape(this.name, s);
    return [s[0] ?? null, this.height, this.width, s[3] ?? null];
  }

  /** @internal the region of an h x w input that is resized. */
  region(h: number, w: number): CropBox {
    return this.cropToAspectRatio ? aspectCrop(h, w, this.height, this.width) : { top: 0, left: 0, height: h, width: w };
  }

  call(x: Tensor): Tensor {
    return resizeImages(this.name, x, this.height, this.width, this.interpolation, this.cropToAspectRatio);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), height: this.height, width: this.width, interpolation: this.interpolation, cropToAspectRatio: this.cropToAspectRatio };
  }
}

export const convertResizing: LayerConverter = (args, ctx) => {
  const layer = args.layer as Resizing;
  const [, h, w] = args.inputShapes[0]!;
  if (typeof h !== 'number' || typeof w !== 'number') throw new Error(`exportOnnx: layer '${layer.name}' (Resizing) needs a known input height and width`);
  const crop = layer.cropToAspectRatio ? layer.region(h, w) : null;
  return [resizeNhwc(ctx, args.inputs[0]!, crop, layer.height, layer.width, layer.interpolation)];
};

export const resizingFactories = {
  resizing: (args: ArgsOf<typeof Resizing>) => new Resizing(args),
};

registerLayer('Resizing', Resizing, { onnx: convertResizing });
