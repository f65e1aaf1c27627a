// tf.quantization: post-training int8 / float16 quantization and quantization-aware training.
import './onnx-fallback';

export { quantize, type QuantizedModel } from './quantize';
export { quantizeAware, convert, type QuantizeAwareOptions } from './qat';
export { QatDense, QatConv1D, QatConv2D, QatDepthwiseConv2D, type QatClass, type QatLayer, type QatSettings } from './qat-layers';
export type { QuantizeOptions, QuantizationMode, CalibrationMethod, CalibrationSource } from './options';
export type { QuantizationReport, QuantizedLayerEntry, FloatLayerEntry } from './report';
export {
  QuantizedLayer, QuantizedDense, QuantizedConv, QuantizedEmbedding, QuantizedLSTM, QuantizedGRU, QuantizedMultiHeadAttention,
  type QuantizedLayerArgs, type QuantizedDenseArgs, type QuantizedConvArgs, type QuantizedEmbeddingArgs, type QuantizedMode, type ActivationQuant,
} from './layers';
