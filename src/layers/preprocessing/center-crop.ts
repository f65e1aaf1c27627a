import type { LayerConverter } from '../../onnx/export/converter';
import { slice } from '../../ops/views';
import type { Tensor } from '../../tensor/tensor';
import { Layer, type LayerArgs, type LayerConfig } from '../layer';
import { type ArgsOf, registerLayer } from '../registry';
import type { ShapeWithBatch } from '../symbolic-tensor';
import { resizeAffine, sampleImages } from './image-sampling';
import { resizeNhwc } from './resize-onnx';
import { aspectCrop, checkImageShape, checkSize } from './resizing';

/**
 * Crops the centre `height` x `width` of channels-last images (Keras `CenterCrop`); the crop starts
 * at ((H - height) / 2, (W - width) / 2) rounded down. An input smaller than the target on either
 * side is instead cropped to the target's aspect ratio and resized up to it (bilinear), as Keras
 * does. Acts at inference too (exports to ONNX Slice / Resize).
 */
export class CenterCrop extends Layer {
  readonly className = 'CenterCrop';
  readonly height: number;
  readonly width: number;

  constructor(args: LayerArgs & { height: number; width: number }) {
    super(args, 'center_crop');
    this.height = checkSize(this.name, 'height', args?.height);
    this.width = checkSize(this.name, 'width', args.width);
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    checkImageShape(this.name, s);
    return [s[0] ?? null, this.height, this.width, s[3] ?? null];
  }

  /** @internal whether an h x w input is cropped (else cropped to the aspect ratio and resized). */
  fits(h: number, w: number): boolean {
    return h >= this.height && w >= this.width;
  }

  call(x: Tensor): Tensor {
    checkImageShape(this.name, x.shape);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (this.fits(h, w)) {
      const top = Math.floor((h - this.height) / 2);
      const left = Math.floor((w - this.width) / 2);
      return slice(x, [0, top, left, 0], [n, this.height, this.width, c]);
    }
    const r = aspectCrop(h, w, this.height, this.width);
    const map = resizeAffine(r.height, r.width, this.height, this.width);
    return sampleImages(this.name, x, new Array(n).fill(map), { outHeight: this.height, outWidth: this.width, interpolation: 'bilinear', fillMode: 'nearest', fillValue: 0, region: r });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}

export const convertCenterCrop: LayerConverter = (args, ctx) => {
  const layer = args.layer as CenterCrop;
  const [, h, w] = args.inputShapes[0]!;
  if (typeof h !== 'number' || typeof w !== 'number') throw new Error(`exportOnnx: layer '${layer.name}' (CenterCrop) needs a known input height and width`);
  const crop = layer.fits(h, w)
    ? { top: Math.floor((h - layer.height) / 2), left: Math.floor((w - layer.width) / 2), height: layer.height, width: layer.width }
    : aspectCrop(h, w, layer.height, layer.width);
  return [resizeNhwc(ctx, args.inputs[0]!, crop, layer.height, layer.width, 'bilinear')];
};

export const centerCropFactories = {
  centerCrop: (args: ArgsOf<typeof CenterCrop>) => new CenterCrop(args),
};

registerLayer('CenterCrop', CenterCrop, { onnx: convertCenterCrop });
