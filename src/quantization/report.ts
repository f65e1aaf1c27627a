// What quantize did to each layer: the report attached to the returned model.
import type { QuantizationMode } from './options';

/** One layer that was replaced by (or stored as) a smaller form. */
export interface QuantizedLayerEntry {
  name: string;
  /** The float class it was. */
  className: string;
  /** What it became: 'QuantizedDense', 'QuantizedConv', ... or 'float16' storage. */
  as: string;
}

/** One layer with weights that stayed float32, and why. */
export interface FloatLayerEntry {
  name: string;
  className: string;
  reason: string;
}

/**
 * The outcome of `tf.quantization.quantize` / `convert`, on the returned model as
 * `quantizationReport`. Layers without weights (Flatten, pooling, activations) are in neither list:
 * they run in float32 on dequantized values and have nothing to store.
 */
export interface QuantizationReport {
  mode: QuantizationMode;
  quantized: QuantizedLayerEntry[];
  /** Layers with weights that stayed float32 (no int8 form, not observed during calibration, ...). */
  float: FloatLayerEntry[];
}
