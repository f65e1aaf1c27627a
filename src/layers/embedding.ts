import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { cast } from '../ops/cast';
import { gather } from '../ops/movement';
import { type InitializerIdentifier, getInitializer, serializeInitializer } from '../initializers/initializers';
import { type RegularizerIdentifier, getRegularizer } from '../regularizers/regularizers';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import type { ShapeWithBatch } from './symbolic-tensor';
import { registerLayer } from './registry';

/** Options of `layers.embedding`. */
export interface EmbeddingArgs extends LayerArgs {
  /** Number of ids (ids are in [0, inputDim)). */
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier | null;
  inputLength?: number;
  /**
   * Treat id 0 as padding: the layer emits a [batch, time] mask (0 where the id is 0) that models
   * pass on to the following layers, so recurrent layers skip padded steps (Keras `mask_zero`).
   */
  maskZero?: boolean;
}

/** Maps integer ids in [0, inputDim) to learned vectors of size outputDim. */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  private readonly init;
  private readonly reg;
  embeddings: Tensor | null = null;

  constructor(args: EmbeddingArgs) {
    const { inputDim, maskZero, ...rest } = args ?? ({} as typeof args);
    super({ ...rest, inputShape: rest.inputShape ?? (args?.inputLength !== undefined ? [args.inputLength] : undefined) }, 'embedding');
    if (!Number.isInteger(inputDim) || inputDim < 1) argError('embedding', 'inputDim', 'a positive integer', describe(inputDim));
    if (!Number.isInteger(args.outputDim) || args.outputDim < 1) argError('embedding', 'outputDim', 'a positive integer', describe(args.outputDim));
    this.inputDim = inputDim;
    this.outputDim = args.outputDim;
    if (maskZero !== undefined && typeof maskZero !== 'boolean') argError('embedding', 'maskZero', 'a boolean', describe(maskZero));
    this.maskZero = maskZero ?? false;
    this.init = getInitializer('embedding', 'embeddingsInitializer', args.embeddingsInitializer ?? 'randomUniform');
    this.reg = getRegularizer('embedding', 'embeddingsRegularizer', args.embeddingsRegularizer);
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.init, { regularizer: this.reg });
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    return [...s, this.outputDim];
  }

  call(x: Tensor): Tensor {
    const ids = x.dtype === 'int32' ? x : cast(x, 'int32');
    // gather would read negative ids from the end; an embedding id outside [0, inputDim) is a bug.
    const data = ids.contiguousCopy();
    const d = data.buffer;
    for (let i = 0; i < ids.size; i++) {
      const v = d[data.offset + i]!;
      if (v < 0 || v >= this.inputDim) throw new Error(`${this.name}: id ${v} is outside [0, ${this.inputDim})`);
    }
    return gather(this.embeddings!, ids, 0);
  }

  /** With maskZero: [batch, time] float mask, 0 where the id is 0 (padding); otherwise the default. */
  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null, outputs: Tensor | Tensor[]): Tensor | null {
    if (!this.maskZero) return super.computeMask(inputs, mask, outputs);
    const ids = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (ids.rank !== 2) argError(this.name, 'inputs', 'ids [batch, time] when maskZero is true', `shape [${ids.shape.join(',')}]`);
    const src = ids.contiguousCopy();
    const out = Tensor.empty(ids.shape.slice(), 'float32');
    for (let i = 0; i < ids.size; i++) out.buffer[i] = src.buffer[src.offset + i] === 0 ? 0 : 1;
    return out;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero, embeddingsInitializer: serializeInitializer(this.init),
      embeddingsRegularizer: this.reg ? { className: 'L1L2', config: this.reg.getConfig() } : null,
    };
  }
}

/** Factories under their tfjs-layers names. */
export const embeddingFactories = {
  embedding: (args: EmbeddingArgs) => new Embedding(args),
};

registerLayer('Embedding', Embedding, { wrappable: true });
