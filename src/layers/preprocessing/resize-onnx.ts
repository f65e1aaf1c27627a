// ONNX form of resizing channels-last images: to NCHW, an optional crop, Resize to a fixed height
// and width (the batch and channels taken from the input at run time), back to NHWC.
import type { OnnxAttr, OnnxExportContext } from '../../onnx/export/converter';
import { attr, constI64, node, transpose } from '../../onnx/export/ops';
import type { Interpolation } from './image-sampling';

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** `x` [N, H, W, C] cropped to `crop` (when given) and resized to outH x outW as the layers do. */
export function resizeNhwc(ctx: OnnxExportContext, x: string, crop: CropBox | null, outH: number, outW: number, interpolation: Interpolation): string {
  let y = transpose(ctx, x, [0, 3, 1, 2]);
  if (crop) {
    y = node(ctx, 'Slice', [y, constI64(ctx, [crop.top, crop.left]), constI64(ctx, [crop.top + crop.height, crop.left + crop.width]), constI64(ctx, [2, 3])]);
  }
  if (!crop || crop.height !== outH || crop.width !== outW) {
    const batchAndChannels = node(ctx, 'Slice', [node(ctx, 'Shape', [y]), constI64(ctx, [0]), constI64(ctx, [2]), constI64(ctx, [0])]);
    const sizes = node(ctx, 'Concat', [batchAndChannels, constI64(ctx, [outH, outW])], { axis: attr.int(0) });
    // Half-pixel centres as tf.image.resize; for nearest, round_prefer_ceil of (i + 0.5) s - 0.5 is
    // floor((i + 0.5) s), TensorFlow's pick.
    const attributes: Record<string, OnnxAttr> = interpolation === 'nearest'
      ? { mode: attr.str('nearest'), coordinate_transformation_mode: attr.str('half_pixel'), nearest_mode: attr.str('round_prefer_ceil') }
      : { mode: attr.str('linear'), coordinate_transformation_mode: attr.str('half_pixel') };
    y = node(ctx, 'Resize', [y, '', '', sizes], attributes);
  }
  return transpose(ctx, y, [0, 2, 3, 1]);
}
