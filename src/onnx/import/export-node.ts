// Re-export of imported nodes: an OnnxNode layer writes its node back as it was read, with its
// current (possibly fine-tuned) weights as initializers. Ops whose inputs or attributes changed
// between the import opset and the export opset cannot be copied verbatim and are refused.
import { registerDefaultOnnxConverter, type OnnxAttr, type OnnxExportContext } from '../export/converter';
import { DataType } from '../proto';
import { FUSED_ATTENTION } from './patterns/attention';
import { FAKE_QUANT } from './patterns/fake-quant';
import type { OnnxTensor, OnnxTensorData } from '../read-model';
import type { StoredAttribute, StoredTensor } from './attributes';
import { OnnxNode } from './onnx-node-layer';
import '../../ops/unary'; // fills the unary op table
import { unaryEntries } from '../../ops/unary-table';

/** Opset versions at which an op's signature changed (inputs became attributes or vice versa). */
const SIGNATURE_CHANGES: Readonly<Record<string, readonly number[]>> = {
  Softmax: [13], LogSoftmax: [13], Squeeze: [13], Unsqueeze: [13], ReduceSum: [13], ReduceMean: [18], ReduceMax: [18], ReduceMin: [18],
  ReduceProd: [18], ReduceL1: [18], ReduceL2: [18], ReduceSumSquare: [18], ReduceLogSum: [18], ReduceLogSumExp: [18],
  Split: [13, 18], Slice: [10], Pad: [11, 18], Clip: [11], Dropout: [12], Resize: [11, 13], Upsample: [10],
  GroupNormalization: [21],
};

/** Supported ops introduced after opset 13 (the lowest export target); unary ops state theirs in their definition. */
const INTRODUCED: Readonly<Record<string, number>> = {
  LayerNormalization: 17,
  Trilu: 14,
  GroupNormalization: 18,
  ...Object.fromEntries(unaryEntries().filter((e) => e.onnx?.op && (e.onnx.since ?? 1) > 13).map((e) => [e.onnx!.op!, e.onnx!.since!])),
};

function toOnnxTensor(name: string, t: StoredTensor): OnnxTensor {
  let data: OnnxTensorData;
  switch (t.dtype) {
    case 'int64':
      data = BigInt64Array.from(t.data, (v) => BigInt(v));
      break;
    case 'int32':
      data = Int32Array.from(t.data);
      break;
    case 'bool':
    case 'uint8':
      data = Uint8Array.from(t.data);
      break;
    case 'int8':
      data = Int8Array.from(t.data);
      break;
    default:
      return { name, dtype: 'float32', shape: t.shape.slice(), data: Float32Array.from(t.data) };
  }
  return { name, dtype: t.dtype, shape: t.shape.slice(), data };
}

function toAttr(a: StoredAttribute): OnnxAttr {
  return a.type === 'tensor' ? { type: 'tensor', value: toOnnxTensor('', a.value) } : a;
}

registerDefaultOnnxConverter('OnnxNode', ({ layer, inputs, inputShapes }, ctx) => {
  const node = layer as OnnxNode;
  // Below opset 17 (a decomposed layer norm fused at import, or a LayerNormalization node exported
  // to an older opset) the node is written as the primitive ops it stands for.
  if (node.opType === 'LayerNormalization' && ctx.opset < 17) return writeLayerNormChain(node, inputs, inputShapes[0]?.length ?? null, ctx);
  const changes = SIGNATURE_CHANGES[node.opType] ?? [];
  const [lo, hi] = [Math.min(node.opset, ctx.opset), Math.max(node.opset, ctx.opset)];
  if (changes.some((v) => v > lo && v <= hi)) {
    const advice = node.opset >= 13 ? `; export with { opset: ${node.opset} }` : ' (export targets opsets 13 to 21, so this node cannot be written verbatim)';
    throw new Error(`exportOnnx: ${node.opType} node '${node.name}' was imported at opset ${node.opset} and its inputs differ at opset ${ctx.opset}${advice}`);
  }
  const since = INTRODUCED[node.opType] ?? 0;
  if (ctx.opset < since) throw new Error(`exportOnnx: ${node.opType} node '${node.name}' needs opset ${since} or later; export with { opset: ${since} }`);
  const weights = node.weightsInfo;
  const stored = node.getConfig()['constants'] as StoredTensor[];
  const nodeInputs = node.inputSlots.map((s) => {
    switch (s.kind) {
      case 'input':
        return inputs[s.index]!;
      case 'weight':
        return ctx.addInitializer(s.name, weights[s.index]!.value);
      case 'constant':
        return ctx.addInitializer(s.name, toOnnxTensor(s.name, stored[s.index]!));
      default:
        return '';
    }
  });
  if (node.opType === FUSED_ATTENTION) return writeAttentionChain(node, nodeInputs, ctx);
  if (node.opType === FAKE_QUANT) return writeQuantizePair(node, nodeInputs, ctx);
  const attributes: Record<string, OnnxAttr> = {};
  for (const [k, v] of Object.entries(node.attributes)) attributes[k] = toAttr(v);
  const to = node.attributes['to'];
  if (node.opType === 'Cast' && to?.type === 'int' && to.value === DataType.FLOAT16) {
    // Float16 values compute as float32 here and the export is float32 throughout: the rounding to
    // float16 is kept, and the value cast back to float32 for the ops that read it.
    const half = ctx.addNode({ opType: 'Cast', name: ctx.uniqueName(`${node.name}/to_float16`), inputs: nodeInputs, attributes })[0]!;
    return ctx.addNode({ opType: 'Cast', name: node.name, inputs: [half], attributes: { to: { type: 'int', value: DataType.FLOAT } } });
  }
  return ctx.addNode({
    opType: node.opType,
    name: node.name,
    inputs: nodeInputs,
    outputs: node.outputNames.length,
    attributes,
  });
});

/** A fused QuantizeLinear -> DequantizeLinear pair (patterns/fake-quant.ts) written back as the two nodes. */
function writeQuantizePair(node: OnnxNode, inputs: string[], ctx: OnnxExportContext): string[] {
  const a = node.attributes;
  const qAttrs: Record<string, OnnxAttr> = {};
  const dqAttrs: Record<string, OnnxAttr> = {};
  if (a['axis']) qAttrs['axis'] = dqAttrs['axis'] = toAttr(a['axis']);
  if (a['saturate']) qAttrs['saturate'] = toAttr(a['saturate']);
  const qName = a['quantize_name']?.type === 'string' && a['quantize_name'].value !== '' ? a['quantize_name'].value : `${node.name}/QuantizeLinear`;
  const q = ctx.addNode({ opType: 'QuantizeLinear', name: ctx.uniqueName(qName), inputs, attributes: qAttrs })[0]!;
  return ctx.addNode({ opType: 'DequantizeLinear', name: node.name, inputs: [q, ...inputs.slice(1)], attributes: dqAttrs, outputs: node.outputNames.length });
}

/** A FusedAttention node (patterns/attention.ts) written back as the standard ops it replaced. */
function writeAttentionChain(node: OnnxNode, inputs: string[], ctx: OnnxExportContext): string[] {
  const [q, kT, v, mask] = inputs as [string, string, string, string | undefined];
  const at = (op: string) => `${node.name}/${op}`;
  const perm = node.attributes['k_perm'];
  const k = perm?.type === 'ints' && perm.value.length > 0
    ? ctx.addNode({ opType: 'Transpose', name: at('Transpose'), inputs: [kT], attributes: { perm } })[0]!
    : kT;
  let cur = ctx.addNode({ opType: 'MatMul', name: at('MatMul'), inputs: [q, k] })[0]!;
  const scale = node.attributes['scale'];
  if (scale?.type === 'float' && scale.value !== 1) {
    const c = ctx.addInitializer(at('scale'), { name: '', dtype: 'float32', shape: [], data: Float32Array.of(scale.value) });
    cur = ctx.addNode({ opType: 'Mul', name: at('Mul'), inputs: [cur, c] })[0]!;
  }
  const axes = node.attributes['unsqueeze'];
  if (axes?.type === 'ints' && axes.value.length > 0) {
    const c = ctx.addInitializer(at('axes'), { name: '', dtype: 'int64', shape: [axes.value.length], data: BigInt64Array.from(axes.value, (a) => BigInt(a)) });
    cur = ctx.addNode({ opType: 'Unsqueeze', name: at('Unsqueeze'), inputs: [cur, c] })[0]!;
  }
  if (mask) cur = ctx.addNode({ opType: 'Add', name: at('Add'), inputs: [cur, mask] })[0]!;
  cur = ctx.addNode({ opType: 'Softmax', name: at('Softmax'), inputs: [cur], attributes: { axis: { type: 'int', value: -1 } } })[0]!;
  return ctx.addNode({ opType: 'MatMul', name: node.name, inputs: [cur, v], outputs: node.outputNames.length });
}

/** LayerNormalization as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul (, Add), for opsets 13 to 16. */
function writeLayerNormChain(node: OnnxNode, inputs: string[], rank: number | null, ctx: OnnxExportContext): string[] {
  const weights = node.weightsInfo;
  const operand = (k: number): string => {
    const s = node.inputSlots[k];
    if (!s || s.kind === 'none') return '';
    if (s.kind === 'input') return inputs[s.index]!;
    if (s.kind === 'weight') return ctx.addInitializer(s.name, weights[s.index]!.value);
    throw new Error(`exportOnnx: LayerNormalization node '${node.name}' has a non-float operand ${k}`);
  };
  const [x, gamma, beta] = [operand(0), operand(1), operand(2)];
  const axisAttr = node.attributes['axis'];
  const axis = axisAttr?.type === 'int' ? axisAttr.value : -1;
  if (axis >= 0 && rank === null) throw new Error(`exportOnnx: LayerNormalization node '${node.name}' needs its input rank to write axis ${axis} below opset 17`);
  const first = axis < 0 ? axis : axis - rank!;
  const axes = { type: 'ints' as const, value: Array.from({ length: -first }, (_, i) => first + i) };
  const epsAttr = node.attributes['epsilon'];
  const eps = epsAttr?.type === 'float' ? epsAttr.value : 1e-5;
  const at = (op: string) => `${node.name}/${op}`;
  const scalar = (name: string, v: number) => ctx.addInitializer(at(name), { name: '', dtype: 'float32', shape: [], data: Float32Array.of(v) });
  const add = (opType: string, ins: string[], attributes?: Record<string, OnnxAttr>) =>
    ctx.addNode({ opType, name: ctx.uniqueName(at(opType)), inputs: ins, attributes })[0]!;
  const mean = add('ReduceMean', [x], { axes });
  const d = add('Sub', [x, mean]);
  const variance = add('ReduceMean', [add('Pow', [d, scalar('two', 2)])], { axes });
  const normed = add('Div', [d, add('Sqrt', [add('Add', [variance, scalar('epsilon', eps)])])]);
  if (!beta) return ctx.addNode({ opType: 'Mul', name: node.name, inputs: [normed, gamma] });
  return ctx.addNode({ opType: 'Add', name: node.name, inputs: [add('Mul', [normed, gamma]), beta] });
}
