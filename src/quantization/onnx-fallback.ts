// ONNX export of int8 layers as their float source layers (dequantized weights), so a quantized
// model exports and runs anywhere until a QDQ converter replaces these: registered as defaults,
// which any converter registered with replacement (registerOnnxConverter) overrides.
import type { LayerConverter } from '../onnx/export/converter';
import { getLayerConverter, setLayerConverter } from '../layers/registry';
import type { Layer } from '../layers/layer';

/** Exports an int8 layer through its source class's converter on `toFloatLayer()`. */
export const floatFallbackConverter: LayerConverter = (args, ctx) => {
  const q = args.layer;
  const toFloat = (q as Partial<{ toFloatLayer(): Layer }>).toFloatLayer;
  if (typeof toFloat !== 'function') throw new Error(`ONNX float fallback: '${q.name}' is not a quantized layer`);
  const floatLayer = toFloat.call(q);
  const convert = getLayerConverter(floatLayer.className);
  if (!convert) throw new Error(`exportOnnx: layer '${q.name}': its float class ${floatLayer.className} has no ONNX converter`);
  return convert({ ...args, layer: floatLayer }, ctx);
};

const CLASSES = ['QuantizedDense', 'QuantizedConv', 'QuantizedEmbedding', 'QuantizedLSTM', 'QuantizedGRU', 'QuantizedMultiHeadAttention',
  // Quantization-aware layers export as their float layers with the trained float weights.
  'QatDense', 'QatConv1D', 'QatConv2D', 'QatDepthwiseConv2D'];
for (const name of CLASSES) setLayerConverter(name, floatFallbackConverter, false);
