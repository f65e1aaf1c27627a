import { Activation, Dropout, Flatten, Reshape } from './basic';
import { Dense, type DenseArgs } from './dense';
import { Embedding } from './embedding';
import { InputLayer } from './input-layer';
import { BatchNormalization, LayerNormalization } from './normalization';
import { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './convolutional';
import { Masking } from './masking';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, UpSampling2D, ZeroPadding2D } from './pooling';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge';
import { MultiHeadAttention } from './attention';
import { Bidirectional, GRU, LSTM, SimpleRNN, TimeDistributed, type BidirectionalArgs, type GRUArgs, type LSTMArgs, type RNNArgs, type TimeDistributedArgs } from './recurrent';

type ArgsOf<C extends abstract new (...args: never[]) => unknown> = ConstructorParameters<C>[0];

/** Layer factories under their tfjs-layers names: `layers.dense({ units: 10, activation: 'softmax' })`. */
export const layers = {
  dense: (args: DenseArgs) => new Dense(args),
  activation: (args: ArgsOf<typeof Activation>) => new Activation(args),
  dropout: (args: ArgsOf<typeof Dropout>) => new Dropout(args),
  flatten: (args: ArgsOf<typeof Flatten> = {}) => new Flatten(args),
  reshape: (args: ArgsOf<typeof Reshape>) => new Reshape(args),
  batchNormalization: (args: ArgsOf<typeof BatchNormalization> = {}) => new BatchNormalization(args),
  layerNormalization: (args: ArgsOf<typeof LayerNormalization> = {}) => new LayerNormalization(args),
  embedding: (args: ArgsOf<typeof Embedding>) => new Embedding(args),
  inputLayer: (args: ArgsOf<typeof InputLayer>) => new InputLayer(args),
  conv1d: (args: ArgsOf<typeof Conv1D>) => new Conv1D(args),
  conv2d: (args: ArgsOf<typeof Conv2D>) => new Conv2D(args),
  conv2dTranspose: (args: ArgsOf<typeof Conv2DTranspose>) => new Conv2DTranspose(args),
  depthwiseConv2d: (args: ArgsOf<typeof DepthwiseConv2D>) => new DepthwiseConv2D(args),
  separableConv2d: (args: ArgsOf<typeof SeparableConv2D>) => new SeparableConv2D(args),
  masking: (args: ArgsOf<typeof Masking> = {}) => new Masking(args),
  maxPooling2d: (args: ArgsOf<typeof MaxPooling2D> = {}) => new MaxPooling2D(args),
  averagePooling2d: (args: ArgsOf<typeof AveragePooling2D> = {}) => new AveragePooling2D(args),
  globalAveragePooling2d: (args: ArgsOf<typeof GlobalAveragePooling2D> = {}) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args: ArgsOf<typeof GlobalMaxPooling2D> = {}) => new GlobalMaxPooling2D(args),
  upSampling2d: (args: ArgsOf<typeof UpSampling2D> = {}) => new UpSampling2D(args),
  zeroPadding2d: (args: ArgsOf<typeof ZeroPadding2D> = {}) => new ZeroPadding2D(args),
  add: (args: ArgsOf<typeof Add> = {}) => new Add(args),
  subtract: (args: ArgsOf<typeof Subtract> = {}) => new Subtract(args),
  multiply: (args: ArgsOf<typeof Multiply> = {}) => new Multiply(args),
  average: (args: ArgsOf<typeof Average> = {}) => new Average(args),
  maximum: (args: ArgsOf<typeof Maximum> = {}) => new Maximum(args),
  minimum: (args: ArgsOf<typeof Minimum> = {}) => new Minimum(args),
  concatenate: (args: ArgsOf<typeof Concatenate> = {}) => new Concatenate(args),
  multiHeadAttention: (args: ArgsOf<typeof MultiHeadAttention>) => new MultiHeadAttention(args),
  simpleRNN: (args: RNNArgs) => new SimpleRNN(args),
  lstm: (args: LSTMArgs) => new LSTM(args),
  gru: (args: GRUArgs) => new GRU(args),
  bidirectional: (args: BidirectionalArgs) => new Bidirectional(args),
  timeDistributed: (args: TimeDistributedArgs) => new TimeDistributed(args),
};

export { Layer, type LayerArgs, type CallContext, type LayerConfig } from './layer';
export { Dense, Activation, Dropout, Flatten, Reshape, BatchNormalization, LayerNormalization, Embedding, InputLayer };
export { Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, UpSampling2D, ZeroPadding2D };
export { input } from './input-layer';
export { SymbolicTensor, type ShapeWithBatch } from './symbolic-tensor';
export { registerLayer } from './registry';
export { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, Merge, type ConcatenateArgs } from './merge';
export { MultiHeadAttention, type MultiHeadAttentionArgs, type AttentionCallOptions, type AttentionResult } from './attention';
export { SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed, Orthogonal, type RNNArgs, type LSTMArgs, type GRUArgs, type BidirectionalArgs, type TimeDistributedArgs, type MergeMode } from './recurrent';
export { type SeparableConvLayerArgs, type ConvLayerArgs } from './convolutional';
export { Masking, type MaskingArgs } from './masking';
export { type EmbeddingArgs } from './embedding';
