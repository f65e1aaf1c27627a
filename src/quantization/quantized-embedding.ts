// Int8 embedding table with one scale per row (per id), dequantized on lookup: a row costs 1 byte
// per value instead of 4, and each row keeps its own range.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { cast } from '../ops/cast';
import { type CallContext, type LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import { floatValues } from './activation-grid';
import { dequantizeWeights } from './int8-weights';
import { QuantizedLayer, type QuantizedLayerArgs } from './quantized-layer';

/** Options of {@link QuantizedEmbedding} (as saved in model.json). */
export interface QuantizedEmbeddingArgs extends Omit<QuantizedLayerArgs, 'mode'> {
  mode?: 'dynamic' | 'static';
  inputDim: number;
  outputDim: number;
  maskZero?: boolean;
}

/**
 * Int8 embedding. Weights, in order: `embeddings` [inputDim, outputDim] int8 values (int32 in
 * memory, stored I8), `embeddingsScale` [inputDim] float32, one scale per row. A lookup returns
 * float32 rows q * scale. Its input is ids, so the layer has no activation grid (mode is kept only
 * to record how the model was quantized).
 */
export class QuantizedEmbedding extends QuantizedLayer {
  readonly className = 'QuantizedEmbedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;

  constructor(args: QuantizedEmbeddingArgs) {
    // Ids are not activations: never a static grid, whatever the model's mode.
    super({ ...args, mode: 'dynamic', inputQuant: null, outputQuant: null }, 'quantized_embedding');
    const fn = 'QuantizedEmbedding';
    if (!Number.isInteger(args.inputDim) || args.inputDim < 1) argError(fn, 'inputDim', 'a positive integer', describe(args.inputDim));
    if (!Number.isInteger(args.outputDim) || args.outputDim < 1) argError(fn, 'outputDim', 'a positive integer', describe(args.outputDim));
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
  }

  override build(): void {
    this.addFixedWeight('embeddings', [this.inputDim, this.outputDim], 'int32');
    this.addFixedWeight('embeddingsScale', [this.inputDim], 'float32');
  }

  override computeOutputShape(s: ShapeWithBatch): ShapeWithBatch {
    return [...s, this.outputDim];
  }

  call(x: Tensor, ctx?: CallContext): Tensor {
    this.checkInference(ctx);
    const ids = (x.dtype === 'int32' ? x : cast(x, 'int32')).contiguousCopy();
    const idv = ids.buffer.subarray(ids.offset, ids.offset + ids.size);
    const table = this.weightValue('embeddings').contiguousCopy();
    const q = table.buffer;
    const scales = floatValues(this.weightValue('embeddingsScale'));
    const d = this.outputDim;
    const out = new Float32Array(idv.length * d);
    for (let i = 0; i < idv.length; i++) {
      const id = idv[i]!;
      if (id < 0 || id >= this.inputDim) throw new Error(`${this.name}: id ${id} is outside [0, ${this.inputDim})`);
      const s = scales[id]!;
      const base = table.offset + id * d;
      for (let j = 0; j < d; j++) out[i * d + j] = q[base + j]! * s;
    }
    return Tensor.fromArray(out, [...x.shape, d]);
  }

  /** With maskZero: [batch, time] float mask, 0 where the id is 0 (as Embedding). */
  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null, outputs: Tensor | Tensor[]): Tensor | null {
    if (!this.maskZero) return super.computeMask(inputs, mask, outputs);
    const ids = (Array.isArray(inputs) ? inputs[0]! : inputs).contiguousCopy();
    const out = Tensor.empty(ids.shape.slice(), 'float32');
    for (let i = 0; i < ids.size; i++) out.buffer[i] = ids.buffer[ids.offset + i] === 0 ? 0 : 1;
    return out;
  }

  floatWeights(): Tensor[] {
    return [dequantizeWeights(this.weightValue('embeddings'), this.weightValue('embeddingsScale'), 'first')];
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero };
  }
}

registerLayer('QuantizedEmbedding', QuantizedEmbedding);
