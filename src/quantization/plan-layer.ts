// Which float layers become which int8 layers, and with what config and weights. A layer no rule
// takes stays float and is reported with the reason.
import type { Tensor } from '../tensor/tensor';
import type { Layer, LayerConfig } from '../layers/layer';
import type { LayerRewrite } from '../pruning/rebuild-model';
import type { ActivationQuant } from './activation-grid';
import { QCONV_DIRECT_MAX_DEPTH } from '../ops/quant-kernels';
import { quantizeWeights } from './int8-weights';
import { type Int8Slot, int8SlotWeights } from './int8-slots';
import { RECURRENT_SLOTS } from './quantized-recurrent';
import { ATTENTION_SLOTS } from './quantized-attention';

/** Float classes whose int8 subclass (Quantized<name>, dynamic) keeps their config and holds these kernels as int8. */
const SLOT_CLASSES: Readonly<Record<string, readonly Int8Slot[]>> = { LSTM: RECURRENT_SLOTS, GRU: RECURRENT_SLOTS, MultiHeadAttention: ATTENTION_SLOTS };

/** What quantizing one layer needs to know about the model around it. */
export interface LayerContext {
  mode: 'static' | 'dynamic';
  perChannel: boolean;
  /** Static mode: the calibrated grid of the layer's input (null when none was observed). */
  inputQuant: ActivationQuant | null;
  /** Static mode: the grid to requantize the output to, when the consumer is an int8 layer too. */
  outputQuant: ActivationQuant | null;
}

/** A layer's int8 replacement, or why it stays float. */
export type LayerPlan = (LayerRewrite & { className: string }) | { reason: string };

/** Classes with an int8 form whose input is an activation (static mode needs its grid). */
export const ACTIVATION_INPUT_CLASSES = new Set(['Dense', 'Conv1D', 'Conv2D', 'DepthwiseConv2D']);

/**
 * Smallest per-filter depth (kh * kw * in/groups) worth the int8 GEMM route of a convolution: below
 * it that path is all per-pixel overhead (bench/RESULTS.md, "Int8 kernels": 0.5x float32 at depth 9).
 * Such a shallow convolution (a first layer) still goes int8 when its output feeds an int8 layer in
 * static mode and it is ungrouped: then the direct kernel (qconv2dDirect) runs it, requantizing (and
 * max-pooling, when a pool follows) in the kernel. Depthwise convolutions run a direct int8 kernel
 * and are always converted.
 */
export const MIN_CONV_DEPTH = 16;

/**
 * Why a convolution is too shallow for int8 (see MIN_CONV_DEPTH), or null. `outputQuant`: the grid
 * its output would be requantized to (static mode, an int8 consumer), which admits the direct kernel.
 */
export function shallowConvReason(layer: Layer, outputQuant: ActivationQuant | null = null): string | null {
  const cls = layer.className;
  if (cls !== 'Conv1D' && cls !== 'Conv2D') return null;
  const kernel = weight(layer, 'kernel');
  if (!kernel) return null;
  const depth = kernel.shape.slice(0, -1).reduce((x, y) => x * y, 1);
  const groups = (layer as Layer & { groups: number }).groups;
  const depthwise = kernel.shape[kernel.rank - 2] === 1 && groups > 1;
  if (depthwise || depth >= MIN_CONV_DEPTH) return null;
  // The direct kernel's packed depth: kh filter rows of kw * in rounded up to whole 4-byte words.
  const [kh, kw, cin] = kernel.rank === 4 ? kernel.shape : [1, kernel.shape[0]!, kernel.shape[1]!];
  const packedDepth = kh! * Math.ceil((kw! * cin!) / 4) * 4;
  if (outputQuant && groups === 1 && packedDepth <= QCONV_DIRECT_MAX_DEPTH) return null;
  return `its filters have only ${depth} taps (kernel x input channels); below ${MIN_CONV_DEPTH} the float kernel is faster than the integer GEMM route,`
    + ' and the direct int8 kernel for shallow filters needs an ungrouped convolution whose output feeds an int8 layer in static mode (a linear/relu/relu6 activation), so it stays float';
}

function weight(layer: Layer, name: string): Tensor | null {
  return layer.weightsInfo.find((w) => w.name === name)?.value ?? null;
}

function common(layer: Layer, ctx: LayerContext): LayerConfig {
  return {
    mode: ctx.mode,
    inputQuant: ctx.mode === 'static' ? ctx.inputQuant : null,
    outputQuant: ctx.mode === 'static' ? ctx.outputQuant : null,
    sourceClassName: layer.className,
    sourceConfig: layer.getConfig(),
  };
}

/** Plans one layer (its className decides; subclasses of the built-ins with other names stay float). */
export function planLayer(layer: Layer, ctx: LayerContext): LayerPlan {
  const cfg = layer.getConfig();
  const cls = layer.className;
  if (ACTIVATION_INPUT_CLASSES.has(cls)) {
    if (ctx.mode === 'static' && !ctx.inputQuant) return { reason: 'its input was not observed during calibration (not called, or not float32)' };
    const kernel = weight(layer, 'kernel');
    if (!kernel || kernel.dtype !== 'float32') return { reason: 'it has no float32 kernel' };
    const bias = weight(layer, 'bias');
    const q = quantizeWeights(kernel, ctx.perChannel);
    const weights = bias ? [q.q, q.scales, bias.contiguousCopy()] : [q.q, q.scales];
    if (cls === 'Dense') {
      return { className: 'QuantizedDense', config: { ...common(layer, ctx), units: cfg['units'], activation: cfg['activation'], useBias: !!bias }, weights };
    }
    const rank = cls === 'Conv1D' ? 1 : 2;
    const shallow = shallowConvReason(layer, ctx.mode === 'static' ? ctx.outputQuant : null);
    if (shallow) return { reason: shallow };
    const l = layer as Layer & { filters: number; groups: number; kernelSize: number[]; strides: number[]; dilationRate: number[]; padding: string; dataFormat: string };
    return {
      className: 'QuantizedConv',
      config: {
        ...common(layer, ctx), rank, filters: l.filters, kernelSize: l.kernelSize, strides: l.strides, padding: l.padding,
        dilationRate: l.dilationRate, groups: l.groups, dataFormat: l.dataFormat, activation: cfg['activation'], useBias: !!bias,
      },
      weights,
    };
  }
  if (cls === 'Embedding') {
    const table = weight(layer, 'embeddings');
    if (!table) return { reason: 'it is not built' };
    const q = quantizeWeights(table, ctx.perChannel, 'first');
    return {
      className: 'QuantizedEmbedding',
      config: { ...common(layer, { ...ctx, mode: 'dynamic' }), inputDim: cfg['inputDim'], outputDim: cfg['outputDim'], maskZero: cfg['maskZero'] },
      weights: [q.q, q.scales],
    };
  }
  const slots = SLOT_CLASSES[cls];
  if (slots) {
    return { className: `Quantized${cls}`, config: cfg, weights: int8SlotWeights(layer, slots, ctx.perChannel) };
  }
  if (cls === 'Conv2DTranspose' || cls === 'SeparableConv2D') return { reason: `${cls} has no int8 kernel here (transposed/separable convolutions stay float)` };
  if (cls === 'Sequential' || cls === 'Model') return { reason: 'nested models are not quantized (quantize the inner model on its own)' };
  return { reason: `no int8 form for ${cls}` };
}
