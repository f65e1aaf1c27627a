import { argError, describe } from '../errors';
import { camelOptions } from '../option-names';
import type { DType } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { Layer, type LayerArgs } from './layer';
import { type ShapeWithBatch, SymbolicTensor } from './symbolic-tensor';
import { type ArgsOf, registerLayer } from './registry';

/** The entry point of a functional model: passes its input through. */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';

  constructor(args: LayerArgs) {
    super(args, 'input');
    if (!this.batchInputShape) argError('inputLayer', 'inputShape', 'an input shape (inputShape or batchInputShape)', describe(args));
    this.built = true;
    this.inboundNodes.push({ inputs: [], outputs: [new SymbolicTensor(this.batchInputShape, this.dtype, this, [])] });
  }

  /** The placeholder this input layer feeds. */
  override get output(): SymbolicTensor {
    return this.inboundNodes[0]!.outputs[0]!;
  }

  call(x: Tensor): Tensor {
    return x;
  }
}

/**
 * A symbolic model input (functional API): `const x = input({ shape: [784] })`, then
 * `layer.apply(x)` and `model({ inputs: x, outputs })`.
 */
export function input(args: { shape?: number[]; batchShape?: ShapeWithBatch; batchSize?: number; name?: string; dtype?: DType }): SymbolicTensor {
  args = camelOptions('input', args);
  if (!args || (!args.shape && !args.batchShape)) argError('input', 'shape', 'an array of dimensions', describe(args?.shape));
  const layer = new InputLayer({
    inputShape: args.shape,
    batchInputShape: args.batchShape,
    batchSize: args.batchSize,
    name: args.name,
    dtype: args.dtype,
  });
  return layer.output;
}

/** Factories under their tfjs-layers names. */
export const inputLayerFactories = {
  inputLayer: (args: ArgsOf<typeof InputLayer>) => new InputLayer(args),
};

// Keras 3 writes the input shape as batch_shape.
registerLayer('InputLayer', InputLayer, { keras: { keys: { batchShape: 'batchInputShape' } } });
