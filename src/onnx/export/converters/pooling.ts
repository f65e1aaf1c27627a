// Pooling, upsampling and zero padding (channels-first ONNX ops, transposed around for channels-last).
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, UpSampling2D, ZeroPadding2D } from '../../../layers/pooling';
import type { LayerConverter, OnnxAttr } from '../converter';
import { attr, constF32, constI64, node } from '../ops';
import { channelsFirstIo, paddingAttrs } from './convolutional';
import { expectLayer, registerBuiltinConverter } from './util';

export const convertMaxPooling2D: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, MaxPooling2D);
  const { x, spatial, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  // Padded cells never win a max (ONNX pads MaxPool with -inf, the library skips them).
  const y = node(ctx, 'MaxPool', [x], {
    kernel_shape: attr.ints(layer.poolSize),
    strides: attr.ints(layer.strides),
    ...paddingAttrs(layer.padding, spatial, layer.poolSize, layer.strides),
  });
  return [back(y)];
};

export const convertAveragePooling2D: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, AveragePooling2D);
  const { x, spatial, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  // 'same' averages leave the padded cells out of the count, as TensorFlow does.
  const y = node(ctx, 'AveragePool', [x], {
    kernel_shape: attr.ints(layer.poolSize),
    strides: attr.ints(layer.strides),
    count_include_pad: attr.int(0),
    ...paddingAttrs(layer.padding, spatial, layer.poolSize, layer.strides),
  });
  return [back(y)];
};

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool', Cls: abstract new (...a: never[]) => GlobalAveragePooling2D | GlobalMaxPooling2D): LayerConverter {
  return (args, ctx) => {
    const layer = expectLayer(args, Cls);
    const { x, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
    const y = node(ctx, op, [x]); // [N, C, 1, 1]
    if (layer.keepDims) return [back(y)];
    return [node(ctx, 'Flatten', [y], { axis: attr.int(1) })];
  };
}

export const convertGlobalAveragePooling2D = globalPool('GlobalAveragePool', GlobalAveragePooling2D);
export const convertGlobalMaxPooling2D = globalPool('GlobalMaxPool', GlobalMaxPooling2D);

export const convertUpSampling2D: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, UpSampling2D);
  const { x, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  const scales = constF32(ctx, [1, 1, layer.size[0], layer.size[1]], [4], 'scales');
  // nearest: source cell floor(i / f) (asymmetric + floor); bilinear: half-pixel centres with
  // clamped edges, as the library (and tf.image.resize) computes them.
  const attributes: Record<string, OnnxAttr> = layer.interpolation === 'nearest'
    ? { mode: attr.str('nearest'), coordinate_transformation_mode: attr.str('asymmetric'), nearest_mode: attr.str('floor') }
    : { mode: attr.str('linear'), coordinate_transformation_mode: attr.str('half_pixel') };
  return [back(node(ctx, 'Resize', [x, '', scales], attributes))];
};

export const convertZeroPadding2D: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, ZeroPadding2D);
  const { x, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  const [[t, b], [l, r]] = layer.padding;
  const pads = constI64(ctx, [0, 0, t, l, 0, 0, b, r], 'pads');
  return [back(node(ctx, 'Pad', [x, pads], { mode: attr.str('constant') }))];
};

registerBuiltinConverter('MaxPooling2D', convertMaxPooling2D);
registerBuiltinConverter('AveragePooling2D', convertAveragePooling2D);
registerBuiltinConverter('GlobalAveragePooling2D', convertGlobalAveragePooling2D);
registerBuiltinConverter('GlobalMaxPooling2D', convertGlobalMaxPooling2D);
registerBuiltinConverter('UpSampling2D', convertUpSampling2D);
registerBuiltinConverter('ZeroPadding2D', convertZeroPadding2D);
