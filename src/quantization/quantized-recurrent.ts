// Int8 LSTM and GRU: the input and recurrent gate GEMMs run on the integer kernel with activations
// quantized per call (dynamic: the hidden state changes every step, no calibrated grid fits it);
// gates, cell and state updates stay float32. Masks, initial states, goBackwards, returnSequences
// and returnState behave as in the float layers (the parents' call does them).
import { Tensor } from '../tensor/tensor';
import { slice } from '../ops/views';
import { LSTM, type LSTMArgs } from '../layers/lstm';
import { GRU, type GRUArgs } from '../layers/gru';
import type { Layer, LayerWeight } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import type { SafetensorsDType } from '../io/safetensors';
import { floatValues } from './activation-grid';
import { type Int8Slot, SlotPacks, dynamicGemm, floatSlotWeights, makeInt8Slots, slotDtypes } from './int8-slots';

/** The int8 kernels of a recurrent layer. */
export const RECURRENT_SLOTS: readonly Int8Slot[] = [{ name: 'kernel', inAxes: 1 }, { name: 'recurrent_kernel', inAxes: 1 }];

/** Turns a freshly built LSTM/GRU's kernels into int8 slots and points the layer at them. */
function adoptInt8Slots(layer: LSTM | GRU, weights: LayerWeight[]): void {
  makeInt8Slots(layer.name, weights, RECURRENT_SLOTS);
  layer.kernel = weights.find((w) => w.name === 'kernel')!.value;
  layer.recurrentKernel = weights.find((w) => w.name === 'recurrent_kernel')!.value;
}

/** x times the int8 weight `slot` (+ bias), the input quantized per call. */
function int8Product(packs: SlotPacks, weights: readonly LayerWeight[], slot: 'kernel' | 'recurrent_kernel', x: Tensor, bias: Tensor | null): Tensor {
  return dynamicGemm(x, packs.get(weights, RECURRENT_SLOTS, slot), bias ? floatValues(bias) : null);
}

/**
 * Int8 LSTM (dynamic). Config: an LSTM's. Weights, in order: `kernel` [features, 4 units] int8
 * (int32 in memory, stored I8), `recurrent_kernel` [units, 4 units] int8, `bias` [4 units] float32
 * (when useBias), `kernel_scale` [4 units], `recurrent_kernel_scale` [4 units] float32.
 */
export class QuantizedLSTM extends LSTM {
  override readonly className: string = 'QuantizedLSTM';
  readonly sourceClassName = 'LSTM';
  private readonly packs = new SlotPacks();
  /** @internal the shape(s) build saw, for the float copy */
  builtShape: ShapeWithBatch | ShapeWithBatch[] | null = null;

  constructor(args: LSTMArgs) {
    super({ ...args, trainable: false });
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    super.build(inputShape);
    this.builtShape = inputShape;
    adoptInt8Slots(this, this.weightList);
  }

  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>> {
    return slotDtypes(RECURRENT_SLOTS);
  }

  /** The float LSTM with dequantized weights (ONNX float fallback). */
  toFloatLayer(): Layer {
    return floatCopy(new LSTM({ ...(LSTM.prototype.getConfig.call(this) as unknown as LSTMArgs), name: this.name }), this);
  }

  floatWeights(): Tensor[] {
    return floatSlotWeights(this.weightList, RECURRENT_SLOTS);
  }

  // The fused sequence kernel reads the float recurrent kernel: the composed steps run instead,
  // with the int8 products below.
  override get fused(): boolean {
    return false;
  }

  protected override projectInput(x: Tensor, bias: Tensor | null): Tensor {
    return int8Product(this.packs, this.weightList, 'kernel', x, bias);
  }

  protected override projectState(h: Tensor): Tensor {
    return int8Product(this.packs, this.weightList, 'recurrent_kernel', h, null);
  }
}

/**
 * Int8 GRU (dynamic). Config: a GRU's. Weights, in order: `kernel` [features, 3 units] int8,
 * `recurrent_kernel` [units, 3 units] int8, `bias` ([2, 3 units] with resetAfter, else [3 units])
 * float32, `kernel_scale` [3 units], `recurrent_kernel_scale` [3 units] float32.
 */
export class QuantizedGRU extends GRU {
  override readonly className: string = 'QuantizedGRU';
  readonly sourceClassName = 'GRU';
  private readonly packs = new SlotPacks();
  /** @internal the shape(s) build saw, for the float copy */
  builtShape: ShapeWithBatch | ShapeWithBatch[] | null = null;
  private splitPacks: { versions: string; zr: ReturnType<SlotPacks['get']>; hh: ReturnType<SlotPacks['get']> } | null = null;

  constructor(args: GRUArgs) {
    super({ ...args, trainable: false });
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    super.build(inputShape);
    this.builtShape = inputShape;
    adoptInt8Slots(this, this.weightList);
  }

  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>> {
    return slotDtypes(RECURRENT_SLOTS);
  }

  /** The float GRU with dequantized weights (ONNX float fallback). */
  toFloatLayer(): Layer {
    return floatCopy(new GRU({ ...(GRU.prototype.getConfig.call(this) as unknown as GRUArgs), name: this.name }), this);
  }

  floatWeights(): Tensor[] {
    return floatSlotWeights(this.weightList, RECURRENT_SLOTS);
  }

  override get fused(): boolean {
    return false;
  }

  protected override projectInput(x: Tensor, bias: Tensor | null): Tensor {
    return int8Product(this.packs, this.weightList, 'kernel', x, bias);
  }

  protected override projectState(h: Tensor, columns: 'all' | 'zr' | 'h', bias: Tensor | null): Tensor {
    if (columns === 'all') return int8Product(this.packs, this.weightList, 'recurrent_kernel', h, bias);
    // Without resetAfter, h U_zr and (r * h) U_h are separate products: the candidate's input depends on r.
    const parts = this.recurrentParts();
    return dynamicGemm(h, columns === 'zr' ? parts.zr : parts.hh, bias ? floatValues(bias) : null);
  }

  /** resetAfter false: the recurrent kernel's z/r columns and h columns packed separately. */
  private recurrentParts(): { zr: ReturnType<SlotPacks['get']>; hh: ReturnType<SlotPacks['get']> } {
    const versions = this.weightList.map((w) => w.value.storage.version).join(',');
    if (this.splitPacks?.versions === versions) return this.splitPacks;
    const H = this.units;
    const u = this.weightList.find((w) => w.name === 'recurrent_kernel')!.value;
    const scales = floatValues(this.weightList.find((w) => w.name === 'recurrent_kernel_scale')!.value);
    const part = (from: number, width: number) => {
      const list = [
        { name: 'recurrent_kernel', value: slice(u, [0, from], [H, width]).contiguousCopy(), trainable: false, regularizer: null },
        { name: 'recurrent_kernel_scale', value: Tensor.fromArray(scales.slice(from, from + width), [width]), trainable: false, regularizer: null },
      ];
      return new SlotPacks().get(list, RECURRENT_SLOTS, 'recurrent_kernel');
    };
    this.splitPacks = { versions, zr: part(0, 2 * H), hh: part(2 * H, H) };
    return this.splitPacks;
  }
}

function floatCopy(layer: Layer, q: Layer & { floatWeights(): Tensor[]; builtShape: ShapeWithBatch | ShapeWithBatch[] | null }): Layer {
  if (!q.builtShape) throw new Error(`${q.name}.toFloatLayer: the layer is not built`);
  layer.ensureBuilt(q.builtShape);
  layer.setWeights(q.floatWeights());
  return layer;
}

registerLayer('QuantizedLSTM', QuantizedLSTM);
registerLayer('QuantizedGRU', QuantizedGRU);
