// Registers the converter of every built-in layer class (without replacing a user's own).
import { registerDefaultOnnxConverter } from '../converter';
import type { LayerConverter } from '../converter';
import { convertMultiHeadAttention } from './attention';
import { convertActivation, convertDense, convertDropout, convertEmbedding, convertFlatten, convertIdentity, convertMasking, convertReshape } from './basic';
import { convertConv1D, convertConv2D, convertConv2DTranspose, convertSeparableConv2D } from './convolutional';
import { convertAdd, convertAverage, convertConcatenate, convertMaximum, convertMinimum, convertMultiply, convertSubtract } from './merge';
import { convertBatchNormalization, convertLayerNormalization } from './normalization';
import {
  convertAveragePooling2D, convertGlobalAveragePooling2D, convertGlobalMaxPooling2D, convertMaxPooling2D, convertUpSampling2D, convertZeroPadding2D,
} from './pooling';
import { convertBidirectional, convertRecurrent, convertTimeDistributed } from './recurrent';

const builtins: Record<string, LayerConverter> = {
  InputLayer: convertIdentity,
  Dense: convertDense,
  Activation: convertActivation,
  Dropout: convertDropout,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  Embedding: convertEmbedding,
  Masking: convertMasking,
  BatchNormalization: convertBatchNormalization,
  LayerNormalization: convertLayerNormalization,
  Conv1D: convertConv1D,
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertConv2D,
  SeparableConv2D: convertSeparableConv2D,
  Conv2DTranspose: convertConv2DTranspose,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  UpSampling2D: convertUpSampling2D,
  ZeroPadding2D: convertZeroPadding2D,
  Add: convertAdd,
  Subtract: convertSubtract,
  Multiply: convertMultiply,
  Average: convertAverage,
  Maximum: convertMaximum,
  Minimum: convertMinimum,
  Concatenate: convertConcatenate,
  SimpleRNN: convertRecurrent,
  LSTM: convertRecurrent,
  GRU: convertRecurrent,
  Bidirectional: convertBidirectional,
  TimeDistributed: convertTimeDistributed,
  MultiHeadAttention: convertMultiHeadAttention,
};

let registered = false;

/** Registers the built-in converters once. */
export function registerBuiltinConverters(): void {
  if (registered) return;
  registered = true;
  for (const [name, converter] of Object.entries(builtins)) registerDefaultOnnxConverter(name, converter);
}

/** Layer classes with a built-in converter. */
export function builtinConverterClassNames(): string[] {
  return Object.keys(builtins);
}
