// Turns library tensors and decoded OnnxTensors into TensorProto messages (raw little-endian bytes,
// the compact form every runtime reads), plus the flat-array helpers converters use to rearrange
// weights into ONNX layouts.
import { DataType } from '../proto';
import type { OnnxTensorProto } from '../proto';
import type { OnnxDType, OnnxTensor } from '../read-model';
import { Tensor } from '../../tensor/tensor';

const DATA_TYPES: Record<Exclude<OnnxDType, 'string'>, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  float16: DataType.FLOAT16,
  int8: DataType.INT8,
  int16: DataType.INT16,
  int32: DataType.INT32,
  int64: DataType.INT64,
  uint8: DataType.UINT8,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  uint64: DataType.UINT64,
  bool: DataType.BOOL,
};

/** The TensorProto.DataType code of a decoded dtype. */
export function dataTypeOf(dtype: OnnxDType): number {
  return dtype === 'string' ? DataType.STRING : DATA_TYPES[dtype];
}

/** A row-major copy of a tensor's values (views and offsets resolved). */
export function flatValues(t: Tensor): Float32Array | Int32Array {
  const c = t.contiguousCopy();
  return c.buffer.slice(c.offset, c.offset + t.size);
}

/** An OnnxTensor holding a library tensor's values (float32 or int32). */
export function fromTensor(name: string, t: Tensor): OnnxTensor {
  return { name, dtype: t.dtype, shape: t.shape.slice(), data: flatValues(t) };
}

/** A float32 OnnxTensor from values and a shape. */
export function floatTensor(name: string, shape: number[], data: ArrayLike<number>): OnnxTensor {
  return { name, dtype: 'float32', shape, data: Float32Array.from(data) };
}

/** An int64 OnnxTensor (shapes, axes, pads) from plain numbers. */
export function int64Tensor(name: string, shape: number[], data: ArrayLike<number>): OnnxTensor {
  return { name, dtype: 'int64', shape, data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))) };
}

/** A bool OnnxTensor (one byte per element). */
export function boolTensor(name: string, shape: number[], data: ArrayLike<number | boolean>): OnnxTensor {
  return { name, dtype: 'bool', shape, data: Uint8Array.from(Array.from(data, (v) => (v ? 1 : 0))) };
}

/**
 * Permutes a row-major array of `shape` by `perm` (output axis i is input axis perm[i]), as
 * ONNX Transpose does; used to move Keras weight layouts to ONNX ones at export time.
 */
export function permuteFlat<A extends Float32Array | Int32Array>(data: A, shape: readonly number[], perm: readonly number[]): A {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= shape[k]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const strides = perm.map((p) => inStrides[p]!);
  const out = new (data.constructor as { new (n: number): A })(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    // Odometer over the output index, tracking the matching input offset.
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      src += strides[k]!;
      if (idx[k]! < outShape[k]!) break;
      src -= strides[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** Encodes an OnnxTensor (or a library tensor) as a TensorProto named `name`. */
export function toTensorProto(name: string, value: Tensor | OnnxTensor): OnnxTensorProto {
  const t = value instanceof Tensor ? fromTensor(name, value) : value;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new Error(`exportOnnx: initializer '${name}' has ${t.data.length} values for shape [${t.shape.join(',')}] (${count} expected)`);
  }
  if (t.dtype === 'string') {
    return { name, dims: t.shape.slice(), dataType: DataType.STRING, stringData: (t.data as string[]).map((s) => Buffer.from(s, 'utf8')) };
  }
  const data = t.data as Exclude<OnnxTensor['data'], string[]>;
  // ONNX raw_data is little-endian; a fresh buffer per tensor keeps the bytes independent of the source.
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1 && data.BYTES_PER_ELEMENT > 1) {
    for (let at = 0; at < bytes.length; at += data.BYTES_PER_ELEMENT) bytes.subarray(at, at + data.BYTES_PER_ELEMENT).reverse();
  }
  return { name, dims: t.shape.slice(), dataType: dataTypeOf(t.dtype), rawData: bytes };
}
