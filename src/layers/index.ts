// The module index of the built-in layers. Loading a layer module registers its classes in
// registry.ts (serialization, wrappers and ONNX export find them there), so everything that looks a
// class up by name imports this index first. A new layer module adds its line to each list below;
// a layer added to an existing module touches only that module.
import { attentionFactories } from './attention';
import { basicFactories } from './basic';
import { convolutionalFactories } from './convolutional';
import { denseFactories } from './dense';
import { embeddingFactories } from './embedding';
import { gruFactories } from './gru';
import { inputLayerFactories } from './input-layer';
import { lstmFactories } from './lstm';
import { maskingFactories } from './masking';
import { mergeFactories } from './merge';
import { noiseFactories } from './noise';
import { normalizationFactories } from './normalization';
import { poolingFactories } from './pooling';
import { preprocessingFactories } from './preprocessing';
import { simpleRnnFactories } from './simple-rnn';
import { wrapperFactories } from './wrappers';
import { camelFactories } from '../option-names';

/**
 * Layer factories under their tfjs-layers names: `layers.dense({ units: 10, activation: 'softmax' })`.
 * Keras's snake_case option names are accepted too (`input_shape`, `kernel_regularizer`).
 */
export const layers = camelFactories('layers.', {
  ...denseFactories,
  ...basicFactories,
  ...normalizationFactories,
  ...embeddingFactories,
  ...inputLayerFactories,
  ...convolutionalFactories,
  ...maskingFactories,
  ...poolingFactories,
  ...mergeFactories,
  ...noiseFactories,
  ...attentionFactories,
  ...simpleRnnFactories,
  ...lstmFactories,
  ...gruFactories,
  ...wrapperFactories,
  ...preprocessingFactories,
});

export * from './attention';
export * from './basic';
export * from './convolutional';
export * from './dense';
export * from './embedding';
export * from './gru';
export * from './input-layer';
export * from './lstm';
export * from './masking';
export * from './merge';
export * from './noise';
export * from './normalization';
export * from './pooling';
export * from './preprocessing';
export * from './recurrent';
export * from './simple-rnn';
export * from './wrappers';
export { Orthogonal } from '../initializers/orthogonal';
export { Layer, type LayerArgs, type CallContext, type LayerConfig } from './layer';
export { SymbolicTensor, type ShapeWithBatch } from './symbolic-tensor';
export { registerLayer, serialization, deserializeLayer, type LayerClass, type LayerRegistration } from './registry';
