// exportOnnx: walks a model's layer calls in execution order, lets each layer's converter emit
// ONNX nodes, and encodes the result as a ModelProto with a dynamic batch dimension.
import { writeFile } from 'node:fs/promises';
import { argError, describe } from '../../errors';
import { toFsPath } from '../../io/path';
import { Embedding } from '../../layers/embedding';
import { isShapeList, type Layer } from '../../layers/layer';
import { Masking } from '../../layers/masking';
import type { ShapeWithBatch, SymbolicTensor } from '../../layers/symbolic-tensor';
import { LayersModel } from '../../models/layers-model';
import type { GraphNode } from '../../models/graph';
import type { DType } from '../../tensor/dtype';
import { DataType, encodeModel } from '../proto';
import type { OnnxModelProto, OnnxValueInfoProto } from '../proto';
import { integerTypeCode, inputSignature, type OnnxValueSignature, outputSignature } from '../signature';
import { getOnnxConverter } from './converter';
import { embeddingMask, maskingKeep } from './converters/basic';
// Loading the converter modules registers the built-in converters, so getOnnxConverter and
// replacements by registerOnnxConverter see them.
import './converters/index';
import { GraphBuilder } from './graph-builder';
import { reshape } from './ops';

export {
  registerOnnxConverter,
  type ConverterInput,
  type LayerConverter,
  type OnnxAttr,
  type OnnxExportContext,
  type OnnxNodeSpec,
} from './converter';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Target `ai.onnx` opset, 13 to 21 (default 17). */
  opset?: number;
  /** Graph input names, one per model input (default: the input layers' names, for an imported model the file's). */
  inputNames?: string[];
  /** Graph output names, one per model output (default: for an imported model the file's, else the producing layers' names). */
  outputNames?: string[];
}

/** The opset used when none is given. */
export const DEFAULT_ONNX_OPSET = 17;
/** Lowest and highest opsets exportOnnx targets. */
export const MIN_ONNX_OPSET = 13;
export const MAX_ONNX_OPSET = 21;

/** The IR version released together with an opset (ONNX's versioning table), so older runtimes accept the file. */
export function irVersionForOpset(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

const ELEM_TYPES: Record<DType, number> = { float32: DataType.FLOAT, int32: DataType.INT32 };

function checkNames(arg: string, names: unknown, count: number): string[] | null {
  if (names === undefined || names === null) return null;
  const ok = Array.isArray(names) && names.length === count && names.every((n) => typeof n === 'string' && n !== '') && new Set(names).size === names.length;
  if (!ok) argError('exportOnnx', arg, `${count} distinct non-empty string(s), one per model ${arg === 'inputNames' ? 'input' : 'output'}`, describe(names));
  return names as string[];
}

function checkOptions(options: unknown): { opset: number; inputNames: unknown; outputNames: unknown } {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    argError('exportOnnx', 'options', 'an options object { opset?, inputNames?, outputNames? }', describe(options));
  }
  const o = (options ?? {}) as ExportOnnxOptions;
  const opset = o.opset ?? DEFAULT_ONNX_OPSET;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_ONNX_OPSET || opset > MAX_ONNX_OPSET) {
    argError('exportOnnx', 'opset', `an integer from ${MIN_ONNX_OPSET} to ${MAX_ONNX_OPSET}`, describe(o.opset));
  }
  return { opset, inputNames: o.inputNames, outputNames: o.outputNames };
}

/**
 * The default public name of a model output: the name it had in an imported file, else its layer's
 * name; suffixed when ambiguous.
 */
function defaultOutputNames(outputs: readonly SymbolicTensor[], declared: readonly (OnnxValueSignature | undefined)[], inputNames: readonly string[]): string[] {
  const taken = new Set(inputNames);
  return outputs.map((t, i) => {
    const imported = declared[i]?.name;
    const base = imported ?? (t.outputIndex > 0 ? `${t.sourceLayer.name}_${t.outputIndex}` : t.sourceLayer.name);
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

/**
 * The declaration of a graph input or output. An imported model's value keeps its declared element
 * type when that is an integer type held here as int32 (int64 token ids stay int64), and its
 * symbolic dim names; otherwise the batch is 'batch' and other unknown sizes get their own symbol.
 */
function valueInfo(name: string, value: SymbolicTensor, declared: OnnxValueSignature | undefined): OnnxValueInfoProto {
  const declaredDims = declared?.dims && declared.dims.length === value.shape.length ? declared.dims : null;
  const dim = value.shape.map((d, k) => {
    if (d !== null) return { dimValue: d };
    const symbol = declaredDims?.[k];
    if (typeof symbol === 'string' && symbol !== '') return { dimParam: symbol };
    return { dimParam: k === 0 ? 'batch' : `${name}_dim${k}` };
  });
  return { name, type: { tensorType: { elemType: declaredIntegerCode(value, declared) ?? ELEM_TYPES[value.dtype], shape: { dim } } } };
}

/** The declared ONNX integer type of an imported int32 value when it differs from int32 (e.g. INT64), else undefined. */
function declaredIntegerCode(value: SymbolicTensor, declared: OnnxValueSignature | undefined): number | undefined {
  if (!declared || value.dtype !== 'int32') return undefined;
  const code = integerTypeCode(declared.elemType);
  return code === DataType.INT32 ? undefined : code;
}

/**
 * Imported nodes are written back verbatim, so they read a graph input with the type the file
 * declared; every other layer computes with the int32 it sees at run time.
 */
function readsDeclaredTypes(layer: Layer): boolean {
  return layer.className === 'OnnxNode';
}

/** A mask travelling with a value: how to make the [batch, time] float tensor, and its time length. */
interface MaskInfo {
  make: () => string;
  time: number | null;
}

function lazy(make: () => string): () => string {
  let name: string | null = null;
  return () => (name ??= make());
}

/**
 * Builds the ONNX ModelProto of a model (see {@link exportOnnx}) and returns its bytes.
 * Synchronous; use it when the bytes are all you need.
 */
export function exportOnnxBytes(model: LayersModel, options: ExportOnnxOptions = {}): Uint8Array {
  if (!(model instanceof LayersModel)) argError('exportOnnx', 'model', 'a LayersModel (from model() or sequential())', describe(model));
  const { opset, inputNames: inNamesArg, outputNames: outNamesArg } = checkOptions(options);
  const modelInputs = model.inputs;
  if (modelInputs.length === 0) {
    throw new Error(`exportOnnx: model '${model.name}' is not built yet (its input shape is unknown); give the first layer an inputShape or run the model once before exporting`);
  }
  // How an imported model's inputs and outputs were declared in its file (undefined otherwise).
  const inputSigs = modelInputs.map((t) => inputSignature(t, model.graphNodes));
  const outputSigs = model.outputs.map((t) => outputSignature(t));
  const inputNames = checkNames('inputNames', inNamesArg, modelInputs.length) ?? modelInputs.map((t, i) => inputSigs[i]?.name ?? t.sourceLayer.name);
  const outputNames = checkNames('outputNames', outNamesArg, model.outputs.length) ?? defaultOutputNames(model.outputs, outputSigs, inputNames);
  const clash = outputNames.find((n) => inputNames.includes(n));
  if (clash !== undefined) argError('exportOnnx', 'outputNames', 'names different from the input names', describe(clash));

  const builder = new GraphBuilder(opset);
  for (const n of [...inputNames, ...outputNames]) builder.reserve(n);
  const values = new Map<number, string>();
  const dtypes = new Map<number, DType>();
  const masks = new Map<number, MaskInfo>();
  // Inputs declared with a wider integer type (an imported model's int64 ids): a Cast to int32,
  // made on first use, for the layers that compute in int32.
  const int32Views = new Map<number, () => string>();
  modelInputs.forEach((t, i) => {
    const name = inputNames[i]!;
    values.set(t.id, name);
    dtypes.set(t.id, t.dtype);
    if (declaredIntegerCode(t, inputSigs[i]) === undefined) return;
    int32Views.set(t.id, lazy(() => {
      const prev = builder.scope;
      builder.scope = name;
      try {
        return builder.addNode({ opType: 'Cast', inputs: [name], attributes: { to: { type: 'int', value: DataType.INT32 } } })[0]!;
      } finally {
        builder.scope = prev;
      }
    }));
  });

  const emit = (call: GraphNode): void => {
    const layer = call.layer;
    if (layer instanceof LayersModel) {
      emitNested(layer, call);
      return;
    }
    const converter = getOnnxConverter(layer.className);
    if (!converter) {
      throw new Error(`exportOnnx: layer '${layer.name}' has class ${layer.className}, which has no ONNX converter; register one with registerOnnxConverter('${layer.className}', ...)`);
    }
    if (!layer.built) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) is not built; run the model once before exporting`);
    const inputs = call.inputs.map((t) => {
      const int32View = readsDeclaredTypes(layer) ? undefined : int32Views.get(t.id);
      return int32View ? int32View() : values.get(t.id)!;
    });
    const inputShapes = call.inputs.map((t) => t.shape.slice());
    const out = layer.computeOutputShape(call.listInput ? inputShapes : inputShapes[0]!);
    const outputShapes = isShapeList(out) ? out : [out];
    const mask = masks.get(call.inputs[0]!.id) ?? null;
    builder.scope = layer.name;
    let names: string[];
    try {
      names = converter({
        layer, inputs, inputShapes, inputDtypes: call.inputs.map((t) => dtypes.get(t.id) ?? t.dtype), outputShapes, mask: mask?.make ?? null,
      }, builder);
    } finally {
      builder.scope = '';
    }
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
      throw new Error(`exportOnnx: the converter of layer '${layer.name}' (${layer.className}) must return value names, got ${describe(names)}`);
    }
    call.outputs.forEach((o, i) => {
      if (!o) return;
      const name = names[i];
      if (name === undefined) throw new Error(`exportOnnx: the converter of layer '${layer.name}' (${layer.className}) returned ${names.length} output(s), the model uses output ${i}`);
      values.set(o.id, name);
      dtypes.set(o.id, o.dtype);
    });
    const produced = propagateMask(builder, layer, call.inputs, call.listInput, inputs[0]!, outputShapes[0]!, mask);
    const first = call.outputs[0];
    if (produced && first) masks.set(first.id, produced);
  };
  // A model used as a layer is inlined: its inputs alias the call's inputs, its layers are emitted
  // in place (their names are unique across models), and the call's outputs alias its outputs.
  const emitNested = (inner: LayersModel, call: GraphNode): void => {
    if (inner.inputs.length !== call.inputs.length) throw new Error(`exportOnnx: nested model '${inner.name}' takes ${inner.inputs.length} input(s), its call gives ${call.inputs.length}`);
    const alias = (to: SymbolicTensor, from: SymbolicTensor): void => {
      values.set(to.id, values.get(from.id)!);
      dtypes.set(to.id, dtypes.get(from.id) ?? from.dtype);
      const m = masks.get(from.id);
      if (m) masks.set(to.id, m);
      else masks.delete(to.id);
    };
    inner.inputs.forEach((t, i) => alias(t, call.inputs[i]!));
    for (const c of inner.graphNodes) emit(c);
    call.outputs.forEach((o, i) => o && alias(o, inner.outputs[i]!));
  };
  for (const call of model.graphNodes) emit(call);

  const graphInputs = modelInputs.map((t, i) => valueInfo(inputNames[i]!, t, inputSigs[i]));
  const graphOutputs = model.outputs.map((t, i) => ({ value: values.get(t.id)!, info: valueInfo(outputNames[i]!, t, outputSigs[i]) }));
  const graph = builder.finish(model.name, graphInputs, graphOutputs);
  const proto: OnnxModelProto = {
    irVersion: irVersionForOpset(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'tensorforge',
    graph,
  };
  // A plain Uint8Array of its own (protobufjs hands out a Buffer that may share Node's pool).
  return new Uint8Array(encodeModel(proto));
}

/**
 * The mask leaving a call, mirroring what models do at run time: Masking and Embedding (maskZero)
 * make one, and other single-input layers pass theirs on while the output keeps the time axis.
 */
function propagateMask(builder: GraphBuilder, layer: Layer, callInputs: readonly SymbolicTensor[], listInput: boolean, x: string,
  outShape: ShapeWithBatch, incoming: MaskInfo | null): MaskInfo | null {
  // Built lazily, under the producing layer's name, and only if a later layer reads it.
  const scoped = (make: () => string) => lazy(() => {
    const prev = builder.scope;
    builder.scope = `${layer.name}/mask`;
    try {
      return make();
    } finally {
      builder.scope = prev;
    }
  });
  const inShape = callInputs[0]!.shape;
  if (layer instanceof Masking) {
    return { time: inShape[1] ?? null, make: scoped(() => reshape(builder, maskingKeep(builder, x, inShape.length, layer.maskValue), [0, 0])) };
  }
  if (layer instanceof Embedding && layer.maskZero) {
    const dtype = callInputs[0]!.dtype;
    return { time: inShape[1] ?? null, make: scoped(() => embeddingMask(builder, x, dtype)) };
  }
  if (!incoming || listInput || outShape.length < 3) return null;
  return outShape[1] === incoming.time ? incoming : null;
}

/**
 * Exports a model to ONNX: every layer becomes standard `ai.onnx` operators (opset 13-21, default
 * 17), inputs and outputs keep the model's layout (channels-last stays channels-last) with a
 * symbolic batch dimension, and dropout is left out (an inference graph). An imported model keeps
 * its file's interface: input and output names, integer input/output types (int64 ids stay int64;
 * layers added on top read them through a Cast to int32) and symbolic dim names. Writes the file
 * when `path` is given; always resolves to the bytes.
 *
 * @param model - a built model (functional or sequential)
 * @param path - where to write the .onnx file, or null/undefined for bytes only
 * @param options - target opset and graph input/output names
 */
export async function exportOnnx(model: LayersModel, path?: string | null, options?: ExportOnnxOptions): Promise<Uint8Array> {
  if (path !== undefined && path !== null && (typeof path !== 'string' || path === '')) {
    argError('exportOnnx', 'path', 'a file path or null', describe(path));
  }
  const file = path ? toFsPath('exportOnnx', 'path', path) : null;
  const bytes = exportOnnxBytes(model, options);
  if (file) {
    try {
      await writeFile(file, bytes);
    } catch (e) {
      throw new Error(`exportOnnx: cannot write '${path}': ${(e as Error).message}`);
    }
  }
  return bytes;
}
