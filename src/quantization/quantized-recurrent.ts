// Int8 LSTM and GRU: the input and recurrent gate GEMMs run on the integer kernel with activations
// quantized per call (dynamic: the hidden state changes every step, no calibrated grid fits it);
// gates, cell and state updates stay float32. Masks, initial states, goBackwards, returnSequences
// and returnState behave as in the float layers (the parents' call does them).
import { Tensor } from '../tensor/tensor';
import { add, mul, sub } from '../ops/binary';
import { stack } from '../ops/movement';
import { slice } from '../ops/views';
import { LSTM, type LSTMArgs } from '../layers/lstm';
import { GRU, type GRUArgs } from '../layers/gru';
import { blend, maskColumn, stepOf } from '../layers/recurrent';
import type { Layer } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { registerLayer } from '../layers/registry';
import type { SafetensorsDType } from '../io/safetensors';
import { floatValues } from './activation-grid';
import { type Int8Slot, SlotPacks, dynamicGemm, floatSlotWeights, makeInt8Slots, slotDtypes } from './int8-slots';

/** The int8 kernels of a recurrent layer. */
export const RECURRENT_SLOTS: readonly Int8Slot[] = [{ name: 'kernel', inAxes: 1 }, { name: 'recurrent_kernel', inAxes: 1 }];

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
    makeInt8Slots(this.name, this.weightList, RECURRENT_SLOTS);
    this.kernel = this.weightList.find((w) => w.name === 'kernel')!.value;
    this.recurrentKernel = this.weightList.find((w) => w.name === 'recurrent_kernel')!.value;
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

  protected override run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const xp = dynamicGemm(x, this.packs.get(this.weightList, RECURRENT_SLOTS, 'kernel'), this.bias ? floatValues(this.bias) : null);
    const rec = this.packs.get(this.weightList, RECURRENT_SLOTS, 'recurrent_kernel');
    let [h, c] = states as [Tensor, Tensor];
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const z = add(stepOf(xp, t), dynamicGemm(h, rec, null));
      const gate = (k: number) => slice(z, [0, k * H], [B, H]);
      const cNext = add(mul(sigma(gate(1)), c), mul(sigma(gate(0)), this.activation.apply(gate(2))));
      const hNext = mul(sigma(gate(3)), this.activation.apply(cNext));
      const m = mask && maskColumn(mask, t);
      h = blend(hNext, h, m);
      c = blend(cNext, c, m);
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h, c] };
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
    makeInt8Slots(this.name, this.weightList, RECURRENT_SLOTS);
    this.kernel = this.weightList.find((w) => w.name === 'kernel')!.value;
    this.recurrentKernel = this.weightList.find((w) => w.name === 'recurrent_kernel')!.value;
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

  protected override run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const bias = this.bias ? floatValues(this.bias) : null;
    const bIn = bias ? bias.subarray(0, 3 * H) : null;
    const bRec = bias && this.resetAfter ? bias.subarray(3 * H, 6 * H) : null;
    const xp = dynamicGemm(x, this.packs.get(this.weightList, RECURRENT_SLOTS, 'kernel'), bIn);
    const rec = this.packs.get(this.weightList, RECURRENT_SLOTS, 'recurrent_kernel');
    let h = states[0]!;
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const xt = stepOf(xp, t);
      const xg = (k: number) => slice(xt, [0, k * H], [B, H]);
      let hNext: Tensor;
      if (this.resetAfter) {
        const hp = dynamicGemm(h, rec, bRec);
        const hg = (k: number) => slice(hp, [0, k * H], [B, H]);
        const z = sigma(add(xg(0), hg(0)));
        const r = sigma(add(xg(1), hg(1)));
        const hh = this.activation.apply(add(xg(2), mul(r, hg(2))));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      } else {
        // h U_zr and (r * h) U_h are separate products: the candidate's input depends on r.
        const { zr, hh: packH } = this.recurrentParts();
        const hzr = dynamicGemm(h, zr, null);
        const z = sigma(add(xg(0), slice(hzr, [0, 0], [B, H])));
        const r = sigma(add(xg(1), slice(hzr, [0, H], [B, H])));
        const hh = this.activation.apply(add(xg(2), dynamicGemm(mul(r, h), packH, null)));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      }
      h = blend(hNext, h, mask && maskColumn(mask, t));
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h] };
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
