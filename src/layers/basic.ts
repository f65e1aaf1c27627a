import { argError, describe } from '../errors';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { type ActivationName, resolveActivation } from '../activations/activations';
import { globalGenerator, Generator } from '../random/generator';
import { mul } from '../ops/binary';
import { reshape } from '../ops/views';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from './layer';
import type { ShapeWithBatch } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

/** Applies an activation function by name. */
export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: ReturnType<typeof resolveActivation>;
  constructor(args: LayerArgs & { activation: ActivationName }) {
    super(args, 'activation');
    this.activation = resolveActivation('activation', args?.activation);
  }
  call(x: Tensor): Tensor {
    return this.activation.apply(x);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: this.activation.name };
  }
}

/** Zeroes a `rate` fraction of inputs during training and scales the rest by 1/(1-rate). */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number | undefined;
  private readonly generator: Generator | null;
  constructor(args: LayerArgs & { rate: number; seed?: number | null }) {
    super(args, 'dropout');
    if (typeof args?.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) argError('dropout', 'rate', 'a number in [0, 1)', describe(args?.rate));
    this.rate = args.rate;
    this.seed = args.seed ?? undefined;
    this.generator = args.seed === undefined || args.seed === null ? null : new Generator(args.seed);
  }
  call(x: Tensor, ctx: CallContext): Tensor {
    if (!ctx.training || this.rate === 0) return x;
    const keep = 1 - this.rate;
    const mask = Tensor.empty(x.shape.slice(), 'float32');
    const m = mask.buffer;
    const g = this.generator ?? globalGenerator();
    const scale = 1 / keep;
    for (let i = 0; i < mask.size; i++) m[i] = g.uniform() < keep ? scale : 0;
    return mul(x, mask);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

/** Flattens every dimension but the batch one. */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const rest = s.slice(1);
    return [s[0] ?? null, rest.every((d) => d !== null) ? sizeOf(rest as number[]) : null];
  }
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0] ?? 1, -1]);
  }
}

/** Reshapes every sample to `targetShape` (batch dimension excluded; one entry may be -1). */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: LayerArgs & { targetShape: number[] }) {
    super(args, 'reshape');
    if (!Array.isArray(args?.targetShape)) argError('reshape', 'targetShape', 'an array of integers', describe(args?.targetShape));
    this.targetShape = args.targetShape.slice();
  }
  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    const known = s.slice(1);
    if (known.some((d) => d === null)) return [s[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const total = sizeOf(known as number[]);
    const rest = sizeOf(this.targetShape.filter((d) => d !== -1));
    const fits = this.targetShape.includes(-1) ? rest > 0 && total % rest === 0 : rest === total;
    if (!fits) {
      argError(this.name, 'targetShape', `a shape with ${total} elements per sample (input [${s.join(',')}])`, describe(this.targetShape));
    }
    return [s[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? total / rest : d))];
  }
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, ...this.targetShape]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

/** Factories under their tfjs-layers names. */
export const basicFactories = {
  activation: (args: ArgsOf<typeof Activation>) => new Activation(args),
  dropout: (args: ArgsOf<typeof Dropout>) => new Dropout(args),
  flatten: (args: ArgsOf<typeof Flatten> = {}) => new Flatten(args),
  reshape: (args: ArgsOf<typeof Reshape>) => new Reshape(args),
};

registerLayer('Activation', Activation, { wrappable: true });
registerLayer('Dropout', Dropout, { wrappable: true });
registerLayer('Flatten', Flatten, { wrappable: true });
registerLayer('Reshape', Reshape, { wrappable: true });
