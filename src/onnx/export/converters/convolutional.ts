// Convolutions: Conv1D, Conv2D (grouped and depthwise), SeparableConv2D and Conv2DTranspose. ONNX
// convolutions are channels-first; channels-last layers run between two transposes, which cancel
// between consecutive layers (see GraphBuilder.finish).
import { Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D } from '../../../layers/convolutional';
import type { Layer } from '../../../layers/layer';
import type { ConverterInput, LayerConverter, OnnxAttr, OnnxExportContext } from '../converter';
import { activation, attr, node, toChannelsFirstPerm, toChannelsLastPerm, transpose } from '../ops';
import { flatValues, permuteFlat } from '../tensor-proto';
import { expectLayer, registerBuiltinConverter } from './util';

/**
 * TensorFlow 'same' padding of one axis: output ceil(len / stride), the odd extra cell at the end.
 * Null when the length is unknown at export time.
 */
export function samePads(len: number | null | undefined, kernel: number, stride: number, dilation = 1): [number, number] | null {
  if (typeof len !== 'number') return null;
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.ceil(len / stride);
  const total = Math.max((out - 1) * stride + eff - len, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * Padding attributes for a conv/pool: explicit `pads` (all begins, then all ends) when every
 * spatial length is known, else auto_pad SAME_UPPER, which ONNX defines with the same split.
 */
export function paddingAttrs(padding: 'valid' | 'same', spatial: (number | null | undefined)[], kernel: number[], strides: number[], dilations?: number[]): Record<string, OnnxAttr> {
  if (padding === 'valid') return { pads: attr.ints(new Array<number>(2 * kernel.length).fill(0)) };
  const pads = spatial.map((len, i) => samePads(len, kernel[i]!, strides[i]!, dilations?.[i] ?? 1));
  if (pads.some((p) => p === null)) return { auto_pad: attr.str('SAME_UPPER') };
  const ps = pads as [number, number][];
  return { pads: attr.ints([...ps.map((p) => p[0]), ...ps.map((p) => p[1])]) };
}

/** The call's input in channels-first layout, and how to return an output to the layer's layout. */
export function channelsFirstIo(ctx: OnnxExportContext, args: ConverterInput, channelsLast: boolean): { x: string; spatial: (number | null)[]; back: (y: string) => string } {
  const shape = args.inputShapes[0]!;
  const rank = shape.length;
  if (!channelsLast) return { x: args.inputs[0]!, spatial: shape.slice(2), back: (y) => y };
  return {
    x: transpose(ctx, args.inputs[0]!, toChannelsFirstPerm(rank)),
    spatial: shape.slice(1, -1),
    back: (y) => transpose(ctx, y, toChannelsLastPerm(rank)),
  };
}

/** Kernel of Keras layout [...k, in, out] as ONNX [out, in, ...k]. */
function oihw(ctx: OnnxExportContext, base: string, data: Float32Array | Int32Array, shape: number[]): string {
  const r = shape.length;
  const perm = [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)];
  return ctx.addInitializer(base, { name: '', dtype: 'float32', shape: perm.map((p) => shape[p]!), data: permuteFlat(data, shape, perm) });
}

/**
 * Activation in channels-first layout, then back to the layer's layout. Softmax normalizes the
 * layer's last axis, as the library does: the channels for channels-last data (axis 1 here).
 */
function finish(ctx: OnnxExportContext, layer: Layer & { activation: { name: Parameters<typeof activation>[2] }; dataFormat: string }, y: string, back: (y: string) => string): string {
  return back(activation(ctx, y, layer.activation.name, layer.dataFormat === 'channelsLast' ? 1 : -1));
}

/** One ONNX Conv for Conv1D, Conv2D and DepthwiseConv2D (a Conv2D with groups = input channels). */
function plainConv(Cls: typeof Conv1D | typeof Conv2D): LayerConverter {
  return (args, ctx) => {
    const layer = expectLayer<Conv1D | Conv2D>(args, Cls);
    const { x, spatial, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
    const w = oihw(ctx, 'kernel', flatValues(layer.kernel!), layer.kernel!.shape.slice());
    const inputs = [x, w];
    if (layer.bias) inputs.push(ctx.addInitializer('bias', { name: '', dtype: 'float32', shape: [layer.filters], data: flatValues(layer.bias) }));
    const y = node(ctx, 'Conv', inputs, {
      kernel_shape: attr.ints(layer.kernelSize),
      strides: attr.ints(layer.strides),
      dilations: attr.ints(layer.dilationRate),
      group: attr.int(layer.groups),
      ...paddingAttrs(layer.padding, spatial, layer.kernelSize, layer.strides, layer.dilationRate),
    });
    return [finish(ctx, layer, y, back)];
  };
}

export const convertConv2D: LayerConverter = plainConv(Conv2D);
export const convertConv1D: LayerConverter = plainConv(Conv1D);

/** Depthwise (grouped, carrying strides/padding/dilation) then pointwise 1x1 with the bias. */
export const convertSeparableConv2D: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, SeparableConv2D);
  const { x, spatial, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  const [kh, kw, c, dm] = layer.depthwiseKernel!.shape as [number, number, number, number];
  // [kh, kw, c, dm] is [kh, kw, 1, c*dm] in memory: output channel c*dm + m, as the grouped conv orders them.
  const dw = oihw(ctx, 'depthwise_kernel', flatValues(layer.depthwiseKernel!), [kh, kw, 1, c * dm]);
  const mid = node(ctx, 'Conv', [x, dw], {
    kernel_shape: attr.ints(layer.kernelSize),
    strides: attr.ints(layer.strides),
    dilations: attr.ints(layer.dilationRate),
    group: attr.int(c),
    ...paddingAttrs(layer.padding, spatial, layer.kernelSize, layer.strides, layer.dilationRate),
  });
  const pw = oihw(ctx, 'pointwise_kernel', flatValues(layer.pointwiseKernel!), layer.pointwiseKernel!.shape.slice());
  const inputs = [mid, pw];
  if (layer.bias) inputs.push(ctx.addInitializer('bias', { name: '', dtype: 'float32', shape: [layer.filters], data: flatValues(layer.bias) }));
  const y = node(ctx, 'Conv', inputs, { kernel_shape: attr.ints([1, 1]) });
  return [finish(ctx, layer, y, back)];
};

/**
 * ConvTranspose with pads and output_padding chosen so the output size is the layer's:
 * 'same' -> len * stride, 'valid' -> (len - 1) * stride + dilated kernel.
 */
export const convertConv2DTranspose: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Conv2DTranspose);
  const { x, back } = channelsFirstIo(ctx, args, layer.dataFormat === 'channelsLast');
  // Keras [kh, kw, filters, in] -> ONNX [in, filters, kh, kw].
  const k = layer.kernel!;
  const w = ctx.addInitializer('kernel', { name: '', dtype: 'float32', shape: [k.shape[3]!, k.shape[2]!, k.shape[0]!, k.shape[1]!], data: permuteFlat(flatValues(k), k.shape, [3, 2, 0, 1]) });
  const inputs = [x, w];
  if (layer.bias) inputs.push(ctx.addInitializer('bias', { name: '', dtype: 'float32', shape: [layer.filters], data: flatValues(layer.bias) }));
  const begins: number[] = [];
  const ends: number[] = [];
  const outPad: number[] = [];
  for (let i = 0; i < 2; i++) {
    const eff = (layer.kernelSize[i]! - 1) * layer.dilationRate[i]! + 1;
    const s = layer.strides[i]!;
    if (layer.padding === 'same') {
      // The adjoint of a 'same' conv on len * stride cells: that conv's TF padding, plus the
      // cells a short kernel leaves uncovered at the end.
      const total = Math.max(eff - s, 0);
      begins.push(Math.floor(total / 2));
      ends.push(total - Math.floor(total / 2));
      outPad.push(Math.max(s - eff, 0));
    } else {
      begins.push(0);
      ends.push(0);
      outPad.push(0);
    }
  }
  const y = node(ctx, 'ConvTranspose', inputs, {
    kernel_shape: attr.ints(layer.kernelSize),
    strides: attr.ints(layer.strides),
    dilations: attr.ints(layer.dilationRate),
    pads: attr.ints([...begins, ...ends]),
    output_padding: attr.ints(outPad),
  });
  return [finish(ctx, layer, y, back)];
};

registerBuiltinConverter('Conv1D', convertConv1D);
registerBuiltinConverter('Conv2D', convertConv2D);
registerBuiltinConverter('DepthwiseConv2D', convertConv2D);
registerBuiltinConverter('SeparableConv2D', convertSeparableConv2D);
registerBuiltinConverter('Conv2DTranspose', convertConv2DTranspose);
