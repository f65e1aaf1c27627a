// Int8 Dense: y = act(x @ dequant(kernel) + bias) on the integer GEMM, the input quantized to uint8
// (calibrated grid in static mode, per call in dynamic mode), relu/relu6 and requantization fused.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { resolveActivation } from '../activations/activations';
import { type CallContext, type LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import { qgemm, qgemmPackWeights, type PackedQGemmWeights } from '../ops/quant-kernels';
import {
  dequantizedTensor, floatOutput, floatValues, fusedActivation, quantizeActivation, type QuantizedActivation,
} from './activation-grid';
import { dequantizeWeights, int8Values } from './int8-weights';
import { QuantizedLayer, type QuantizedLayerArgs } from './quantized-layer';

/** Options of {@link QuantizedDense} (as saved in model.json). */
export interface QuantizedDenseArgs extends QuantizedLayerArgs {
  units: number;
  activation?: string | null;
  useBias?: boolean;
}

/**
 * Int8 fully connected layer. Weights, in order: `kernel` [in, units] int8 values (int32 in memory,
 * stored I8), `kernelScale` [units] float32 per-output-channel scales (kernel ~ kernel_q * scale),
 * `bias` [units] float32 (when useBias).
 */
export class QuantizedDense extends QuantizedLayer {
  readonly className = 'QuantizedDense';
  readonly units: number;
  readonly activation: ReturnType<typeof resolveActivation>;
  readonly useBias: boolean;

  constructor(args: QuantizedDenseArgs) {
    super(args, 'quantized_dense');
    if (!Number.isInteger(args.units) || args.units < 1) argError('QuantizedDense', 'units', 'a positive integer', describe(args.units));
    this.units = args.units;
    this.activation = resolveActivation('QuantizedDense', args.activation);
    this.useBias = args.useBias ?? true;
    if (this.outputQuant && !fusedActivation(this.activation.name)) {
      argError('QuantizedDense', 'outputQuant', `null with activation '${this.activation.name}' (only linear, relu, relu6 fuse)`, describe(args.outputQuant));
    }
  }

  override build(inputShape: ShapeWithBatch): void {
    const inDim = inputShape[inputShape.length - 1];
    if (typeof inDim !== 'number') argError(this.name, 'inputShape', 'a known last dimension', `[${inputShape.join(',')}]`);
    this.addFixedWeight('kernel', [inDim, this.units], 'int32');
    this.addFixedWeight('kernelScale', [this.units], 'float32');
    if (this.useBias) this.addFixedWeight('bias', [this.units], 'float32');
  }

  override computeOutputShape(inputShape: ShapeWithBatch): ShapeWithBatch {
    return [...inputShape.slice(0, -1), this.units];
  }

  private packed(): PackedQGemmWeights {
    return this.cachedPack(() => {
      const k = this.weightValue('kernel');
      return qgemmPackWeights(int8Values(k), k.shape[0]!, this.units, 'kn');
    });
  }

  call(x: Tensor, ctx?: CallContext): Tensor {
    this.checkInference(ctx);
    const inDim = this.weightValue('kernel').shape[0]!;
    if (x.shape[x.rank - 1] !== inDim) throw new Error(`${this.name}: expected input with last dimension ${inDim}, got shape [${x.shape.join(',')}]`);
    const y = this.quantizedForward(quantizeActivation(x, this.inputQuant), x.shape);
    return y instanceof Tensor ? y : dequantizedTensor(y.data, y.shape, this.outputQuant!);
  }

  /**
   * @internal the output for an input already quantized (`shape`: the input's): uint8 bytes on
   * outputQuant's grid when it is set (`out` reused when it has the size), else a float32 tensor
   * with the activation applied.
   */
  quantizedForward(xq: QuantizedActivation, shape: readonly number[], out?: Uint8Array): Tensor | { data: Uint8Array; shape: number[] } {
    const inDim = this.weightValue('kernel').shape[0]!;
    const m = xq.data.length / inDim;
    const fused = fusedActivation(this.activation.name);
    const yShape = [...shape.slice(0, -1), this.units];
    const common = {
      m, a: xq.data, aZeroPoint: xq.zeroPoint, scaleA: xq.scale, b: this.packed(),
      scaleB: floatValues(this.weightValue('kernelScale')),
      bias: this.useBias ? floatValues(this.weightValue('bias')) : null,
      activation: fused ?? 'none',
    } as const;
    if (this.outputQuant) {
      const data = out && out.length === m * this.units ? out : new Uint8Array(m * this.units);
      qgemm({ ...common, out: data, outScale: this.outputQuant.scale, outZeroPoint: this.outputQuant.zeroPoint });
      return { data, shape: yShape };
    }
    const { t: y, out: f } = floatOutput(yShape);
    qgemm({ ...common, out: f });
    return fused ? y : this.activation.apply(y);
  }

  floatWeights(): Tensor[] {
    const w = [dequantizeWeights(this.weightValue('kernel'), this.weightValue('kernelScale'))];
    if (this.useBias) w.push(this.weightValue('bias'));
    return w;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), units: this.units, activation: this.activation.name, useBias: this.useBias };
  }
}

registerLayer('QuantizedDense', QuantizedDense);
