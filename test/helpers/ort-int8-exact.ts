// onnxruntime's u8 x s8 integer kernels on x86 CPUs without VNNI (AVX2, AVX-512 without VNNI)
// multiply pairs with vpmaddubsw, whose 16-bit sums saturate: 255 * 127 * 2 > 32767, so a
// MatMulInteger, ConvInteger, QLinearMatMul or QLinearConv with int8 weights (and the QDQ graphs
// its optimizer fuses into them) gives wrong sums there (microsoft/onnxruntime#6004; PyTorch and
// OpenVINO document the same). The tests that use onnxruntime as the reference for int8 graphs run,
// on such a CPU, the same graph with every int8 weight stored as uint8 + 128 and its zero point
// + 128: the same values (q - zp is unchanged), computed by the exact u8 x u8 kernels.
import * as ortLib from 'onnxruntime-node';
import { DataType, decodeModel, encodeModel, type OnnxModelProto, type OnnxTensorProto } from '../../src/onnx/proto';

/** [weight input, zero point input] of the nodes whose int8 weight onnxruntime multiplies as u8 x s8. */
const WEIGHT_SLOTS: Record<string, readonly [number, number]> = {
  MatMulInteger: [1, 3],
  ConvInteger: [1, 3],
  QLinearMatMul: [3, 5],
  QLinearConv: [3, 5],
  DequantizeLinear: [0, 2],
};

let saturates: Promise<boolean> | undefined;

/** Whether this CPU's onnxruntime saturates u8 x s8 sums (a 2-deep MatMulInteger of 255 x 127). */
export function ortInt8Saturates(): Promise<boolean> {
  saturates ??= (async () => {
    const g = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'probe',
        node: [{ opType: 'MatMulInteger', input: ['a', 'b'], output: ['y'] }],
        initializer: [{ name: 'b', dims: [2, 1], dataType: DataType.INT8, int32Data: [127, 127] }],
        input: [{ name: 'a', type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [{ dimValue: 1 }, { dimValue: 2 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: DataType.INT32, shape: { dim: [{ dimValue: 1 }, { dimValue: 1 }] } } } }],
      },
    } satisfies OnnxModelProto;
    const session = await ortLib.InferenceSession.create(encodeModel(g), { intraOpNumThreads: 1 });
    const out = await session.run({ a: new ortLib.Tensor('uint8', Uint8Array.of(255, 255), [1, 2]) });
    await session.release();
    return Number((out['y']!.data as Int32Array)[0]) !== 255 * 127 * 2;
  })();
  return saturates;
}

/** The int8 values of an initializer (raw bytes or int32Data). */
function int8Values(t: OnnxTensorProto): Int8Array {
  if (t.rawData && t.rawData.length > 0) return new Int8Array(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength).slice();
  return Int8Array.from(t.int32Data ?? []);
}

const asUint8 = (t: OnnxTensorProto): OnnxTensorProto => ({
  name: t.name,
  dims: t.dims,
  dataType: DataType.UINT8,
  rawData: Uint8Array.from(int8Values(t), (v) => v + 128),
});

/**
 * The graph with the int8 initializers in weight slots (and their zero points) as uint8 + 128, and
 * the int8 feeds in those slots likewise; everything else as it was. Initializers also read by
 * other inputs are left alone.
 */
export function toU8U8(bytes: Uint8Array, feeds: Record<string, { data: unknown; shape: number[] }>): {
  bytes: Uint8Array;
  feeds: Record<string, { data: unknown; shape: number[] }>;
} {
  const model = decodeModel(bytes);
  const graph = model.graph ?? {};
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const int8Inputs = new Set((graph.input ?? []).filter((i) => i.type?.tensorType?.elemType === DataType.INT8).map((i) => i.name ?? ''));
  const uses = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const slotUses = new Map<string, number>();
  const convert = new Set<string>();
  const addZero: { node: number; slot: number; like: string }[] = [];
  (graph.node ?? []).forEach((n, idx) => {
    const slots = WEIGHT_SLOTS[n.opType ?? ''];
    if (!slots) return;
    const w = n.input?.[slots[0]] ?? '';
    const wInit = inits.get(w);
    if (!(wInit?.dataType === DataType.INT8 || int8Inputs.has(w))) return;
    // int8 activations: onnxruntime has no s8 x u8 kernels (and its s8 x s8 ones do not saturate).
    const x = n.opType === 'DequantizeLinear' ? '' : n.input?.[0] ?? '';
    if (x !== '' && (int8Inputs.has(x) || inits.get(x)?.dataType === DataType.INT8)) return;
    convert.add(w);
    slotUses.set(w, (slotUses.get(w) ?? 0) + 1);
    const z = n.input?.[slots[1]] ?? '';
    if (z !== '') {
      convert.add(z);
      slotUses.set(z, (slotUses.get(z) ?? 0) + 1);
    } else {
      // No zero point: 0 in int8 terms, 128 as uint8, shaped like the scale (DequantizeLinear per axis).
      addZero.push({ node: idx, slot: slots[1], like: n.opType === 'DequantizeLinear' ? n.input?.[1] ?? '' : '' });
    }
  });
  for (const name of convert) if ((uses.get(name) ?? 0) !== slotUses.get(name)) convert.delete(name);
  if (convert.size === 0) return { bytes, feeds };
  graph.initializer = (graph.initializer ?? []).map((t) => (convert.has(t.name ?? '') && t.dataType === DataType.INT8 ? asUint8(t) : t));
  for (const i of graph.input ?? []) {
    if (convert.has(i.name ?? '') && i.type?.tensorType) i.type.tensorType.elemType = DataType.UINT8;
  }
  addZero.forEach(({ node, slot, like }, k) => {
    const n = graph.node![node]!;
    if (!convert.has(n.input![slot === 2 ? 0 : slot - 2]!)) return;
    const dims = like !== '' ? inits.get(like)?.dims ?? [] : [];
    const count = dims.reduce((a, b) => a * b, 1);
    const name = `__u8_zero_point_${k}`;
    graph.initializer!.push({ name, dims, dataType: DataType.UINT8, rawData: new Uint8Array(count).fill(128) });
    const inputs = [...(n.input ?? [])];
    while (inputs.length < slot) inputs.push('');
    inputs[slot] = name;
    n.input = inputs;
  });
  const outFeeds = { ...feeds };
  for (const [name, f] of Object.entries(feeds)) {
    if (convert.has(name) && f.data instanceof Int8Array) outFeeds[name] = { ...f, data: Uint8Array.from(f.data, (v) => v + 128) };
  }
  return { bytes: encodeModel(model), feeds: outFeeds };
}
