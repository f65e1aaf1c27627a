// Int8 convolution for Conv1D, Conv2D (grouped too) and DepthwiseConv2D on the integer conv kernel
// (NHWC; a 1-D convolution runs as a 1 x k 2-D one, channelsFirst inputs are transposed in and out).
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { resolveActivation } from '../activations/activations';
import { type CallContext, type LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import { convOutputLength } from '../layers/convolutional';
import { permute, reshape } from '../ops/views';
import { QCONV_DIRECT_MAX_DEPTH, qconv2d, qconv2dDirect, qconvPackWeights, type PackedQConvWeights } from '../ops/quant-kernels';
import {
  dequantizedTensor, floatOutput, floatValues, fusedActivation, quantizeActivation, type QuantizedActivation,
} from './activation-grid';
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

/** Where a convolution's kernel reads and writes (QConv2dArgs' geometry fields). */
interface ConvGeometry {
  shape: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number];
  outSize: [number, number];
}

/** A max pooling fused into the direct convolution (windows inside its output). */
export interface FusedPool {
  size: [number, number];
  strides: [number, number];
  outSize: [number, number];
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

  /** The kernel's view of a call on an NHWC input [n, h, w, c] (h = 1 for 1-D): strides, dilations, pads, output size. */
  private geometry(shape: readonly number[]): ConvGeometry {
    const [n, h, w, c] = shape as [number, number, number, number];
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
    if (oh < 1 || ow < 1) throw new Error(`${this.name}: input shape [${shape.join(',')}] is smaller than the kernel`);
    return {
      shape: [n, h, w, c], strides: [sh!, sw!], dilations: [dh!, dw!], pads: [padTop, padLeft], outSize: [oh, ow],
    };
  }

  /**
   * True when this convolution runs the direct kernel for shallow filters (a first layer): an
   * ungrouped convolution requantizing its output, with kh * ceil(kw * in / 4) * 4 <= 32.
   */
  get direct(): boolean {
    if (!this.outputQuant || this.groups !== 1 || !this.built) return false;
    const k = this.weightValue('kernel');
    const cin = k.shape[k.rank - 2]!;
    const [kh, kw] = this.rank === 2 ? this.kernelSize : [1, this.kernelSize[0]!];
    return kh! * Math.ceil((kw! * cin) / 4) * 4 <= QCONV_DIRECT_MAX_DEPTH;
  }

  /**
   * @internal the requantized uint8 output (on outputQuant's grid) of a channels-last input already
   * on this layer's input grid, as NHWC [n, oh, ow, filters] bytes ([n, ow, filters] for 1-D); with
   * `pool` (only when {@link direct}) max-pooled in the kernel. `out` is reused when it has the size.
   */
  quantizedForward(x: QuantizedActivation | Float32Array, nhwcShape: readonly number[], pool: FusedPool | null = null, out?: Uint8Array): { data: Uint8Array; shape: number[] } {
    const grid = this.outputQuant;
    if (!grid) throw new Error(`${this.name}: no output grid (its output is float)`);
    const g = this.geometry(nhwcShape);
    const [n] = g.shape;
    const [oh, ow] = pool ? pool.outSize : g.outSize;
    const size = n * oh * ow * this.filters;
    const data = out && out.length === size ? out : new Uint8Array(size);
    const fused = fusedActivation(this.activation.name) ?? 'none';
    const common = {
      weights: this.packed(), scaleW: floatValues(this.weightValue('kernelScale')),
      bias: this.useBias ? floatValues(this.weightValue('bias')) : null, activation: fused, ...g,
      out: data, outScale: grid.scale, outZeroPoint: grid.zeroPoint,
    };
    // A float input: the direct kernel quantizes it while copying it in; the GEMM route takes bytes.
    const floats = x instanceof Float32Array;
    if (floats && !this.inputQuant) throw new Error(`${this.name}: a float input needs the static input grid`);
    const xq = floats && !this.direct ? quantizeActivation(Tensor.fromArray(x, [...nhwcShape]), this.inputQuant) : x;
    const input = xq instanceof Float32Array
      ? { x: xq, xZeroPoint: this.inputQuant!.zeroPoint, scaleX: this.inputQuant!.scale }
      : { x: xq.data, xZeroPoint: xq.zeroPoint, scaleX: xq.scale };
    if (this.direct) {
      qconv2dDirect({ ...common, ...input, pool });
    } else {
      if (pool) throw new Error(`${this.name}: only the direct kernel fuses a pooling`);
      if (input.x instanceof Float32Array) throw new Error(`${this.name}: internal: float input on the GEMM route`);
      qconv2d({ ...common, ...input, x: input.x });
    }
    return { data, shape: this.rank === 2 ? [n, oh, ow, this.filters] : [n, ow, this.filters] };
  }

  call(x: Tensor, ctx?: CallContext): Tensor {
    this.checkInference(ctx);
    const last = this.dataFormat === 'channelsLast';
    if (x.rank !== this.rank + 2) throw new Error(`${this.name}: expected a rank-${this.rank + 2} input, got shape [${x.shape.join(',')}]`);
    // NHWC view of the input: [n, h, w, c] (h = 1 for 1-D).
    let nhwc = last ? x : permute(x, this.rank === 2 ? [0, 2, 3, 1] : [0, 2, 1]);
    if (this.rank === 1) nhwc = reshape(nhwc, [nhwc.shape[0]!, 1, nhwc.shape[1]!, nhwc.shape[2]!]);
    const xq = quantizeActivation(nhwc, this.inputQuant);
    let y: Tensor;
    if (this.outputQuant) {
      const q = this.quantizedForward(xq, nhwc.shape);
      y = dequantizedTensor(q.data, q.shape, this.outputQuant);
    } else {
      const g = this.geometry(nhwc.shape);
      const [n] = g.shape;
      const [oh, ow] = g.outSize;
      const fused = fusedActivation(this.activation.name);
      const common = {
        x: xq.data, xZeroPoint: xq.zeroPoint, scaleX: xq.scale, weights: this.packed(), scaleW: floatValues(this.weightValue('kernelScale')),
        bias: this.useBias ? floatValues(this.weightValue('bias')) : null, activation: fused ?? 'none', ...g,
      };
      const nhwcShape = this.rank === 2 ? [n, oh, ow, this.filters] : [n, ow, this.filters];
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
