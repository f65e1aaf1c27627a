// Converters of the core layers: Dense, Activation, Dropout, Flatten, Reshape, Embedding, Masking
// and InputLayer.
import { Activation, Dropout, Flatten, Reshape } from '../../../layers/basic';
import { Dense } from '../../../layers/dense';
import { Embedding } from '../../../layers/embedding';
import { Masking } from '../../../layers/masking';
import { DataType } from '../../proto';
import type { ConverterInput, LayerConverter, OnnxExportContext } from '../converter';
import { activation, attr, constF32, node, reduce, reshape } from '../ops';
import { fromTensor } from '../tensor-proto';
import { expectLayer, registerBuiltinConverter } from './util';

/** x @ kernel + bias on the last axis: Gemm for matrices, MatMul + Add for higher ranks. */
export function denseCore(ctx: OnnxExportContext, layer: Dense, x: string, rank: number): string {
  const w = ctx.addInitializer('kernel', fromTensor('', layer.kernel!));
  const b = layer.bias ? ctx.addInitializer('bias', fromTensor('', layer.bias)) : null;
  if (rank === 2) return node(ctx, 'Gemm', b ? [x, w, b] : [x, w]);
  const y = node(ctx, 'MatMul', [x, w]);
  return b ? node(ctx, 'Add', [y, b]) : y;
}

export const convertDense: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Dense);
  const y = denseCore(ctx, layer, args.inputs[0]!, args.inputShapes[0]!.length);
  return [activation(ctx, y, layer.activation.name)];
};

export const convertActivation: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Activation);
  return [activation(ctx, args.inputs[0]!, layer.activation.name)];
};

/** Dropout only acts in training; an exported model is an inference graph. */
export const convertDropout: LayerConverter = (args) => {
  expectLayer(args, Dropout);
  return [args.inputs[0]!];
};

/** Pass-through (input layers and other identities). */
export const convertIdentity: LayerConverter = (args) => [args.inputs[0]!];

export const convertFlatten: LayerConverter = (args, ctx) => {
  expectLayer(args, Flatten);
  // Row-major like ONNX Flatten, so channels-last data flattens in the same order as the library.
  return [node(ctx, 'Flatten', [args.inputs[0]!], { axis: attr.int(1) })];
};

export const convertReshape: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Reshape);
  const out = args.outputShapes[0]!.slice(1);
  // The resolved output shape when known (0 must not reach Reshape: it would copy an input dim).
  const target = out.every((d) => d !== null && d > 0) ? (out as number[]) : layer.targetShape;
  if (target.some((d) => d === 0)) throw new Error(`exportOnnx: layer '${layer.name}' (Reshape) has a zero-sized target shape [${target.join(',')}], which ONNX Reshape cannot express without allowzero`);
  return [reshape(ctx, args.inputs[0]!, [0, ...target])];
};

export const convertEmbedding: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Embedding);
  let ids = args.inputs[0]!;
  // Gather takes int32 or int64 indices; float ids are truncated, as the layer's cast does.
  if (inputDtype(args) !== 'int32') ids = node(ctx, 'Cast', [ids], { to: attr.int(DataType.INT32) });
  const table = ctx.addInitializer('embeddings', fromTensor('', layer.embeddings!));
  return [node(ctx, 'Gather', [table, ids], { axis: attr.int(0) })];
};

function inputDtype(args: ConverterInput): string {
  return args.inputDtypes?.[0] ?? 'float32';
}

/** Float [batch, time] mask of ids: 1 where the id is not 0 (Embedding maskZero). */
export function embeddingMask(ctx: OnnxExportContext, ids: string, dtype: string): string {
  const zero = dtype === 'int32' ? ctx.addInitializer('zero', { name: '', dtype: 'int32', shape: [], data: new Int32Array([0]) }) : constF32(ctx, [0]);
  const eq = node(ctx, 'Equal', [ids, zero]);
  return node(ctx, 'Cast', [node(ctx, 'Not', [eq])], { to: attr.int(DataType.FLOAT) });
}

/**
 * [batch, time, 1, ...] float mask of x: 1 where some feature of the step differs from `value`
 * (NaN differs from everything, as in the layer). Returned with the feature axes kept as size 1.
 */
export function maskingKeep(ctx: OnnxExportContext, x: string, rank: number, value: number): string {
  const differs = node(ctx, 'Not', [node(ctx, 'Equal', [x, constF32(ctx, [value])])]);
  const asFloat = node(ctx, 'Cast', [differs], { to: attr.int(DataType.FLOAT) });
  return reduce(ctx, 'ReduceMax', asFloat, Array.from({ length: rank - 2 }, (_, i) => i + 2), true);
}

/** Masking zeroes padded steps; the mask itself is offered downstream through ConverterInput.mask. */
export const convertMasking: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, Masking);
  const rank = args.inputShapes[0]!.length;
  if (rank < 3) throw new Error(`exportOnnx: layer '${layer.name}' (Masking) needs input [batch, time, ...features], got rank ${rank}`);
  const keep = maskingKeep(ctx, args.inputs[0]!, rank, layer.maskValue);
  return [node(ctx, 'Mul', [args.inputs[0]!, keep])];
};

registerBuiltinConverter('InputLayer', convertIdentity);
registerBuiltinConverter('Dense', convertDense);
registerBuiltinConverter('Activation', convertActivation);
registerBuiltinConverter('Dropout', convertDropout);
registerBuiltinConverter('Flatten', convertFlatten);
registerBuiltinConverter('Reshape', convertReshape);
registerBuiltinConverter('Embedding', convertEmbedding);
registerBuiltinConverter('Masking', convertMasking);
