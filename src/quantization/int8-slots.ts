// Int8 weights inside float layer classes (LSTM, GRU, MultiHeadAttention): the quantized subclass
// keeps its parent's weights but holds the listed kernels as int8 values (int32 in memory, stored
// I8), each followed at the end of the weight list by `<name>_scale`, one float32 scale per GEMM
// output column. A kernel with `inAxes` leading input axes multiplies as [prod(in axes), columns].
import { Tensor } from '../tensor/tensor';
import { labelTensor } from '../autograd/labels';
import type { Layer, LayerWeight } from '../layers/layer';
import { reshape } from '../ops/views';
import { type PackedQGemmWeights, qgemm, qgemmPackWeights } from '../ops/quant-kernels';
import type { SafetensorsDType } from '../io/safetensors';
import { floatValues, quantizeActivation } from './activation-grid';
import { dequantizeWeights, int8Values, quantizeWeights } from './int8-weights';

/** One int8 kernel of a layer: its weight name and how many leading axes are GEMM inputs. */
export interface Int8Slot {
  name: string;
  inAxes: number;
}

function split(shape: readonly number[], inAxes: number): [number, number] {
  const rows = shape.slice(0, inAxes).reduce((a, b) => a * b, 1);
  return [rows, shape.slice(inAxes).reduce((a, b) => a * b, 1)];
}

/** In build: turns the slots' float weights into int8 holders and appends their scales. */
export function makeInt8Slots(layerName: string, list: LayerWeight[], slots: readonly Int8Slot[]): void {
  for (const s of slots) {
    const w = list.find((x) => x.name === s.name);
    if (!w) throw new Error(`${layerName}: no weight '${s.name}' to hold as int8`);
    const value = Tensor.empty(w.value.shape.slice(), 'int32');
    value.buffer.fill(0);
    labelTensor(value, `${layerName}/${s.name}`);
    w.value = value;
    w.trainable = false;
    w.regularizer = null;
  }
  for (const s of slots) {
    const w = list.find((x) => x.name === s.name)!;
    const value = Tensor.empty([split(w.value.shape, s.inAxes)[1]], 'float32');
    value.buffer.fill(1);
    labelTensor(value, `${layerName}/${s.name}_scale`);
    list.push({ name: `${s.name}_scale`, value, trainable: false, regularizer: null });
  }
  for (const w of list) {
    w.trainable = false;
    w.value.requiresGrad = false;
  }
}

/** The weights of the int8 subclass for a float layer's weights: slots quantized, scales appended. */
export function int8SlotWeights(layer: Layer, slots: readonly Int8Slot[], perChannel: boolean): Tensor[] {
  const values = layer.weightsInfo.map((w) => w.value.contiguousCopy());
  const scales: Tensor[] = [];
  for (const s of slots) {
    const i = layer.weightsInfo.findIndex((w) => w.name === s.name);
    const w = layer.weightsInfo[i]!.value;
    const q = quantizeWeights(reshape(w, split(w.shape, s.inAxes)), perChannel);
    values[i] = reshape(q.q, w.shape.slice()).contiguousCopy();
    scales.push(q.scales);
  }
  return [...values, ...scales];
}

/** The float weights back (the parent class's order): slots dequantized, scales dropped. */
export function floatSlotWeights(list: readonly LayerWeight[], slots: readonly Int8Slot[]): Tensor[] {
  const names = new Set(slots.map((s) => `${s.name}_scale`));
  return list.filter((w) => !names.has(w.name)).map((w) => {
    const s = slots.find((x) => x.name === w.name);
    if (!s) return w.value;
    const scale = list.find((x) => x.name === `${s.name}_scale`)!.value;
    return reshape(dequantizeWeights(reshape(w.value, split(w.value.shape, s.inAxes)), scale), w.value.shape.slice());
  });
}

/** I8 for every slot. */
export function slotDtypes(slots: readonly Int8Slot[]): Record<string, SafetensorsDType> {
  return Object.fromEntries(slots.map((s) => [s.name, 'I8' as const]));
}

/** A slot packed for qgemm, with its scales. */
export interface PackedSlot {
  packed: PackedQGemmWeights;
  scales: Float32Array;
}

/** Packs the slots, again only after a weight changed (setWeights, loadModel). */
export class SlotPacks {
  private versions: number[] = [];
  private packs = new Map<string, PackedSlot>();

  get(list: readonly LayerWeight[], slots: readonly Int8Slot[], name: string): PackedSlot {
    const versions = list.map((w) => w.value.storage.version);
    if (versions.length !== this.versions.length || versions.some((v, i) => v !== this.versions[i])) {
      this.packs.clear();
      this.versions = versions;
    }
    let p = this.packs.get(name);
    if (!p) {
      const s = slots.find((x) => x.name === name)!;
      const w = list.find((x) => x.name === name)!.value;
      const [k, n] = split(w.shape, s.inAxes);
      p = { packed: qgemmPackWeights(int8Values(w), k, n, 'kn'), scales: floatValues(list.find((x) => x.name === `${name}_scale`)!.value) };
      this.packs.set(name, p);
    }
    return p;
  }
}

/** x [..., k] @ int8 weights + bias with x quantized dynamically (per tensor, as ONNX DynamicQuantizeLinear). */
export function dynamicGemm(x: Tensor, slot: PackedSlot, bias: Float32Array | null): Tensor {
  const { k, n } = slot.packed;
  if (x.shape[x.rank - 1] !== k) throw new Error(`int8 GEMM: expected inputs with last dimension ${k}, got shape [${x.shape.join(',')}]`);
  const m = x.size / k;
  const xq = quantizeActivation(x, null);
  const out = new Float32Array(m * n);
  qgemm({ m, a: xq.data, aZeroPoint: xq.zeroPoint, scaleA: xq.scale, b: slot.packed, scaleB: slot.scales, bias, out });
  return Tensor.fromArray(out, [...x.shape.slice(0, -1), n]);
}
