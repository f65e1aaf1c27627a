// Int8 MultiHeadAttention: the four Dense-like projections (query, key, value, output) run on the
// integer GEMM with activations quantized per call; the attention itself (scores, softmax,
// weighted sum) stays float32.
import type { Tensor } from '../tensor/tensor';
import { MultiHeadAttention, type MultiHeadAttentionArgs } from '../layers/attention';
import type { Layer } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import type { SafetensorsDType } from '../io/safetensors';
import { floatValues } from './activation-grid';
import { type Int8Slot, SlotPacks, dynamicGemm, floatSlotWeights, makeInt8Slots, slotDtypes } from './int8-slots';

/** The projection kernels: [in, heads, dim] (one input axis) and the output's [heads, dim, out] (two). */
export const ATTENTION_SLOTS: readonly Int8Slot[] = [
  { name: 'query/kernel', inAxes: 1 }, { name: 'key/kernel', inAxes: 1 }, { name: 'value/kernel', inAxes: 1 },
  { name: 'attention_output/kernel', inAxes: 2 },
];

/**
 * Int8 attention (dynamic). Config: a MultiHeadAttention's. Weights: the parent's, in its order, with
 * the four kernels held as int8 (int32 in memory, stored I8), then `<kernel>_scale` float32 per
 * projection output column (heads * dim for query/key/value, the output size for attention_output).
 */
export class QuantizedMultiHeadAttention extends MultiHeadAttention {
  override readonly className: string = 'QuantizedMultiHeadAttention';
  readonly sourceClassName = 'MultiHeadAttention';
  private readonly packs = new SlotPacks();
  /** The shape(s) build saw (a list for [query, value]), for the float copy. */
  private builtShape: ShapeWithBatch | ShapeWithBatch[] | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    super({ ...args, trainable: false });
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    super.build(inputShape);
    this.builtShape = inputShape;
    makeInt8Slots(this.name, this.weightList, ATTENTION_SLOTS);
    const get = (n: string) => this.weightList.find((w) => w.name === n)!.value;
    this.queryKernel = get('query/kernel');
    this.keyKernel = get('key/kernel');
    this.valueKernel = get('value/kernel');
    this.outputKernel = get('attention_output/kernel');
  }

  protected override projectionGemm(x: Tensor, _kernel2d: Tensor, bias: Tensor | null, weight: Tensor): Tensor {
    const slot = this.weightList.find((w) => w.value === weight);
    if (!slot) throw new Error(`${this.name}: projection of an unknown kernel`);
    return dynamicGemm(x, this.packs.get(this.weightList, ATTENTION_SLOTS, slot.name), bias ? floatValues(bias) : null);
  }

  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>> {
    return slotDtypes(ATTENTION_SLOTS);
  }

  floatWeights(): Tensor[] {
    return floatSlotWeights(this.weightList, ATTENTION_SLOTS);
  }

  /** The float MultiHeadAttention with dequantized weights (ONNX float fallback). */
  toFloatLayer(): Layer {
    const layer = new MultiHeadAttention({ ...(MultiHeadAttention.prototype.getConfig.call(this) as unknown as MultiHeadAttentionArgs), name: this.name });
    if (!this.builtShape) throw new Error(`${this.name}.toFloatLayer: the layer is not built`);
    layer.ensureBuilt(this.builtShape);
    layer.setWeights(this.floatWeights());
    return layer;
  }
}

registerLayer('QuantizedMultiHeadAttention', QuantizedMultiHeadAttention);
