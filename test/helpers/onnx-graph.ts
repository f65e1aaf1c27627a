// Builds small ONNX models for tests (through the library's protobufjs schema) and runs them in
// onnxruntime-node, the reference implementation the importer is compared against.
import * as ortLib from 'onnxruntime-node';
import { encodeHalfArray } from '../../src/io/half';
import { AttributeType, DataType, encodeModel, type OnnxAttributeProto, type OnnxTensorProto } from '../../src/onnx/proto';
import { ortInt8Saturates, toU8U8 } from './ort-int8-exact';

/** A float attribute even when the value is whole (1.0 would otherwise be written as INT). */
export interface FloatAttr {
  float: number | number[];
}
export type AttrValue = number | number[] | string | string[] | FloatAttr | { tensor: TensorSpec };

/** Element types the test graphs use; float16 data is given as values (encoded to half bits here). */
export type SpecDType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'float16';

export interface TensorSpec {
  name?: string;
  shape: number[];
  data: ArrayLike<number>;
  dtype?: SpecDType;
}

export interface GraphSpec {
  opset?: number;
  inputs: { name: string; shape: (number | string)[]; dtype?: SpecDType }[];
  /** Output names (declared float32 of unknown rank), or full declarations. */
  outputs: (string | { name: string; shape?: (number | string)[]; dtype?: SpecDType })[];
  initializers?: (TensorSpec & { name: string })[];
  nodes: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrValue>; name?: string; domain?: string }[];
}

const TYPE_CODES = {
  float32: DataType.FLOAT, int64: DataType.INT64, int32: DataType.INT32, bool: DataType.BOOL, uint8: DataType.UINT8, int8: DataType.INT8,
  uint16: DataType.UINT16, int16: DataType.INT16, float16: DataType.FLOAT16,
} as const;

export function tensorProto(t: TensorSpec): OnnxTensorProto {
  const dtype = t.dtype ?? 'float32';
  const base = { name: t.name, dims: t.shape, dataType: TYPE_CODES[dtype] };
  if (dtype === 'float32') return { ...base, floatData: Array.from(t.data) };
  if (dtype === 'int64') return { ...base, int64Data: Array.from(t.data, (v) => BigInt(v)) };
  // float16 travels as its bit patterns in int32_data, like the narrow integer types.
  if (dtype === 'float16') return { ...base, int32Data: Array.from(encodeHalfArray(t.data)) };
  return { ...base, int32Data: Array.from(t.data) };
}

function attribute(name: string, v: AttrValue): OnnxAttributeProto {
  if (typeof v === 'object' && !Array.isArray(v) && 'float' in v) {
    return Array.isArray(v.float) ? { name, type: AttributeType.FLOATS, floats: v.float } : { name, type: AttributeType.FLOAT, f: v.float };
  }
  if (typeof v === 'object' && !Array.isArray(v) && 'tensor' in v) return { name, type: AttributeType.TENSOR, t: tensorProto(v.tensor) };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  if (v.every((x) => typeof x === 'string')) return { name, type: AttributeType.STRINGS, strings: (v as string[]).map((s) => Buffer.from(s)) };
  const nums = v as number[];
  return nums.every(Number.isInteger) ? { name, type: AttributeType.INTS, ints: nums } : { name, type: AttributeType.FLOATS, floats: nums };
}

/** Encodes a graph description as ONNX bytes. */
export function buildOnnx(spec: GraphSpec): Uint8Array {
  const opset = spec.opset ?? 17;
  return encodeModel({
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    producerName: 'tensorforge-test',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'test_graph',
      node: spec.nodes.map((n, k) => ({
        name: n.name ?? `${n.op}_${k}`,
        opType: n.op,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([key, v]) => attribute(key, v)),
      })),
      input: spec.inputs.map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: TYPE_CODES[i.dtype ?? 'float32'], shape: { dim: i.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
      })),
      output: spec.outputs.map((o) => {
        if (typeof o === 'string') return { name: o, type: { tensorType: { elemType: DataType.FLOAT } } };
        const shape = o.shape ? { shape: { dim: o.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {};
        return { name: o.name, type: { tensorType: { elemType: TYPE_CODES[o.dtype ?? 'float32'], ...shape } } };
      }),
      initializer: (spec.initializers ?? []).map(tensorProto),
    },
  });
}

/** A feed for {@link runOrt}: float32, int64 (BigInt64Array), uint8, int8, or float16 (its bits in a Uint16Array with `float16: true`). */
export interface OrtFeed {
  data: Float32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;
  shape: number[];
}

function ortTensor(f: OrtFeed): ortLib.Tensor {
  if (f.data instanceof Float32Array) return new ortLib.Tensor('float32', f.data, f.shape);
  if (f.data instanceof BigInt64Array) return new ortLib.Tensor('int64', f.data, f.shape);
  if (f.data instanceof Uint8Array) return new ortLib.Tensor('uint8', f.data, f.shape);
  if (f.data instanceof Int8Array) return new ortLib.Tensor('int8', f.data, f.shape);
  return new ortLib.Tensor('float16', f.data, f.shape);
}

/** Runs ONNX bytes in onnxruntime-node (graph optimizations off: each node runs its own kernel). */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, OrtFeed>, options: { optimize?: boolean } = {}): Promise<Record<string, ortLib.Tensor>> {
  // Where onnxruntime's u8 x s8 kernels saturate, the same graph with uint8 weights (ort-int8-exact.ts).
  if (await ortInt8Saturates()) ({ bytes, feeds } = toU8U8(bytes, feeds) as { bytes: Uint8Array; feeds: Record<string, OrtFeed> });
  const session = await ortLib.InferenceSession.create(bytes, { graphOptimizationLevel: options.optimize ? 'all' : 'disabled', intraOpNumThreads: 1 });
  const ortFeeds: Record<string, ortLib.Tensor> = {};
  for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = ortTensor(f);
  const out = await session.run(ortFeeds);
  await session.release();
  return out;
}
