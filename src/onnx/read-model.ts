// Reads an .onnx file into a plain, typed description of the graph: the shape the importer (and
// tests) want, with tensor payloads already decoded into typed arrays and every malformation
// reported as an Error naming the file, instead of a protobufjs exception or a silent garbage read.
import { readFileSync } from 'node:fs';
import { toFsPath } from '../io/path';
import { endianness } from 'node:os';
import { AttributeType, DataLocation, DataType, decodeModel } from './proto';
import type { OnnxAttributeProto, OnnxGraphProto, OnnxModelProto, OnnxTensorProto, OnnxValueInfoProto } from './proto';

/** Element types the reader decodes (named like the tensor library's dtypes where they overlap). */
export type OnnxDType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/** The typed array (or string list) holding a tensor's elements, row-major. */
export type OnnxTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

/**
 * A decoded tensor. `float16` data is the raw IEEE half bit patterns in a Uint16Array and `bool`
 * is one byte (0/1) per element in a Uint8Array, because JS has no native arrays for either.
 */
export interface OnnxTensor {
  name: string;
  dtype: OnnxDType;
  shape: number[];
  data: OnnxTensorData;
}

/** One dimension of a value's shape: a size, a symbolic name (e.g. a dynamic 'batch'), or null if unknown. */
export type OnnxDim = number | string | null;

/** A graph input or output. `shape` is null when the model does not state the rank. */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDType;
  shape: OnnxDim[] | null;
}

/** An attribute value, chosen by the attribute's declared type (ints as numbers, strings as UTF-8 text). */
export type OnnxAttributeValue =
  | number
  | number[]
  | string
  | string[]
  | OnnxTensor
  | OnnxTensor[]
  | OnnxGraph
  | OnnxGraph[];

/** The declared type of an attribute (numbers alone cannot tell INT from FLOAT). */
export type OnnxAttributeKind = 'float' | 'int' | 'string' | 'tensor' | 'graph' | 'floats' | 'ints' | 'strings' | 'tensors' | 'graphs';

/** One operator invocation. `domain` '' means the default `ai.onnx` operator set. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttributeValue>;
  /** Each attribute's declared type, so a node can be written back exactly. */
  attributeKinds: Record<string, OnnxAttributeKind>;
}

/** A decoded graph (also used for If/Loop/Scan subgraph attributes). */
export interface OnnxGraph {
  name: string;
  /** Runtime inputs only: IR < 4 models also list every initializer as an input; those are dropped here. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Map<string, OnnxTensor>;
  nodes: OnnxNode[];
}

/** The description readOnnxModel returns. */
export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** Operator sets the model imports; domain '' is `ai.onnx`. */
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  graph: OnnxGraph;
}

const DTYPES: ReadonlyMap<number, OnnxDType> = new Map<number, OnnxDType>([
  [DataType.FLOAT, 'float32'],
  [DataType.UINT8, 'uint8'],
  [DataType.INT8, 'int8'],
  [DataType.UINT16, 'uint16'],
  [DataType.INT16, 'int16'],
  [DataType.INT32, 'int32'],
  [DataType.INT64, 'int64'],
  [DataType.STRING, 'string'],
  [DataType.BOOL, 'bool'],
  [DataType.FLOAT16, 'float16'],
  [DataType.DOUBLE, 'float64'],
  [DataType.UINT32, 'uint32'],
  [DataType.UINT64, 'uint64'],
]);

const DTYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(DataType).map(([k, v]) => [v, k]));

type NumericDType = Exclude<OnnxDType, 'string'>;
type TypedArrayCtor = {
  new (length: number): Exclude<OnnxTensorData, string[]>;
  new (buffer: ArrayBuffer): Exclude<OnnxTensorData, string[]>;
  BYTES_PER_ELEMENT: number;
};

const ARRAY_CTORS: Record<NumericDType, TypedArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Thrown for structural problems; readOnnxModel prefixes the source name. */
class FormatError extends Error {}

function dtypeOf(code: number | undefined, where: string): OnnxDType {
  const dtype = DTYPES.get(code ?? DataType.UNDEFINED);
  if (dtype === undefined) {
    const name = DTYPE_NAMES.get(code ?? 0);
    throw new FormatError(`${where} has unsupported element type ${name ?? 'code'} (${code ?? 'missing'})`);
  }
  return dtype;
}

/** Decodes little-endian raw_data into a freshly allocated (hence aligned) typed array. */
function fromRawData(raw: Uint8Array, dtype: NumericDType, count: number, where: string): Exclude<OnnxTensorData, string[]> {
  const Ctor = ARRAY_CTORS[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (raw.byteLength !== count * size) {
    throw new FormatError(`${where}: raw_data has ${raw.byteLength} bytes, expected ${count * size} (${count} ${dtype} elements)`);
  }
  // Copy rather than view: the bytes sit at arbitrary offsets inside the file buffer, and typed
  // arrays need element-aligned offsets; the copy also detaches the tensor from the file buffer.
  const buffer = new ArrayBuffer(raw.byteLength);
  new Uint8Array(buffer).set(raw);
  if (!LITTLE_ENDIAN_HOST && size > 1) {
    const bytes = new Uint8Array(buffer);
    for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
  }
  return new Ctor(buffer);
}

/** Decodes the typed *_data field that onnx.proto designates for the dtype. */
function fromTypedFields(t: OnnxTensorProto, dtype: OnnxDType, count: number, where: string): OnnxTensorData {
  let values: ArrayLike<number | bigint | Uint8Array> | undefined;
  let field: string;
  switch (dtype) {
    case 'float32':
      [values, field] = [t.floatData, 'float_data'];
      break;
    case 'float64':
      [values, field] = [t.doubleData, 'double_data'];
      break;
    case 'int64':
      [values, field] = [t.int64Data, 'int64_data'];
      break;
    case 'uint32':
    case 'uint64':
      [values, field] = [t.uint64Data, 'uint64_data'];
      break;
    case 'string':
      [values, field] = [t.stringData, 'string_data'];
      break;
    default:
      // int32_data carries all the narrow integer types, bool and float16 (as bit patterns).
      [values, field] = [t.int32Data, 'int32_data'];
  }
  const got = values?.length ?? 0;
  if (got !== count) throw new FormatError(`${where}: ${field} has ${got} elements, expected ${count}`);
  if (dtype === 'string') {
    return Array.from(t.stringData ?? [], (b) => Buffer.from(b).toString('utf8'));
  }
  const out = new ARRAY_CTORS[dtype](count);
  for (let k = 0; k < count; k++) {
    const v = (values as ArrayLike<number | bigint>)[k] as number | bigint;
    // BigInt arrays need bigint elements; a number in a bigint field (or vice versa) is converted.
    (out as unknown as (number | bigint)[])[k] = out instanceof BigInt64Array || out instanceof BigUint64Array ? BigInt(v) : Number(v);
  }
  return out;
}

function readTensor(t: OnnxTensorProto, where: string): OnnxTensor {
  const name = t.name ?? '';
  const at = `${where} '${name}'`;
  if (t.dataLocation === DataLocation.EXTERNAL) {
    throw new FormatError(`${at} stores its data in an external file, which is not supported yet`);
  }
  if (t.segment !== undefined) throw new FormatError(`${at} is a segment of a larger tensor, which is not supported`);
  const dtype = dtypeOf(t.dataType, at);
  const shape = t.dims ?? [];
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new FormatError(`${at} has invalid dims [${shape.join(',')}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  let data: OnnxTensorData;
  if (t.rawData !== undefined && dtype !== 'string') {
    data = fromRawData(t.rawData, dtype, count, at);
  } else if (t.rawData !== undefined) {
    throw new FormatError(`${at}: string tensors cannot use raw_data`);
  } else {
    data = fromTypedFields(t, dtype, count, at);
  }
  return { name, dtype, shape: [...shape], data };
}

function readValueInfo(v: OnnxValueInfoProto, where: string): OnnxValueInfo {
  const name = v.name ?? '';
  const tensorType = v.type?.tensorType;
  if (tensorType === undefined) {
    throw new FormatError(`${where} '${name}' is not a tensor (only tensor-typed graph inputs and outputs are supported)`);
  }
  const elemType = dtypeOf(tensorType.elemType, `${where} '${name}'`);
  const dims = tensorType.shape?.dim;
  // A missing shape means unknown rank; an empty dim list is a scalar.
  const shape =
    tensorType.shape === undefined
      ? null
      : (dims ?? []).map((d): OnnxDim => d.dimValue ?? d.dimParam ?? null);
  return { name, elemType, shape };
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

const ATTRIBUTE_KINDS: ReadonlyMap<number, OnnxAttributeKind> = new Map<number, OnnxAttributeKind>([
  [AttributeType.FLOAT, 'float'],
  [AttributeType.INT, 'int'],
  [AttributeType.STRING, 'string'],
  [AttributeType.TENSOR, 'tensor'],
  [AttributeType.GRAPH, 'graph'],
  [AttributeType.FLOATS, 'floats'],
  [AttributeType.INTS, 'ints'],
  [AttributeType.STRINGS, 'strings'],
  [AttributeType.TENSORS, 'tensors'],
  [AttributeType.GRAPHS, 'graphs'],
]);

function attributeTypeOf(a: OnnxAttributeProto): number {
  return a.type || inferAttributeType(a);
}

function readAttribute(a: OnnxAttributeProto, where: string): OnnxAttributeValue {
  const at = `${where} attribute '${a.name ?? ''}'`;
  if (a.refAttrName !== undefined) {
    throw new FormatError(`${at} refers to function attribute '${a.refAttrName}', which is only valid inside functions`);
  }
  switch (attributeTypeOf(a)) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return a.i ?? 0;
    case AttributeType.STRING:
      return utf8(a.s ?? new Uint8Array(0));
    case AttributeType.TENSOR:
      if (a.t === undefined) throw new FormatError(`${at} is declared TENSOR but has no tensor`);
      return readTensor(a.t, `${at} tensor`);
    case AttributeType.GRAPH:
      if (a.g === undefined) throw new FormatError(`${at} is declared GRAPH but has no graph`);
      return readGraph(a.g, `${at} graph`);
    case AttributeType.FLOATS:
      return a.floats ?? [];
    case AttributeType.INTS:
      return a.ints ?? [];
    case AttributeType.STRINGS:
      return (a.strings ?? []).map(utf8);
    case AttributeType.TENSORS:
      return (a.tensors ?? []).map((t, k) => readTensor(t, `${at} tensor ${k}`));
    case AttributeType.GRAPHS:
      return (a.graphs ?? []).map((g, k) => readGraph(g, `${at} graph ${k}`));
    default:
      throw new FormatError(`${at} has unsupported attribute type ${a.type ?? 'UNDEFINED'}`);
  }
}

/** Very old exporters omitted `type`; the spec says to infer it from the field that is set. */
function inferAttributeType(a: OnnxAttributeProto): number {
  if (a.f !== undefined) return AttributeType.FLOAT;
  if (a.i !== undefined) return AttributeType.INT;
  if (a.s !== undefined) return AttributeType.STRING;
  if (a.t !== undefined) return AttributeType.TENSOR;
  if (a.g !== undefined) return AttributeType.GRAPH;
  if (a.floats !== undefined) return AttributeType.FLOATS;
  if (a.ints !== undefined) return AttributeType.INTS;
  if (a.strings !== undefined) return AttributeType.STRINGS;
  if (a.tensors !== undefined) return AttributeType.TENSORS;
  if (a.graphs !== undefined) return AttributeType.GRAPHS;
  return AttributeType.UNDEFINED;
}

function readGraph(g: OnnxGraphProto, where: string): OnnxGraph {
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializer ?? []) {
    const tensor = readTensor(t, `${where} initializer`);
    if (tensor.name === '') throw new FormatError(`${where} has an initializer without a name`);
    if (initializers.has(tensor.name)) throw new FormatError(`${where} has two initializers named '${tensor.name}'`);
    initializers.set(tensor.name, tensor);
  }
  const inputs = (g.input ?? [])
    .filter((v) => !initializers.has(v.name ?? ''))
    .map((v) => readValueInfo(v, `${where} input`));
  const outputs = (g.output ?? []).map((v) => readValueInfo(v, `${where} output`));
  const nodes = (g.node ?? []).map((n, k): OnnxNode => {
    const name = n.name ?? '';
    const at = `${where} node ${k} (${n.opType ?? '?'}${name ? ` '${name}'` : ''})`;
    if (!n.opType) throw new FormatError(`${at} has no op_type`);
    const attributes: Record<string, OnnxAttributeValue> = {};
    const attributeKinds: Record<string, OnnxAttributeKind> = {};
    for (const a of n.attribute ?? []) {
      if (!a.name) throw new FormatError(`${at} has an attribute without a name`);
      attributes[a.name] = readAttribute(a, at);
      attributeKinds[a.name] = ATTRIBUTE_KINDS.get(attributeTypeOf(a))!;
    }
    return { name, opType: n.opType, domain: n.domain ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attributes, attributeKinds };
  });
  return { name: g.name ?? '', inputs, outputs, initializers, nodes };
}

function describeModel(m: OnnxModelProto): OnnxModel {
  if (m.graph === undefined) throw new FormatError('the model has no graph');
  if (m.irVersion === undefined) throw new FormatError('the model has no ir_version');
  const opsets = (m.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: o.version ?? 0 }));
  // ONNX requires an opset import for IR >= 3; without one, op semantics are undefined.
  if (opsets.length === 0) throw new FormatError('the model imports no operator set (opset_import is empty)');
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    irVersion: m.irVersion,
    producerName: m.producerName ?? '',
    producerVersion: m.producerVersion ?? '',
    opsets,
    metadata,
    graph: readGraph(m.graph, 'graph'),
  };
}

/**
 * Reads an ONNX model from a file path or from its bytes and returns a plain description of its
 * graph, with initializers and tensor attributes decoded into typed arrays.
 *
 * Throws an Error starting with the file name (or `source`, or "ONNX bytes" for buffers) for
 * anything that is not a readable model: unreadable file, empty or truncated data, bytes that are
 * not protobuf, a model without a graph, tensors whose data does not match their dims, and
 * features not supported yet (external data, sparse or non-tensor types).
 *
 * @param pathOrBytes - path to an .onnx file, or the file's contents
 * @param source - name used in error messages when passing bytes
 */
export function readOnnxModel(pathOrBytes: string | Uint8Array, source?: string): OnnxModel {
  const label = source ?? (typeof pathOrBytes === 'string' ? pathOrBytes : 'ONNX bytes');
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') {
    const file = toFsPath('readOnnxModel', 'path', pathOrBytes);
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new Error(`${label}: cannot read ONNX model: ${(e as Error).message}`, { cause: e });
    }
  } else {
    bytes = pathOrBytes;
  }
  // An empty buffer is a valid (all-default) protobuf message, so it must be rejected explicitly.
  if (bytes.byteLength === 0) throw new Error(`${label}: not a valid ONNX model: the data is empty (0 bytes)`);
  let proto: OnnxModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    const reason = (e as Error).message;
    // protobufjs reports a length running past the end as "index out of range"; say what that means.
    const hint = reason.startsWith('index out of range') ? ' (the data ends inside a field: truncated file?)' : '';
    throw new Error(`${label}: not a valid ONNX model: ${reason}${hint}`, { cause: e });
  }
  try {
    return describeModel(proto);
  } catch (e) {
    if (e instanceof FormatError) throw new Error(`${label}: not a valid ONNX model: ${e.message}`);
    // Anything else is a bug in this reader on odd-but-decodable input; still name the file.
    throw new Error(`${label}: failed to read ONNX model: ${(e as Error).message}`, { cause: e });
  }
}
