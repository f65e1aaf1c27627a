// Int8 layers (tf.quantization.quantize) as QDQ ONNX, the format onnxruntime's quantizer writes and
// its graph optimizer turns into int8 kernels (QLinearConv, QGemm/QLinearMatMul, ConvInteger, ...):
//   static:  QuantizeLinear -> DequantizeLinear on the input (the calibrated uint8 grid), int8
//            per-output-channel weights and an int32 bias (scale = inputScale * weightScale) behind
//            DequantizeLinear, the float op, its activation, and QuantizeLinear -> DequantizeLinear
//            on the output when the layer requantizes it (outputQuant).
//   dynamic: DynamicQuantizeLinear on the input, MatMulInteger/ConvInteger on int8 weights, the
//            int32 sums scaled by inputScale * weightScale in float, plus the bias.
//   embeddings: Gather from DequantizeLinear(int8 table, per-row scales).
//   LSTM / GRU: the ONNX op on DequantizeLinear(int8 W / R, per gate-row scales): the file stores
//            int8, the op computes with the layer's dequantized weights (its per-step activation
//            quantization is not expressed, so outputs differ by that rounding).
//   MultiHeadAttention: each projection as DynamicQuantizeLinear + MatMulInteger, as the layer runs it.
// The graph computes what the layer computes up to float32 rounding order (and, static, the bias
// on its int32 grid); the layer's rounding of each requantized output is QuantizeLinear's.
import { QuantizedConv } from '../../../quantization/quantized-conv';
import { QuantizedDense } from '../../../quantization/quantized-dense';
import { QuantizedEmbedding } from '../../../quantization/quantized-embedding';
import type { QuantizedLayer } from '../../../quantization/quantized-layer';
import type { ActivationQuant } from '../../../quantization/activation-grid';
import { floatFallbackConverter } from '../../../quantization/onnx-fallback';
import { fakeQuantWeights } from '../../../quantization/fake-quant';
import { isQatLayer } from '../../../quantization/qat-layers';
import { getLayerConverter, setLayerConverter } from '../../../layers/registry';
import { roundHalfEven } from '../../../ops/quant-kernels';
import type { Tensor } from '../../../tensor/tensor';
import { DataType } from '../../proto';
import type { OnnxTensor } from '../../read-model';
import type { LayerConverter, OnnxExportContext } from '../converter';
import { activation, attr, node } from '../ops';
import { flatValues, permuteFlat } from '../tensor-proto';
import { channelsFirstIo, paddingAttrs } from './convolutional';
import { expectLayer, registerBuiltinConverter } from './util';
import { convertRecurrent } from './recurrent';
import { convertMultiHeadAttention } from './attention';

/** The weight called `name` of a quantized layer. */
function weight(layer: QuantizedLayer, name: string): Tensor {
  const w = layer.weightsInfo.find((x) => x.name === name);
  if (!w) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) has no weight '${name}'; run the model once before exporting`);
  return w.value;
}

const tensorOf = (dtype: OnnxTensor['dtype'], shape: number[], data: OnnxTensor['data']): OnnxTensor => ({ name: '', dtype, shape, data });

/** QuantizeLinear -> DequantizeLinear of x on a uint8 grid. */
function fakeQuant(ctx: OnnxExportContext, x: string, grid: ActivationQuant, base: string): string {
  const s = ctx.addInitializer(`${base}_scale`, tensorOf('float32', [], Float32Array.of(grid.scale)));
  const z = ctx.addInitializer(`${base}_zero_point`, tensorOf('uint8', [], Uint8Array.of(grid.zeroPoint)));
  const q = node(ctx, 'QuantizeLinear', [x, s, z]);
  return node(ctx, 'DequantizeLinear', [q, s, z]);
}

/** Int8 weights (values of an int32 tensor, permuted to the ONNX layout) and their per-channel scales along `axis`, behind DequantizeLinear. */
function int8Weight(ctx: OnnxExportContext, layer: QuantizedLayer, q: Int32Array, shape: number[], axis: number): string {
  const scales = flatValues(weight(layer, layer instanceof QuantizedEmbedding ? 'embeddingsScale' : 'kernelScale')) as Float32Array;
  const w = ctx.addInitializer('kernel_quantized', tensorOf('int8', shape, Int8Array.from(q)));
  const s = ctx.addInitializer('kernel_scale', tensorOf('float32', [scales.length], Float32Array.from(scales)));
  const z = ctx.addInitializer('kernel_zero_point', tensorOf('int8', [scales.length], new Int8Array(scales.length)));
  return node(ctx, 'DequantizeLinear', [w, s, z], { axis: attr.int(axis) });
}

/**
 * The float bias as int32 on the grid inputScale * weightScale[c] (as onnxruntime's quantizer
 * writes biases, so its optimizer can fuse the integer op), behind DequantizeLinear; a float
 * initializer when a value would not fit in int32.
 */
function int32Bias(ctx: OnnxExportContext, layer: QuantizedLayer, inputScale: number): string {
  const b = flatValues(weight(layer, 'bias')) as Float32Array;
  const ks = flatValues(weight(layer, 'kernelScale')) as Float32Array;
  const scales = new Float32Array(b.length);
  const q = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    scales[c] = Math.fround(inputScale * ks[c]!);
    const v = roundHalfEven(b[c]! / scales[c]!);
    if (!(Math.abs(v) < 2 ** 31)) return ctx.addInitializer('bias', tensorOf('float32', [b.length], Float32Array.from(b)));
    q[c] = v;
  }
  const bq = ctx.addInitializer('bias_quantized', tensorOf('int32', [b.length], q));
  const s = ctx.addInitializer('bias_scale', tensorOf('float32', [b.length], scales));
  const z = ctx.addInitializer('bias_zero_point', tensorOf('int32', [b.length], new Int32Array(b.length)));
  return node(ctx, 'DequantizeLinear', [bq, s, z], { axis: attr.int(0) });
}

/** Dynamic quantization's float result: float(int32 sums) * (inputScale * kernelScale) + bias, the per-channel values shaped `shape` to broadcast. */
function scaleSums(ctx: OnnxExportContext, layer: QuantizedLayer, sums: string, inputScale: string, shape: number[]): string {
  const ks = ctx.addInitializer('kernel_scale', tensorOf('float32', shape, Float32Array.from(flatValues(weight(layer, 'kernelScale')))));
  const scale = node(ctx, 'Mul', [inputScale, ks]);
  const y = node(ctx, 'Mul', [node(ctx, 'Cast', [sums], { to: attr.int(DataType.FLOAT) }), scale]);
  if (!layer.weightsInfo.some((w) => w.name === 'bias')) return y;
  const b = ctx.addInitializer('bias', tensorOf('float32', shape, Float32Array.from(flatValues(weight(layer, 'bias')))));
  return node(ctx, 'Add', [y, b]);
}

/** The layer's activation, then QuantizeLinear -> DequantizeLinear onto its output grid when it has one. */
function output(ctx: OnnxExportContext, layer: QuantizedLayer & { activation: { name: Parameters<typeof activation>[2] } }, y: string, axis: number): string {
  const a = activation(ctx, y, layer.activation.name, axis);
  return layer.outputQuant ? fakeQuant(ctx, a, layer.outputQuant, 'output') : a;
}

export const convertQuantizedDense: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, QuantizedDense);
  const x = args.inputs[0]!;
  const rank = args.inputShapes[0]!.length;
  const k = weight(layer, 'kernel');
  const [inDim, units] = k.shape as [number, number];
  const kq = flatValues(k) as Int32Array;
  if (layer.mode === 'dynamic') {
    const [xq, xs, xz] = ctx.addNode({ opType: 'DynamicQuantizeLinear', inputs: [x], outputs: 3 }) as [string, string, string];
    const w = ctx.addInitializer('kernel_quantized', tensorOf('int8', [inDim, units], Int8Array.from(kq)));
    const wz = ctx.addInitializer('kernel_zero_point', tensorOf('int8', [], Int8Array.of(0)));
    const sums = node(ctx, 'MatMulInteger', [xq, w, xz, wz]);
    return [output(ctx, layer, scaleSums(ctx, layer, sums, xs, [units]), -1)];
  }
  const grid = layer.inputQuant!;
  const xdq = fakeQuant(ctx, x, grid, 'input');
  // [in, units] int8 with one scale per column (axis 1), as MatMul/Gemm read B.
  const w = int8Weight(ctx, layer, kq, [inDim, units], 1);
  const b = layer.useBias ? int32Bias(ctx, layer, grid.scale) : null;
  let y: string;
  if (rank === 2) {
    y = node(ctx, 'Gemm', b ? [xdq, w, b] : [xdq, w]);
  } else {
    y = node(ctx, 'MatMul', [xdq, w]);
    if (b) y = node(ctx, 'Add', [y, b]);
  }
  return [output(ctx, layer, y, -1)];
};

export const convertQuantizedConv: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, QuantizedConv);
  const { x, spatial, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  const k = weight(layer, 'kernel');
  // Keras [...k, in/groups, filters] -> ONNX [filters, in/groups, ...k].
  const r = k.rank;
  const perm = [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)];
  const shape = perm.map((p) => k.shape[p]!);
  const kq = permuteFlat(flatValues(k) as Int32Array, k.shape, perm);
  const convAttrs = {
    kernel_shape: attr.ints(layer.kernelSize),
    strides: attr.ints(layer.strides),
    dilations: attr.ints(layer.dilationRate),
    group: attr.int(layer.groups),
    ...paddingAttrs(layer.padding, spatial, layer.kernelSize, layer.strides, layer.dilationRate),
  };
  // Per-channel parameters broadcast over [n, c, ...spatial].
  const channelShape = [1, layer.filters, ...new Array<number>(layer.rank).fill(1)];
  if (layer.mode === 'dynamic') {
    const [xq, xs, xz] = ctx.addNode({ opType: 'DynamicQuantizeLinear', inputs: [x], outputs: 3 }) as [string, string, string];
    const w = ctx.addInitializer('kernel_quantized', tensorOf('int8', shape, Int8Array.from(kq)));
    const wz = ctx.addInitializer('kernel_zero_point', tensorOf('int8', [], Int8Array.of(0)));
    const sums = node(ctx, 'ConvInteger', [xq, w, xz, wz], convAttrs);
    return [back(output(ctx, layer, scaleSums(ctx, layer, sums, xs, channelShape), 1))];
  }
  const grid = layer.inputQuant!;
  const xdq = fakeQuant(ctx, x, grid, 'input');
  const w = int8Weight(ctx, layer, kq, shape, 0);
  const inputs = [xdq, w];
  if (layer.useBias) inputs.push(int32Bias(ctx, layer, grid.scale));
  const y = node(ctx, 'Conv', inputs, convAttrs);
  return [back(output(ctx, layer, y, 1))];
};

export const convertQuantizedEmbedding: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, QuantizedEmbedding);
  const t = weight(layer, 'embeddings');
  const table = int8Weight(ctx, layer, flatValues(t) as Int32Array, t.shape.slice(), 0);
  let ids = args.inputs[0]!;
  if ((args.inputDtypes?.[0] ?? 'float32') !== 'int32') ids = node(ctx, 'Cast', [ids], { to: attr.int(DataType.INT32) });
  return [node(ctx, 'Gather', [table, ids], { axis: attr.int(0) })];
};

/**
 * A quantization-aware layer (quantizeAware) as it computes: QuantizeLinear -> DequantizeLinear on
 * its input with the learned grid (none before the first training batch), then its float class's
 * converter on the fake-quantized kernel (float values on the int8 grid). For int8 kernels in
 * onnxruntime, export the converted model (tf.quantization.convert) instead.
 */
export const convertQatLayer: LayerConverter = (args, ctx) => {
  const layer = args.layer;
  if (!isQatLayer(layer)) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) is not a quantization-aware layer`);
  const convert = getLayerConverter(layer.sourceClassName);
  if (!convert) throw new Error(`exportOnnx: layer '${layer.name}': its float class ${layer.sourceClassName} has no ONNX converter`);
  const grid = layer.inputGrid();
  const inputs = grid ? [fakeQuant(ctx, args.inputs[0]!, grid, 'input'), ...args.inputs.slice(1)] : args.inputs;
  const holder = layer as unknown as { kernel: Tensor | null };
  const kernel = holder.kernel;
  if (!kernel) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) is not built; run the model once before exporting`);
  holder.kernel = fakeQuantWeights(kernel, layer.qat.perChannel);
  try {
    return convert({ ...args, inputs }, ctx);
  } finally {
    holder.kernel = kernel;
  }
};

const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  QuantizedDense: convertQuantizedDense,
  QuantizedConv: convertQuantizedConv,
  QuantizedEmbedding: convertQuantizedEmbedding,
  // Subclasses of the float layers: their converters emit the int8 kernels (ONNX LSTM/GRU through
  // DequantizeLinear of int8 W/R, attention projections as DynamicQuantizeLinear + MatMulInteger).
  QuantizedLSTM: convertRecurrent,
  QuantizedGRU: convertRecurrent,
  QuantizedMultiHeadAttention: convertMultiHeadAttention,
  QatDense: convertQatLayer,
  QatConv2D: convertQatLayer,
  QatConv1D: convertQatLayer,
  QatDepthwiseConv2D: convertQatLayer,
};

for (const [name, converter] of Object.entries(CONVERTERS)) {
  registerBuiltinConverter(name, converter);
  // The quantization module registers a float fallback for these classes; QDQ replaces it (a
  // user's own converter, registered with registerOnnxConverter, still wins).
  if (getLayerConverter(name) === floatFallbackConverter) setLayerConverter(name, converter, true);
}
