// Loads (and so registers) every quantized layer class: model loading and the quantize functions
// import this so saved quantized models rebuild.
export { QuantizedLayer, hasStoredDtypes, type QuantizedLayerArgs, type QuantizedMode, type StoredDtypes } from './quantized-layer';
export { QuantizedDense, type QuantizedDenseArgs } from './quantized-dense';
export { QuantizedConv, type QuantizedConvArgs } from './quantized-conv';
export { QuantizedEmbedding, type QuantizedEmbeddingArgs } from './quantized-embedding';
export { QuantizedLSTM, QuantizedGRU } from './quantized-recurrent';
export { QuantizedMultiHeadAttention } from './quantized-attention';
import './qat-layers';
export type { ActivationQuant } from './activation-grid';
