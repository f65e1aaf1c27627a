import { Activation, Dropout, Flatten, Reshape } from './basic';
import { Dense, type DenseArgs } from './dense';
import { Embedding } from './embedding';
import { InputLayer } from './input-layer';
import { BatchNormalization, LayerNormalization } from './normalization';

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
};

export { Layer, type LayerArgs, type CallContext, type LayerConfig } from './layer';
export { Dense, Activation, Dropout, Flatten, Reshape, BatchNormalization, LayerNormalization, Embedding, InputLayer };
export { input } from './input-layer';
export { SymbolicTensor, type ShapeWithBatch } from './symbolic-tensor';
export { registerLayer } from './registry';
