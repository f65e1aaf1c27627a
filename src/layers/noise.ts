// Regularization layers that act only in training (Keras GaussianNoise, GaussianDropout): they read
// the call context's `training` flag, which fit() and `model.apply(x, { training: true })` set, and
// are identities at inference (and in exported ONNX graphs).
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { add, mul } from '../ops/binary';
import { Generator, globalGenerator } from '../random/generator';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from './layer';
import { type ArgsOf, registerLayer } from './registry';

/** A tensor of x's shape filled with `mean + std * N(0, 1)` draws from `g`. */
function normalLike(x: Tensor, mean: number, std: number, g: Generator): Tensor {
  const out = Tensor.empty(x.shape.slice(), 'float32');
  const o = out.buffer;
  for (let i = 0; i < out.size; i++) o[i] = mean + std * g.normal();
  return out;
}

function seededGenerator(seed: number | null | undefined): Generator | null {
  return seed === undefined || seed === null ? null : new Generator(seed);
}

/** Adds zero-mean Gaussian noise of standard deviation `stddev` during training (Keras `GaussianNoise`). */
export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  readonly stddev: number;
  readonly seed: number | undefined;
  private readonly generator: Generator | null;
  constructor(args: LayerArgs & { stddev: number; seed?: number | null }) {
    super(args, 'gaussian_noise');
    if (typeof args?.stddev !== 'number' || !(args.stddev >= 0) || !Number.isFinite(args.stddev)) {
      argError('gaussianNoise', 'stddev', 'a finite number >= 0', describe(args?.stddev));
    }
    this.stddev = args.stddev;
    this.seed = args.seed ?? undefined;
    this.generator = seededGenerator(args.seed);
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.stddev === 0) return x;
    return add(x, normalLike(x, 0, this.stddev, this.generator ?? globalGenerator()));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed ?? null };
  }
}

/** Multiplies by Gaussian noise of mean 1 and variance rate / (1 - rate) during training (Keras `GaussianDropout`). */
export class GaussianDropout extends Layer {
  readonly className = 'GaussianDropout';
  readonly rate: number;
  readonly seed: number | undefined;
  private readonly generator: Generator | null;
  constructor(args: LayerArgs & { rate: number; seed?: number | null }) {
    super(args, 'gaussian_dropout');
    if (typeof args?.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) argError('gaussianDropout', 'rate', 'a number in [0, 1)', describe(args?.rate));
    this.rate = args.rate;
    this.seed = args.seed ?? undefined;
    this.generator = seededGenerator(args.seed);
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    return mul(x, normalLike(x, 1, Math.sqrt(this.rate / (1 - this.rate)), this.generator ?? globalGenerator()));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

/** Factories under their tfjs-layers names. */
export const noiseFactories = {
  gaussianNoise: (args: ArgsOf<typeof GaussianNoise>) => new GaussianNoise(args),
  gaussianDropout: (args: ArgsOf<typeof GaussianDropout>) => new GaussianDropout(args),
};

// Identities in an exported (inference) graph.
const passThrough = (args: { inputs: readonly string[] }): string[] => [args.inputs[0]!];
registerLayer('GaussianNoise', GaussianNoise, { onnx: passThrough });
registerLayer('GaussianDropout', GaussianDropout, { onnx: passThrough });
