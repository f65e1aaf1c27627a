import { argError, describe } from '../errors';
import { noGrad } from '../autograd/tape';
import type { Tensor } from '../tensor/tensor';
import { normalizeAxis } from '../tensor/shape';
import { add, mul } from '../ops/binary';
import { type BatchNormActivation, batchNorm, batchNormTraining, layerNorm } from '../ops/normalization';
import type { FusedTrainingCall } from '../models/training-fusion';
import { Activation } from './basic';
import { type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from './layer';
import type { ShapeWithBatch } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

interface NormArgs extends LayerArgs {
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
}

function checkEpsilon(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps > 0)) argError(fn, 'epsilon', 'a positive number', describe(eps));
  return eps;
}

/** Size of the normalized feature axis, which must be known when the layer is built. */
function featureDim(name: string, axisIn: number, inputShape: ShapeWithBatch): number {
  const axis = normalizeAxis(name, axisIn, inputShape.length);
  const dim = inputShape[axis];
  if (typeof dim !== 'number') argError(name, 'inputShape', `a known dimension on axis ${axis}`, `[${inputShape.join(',')}]`);
  return dim;
}

/**
 * Normalizes each sample over its last axis (Keras LayerNormalization, epsilon 1e-3), then scales
 * by gamma and shifts by beta.
 */
export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly betaInit;
  private readonly gammaInit;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;

  constructor(args: NormArgs = {}) {
    super(args, 'layer_normalization');
    this.axis = args.axis ?? -1;
    this.epsilon = checkEpsilon('layerNormalization', args.epsilon ?? 1e-3);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInit = getInitializer('layerNormalization', 'betaInitializer', args.betaInitializer ?? 'zeros');
    this.gammaInit = getInitializer('layerNormalization', 'gammaInitializer', args.gammaInitializer ?? 'ones');
  }

  override build(inputShape: ShapeWithBatch): void {
    const dim = featureDim(this.name, this.axis, inputShape);
    if (this.scale) this.gamma = this.addWeight('gamma', [dim], this.gammaInit);
    if (this.center) this.beta = this.addWeight('beta', [dim], this.betaInit);
  }

  call(x: Tensor): Tensor {
    const axis = normalizeAxis(this.name, this.axis, x.rank);
    return layerNorm(x, this.gamma, this.beta, { axis, epsilon: this.epsilon });
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(), axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInit), gammaInitializer: serializeInitializer(this.gammaInit),
    };
  }
}

/**
 * Batch normalization over the feature axis (default last, channels-last as in Keras): batch
 * statistics in training, moving averages (momentum 0.99) at inference.
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly betaInit;
  private readonly gammaInit;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean: Tensor | null = null;
  movingVariance: Tensor | null = null;

  constructor(args: NormArgs & { momentum?: number } = {}) {
    super(args, 'batch_normalization');
    this.axis = args.axis ?? -1;
    this.epsilon = checkEpsilon('batchNormalization', args.epsilon ?? 1e-3);
    const momentum = args.momentum ?? 0.99;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) argError('batchNormalization', 'momentum', 'a number in [0, 1]', describe(momentum));
    this.momentum = momentum;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInit = getInitializer('batchNormalization', 'betaInitializer', args.betaInitializer ?? 'zeros');
    this.gammaInit = getInitializer('batchNormalization', 'gammaInitializer', args.gammaInitializer ?? 'ones');
  }

  override build(inputShape: ShapeWithBatch): void {
    const dim = featureDim(this.name, this.axis, inputShape);
    if (this.scale) this.gamma = this.addWeight('gamma', [dim], this.gammaInit);
    if (this.center) this.beta = this.addWeight('beta', [dim], this.betaInit);
    this.movingMean = this.addWeight('moving_mean', [dim], getInitializer(this.name, 'movingMean', 'zeros'), { trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [dim], getInitializer(this.name, 'movingVariance', 'ones'), { trainable: false });
  }

  call(x: Tensor, ctx: CallContext): Tensor {
    // A frozen layer stays in inference form even in training mode (Keras 2.1+ fine-tuning rule).
    if (!ctx.training || !this.trainable) {
      return batchNorm(x, this.movingMean!, this.movingVariance!, this.gamma, this.beta, { axis: normalizeAxis(this.name, this.axis, x.rank), epsilon: this.epsilon });
    }
    return this.trainingForward(x);
  }

  /**
   * @internal in training, this layer and a ReLU `Activation` reading its output as one call: the
   * activation and its gradient run inside the normalization's passes.
   */
  trainingFusion(next: Layer): FusedTrainingCall | null {
    if (!(next instanceof Activation) || next.activation.name !== 'relu') return null;
    return (input, ctx) => {
      if (!ctx.training || !this.trainable || Array.isArray(input)) return null;
      this.ensureBuilt([null, ...input.shape.slice(1)]);
      return this.trainingForward(input, 'relu');
    };
  }

  /** Normalizes with the batch statistics and moves the moving ones by momentum. */
  private trainingForward(x: Tensor, activation?: BatchNormActivation): Tensor {
    const opts = { axis: normalizeAxis(this.name, this.axis, x.rank), epsilon: this.epsilon, activation };
    const { y, mean, variance } = batchNormTraining(x, this.gamma, this.beta, opts);
    const m = this.momentum;
    noGrad(() => {
      // In place, so the optimizer and saved references see the same tensors.
      const newMean = add(mul(this.movingMean!, m), mul(mean, 1 - m));
      const newVar = add(mul(this.movingVariance!, m), mul(variance, 1 - m));
      this.movingMean!.buffer.set(newMean.contiguousCopy().buffer.subarray(0, newMean.size), this.movingMean!.offset);
      this.movingVariance!.buffer.set(newVar.contiguousCopy().buffer.subarray(0, newVar.size), this.movingVariance!.offset);
    });
    return y;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(), axis: this.axis, epsilon: this.epsilon, momentum: this.momentum, center: this.center, scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInit), gammaInitializer: serializeInitializer(this.gammaInit),
    };
  }
}

/** Factories under their tfjs-layers names. */
export const normalizationFactories = {
  batchNormalization: (args: ArgsOf<typeof BatchNormalization> = {}) => new BatchNormalization(args),
  layerNormalization: (args: ArgsOf<typeof LayerNormalization> = {}) => new LayerNormalization(args),
};

registerLayer('BatchNormalization', BatchNormalization, { wrappable: true });
registerLayer('LayerNormalization', LayerNormalization, { wrappable: true });
