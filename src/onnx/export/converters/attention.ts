// MultiHeadAttention as MatMul/Softmax: per-head projections, scaled dot products, masks through
// Where (explicit mask input and/or causal), and the output projection, as the layer computes them.
import { MultiHeadAttention } from '../../../layers/attention';
import { DataType } from '../../proto';
import type { LayerConverter, OnnxExportContext } from '../converter';
import { attr, constF32, node, reshape, shapeSlice, transpose, unsqueeze } from '../ops';
import { boolTensor, flatValues } from '../tensor-proto';
import type { Tensor } from '../../../tensor/tensor';
import { expectLayer, registerBuiltinConverter } from './util';

// The layer's value for masked logits (exp underflows to 0 after the max is subtracted).
const MASKED_LOGIT = -1e9;

/**
 * x @ kernel viewed [rows, cols]. A kernel holding int8 values (an int32 tensor beside a
 * `<base>/kernel_scale` weight, as tf.quantization's QuantizedMultiHeadAttention keeps them) runs as
 * the layer does: DynamicQuantizeLinear of x, MatMulInteger on the int8 initializer, the int32 sums
 * times inputScale * kernelScale[col] in float.
 */
function product(ctx: OnnxExportContext, layer: MultiHeadAttention, x: string, kernel: Tensor, rows: number, cols: number, base: string): string {
  if (kernel.dtype !== 'int32') {
    const k = ctx.addInitializer(`${base}/kernel`, { name: '', dtype: 'float32', shape: [rows, cols], data: flatValues(kernel) });
    return node(ctx, 'MatMul', [x, k]);
  }
  const scale = layer.weightsInfo.find((w) => w.name === `${base}/kernel_scale`);
  if (!scale) throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) holds int8 ${base}/kernel values without '${base}/kernel_scale'`);
  const [xq, xs, xz] = ctx.addNode({ opType: 'DynamicQuantizeLinear', inputs: [x], outputs: 3 }) as [string, string, string];
  const w = ctx.addInitializer(`${base}/kernel_quantized`, { name: '', dtype: 'int8', shape: [rows, cols], data: Int8Array.from(flatValues(kernel)) });
  const wz = ctx.addInitializer(`${base}/kernel_zero_point`, { name: '', dtype: 'int8', shape: [], data: Int8Array.of(0) });
  const sums = node(ctx, 'MatMulInteger', [xq, w, xz, wz]);
  const ks = ctx.addInitializer(`${base}/kernel_scale`, { name: '', dtype: 'float32', shape: [cols], data: Float32Array.from(flatValues(scale.value)) });
  return node(ctx, 'Mul', [node(ctx, 'Cast', [sums], { to: attr.int(DataType.FLOAT) }), node(ctx, 'Mul', [xs, ks])]);
}

/** [B, T, heads * dim] projection of x, viewed as [B, T, heads, dim]. */
function project(ctx: OnnxExportContext, layer: MultiHeadAttention, x: string, kernel: Tensor, bias: Tensor | null, heads: number, dim: number, base: string): string {
  let y = product(ctx, layer, x, kernel, kernel.shape[0]!, heads * dim, base);
  if (bias) y = node(ctx, 'Add', [y, ctx.addInitializer(`${base}/bias`, { name: '', dtype: 'float32', shape: [heads * dim], data: flatValues(bias) })]);
  return reshape(ctx, y, [0, 0, heads, dim]);
}

/** Bool [Tq, Tv]: query i may see value j when j <= i (static when both lengths are known). */
function causalMask(ctx: OnnxExportContext, query: string, value: string, tq: number | null, tv: number | null): string {
  if (tq !== null && tv !== null) {
    const data = Array.from({ length: tq * tv }, (_, k) => Math.floor(k / tv) >= k % tv);
    return ctx.addInitializer('causal_mask', boolTensor('', [tq, tv], data));
  }
  const zero = ctx.addInitializer('zero', { name: '', dtype: 'int64', shape: [], data: new BigInt64Array([0n]) });
  const one = ctx.addInitializer('one', { name: '', dtype: 'int64', shape: [], data: new BigInt64Array([1n]) });
  const len = (x: string) => node(ctx, 'Squeeze', [shapeSlice(ctx, x, 1, 2)]);
  const rows = unsqueeze(ctx, node(ctx, 'Range', [zero, len(query), one]), [1]);
  const cols = node(ctx, 'Range', [zero, len(value), one]);
  return node(ctx, 'GreaterOrEqual', [rows, cols]);
}

export const convertMultiHeadAttention: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, MultiHeadAttention);
  const extra = layer.attentionMaskInput ? 1 : 0;
  const n = args.inputs.length;
  if (n < 2 + extra || n > 3 + extra) throw new Error(`exportOnnx: layer '${layer.name}' (MultiHeadAttention) expects ${2 + extra} or ${3 + extra} inputs, got ${n}`);
  const [query, value] = [args.inputs[0]!, args.inputs[1]!];
  const key = n === 3 + extra ? args.inputs[2]! : value;
  const mask = extra ? args.inputs[n - 1]! : null;
  const maskShape = extra ? args.inputShapes[n - 1]! : null;
  const h = layer.numHeads;
  const kd = layer.keyDim;
  const vd = layer.valueDim;

  const q = node(ctx, 'Mul', [transpose(ctx, project(ctx, layer, query, layer.queryKernel!, layer.queryBias, h, kd, 'query'), [0, 2, 1, 3]), constF32(ctx, [1 / Math.sqrt(kd)])]);
  const kT = transpose(ctx, project(ctx, layer, key, layer.keyKernel!, layer.keyBias, h, kd, 'key'), [0, 2, 3, 1]);
  const v = transpose(ctx, project(ctx, layer, value, layer.valueKernel!, layer.valueBias, h, vd, 'value'), [0, 2, 1, 3]);
  let logits = node(ctx, 'MatMul', [q, kT]); // [B, h, Tq, Tv]

  let allowed: string | null = null;
  if (mask) {
    // Non-zero = attend; [B, Tq, Tv] gets a heads axis, [Tq, Tv] broadcasts as it is.
    allowed = node(ctx, 'Cast', [mask], { to: attr.int(DataType.BOOL) });
    if (maskShape!.length === 3) allowed = unsqueeze(ctx, allowed, [1]);
  }
  if (layer.useCausalMask) {
    const tq = args.inputShapes[0]![1] ?? null;
    const tv = args.inputShapes[1]![1] ?? null;
    const causal = causalMask(ctx, query, value, tq, tv);
    allowed = allowed ? node(ctx, 'And', [allowed, causal]) : causal;
  }
  if (allowed) logits = node(ctx, 'Where', [allowed, logits, constF32(ctx, [MASKED_LOGIT])]);
  const scores = node(ctx, 'Softmax', [logits], { axis: attr.int(-1) });

  const context = node(ctx, 'MatMul', [scores, v]); // [B, h, Tq, vd]
  const merged = reshape(ctx, transpose(ctx, context, [0, 2, 1, 3]), [0, 0, h * vd]);
  const ok = layer.outputKernel!;
  let out = product(ctx, layer, merged, ok, h * vd, ok.shape[2]!, 'attention_output');
  if (layer.outputBias) out = node(ctx, 'Add', [out, ctx.addInitializer('attention_output/bias', { name: '', dtype: 'float32', shape: [ok.shape[2]!], data: flatValues(layer.outputBias) })]);
  return layer.returnAttentionScores ? [out, scores] : [out];
};

registerBuiltinConverter('MultiHeadAttention', convertMultiHeadAttention);
