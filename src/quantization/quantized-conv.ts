// Int8 convolution for Conv1D, Conv2D (grouped too) and DepthwiseConv2D on the integer conv kernel
// (NHWC; a 1-D convolution runs as a 1 x k 2-D one, channelsFirst inputs are transposed in and out).
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { resolveActivation } from '../activations/activations';
import { type CallContext, type LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import { convOutputLength } from '../layers/convolutional';
import { permute, reshape } from '../ops/views';
import { qconv2d, qconvPackWeights, type PackedQConvWeights } from '../ops/quant-kernels';
import { dequantizedTensor, floatOutput, floatValues, fusedActivation, quantizeActivation } from './activation-grid';
import { dequantizeWeights, int8Values } from './int8-weights';
import { QuantizedLayer, type QuantizedLayerArgs } from './quantized-layer';

/** Options of {@link QuantizedConv} (as saved in model.json). */
export interface QuantizedConvArgs extends QuantizedLayerArgs {
  /** 1 (Conv1D) or 2 (Conv2D, DepthwiseConv2D). */
  rank: 1 | 2;
  filters: number;
  kernelSize: number[];
  strides: number[];
  padding: 'valid' | 'same';
  dilationRate: number[];
  groups: number;
  dataFormat?: 'channelsLast' | 'channelsFirst';
  activation?: string | null;
  useBias?: boolean;
}

function intList(fn: string, arg: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((d) => Number.isInteger(d) && d >= 1)) argError(fn, arg, `${n} positive integers`, describe(v));
  return (v as number[]).slice();
}

/**
 * Int8 convolution. Weights, in order: `kernel` int8 values (int32 in memory, stored I8) in the
 * source layer's Keras layout, [kh, kw, in/groups, filters] (rank 2) or [k, in/groups, filters]
 * (rank 1; a DepthwiseConv2D kernel is [kh, kw, 1, in * depthMultiplier] with groups = in);
 * `kernelScale` [filters] float32 per-output-channel scales; `bias` [filters] float32 (when useBias).
 */
export class QuantizedConv extends QuantizedLayer {
  readonly className = 'QuantizedConv';
  readonly rank: 1 | 2;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: number[];
  readonly groups: number;
  readonly dataFormat: 'channelsLast' | 'channelsFirst';
  readonly activation: ReturnType<typeof resolveActivation>;
  readonly useBias: boolean;

  constructor(args: QuantizedConvArgs) {
    super(args, 'quantized_conv');
    const fn = 'QuantizedConv';
    if (args.rank !== 1 && args.rank !== 2) argError(fn, 'rank', '1 or 2', describe(args.rank));
    this.rank = args.rank;
    if (!Number.isInteger(args.filters) || args.filters < 1) argError(fn, 'filters', 'a positive integer', describe(args.filters));
    this.filters = args.filters;
    this.kernelSize = intList(fn, 'kernelSize', args.kernelSize, this.rank);
    this.strides = intList(fn, 'strides', args.strides, this.rank);
    this.dilationRate = intList(fn, 'dilationRate', args.dilationRate, this.rank);
    if (args.padding !== 'valid' && args.padding !== 'same') argError(fn, 'padding', "'valid' or 'same'", describe(args.padding));
    this.padding = args.padding;
    if (!Number.isInteger(args.groups) || args.groups < 1 || args.filters % args.groups !== 0) argError(fn, 'groups', `a positive divisor of filters (${args.filters})`, describe(args.groups));
    this.groups = args.groups;
    const format = args.dataFormat ?? 'channelsLast';
    if (format !== 'channelsLast' && format !== 'channelsFirst') argError(fn, 'dataFormat', "'channelsLast' or 'channelsFirst'", describe(format));
    this.dataFormat = format;
    this.activation = resolveActivation(fn, args.activation);
    this.useBias = args.useBias ?? true;
    if (this.outputQuant && !fusedActivation(this.activation.name)) {
      argError(fn, 'outputQuant', `null with activation '${this.activation.name}' (only linear, relu, relu6 fuse)`, describe(args.outputQuant));
    }
  }

  private channels(shape: ShapeWithBatch): number {
    const c = this.dataFormat === 'channelsLast' ? shape[shape.length - 1] : shape[1];
    if (typeof c !== 'number' || shape.length !== this.rank + 2) argError(this.name, 'inputShape', `rank ${this.rank + 2} with known channels`, `[${shape.join(',')}]`);
    if (c % this.groups !== 0) argError(this.name, 'groups', `a divisor of the input channels (${c})`, String(this.groups));
    return c;
  }

  override build(inputShape: ShapeWithBatch): void {
    const cin = this.channels(inputShape) / this.groups;
    this.addFixedWeight('kernel', [...this.kernelSize, cin, this.filters], 'int32');
    this.addFixedWeight('kernelScale', [this.filters], 'float32');
    if (this.useBias) this.addFixedWeight('bias', [this.filters], 'float32');
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const last = this.dataFormat === 'channelsLast';
    const spatial = last ? s.slice(1, -1) : s.slice(2);
    const out = spatial.map((d, i) => convOutputLength(d ?? null, this.kernelSize[i]!, this.strides[i]!, this.padding, this.dilationRate[i]));
    return last ? [s[0] ?? null, ...out, this.filters] : [s[0] ?? null, this.filters, ...out];
  }

  private packed(): PackedQConvWeights {
    return this.cachedPack(() => {
      const k = this.weightValue('kernel');
      const [kh, kw] = this.rank === 2 ? this.kernelSize : [1, this.kernelSize[0]!];
      return qconvPackWeights(int8Values(k), 'HWIO', { cout: this.filters, cinPerGroup: k.shape[k.rank - 2]!, kh: kh!, kw: kw!, groups: this.groups });
    });
  }

  call(x: Tensor, ctx?: CallContext): Tensor {
    this.checkInference(ctx);
    const last = this.dataFormat === 'channelsLast';
    if (x.rank !== this.rank + 2) throw new Error(`${this.name}: expected a rank-${this.rank + 2} input, got shape [${x.shape.join(',')}]`);
    // NHWC view of the input: [n, h, w, c] (h = 1 for 1-D).
    let nhwc = last ? x : permute(x, this.rank === 2 ? [0, 2, 3, 1] : [0, 2, 1]);
    if (this.rank === 1) nhwc = reshape(nhwc, [nhwc.shape[0]!, 1, nhwc.shape[1]!, nhwc.shape[2]!]);
    const [n, h, w, c] = nhwc.shape as [number, number, number, number];
    const [kh, kw] = this.rank === 2 ? this.kernelSize : [1, this.kernelSize[0]!];
    const [sh, sw] = this.rank === 2 ? this.strides : [1, this.strides[0]!];
    const [dh, dw] = this.rank === 2 ? this.dilationRate : [1, this.dilationRate[0]!];
    const geom = (size: number, k: number, s: number, d: number): [number, number] => {
      const out = convOutputLength(size, k, s, this.padding, d)!;
      const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
      return [out, this.padding === 'same' ? Math.floor(total / 2) : 0];
    };
    const [oh, padTop] = geom(h, kh!, sh!, dh!);
    const [ow, padLeft] = geom(w, kw!, sw!, dw!);
    if (oh < 1 || ow < 1) throw new Error(`${this.name}: input shape [${x.shape.join(',')}] is smaller than the kernel`);
    const xq = quantizeActivation(nhwc, this.inputQuant);
    const fused = fusedActivation(this.activation.name);
    const common = {
      x: xq.data, shape: [n, h, w, c] as [number, number, number, number], xZeroPoint: xq.zeroPoint, scaleX: xq.scale,
      weights: this.packed(), scaleW: floatValues(this.weightValue('kernelScale')),
      bias: this.useBias ? floatValues(this.weightValue('bias')) : null, activation: fused ?? 'none',
      strides: [sh!, sw!] as [number, number], dilations: [dh!, dw!] as [number, number], pads: [padTop, padLeft] as [number, number],
      outSize: [oh, ow] as [number, number],
    } as const;
    const nhwcShape = this.rank === 2 ? [n, oh, ow, this.filters] : [n, ow, this.filters];
    let y: Tensor;
    if (this.outputQuant) {
      const out = new Uint8Array(n * oh * ow * this.filters);
      qconv2d({ ...common, out, outScale: this.outputQuant.scale, outZeroPoint: this.outputQuant.zeroPoint });
      y = dequantizedTensor(out, nhwcShape, this.outputQuant);
    } else {
      const f = floatOutput(nhwcShape);
      qconv2d({ ...common, out: f.out });
      y = f.t;
      if (!fused) y = this.activation.apply(y);
    }
    if (last) return y;
    return permute(y, this.rank === 2 ? [0, 3, 1, 2] : [0, 2, 1]);
  }

  floatWeights(): Tensor[] {
    const w = [dequantizeWeights(this.weightValue('kernel'), this.weightValue('kernelScale'))];
    if (this.useBias) w.push(this.weightValue('bias'));
    return w;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(), rank: this.rank, filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: this.padding, dilationRate: this.dilationRate, groups: this.groups, dataFormat: this.dataFormat,
      activation: this.activation.name, useBias: this.useBias,
    };
  }
}

registerLayer('QuantizedConv', QuantizedConv);
