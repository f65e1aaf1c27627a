import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { type ActivationName, resolveActivation } from '../activations/activations';
import { type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { conv1d, conv2d, conv2dTranspose } from '../ops/conv';
import { toFusedActivation } from '../ops/fused-activation';
import { relu } from '../ops/unary';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import type { ShapeWithBatch } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

/** Keras names for the two layouts: channelsLast = NHWC (default), channelsFirst = NCHW. */
export type LayerDataFormat = 'channelsLast' | 'channelsFirst';

export interface ConvLayerArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dataFormat?: LayerDataFormat;
  dilationRate?: number | [number, number];
  groups?: number;
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
}

function pair(fn: string, arg: string, v: unknown, dims: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(dims).fill(v) : Array.isArray(v) ? v : null;
  if (!list || list.length !== dims || !list.every((d) => Number.isInteger(d) && d >= 1)) {
    argError(fn, arg, `a positive integer or ${dims} of them`, describe(v));
  }
  return list as number[];
}

/** Output length of a convolution along one axis (TF rules). */
export function convOutputLength(length: number | null, kernel: number, stride: number, padding: 'valid' | 'same', dilation = 1): number | null {
  if (length === null) return null;
  const k = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(length / stride) : Math.floor((length - k) / stride) + 1;
}

/**
 * Shared machinery of Conv1D/Conv2D/Conv2DTranspose: the kernel in the channels-last Keras layout
 * ([...kernel, in/groups, filters]) and an optional bias; relu is applied right after the op.
 */
abstract class BaseConv extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: LayerDataFormat;
  readonly dilationRate: number[];
  readonly groups: number;
  readonly activation: ReturnType<typeof resolveActivation>;
  readonly useBias: boolean;
  protected readonly kernelInit;
  protected readonly biasInit;
  protected readonly kernelReg;
  protected readonly biasReg;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(args: ConvLayerArgs, protected readonly rank: number, fn: string) {
    super(args, fn);
    if (!args || !Number.isInteger(args.filters) || args.filters < 1) argError(fn, 'filters', 'a positive integer', describe(args?.filters));
    this.filters = args.filters;
    this.kernelSize = pair(fn, 'kernelSize', args.kernelSize, rank);
    this.strides = pair(fn, 'strides', args.strides ?? 1, rank);
    this.dilationRate = pair(fn, 'dilationRate', args.dilationRate ?? 1, rank);
    const padding = args.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') argError(fn, 'padding', "'valid' or 'same'", describe(padding));
    this.padding = padding;
    const format = args.dataFormat ?? 'channelsLast';
    if (format !== 'channelsLast' && format !== 'channelsFirst') argError(fn, 'dataFormat', "'channelsLast' or 'channelsFirst'", describe(format));
    this.dataFormat = format;
    this.groups = args.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      argError(fn, 'groups', `a positive integer dividing filters (${this.filters})`, describe(args.groups));
    }
    this.activation = resolveActivation(fn, args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInit = getInitializer(fn, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInit = getInitializer(fn, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.kernelReg = getRegularizer(fn, 'kernelRegularizer', args.kernelRegularizer);
    this.biasReg = getRegularizer(fn, 'biasRegularizer', args.biasRegularizer);
  }

  protected channelsOf(shape: ShapeWithBatch): number {
    const c = this.dataFormat === 'channelsLast' ? shape[shape.length - 1] : shape[1];
    if (typeof c !== 'number') argError(this.name, 'inputShape', 'a known channel dimension', `[${shape.join(',')}]`);
    if (shape.length !== this.rank + 2) argError(this.name, 'inputShape', `rank ${this.rank + 2} (batch, ${this.rank} spatial, channels)`, `[${shape.join(',')}]`);
    return c;
  }

  protected makeWeights(kernelShape: number[]): void {
    this.kernel = this.addWeight('kernel', kernelShape, this.kernelInit, { regularizer: this.kernelReg });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit, { regularizer: this.biasReg });
  }

  protected activate(y: Tensor): Tensor {
    return this.activation.name === 'linear' ? y : this.activation.name === 'relu' ? relu(y) : this.activation.apply(y);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: this.dilationRate,
      groups: this.groups,
      activation: this.activation.name,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      kernelRegularizer: this.kernelReg ? { className: 'L1L2', config: this.kernelReg.getConfig() } : null,
      biasRegularizer: this.biasReg ? { className: 'L1L2', config: this.biasReg.getConfig() } : null,
    };
  }
}

/** 2-D convolution (Keras Conv2D): kernel [kh, kw, in/groups, filters], channels-last by default. */
export class Conv2D extends BaseConv {
  readonly className: string = 'Conv2D';
  constructor(args: ConvLayerArgs) {
    super(args, 2, 'conv2d');
  }

  override build(inputShape: ShapeWithBatch): void {
    const c = this.channelsOf(inputShape);
    if (c % this.groups !== 0) argError(this.name, 'groups', `a divisor of the input channels (${c})`, String(this.groups));
    this.makeWeights([this.kernelSize[0]!, this.kernelSize[1]!, c / this.groups, this.filters]);
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = last ? [s[1] ?? null, s[2] ?? null] : [s[2] ?? null, s[3] ?? null];
    const oh = convOutputLength(h, this.kernelSize[0]!, this.strides[0]!, this.padding, this.dilationRate[0]);
    const ow = convOutputLength(w, this.kernelSize[1]!, this.strides[1]!, this.padding, this.dilationRate[1]);
    return last ? [s[0] ?? null, oh, ow, this.filters] : [s[0] ?? null, this.filters, oh, ow];
  }

  call(x: Tensor): Tensor {
    // The layer keeps Keras's HWIO kernel; for channelsFirst the op wants OIHW.
    const last = this.dataFormat === 'channelsLast';
    const filter = last ? this.kernel! : this.kernel!.permute([3, 2, 0, 1]);
    // The activation rides in the convolution's epilogue when it has one; sigmoid stays separate so
    // that crossentropy losses still find the logits behind it (activations/logits.ts).
    const name = this.activation.name;
    const fused = name === 'sigmoid' || name === 'linear' ? null : toFusedActivation(name === 'swish' ? 'silu' : name);
    const y = conv2d(x, filter, {
      strides: this.strides as [number, number],
      padding: this.padding,
      dilations: this.dilationRate as [number, number],
      groups: this.groups,
      dataFormat: last ? 'NHWC' : 'NCHW',
      bias: this.bias,
      activation: fused ?? 'linear',
    });
    return fused ? y : this.activate(y);
  }
}

/** Depthwise 2-D convolution (Keras DepthwiseConv2D): one filter per input channel times depthMultiplier. */
export class DepthwiseConv2D extends Conv2D {
  override readonly className: string = 'DepthwiseConv2D';
  readonly depthMultiplier: number;
  constructor(args: Omit<ConvLayerArgs, 'filters' | 'groups'> & { depthMultiplier?: number; filters?: number; groups?: number }) {
    // Filters and groups follow from the input channels, known only at build; placeholders until then.
    super({ ...args, filters: 1, groups: 1 });
    this.depthMultiplier = args.depthMultiplier ?? 1;
  }
  override build(inputShape: ShapeWithBatch): void {
    const c = this.channelsOf(inputShape);
    Object.assign(this, { filters: c * this.depthMultiplier, groups: c });
    this.makeWeights([this.kernelSize[0]!, this.kernelSize[1]!, 1, c * this.depthMultiplier]);
  }
  override getConfig(): LayerConfig {
    const { filters: _f, groups: _g, ...rest } = super.getConfig();
    return { ...rest, depthMultiplier: this.depthMultiplier };
  }
}

/** 1-D convolution over [batch, steps, channels] (Keras Conv1D); kernel [k, in/groups, filters]. */
export class Conv1D extends BaseConv {
  readonly className: string = 'Conv1D';
  constructor(args: ConvLayerArgs) {
    super(args, 1, 'conv1d');
  }
  override build(inputShape: ShapeWithBatch): void {
    const c = this.channelsOf(inputShape);
    this.makeWeights([this.kernelSize[0]!, c / this.groups, this.filters]);
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const len = convOutputLength(last ? s[1] ?? null : s[2] ?? null, this.kernelSize[0]!, this.strides[0]!, this.padding, this.dilationRate[0]);
    return last ? [s[0] ?? null, len, this.filters] : [s[0] ?? null, this.filters, len];
  }
  call(x: Tensor): Tensor {
    const last = this.dataFormat === 'channelsLast';
    const filter = last ? this.kernel! : this.kernel!.permute([2, 1, 0]);
    return this.activate(conv1d(x, filter, {
      stride: this.strides[0]!, padding: this.padding, dilation: this.dilationRate[0]!, groups: this.groups,
      dataFormat: last ? 'NWC' : 'NCW', bias: this.bias,
    }));
  }
}

/** Transposed 2-D convolution (Keras Conv2DTranspose): kernel [kh, kw, filters, in]. */
export class Conv2DTranspose extends BaseConv {
  readonly className = 'Conv2DTranspose';
  constructor(args: ConvLayerArgs) {
    super(args, 2, 'conv2dTranspose');
    if (this.groups !== 1) argError('conv2dTranspose', 'groups', '1', String(this.groups));
  }
  override build(inputShape: ShapeWithBatch): void {
    const c = this.channelsOf(inputShape);
    this.makeWeights([this.kernelSize[0]!, this.kernelSize[1]!, this.filters, c]);
  }
  private outLength(len: number | null, axis: number): number | null {
    if (len === null) return null;
    const k = (this.kernelSize[axis]! - 1) * this.dilationRate[axis]! + 1;
    const s = this.strides[axis]!;
    return this.padding === 'same' ? len * s : (len - 1) * s + k;
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = last ? [s[1] ?? null, s[2] ?? null] : [s[2] ?? null, s[3] ?? null];
    const oh = this.outLength(h, 0);
    const ow = this.outLength(w, 1);
    return last ? [s[0] ?? null, oh, ow, this.filters] : [s[0] ?? null, this.filters, oh, ow];
  }
  call(x: Tensor): Tensor {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = last ? [x.shape[1]!, x.shape[2]!] : [x.shape[2]!, x.shape[3]!];
    const filter = last ? this.kernel! : this.kernel!.permute([3, 2, 0, 1]);
    const y = conv2dTranspose(x, filter, {
      strides: this.strides as [number, number],
      padding: this.padding,
      dilations: this.dilationRate as [number, number],
      dataFormat: last ? 'NHWC' : 'NCHW',
      outputShape: [this.outLength(h, 0)!, this.outLength(w, 1)!],
    });
    if (!this.bias) return this.activate(y);
    const shape = last ? [1, 1, 1, this.filters] : [1, this.filters, 1, 1];
    return this.activate(y.add(this.bias.reshape(shape)));
  }
}

/** Options of `layers.separableConv2d` (Keras SeparableConv2D). */
export interface SeparableConvLayerArgs extends Omit<ConvLayerArgs, 'groups' | 'kernelInitializer' | 'kernelRegularizer'> {
  /** Depthwise outputs per input channel (default 1). */
  depthMultiplier?: number;
  /** Default 'glorotUniform'. */
  depthwiseInitializer?: InitializerIdentifier;
  /** Default 'glorotUniform'. */
  pointwiseInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier | null;
  pointwiseRegularizer?: RegularizerIdentifier | null;
}

/**
 * Depthwise-separable 2-D convolution (Keras SeparableConv2D): a depthwise convolution (kernel
 * [kh, kw, in, depthMultiplier], carrying the strides, padding and dilation) followed by a 1x1
 * pointwise convolution (kernel [1, 1, in * depthMultiplier, filters]) with the bias and activation.
 * Both run on the conv2d op; the depthwise one as a grouped convolution with groups = in.
 */
export class SeparableConv2D extends BaseConv {
  readonly className = 'SeparableConv2D';
  readonly depthMultiplier: number;
  private readonly depthwiseInit;
  private readonly pointwiseInit;
  private readonly depthwiseReg;
  private readonly pointwiseReg;
  depthwiseKernel: Tensor | null = null;
  pointwiseKernel: Tensor | null = null;

  constructor(args: SeparableConvLayerArgs) {
    super({ ...args, groups: 1 }, 2, 'separableConv2d');
    const dm = args.depthMultiplier ?? 1;
    if (!Number.isInteger(dm) || dm < 1) argError('separableConv2d', 'depthMultiplier', 'a positive integer', describe(args.depthMultiplier));
    this.depthMultiplier = dm;
    this.depthwiseInit = getInitializer('separableConv2d', 'depthwiseInitializer', args.depthwiseInitializer ?? 'glorotUniform');
    this.pointwiseInit = getInitializer('separableConv2d', 'pointwiseInitializer', args.pointwiseInitializer ?? 'glorotUniform');
    this.depthwiseReg = getRegularizer('separableConv2d', 'depthwiseRegularizer', args.depthwiseRegularizer);
    this.pointwiseReg = getRegularizer('separableConv2d', 'pointwiseRegularizer', args.pointwiseRegularizer);
  }

  override build(inputShape: ShapeWithBatch): void {
    const c = this.channelsOf(inputShape);
    const [kh, kw] = this.kernelSize as [number, number];
    // Keras weight order and names: depthwise_kernel, pointwise_kernel, bias.
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [kh, kw, c, this.depthMultiplier], this.depthwiseInit, { regularizer: this.depthwiseReg });
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, 1, c * this.depthMultiplier, this.filters], this.pointwiseInit, { regularizer: this.pointwiseReg });
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit, { regularizer: this.biasReg });
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const [h, w] = last ? [s[1] ?? null, s[2] ?? null] : [s[2] ?? null, s[3] ?? null];
    const oh = convOutputLength(h, this.kernelSize[0]!, this.strides[0]!, this.padding, this.dilationRate[0]);
    const ow = convOutputLength(w, this.kernelSize[1]!, this.strides[1]!, this.padding, this.dilationRate[1]);
    return last ? [s[0] ?? null, oh, ow, this.filters] : [s[0] ?? null, this.filters, oh, ow];
  }

  call(x: Tensor): Tensor {
    const last = this.dataFormat === 'channelsLast';
    const dk = this.depthwiseKernel!;
    const [kh, kw, c, dm] = dk.shape as [number, number, number, number];
    // [kh, kw, c, dm] -> HWIO [kh, kw, 1, c * dm]: output channel c * dm + m is group c's m-th
    // output, which is the grouped conv's channel order (and Keras's).
    const depthwise = dk.reshape([kh, kw, 1, c * dm]);
    const toOp = (k: Tensor) => (last ? k : k.permute([3, 2, 0, 1]));
    const format = last ? 'NHWC' : 'NCHW';
    const mid = conv2d(x, toOp(depthwise), {
      strides: this.strides as [number, number],
      padding: this.padding,
      dilations: this.dilationRate as [number, number],
      groups: c,
      dataFormat: format,
    });
    return this.activate(conv2d(mid, toOp(this.pointwiseKernel!), { dataFormat: format, bias: this.bias }));
  }

  override getConfig(): LayerConfig {
    const { groups: _g, kernelInitializer: _ki, kernelRegularizer: _kr, ...rest } = super.getConfig();
    const reg = (r: ReturnType<typeof getRegularizer>) => (r ? { className: 'L1L2', config: r.getConfig() } : null);
    return {
      ...rest,
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInit),
      pointwiseInitializer: serializeInitializer(this.pointwiseInit),
      depthwiseRegularizer: reg(this.depthwiseReg),
      pointwiseRegularizer: reg(this.pointwiseReg),
    };
  }
}

/** Factories under their tfjs-layers names. */
export const convolutionalFactories = {
  conv1d: (args: ArgsOf<typeof Conv1D>) => new Conv1D(args),
  conv2d: (args: ArgsOf<typeof Conv2D>) => new Conv2D(args),
  conv2dTranspose: (args: ArgsOf<typeof Conv2DTranspose>) => new Conv2DTranspose(args),
  depthwiseConv2d: (args: ArgsOf<typeof DepthwiseConv2D>) => new DepthwiseConv2D(args),
  separableConv2d: (args: ArgsOf<typeof SeparableConv2D>) => new SeparableConv2D(args),
};

registerLayer('Conv1D', Conv1D, { wrappable: true, keras: { names: ['Convolution1D'] } });
registerLayer('Conv2D', Conv2D, { wrappable: true, keras: { names: ['Convolution2D'] } });
registerLayer('Conv2DTranspose', Conv2DTranspose, { wrappable: true, keras: { names: ['Convolution2DTranspose'] } });
// Keras stores the depthwise kernel as [kh, kw, channels, multiplier]: the same order as ours.
registerLayer('DepthwiseConv2D', DepthwiseConv2D, {
  wrappable: true,
  keras: {
    weights: { kernel: 'depthwise_kernel' },
    weightShape: (l, w, s) => (w === 'kernel' ? [s[0]!, s[1]!, (l as DepthwiseConv2D).groups, (l as DepthwiseConv2D).depthMultiplier] : s.slice()),
  },
});
registerLayer('SeparableConv2D', SeparableConv2D, { wrappable: true, keras: { names: ['SeparableConvolution2D'] } });
