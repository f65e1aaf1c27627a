// The interface an imported model had in its ONNX file: input and output names, element types and
// symbolic dims. The library computes integers as int32 and names outputs after layers, so without
// this record a re-export would change what a server feeds (int64 token ids) and reads (output
// names). The imported nodes carry it (in their config, so it survives model.save/loadModel): the
// nodes reading a graph input declare it, the node producing a graph output declares that.
// exportOnnx asks the layers through this interface, so a model built on an imported body (a new
// head) keeps what still applies.
import type { Layer } from '../layers/layer';
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

/** A layer that knows how the values it reads or writes were declared as graph inputs/outputs. */
export interface DeclaresOnnxSignatures {
  /** The declaration of the graph input the layer receives as call input `index`, if it is one. */
  onnxInputSignature(index: number): OnnxValueSignature | undefined;
  /** The declaration of the graph output the layer produces as output `index`, if it is one. */
  onnxOutputSignature(index: number): OnnxValueSignature | undefined;
}

function declares(layer: Layer): layer is Layer & DeclaresOnnxSignatures {
  const l = layer as Partial<DeclaresOnnxSignatures>;
  return typeof l.onnxInputSignature === 'function' && typeof l.onnxOutputSignature === 'function';
}

/** Layer calls as the exporter walks them. */
interface Call {
  layer: Layer;
  inputs: readonly SymbolicTensor[];
}

/** @internal the imported declaration of a model input: asked of the layers that read it */
export function inputSignature(value: SymbolicTensor, calls: readonly Call[]): OnnxValueSignature | undefined {
  for (const call of calls) {
    if (!declares(call.layer)) continue;
    const index = call.inputs.indexOf(value);
    const signature = index < 0 ? undefined : call.layer.onnxInputSignature(index);
    if (signature) return signature;
  }
  return undefined;
}

/** @internal the imported declaration of a model output: asked of the layer that produces it */
export function outputSignature(value: SymbolicTensor): OnnxValueSignature | undefined {
  const layer = value.sourceLayer;
  return declares(layer) ? layer.onnxOutputSignature(value.outputIndex) : undefined;
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
