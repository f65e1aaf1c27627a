// The ONNX model schema (onnx/onnx.proto, proto2) as a protobufjs reflection Root, plus typed
// encode/decode helpers. Field numbers are copied from onnx.proto; fields we do not declare are
// skipped by the decoder (protobuf ignores unknown fields), so this subset still reads full models.
// Names are the camelCase forms protobufjs uses for onnx.proto's snake_case fields.
import * as protobuf from 'protobufjs';

/** TensorProto.DataType: the element type codes stored in `data_type` / `elem_type`. */
export const DataType = Object.freeze({
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const);

/** AttributeProto.AttributeType: which of the value fields of an attribute is meaningful. */
export const AttributeType = Object.freeze({
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const);

/** TensorProto.DataLocation: where a tensor's bytes live. */
export const DataLocation = Object.freeze({ DEFAULT: 0, EXTERNAL: 1 } as const);

// proto2 repeated scalars are unpacked on the wire unless onnx.proto says [packed = true];
// protobufjs defaults to packed, so every repeated scalar states its packing explicitly.
// (Decoders accept both forms; this matters only for writing byte-compatible files.)
const unpacked = { packed: false };
const packed = { packed: true };

/** The schema in protobufjs JSON form (namespace `onnx`), exported for tools that want to extend it. */
export const onnxSchemaJson: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            refAttrName: { type: 'string', id: 21 },
            docString: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7, options: unpacked },
            ints: { rule: 'repeated', type: 'int64', id: 8, options: unpacked },
            strings: { rule: 'repeated', type: 'bytes', id: 9 },
            tensors: { rule: 'repeated', type: 'TensorProto', id: 10 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
          },
          nested: {
            AttributeType: { values: { ...AttributeType } },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            docString: { type: 'string', id: 6 },
          },
        },
        StringStringEntryProto: {
          fields: {
            key: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1, options: unpacked },
            dataType: { type: 'int32', id: 2 },
            segment: { type: 'TensorProto.Segment', id: 3 },
            floatData: { rule: 'repeated', type: 'float', id: 4, options: packed },
            int32Data: { rule: 'repeated', type: 'int32', id: 5, options: packed },
            stringData: { rule: 'repeated', type: 'bytes', id: 6 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7, options: packed },
            name: { type: 'string', id: 8 },
            docString: { type: 'string', id: 12 },
            rawData: { type: 'bytes', id: 9 },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'DataLocation', id: 14 },
            doubleData: { rule: 'repeated', type: 'double', id: 10, options: packed },
            uint64Data: { rule: 'repeated', type: 'uint64', id: 11, options: packed },
          },
          nested: {
            DataType: { values: { ...DataType } },
            DataLocation: { values: { ...DataLocation } },
            Segment: {
              fields: {
                begin: { type: 'int64', id: 1 },
                end: { type: 'int64', id: 2 },
              },
            },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'TensorShapeProto.Dimension', id: 1 },
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: {
            tensorType: { type: 'TypeProto.Tensor', id: 1 },
            denotation: { type: 'string', id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                // int32 on the wire; holds a TensorProto.DataType code.
                elemType: { type: 'int32', id: 1 },
                shape: { type: 'TensorShapeProto', id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: 'string', id: 1 },
            version: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Plain-object shapes. Every field is optional because proto2 fields may be absent; decodeModel
// returns only the fields present in the bytes (no defaults filled in).

/** OperatorSetIdProto: an opset import (domain '' is the default `ai.onnx` domain). */
export interface OnnxOperatorSetId {
  domain?: string;
  version?: number;
}

/** StringStringEntryProto: metadata and external-data key/value pairs. */
export interface OnnxStringStringEntry {
  key?: string;
  value?: string;
}

/** TensorProto.Segment: the slice of a large tensor this proto holds (rarely used). */
export interface OnnxTensorSegment {
  begin?: number;
  end?: number;
}

/**
 * TensorProto. `int64Data` and `uint64Data` are bigint because tensor contents (e.g. Slice ends of
 * INT64_MAX) legitimately exceed 2^53; all other 64-bit fields (dims, versions) are numbers.
 */
export interface OnnxTensorProto {
  dims?: number[];
  dataType?: number;
  segment?: OnnxTensorSegment;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: bigint[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: OnnxStringStringEntry[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: bigint[];
}

/** TensorShapeProto.Dimension: a fixed size (`dimValue`), a symbolic one (`dimParam`) or unknown (neither). */
export interface OnnxDimensionProto {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

/** TensorShapeProto. */
export interface OnnxTensorShapeProto {
  dim?: OnnxDimensionProto[];
}

/** TypeProto (only the tensor case is declared; sequence/map/optional types decode as empty). */
export interface OnnxTypeProto {
  tensorType?: { elemType?: number; shape?: OnnxTensorShapeProto };
  denotation?: string;
}

/** ValueInfoProto: a named, typed value (graph input, output or intermediate). */
export interface OnnxValueInfoProto {
  name?: string;
  type?: OnnxTypeProto;
  docString?: string;
}

/** AttributeProto. `type` (an {@link AttributeType} code) says which value field applies. */
export interface OnnxAttributeProto {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensorProto;
  g?: OnnxGraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: OnnxTensorProto[];
  graphs?: OnnxGraphProto[];
}

/** NodeProto: one operator invocation. */
export interface OnnxNodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttributeProto[];
  docString?: string;
}

/** GraphProto. */
export interface OnnxGraphProto {
  node?: OnnxNodeProto[];
  name?: string;
  initializer?: OnnxTensorProto[];
  docString?: string;
  input?: OnnxValueInfoProto[];
  output?: OnnxValueInfoProto[];
  valueInfo?: OnnxValueInfoProto[];
}

/** ModelProto: the top-level message of an .onnx file. */
export interface OnnxModelProto {
  irVersion?: number;
  opsetImport?: OnnxOperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: OnnxGraphProto;
  metadataProps?: OnnxStringStringEntry[];
}

// ---------------------------------------------------------------------------------------------

let root: protobuf.Root | undefined;

/** The protobufjs Root for the schema, built once on first use. */
export function onnxRoot(): protobuf.Root {
  if (root === undefined) {
    root = protobuf.Root.fromJSON(onnxSchemaJson);
    root.resolveAll();
  }
  return root;
}

function modelType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
// Tensor payloads keep full 64-bit precision; see OnnxTensorProto.
const BIGINT_FIELDS = new Set(['onnx.TensorProto.int64Data', 'onnx.TensorProto.uint64Data']);

function fieldKey(field: protobuf.Field): string {
  return `${field.parent?.fullName.replace(/^\./, '') ?? ''}.${field.name}`;
}

/** Converts one decoded 64-bit value (a decimal string, via toObject's `longs: String`). */
function longToNumber(value: unknown, where: string): number {
  const text = String(value);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || BigInt(text) !== BigInt(n)) {
    throw new Error(`${where}: 64-bit value ${text} is beyond 2^53 and cannot be represented exactly as a number`);
  }
  return n;
}

/**
 * Walks a toObject() result alongside its reflection type and turns 64-bit decimal strings into
 * numbers (or bigints for tensor payloads). Done by schema rather than by value shape so a string
 * field that happens to look numeric is never converted.
 */
function normalizeLongs(type: protobuf.Type, obj: Record<string, unknown>, path: string): void {
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    const where = `${path}.${field.name}`;
    if (LONG_TYPES.has(field.type)) {
      const convert: (v: unknown) => number | bigint = BIGINT_FIELDS.has(fieldKey(field))
        ? (v) => BigInt(String(v))
        : (v) => longToNumber(v, where);
      obj[field.name] = Array.isArray(value) ? value.map(convert) : convert(value);
    } else if (field.resolvedType instanceof protobuf.Type) {
      const sub = field.resolvedType;
      if (Array.isArray(value)) {
        value.forEach((v, k) => normalizeLongs(sub, v as Record<string, unknown>, `${where}[${k}]`));
      } else {
        normalizeLongs(sub, value as Record<string, unknown>, where);
      }
    }
  }
}

/**
 * The inverse for encoding: bigints become `{low, high, unsigned}` words, the Long-like form that
 * protobufjs' verify() and fromObject() accept for 64-bit fields (decimal strings fail verify()).
 */
function bigintsToStrings(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const field of type.fieldsArray) {
    const value = out[field.name];
    if (value === undefined || value === null) continue;
    if (LONG_TYPES.has(field.type)) {
      const unsigned = field.type === 'uint64' || field.type === 'fixed64';
      const convert = (v: unknown): unknown =>
        typeof v === 'bigint'
          ? {
              low: Number(BigInt.asIntN(32, v)),
              high: Number(BigInt.asIntN(32, BigInt.asUintN(64, v) >> 32n)),
              unsigned,
            }
          : v;
      out[field.name] = Array.isArray(value) ? value.map(convert) : convert(value);
    } else if (field.resolvedType instanceof protobuf.Type) {
      const sub = field.resolvedType;
      out[field.name] = Array.isArray(value)
        ? value.map((v) => bigintsToStrings(sub, v as Record<string, unknown>))
        : bigintsToStrings(sub, value as Record<string, unknown>);
    }
  }
  return out;
}

/**
 * Serializes a ModelProto given as a plain object (camelCase field names) to .onnx bytes.
 * Throws if the object does not fit the schema (wrong field types, bad enum values).
 */
export function encodeModel(model: OnnxModelProto): Uint8Array {
  const ModelProto = modelType();
  const plain = bigintsToStrings(ModelProto, model as Record<string, unknown>);
  const err = ModelProto.verify(plain);
  if (err) throw new Error(`encodeModel: invalid ONNX model object: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(plain)).finish();
}

/**
 * Parses .onnx bytes into a plain ModelProto object. Only fields present in the bytes are set;
 * 64-bit integers come back as numbers (throwing beyond 2^53), except tensor `int64Data` /
 * `uint64Data`, which are bigints. Throws the protobufjs error on malformed input; callers that
 * know the file name should wrap it (see readOnnxModel).
 */
export function decodeModel(bytes: Uint8Array): OnnxModelProto {
  const ModelProto = modelType();
  const message = ModelProto.decode(bytes);
  const obj = ModelProto.toObject(message, { longs: String, enums: Number, defaults: false, arrays: false });
  normalizeLongs(ModelProto, obj, 'ModelProto');
  return obj as OnnxModelProto;
}
