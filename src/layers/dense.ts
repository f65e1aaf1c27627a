import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { type ActivationName, resolveActivation } from '../activations/activations';
import { type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { linear } from '../ops/linear';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from './layer';
import type { ShapeWithBatch } from './symbolic-tensor';
import { registerLayer } from './registry';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName | null;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
}

/** A fully connected layer: activation(x @ kernel + bias), with relu fused into the GEMM. */
export class Dense extends Layer {
  readonly className: string = 'Dense';
  readonly units: number;
  readonly activation: ReturnType<typeof resolveActivation>;
  readonly useBias: boolean;
  private readonly kernelInit;
  private readonly biasInit;
  private readonly kernelReg;
  private readonly biasReg;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(args: DenseArgs) {
    super(args, 'dense');
    if (!args || !Number.isInteger(args.units) || args.units < 1) argError('dense', 'units', 'a positive integer', describe(args?.units));
    this.units = args.units;
    this.activation = resolveActivation('dense', args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInit = getInitializer('dense', 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInit = getInitializer('dense', 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.kernelReg = getRegularizer('dense', 'kernelRegularizer', args.kernelRegularizer);
    this.biasReg = getRegularizer('dense', 'biasRegularizer', args.biasRegularizer);
  }

  override build(inputShape: ShapeWithBatch): void {
    const inDim = inputShape[inputShape.length - 1];
    if (typeof inDim !== 'number') {
      argError(this.name, 'inputShape', 'a known last dimension', `[${inputShape.join(',')}]`);
    }
    this.kernel = this.addWeight('kernel', [inDim, this.units], this.kernelInit, { regularizer: this.kernelReg });
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInit, { regularizer: this.biasReg });
  }

  override computeOutputShape(inputShape: ShapeWithBatch): ShapeWithBatch {
    return [...inputShape.slice(0, -1), this.units];
  }

  call(input: Tensor, _ctx: CallContext): Tensor {
    const x = input;
    const inDim = this.kernel!.shape[0]!;
    if (x.shape[x.rank - 1] !== inDim) {
      throw new Error(`${this.name}: expected input with last dimension ${inDim}, got shape [${x.shape.join(',')}]`);
    }
    const act = this.activation.name;
    if (act === 'relu' || act === 'linear') return linear(x, this.kernel!, this.bias, act);
    return this.activation.apply(linear(x, this.kernel!, this.bias));
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation.name,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInit),
      biasInitializer: serializeInitializer(this.biasInit),
      kernelRegularizer: this.kernelReg ? { className: 'L1L2', config: this.kernelReg.getConfig() } : null,
      biasRegularizer: this.biasReg ? { className: 'L1L2', config: this.biasReg.getConfig() } : null,
    };
  }
}

/** Factories under their tfjs-layers names. */
export const denseFactories = {
  dense: (args: DenseArgs) => new Dense(args),
};

registerLayer('Dense', Dense, { wrappable: true });
