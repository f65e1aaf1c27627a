// The interface an imported model had in its ONNX file: input and output names, element types and
// symbolic dims. The library computes integers as int32 and names outputs after layers, so without
// this record a re-export would change what a server feeds (int64 token ids) and reads (output
// names). importOnnx records it on the model's symbolic inputs and outputs; exportOnnx reads it, so
// any model built on those same symbolic tensors (a new head on an imported body) keeps what still
// applies. It is not saved by model.save().
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import { DataType } from './proto';
import type { OnnxDim, OnnxDType } from './read-model';

/** How a graph input or output was declared in the imported file. */
export interface OnnxValueSignature {
  name: string;
  elemType: OnnxDType;
  /** Declared dims (sizes, symbolic names, null where unnamed), or null when the rank was not stated. */
  dims: OnnxDim[] | null;
}

const signatures = new WeakMap<SymbolicTensor, OnnxValueSignature>();

/** @internal records how `value` (a model input or output) was declared in the imported file */
export function setOnnxSignature(value: SymbolicTensor, signature: OnnxValueSignature): void {
  signatures.set(value, { ...signature, dims: signature.dims?.slice() ?? null });
}

/** @internal the imported declaration of a model input or output, if it has one */
export function onnxSignature(value: SymbolicTensor): OnnxValueSignature | undefined {
  return signatures.get(value);
}

/** ONNX element type codes of the integer and bool types the library holds as int32. */
const INTEGER_CODES: Readonly<Partial<Record<OnnxDType, number>>> = {
  int8: DataType.INT8, int16: DataType.INT16, int32: DataType.INT32, int64: DataType.INT64,
  uint8: DataType.UINT8, uint16: DataType.UINT16, uint32: DataType.UINT32, uint64: DataType.UINT64, bool: DataType.BOOL,
};

/** The ONNX type code of an integer or bool type (held as int32 here), else undefined. */
export function integerTypeCode(dtype: OnnxDType): number | undefined {
  return INTEGER_CODES[dtype];
}
