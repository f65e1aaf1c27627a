import { argError, describe } from '../errors';
import { Activation, Dropout, Flatten, Reshape } from './basic';
import { Dense } from './dense';
import { Embedding } from './embedding';
import { InputLayer } from './input-layer';
import type { Layer, LayerConfig } from './layer';
import { BatchNormalization, LayerNormalization } from './normalization';
import { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './convolutional';
import { Masking } from './masking';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, UpSampling2D, ZeroPadding2D } from './pooling';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge';
import { MultiHeadAttention } from './attention';
import { Bidirectional, GRU, LSTM, SimpleRNN, TimeDistributed } from './recurrent';

type LayerClass = new (config: never) => Layer;

// className -> constructor; every layer's getConfig() output is valid input to its constructor,
// which is how loadModel rebuilds a model.
const classes = new Map<string, LayerClass>();

/** Registers a layer class for deserialization (later issues' layers register here too). */
export function registerLayer(className: string, cls: LayerClass): void {
  classes.set(className, cls);
}

for (const [name, cls] of Object.entries({
  Dense, Activation, Dropout, Flatten, Reshape, BatchNormalization, LayerNormalization, Embedding, InputLayer,
  Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Masking, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
  GlobalMaxPooling2D, UpSampling2D, ZeroPadding2D,
  Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, MultiHeadAttention,
  SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed,
})) registerLayer(name, cls as LayerClass);

/** Rebuilds a layer from `{ className, config }` as stored in model.json. */
export function deserializeLayer(className: string, config: LayerConfig): Layer {
  const cls = classes.get(className);
  if (!cls) argError('loadModel', 'layer className', `one of ${[...classes.keys()].join(', ')}`, describe(className));
  return new cls(config as never);
}
