// QLinearConv, QLinearMatMul (quantized in, quantized out) and ConvInteger, MatMulInteger (quantized
// in, int32 sums out): the operators of onnxruntime's "QOperator" format and of dynamically quantized
// models. The exact integer sums come from integer-products.ts (native int8 kernels where they fit);
// requantization is onnxruntime's (quant-values.ts), so outputs match it exactly. No gradients.
import type { Tensor } from '../../../tensor/tensor';
import type { NodeAttributes } from '../attributes';
import { type OnnxOpSpec, type OpContext, need, unsupported } from '../op-spec';
import { integerConv, integerMatMul, type IntegerSums } from './integer-products';
import { spatial } from './nn';
import { QUANT_RANGES, floatValues, intTensor, integerValues, requantMultipliers, requantize, zeroPointType } from './quant-values';

const CONV_ATTRIBUTES = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

function validateConv(a: NodeAttributes, ctx: OpContext): void {
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) unsupported(ctx, `auto_pad='${autoPad}'`);
}

/** A per-tensor zero point (scalar or one-element vector; 0 when omitted). */
function scalarZeroPoint(t: Tensor | null | undefined, what: string, ctx: OpContext): number {
  if (!t) return 0;
  if (t.size !== 1 || t.rank > 1) throw new Error(`${ctx.where}: ${what} should be a scalar, got shape [${t.shape.join(',')}]`);
  return integerValues(t, what, ctx)[0]!;
}

/** A per-tensor scale (scalar or one-element vector). */
function scalarScale(t: Tensor, what: string, ctx: OpContext): number {
  if (t.size !== 1 || t.rank > 1) throw new Error(`${ctx.where}: ${what} should be a scalar, got shape [${t.shape.join(',')}]`);
  return floatValues(t)[0]!;
}

/** A per-tensor or per-channel parameter: a scalar or a vector of `count` values. */
function channelValues<T extends Float32Array | Int32Array>(t: Tensor, values: T, what: string, count: number, ctx: OpContext): T {
  const ok = t.rank <= 1 && (t.size === 1 || t.size === count);
  if (!ok) throw new Error(`${ctx.where}: ${what} should be a scalar or a vector of ${count} values, got shape [${t.shape.join(',')}]`);
  return values;
}

/** Requantizes sums (+ an int32 bias per channel) to the output's type with per-channel multipliers. */
function requantizeSums(s: IntegerSums, channels: number, inner: number, bias: Int32Array | null, multipliers: Float32Array, zeroPoint: number,
  range: readonly [number, number]): Tensor {
  const out = new Int32Array(s.sums.length);
  const [lo, hi] = range;
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / inner) % channels;
    // int32 arithmetic as onnxruntime's (a sum past int32 wraps there too).
    const acc = bias ? (s.sums[i]! + bias[ch]!) | 0 : s.sums[i]! | 0;
    out[i] = requantize(acc, multipliers.length === 1 ? multipliers[0]! : multipliers[ch]!, zeroPoint, lo, hi);
  }
  return intTensor(out, s.shape);
}

function convSums(x: Tensor, xZeroPoint: number, w: Tensor, wZero: Tensor | null | undefined, a: NodeAttributes, ctx: OpContext): IntegerSums {
  if (x.rank !== w.rank) throw new Error(`${ctx.where}: input of shape [${x.shape.join(',')}] and weights of shape [${w.shape.join(',')}] differ in rank`);
  const cout = w.shape[0]!;
  const wZeroPoints = wZero ? channelValues(wZero, integerValues(wZero, 'the weight zero point', ctx), 'the weight zero point', cout, ctx) : new Int32Array(1);
  const s = spatial(a, ctx, x.shape.slice(2), w.shape.slice(2));
  return integerConv({
    x: integerValues(x, 'the input', ctx), xShape: x.shape, xZeroPoint,
    w: integerValues(w, 'the weights', ctx), wShape: w.shape, wZeroPoints, wSource: w,
    groups: a.int('group', 1), strides: s.strides, dilations: s.dilations, pads: s.pads, where: ctx.where,
  });
}

function matMulSums(A: Tensor, aZeroPoint: number, B: Tensor, bZero: Tensor | null | undefined, ctx: OpContext): IntegerSums {
  const n = B.rank === 1 ? 1 : B.shape[B.rank - 1]!;
  const bZeroPoints = bZero ? channelValues(bZero, integerValues(bZero, "B's zero point", ctx), "B's zero point", n, ctx) : new Int32Array(1);
  return integerMatMul({
    a: integerValues(A, 'A', ctx), aShape: A.shape, aZeroPoint, b: integerValues(B, 'B', ctx), bShape: B.shape, bZeroPoints, bSource: B, where: ctx.where,
  });
}

const qlinearConv: OnnxOpSpec = {
  attributes: CONV_ATTRIBUTES,
  validate: validateConv,
  outputTypes: (_a, ctx) => [ctx.inputTypes[7] ?? 'uint8'],
  run(inputs, a, ctx) {
    const x = need(inputs, 0, ctx);
    const w = need(inputs, 3, ctx);
    const yType = zeroPointType(inputs, 7, ctx);
    const cout = w.shape[0]!;
    const sums = convSums(x, scalarZeroPoint(inputs[2], 'x_zero_point', ctx), w, inputs[5], a, ctx);
    const wScale = need(inputs, 4, ctx);
    const multipliers = requantMultipliers(scalarScale(need(inputs, 1, ctx), 'x_scale', ctx), channelValues(wScale, floatValues(wScale), 'w_scale', cout, ctx),
      scalarScale(need(inputs, 6, ctx), 'y_scale', ctx));
    const B = inputs[8];
    const bias = B ? integerValues(B, 'the bias', ctx) : null;
    if (B && (B.rank !== 1 || B.size !== cout)) throw new Error(`${ctx.where}: the bias should be a vector of ${cout} values, got shape [${B.shape.join(',')}]`);
    const inner = sums.shape.slice(2).reduce((p, d) => p * d, 1);
    return [requantizeSums(sums, cout, inner, bias, multipliers, scalarZeroPoint(inputs[7], 'y_zero_point', ctx), QUANT_RANGES[yType])];
  },
};

const convInteger: OnnxOpSpec = {
  attributes: CONV_ATTRIBUTES,
  validate: validateConv,
  outputTypes: () => ['int32'],
  run(inputs, a, ctx) {
    const sums = convSums(need(inputs, 0, ctx), scalarZeroPoint(inputs[2], 'x_zero_point', ctx), need(inputs, 1, ctx), inputs[3], a, ctx);
    return [intTensor(Int32Array.from(sums.sums), sums.shape)];
  },
};

const qlinearMatMul: OnnxOpSpec = {
  attributes: [],
  outputTypes: (_a, ctx) => [ctx.inputTypes[7] ?? 'uint8'],
  run(inputs, _a, ctx) {
    const A = need(inputs, 0, ctx);
    const B = need(inputs, 3, ctx);
    const yType = zeroPointType(inputs, 7, ctx);
    const n = B.rank === 1 ? 1 : B.shape[B.rank - 1]!;
    const sums = matMulSums(A, scalarZeroPoint(inputs[2], 'a_zero_point', ctx), B, inputs[5], ctx);
    const bScale = need(inputs, 4, ctx);
    const multipliers = requantMultipliers(scalarScale(need(inputs, 1, ctx), 'a_scale', ctx), channelValues(bScale, floatValues(bScale), 'b_scale', n, ctx),
      scalarScale(need(inputs, 6, ctx), 'y_scale', ctx));
    return [requantizeSums(sums, n, 1, null, multipliers, scalarZeroPoint(inputs[7], 'y_zero_point', ctx), QUANT_RANGES[yType])];
  },
};

const matMulInteger: OnnxOpSpec = {
  attributes: [],
  outputTypes: () => ['int32'],
  run(inputs, _a, ctx) {
    const sums = matMulSums(need(inputs, 0, ctx), scalarZeroPoint(inputs[2], 'a_zero_point', ctx), need(inputs, 1, ctx), inputs[3], ctx);
    return [intTensor(Int32Array.from(sums.sums), sums.shape)];
  },
};

export const integerOps: Record<string, OnnxOpSpec> = {
  QLinearConv: qlinearConv,
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatMul,
  MatMulInteger: matMulInteger,
};
