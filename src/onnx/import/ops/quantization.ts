// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: the ops of QDQ models (onnxruntime's
// quantizer and PyTorch's export put QuantizeLinear -> DequantizeLinear pairs around each float op).
// Quantized values are int32 tensors here (see quant-values.ts); the numerics are onnxruntime's.
// QuantizeLinear alone passes no gradient (its output is integer); the import fuses each
// QuantizeLinear -> DequantizeLinear pair into fakeQuantizeOp, which passes it straight through.
import { needsGrad, record } from '../../../autograd/tape';
import { decodeHalfArray, encodeHalfArray } from '../../../io/half';
import { mul } from '../../../ops/binary';
import { quantizeDynamic, quantizeLinear, roundHalfEven } from '../../../ops/quant-kernels';
import { tensor } from '../../../ops/creation';
import type { Tensor } from '../../../tensor/tensor';
import type { OnnxDType } from '../../read-model';
import type { NodeAttributes } from '../attributes';
import { type OnnxOpSpec, type OpContext, need } from '../op-spec';
import {
  QUANT_RANGES, QUANT_TYPE_CODES, type QuantType, floatValues, intTensor, integerValues, isQuantType, quantParams, quantize, validateQuantAttributes,
} from './quant-values';

/**
 * QuantizeLinear's output type: the zero point's type when there is one (`zeroPoint` tells whether
 * the input is given), else output_dtype (opset 21), else uint8; the two must agree.
 */
function quantizeOutputType(zeroPoint: boolean, a: NodeAttributes, ctx: OpContext): QuantType {
  const code = a.int('output_dtype', 0);
  const declared = code === 0 ? undefined : QUANT_TYPE_CODES[code];
  if (code !== 0 && !declared) throw new Error(`${ctx.where}: output_dtype ${code} is not supported (uint8, int8, uint16 and int16 are)`);
  if (!zeroPoint) return declared ?? 'uint8';
  const t = ctx.inputTypes[2];
  if (!isQuantType(t)) throw new Error(`${ctx.where}: the zero point should be uint8, int8, uint16 or int16, got ${t ?? 'a value of unknown type'}`);
  if (declared && declared !== t) throw new Error(`${ctx.where}: output_dtype says ${declared} but the zero point is ${t}`);
  return t;
}

const quantizeLinearOp: OnnxOpSpec = {
  attributes: ['axis', 'saturate', 'block_size', 'output_dtype'],
  validate: validateQuantAttributes,
  // At import a zero point of unknown type is reported by run; here it falls back to output_dtype/uint8.
  outputTypes: (a, ctx) => [quantizeOutputType(isQuantType(ctx.inputTypes[2]), a, ctx)],
  run(inputs, a, ctx) {
    const x = need(inputs, 0, ctx);
    const scale = need(inputs, 1, ctx);
    const zp = inputs[2] ?? null;
    const type = quantizeOutputType(zp !== null, a, ctx);
    const [lo, hi] = QUANT_RANGES[type];
    const p = quantParams(x.shape, scale, zp, a, ctx, [lo, hi]);
    const xs = floatValues(x);
    const out = new Int32Array(xs.length);
    const s0 = p.scales[0]!;
    if (p.count === 1 && type === 'uint8' && s0 > 0 && Number.isFinite(s0)) {
      // The common case runs the native kernel (same bits as the loop below).
      const u8 = new Uint8Array(xs.length);
      quantizeLinear(xs, xs.length, s0, p.zeroPoints[0]!, u8);
      out.set(u8);
    } else {
      for (let i = 0; i < xs.length; i++) {
        const c = p.count === 1 ? 0 : Math.floor(i / p.inner) % p.count;
        out[i] = quantize(xs[i]!, p.scales[c]!, p.zeroPoints[c]!, lo, hi);
      }
    }
    return [intTensor(out, x.shape)];
  },
};

const dequantizeLinearOp: OnnxOpSpec = {
  attributes: ['axis', 'block_size'],
  validate: validateQuantAttributes,
  // The output has the scale's type (opset 19 allows float16 scales).
  outputTypes: (_a, ctx) => [ctx.inputTypes[1] === 'float16' ? 'float16' : 'float32'],
  run(inputs, a, ctx) {
    const x = need(inputs, 0, ctx);
    const scale = need(inputs, 1, ctx);
    const zp = inputs[2] ?? null;
    const xType = ctx.inputTypes[0];
    const range = xType && xType in QUANT_RANGES ? QUANT_RANGES[xType as QuantType] : undefined;
    const xs = integerValues(x, 'the input', ctx, range);
    const p = quantParams(x.shape, scale, zp, a, ctx, range ?? [-2147483648, 2147483647]);
    if (xType === 'int32' && p.zeroPoints.some((z) => z !== 0)) throw new Error(`${ctx.where}: an int32 input needs a zero point of 0`);
    const out = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const c = p.count === 1 ? 0 : Math.floor(i / p.inner) % p.count;
      // (x - zp) is a small integer, so the float64 product is exact and one fround rounds it as float32 does.
      out[i] = Math.fround((xs[i]! - p.zeroPoints[c]!) * p.scales[c]!);
    }
    // A float16 output holds float16 values: onnxruntime computes in float32 and rounds once.
    return [tensor(ctx.inputTypes[1] === 'float16' ? decodeHalfArray(encodeHalfArray(out)) : out, x.shape.slice(), 'float32')];
  },
};

const DYNAMIC_TYPES: (OnnxDType | undefined)[] = ['uint8', 'float32', 'uint8'];

const dynamicQuantizeLinearOp: OnnxOpSpec = {
  attributes: [],
  outputTypes: () => DYNAMIC_TYPES.slice(),
  run(inputs, _a, ctx) {
    const x = need(inputs, 0, ctx);
    const xs = floatValues(x);
    const u8 = new Uint8Array(xs.length);
    const { scales, zeroPoints } = quantizeDynamic(xs, 1, xs.length, u8);
    return [intTensor(Int32Array.from(u8), x.shape), tensor(Float32Array.of(scales[0]!), [], 'float32'), intTensor(Int32Array.of(zeroPoints[0]!), [])];
  },
};

/**
 * A fused QuantizeLinear -> DequantizeLinear pair (patterns/fake-quant.ts): the pair's values, and
 * the straight-through gradient of quantization-aware training, 1 where the input's rounded value
 * fell inside the type's range and 0 where it saturated.
 */
export const fakeQuantizeOp: OnnxOpSpec = {
  attributes: ['axis', 'saturate', 'quantize_name', 'quantized_value'],
  validate: validateQuantAttributes,
  outputTypes: (a, ctx) => dequantizeLinearOp.outputTypes!(a, ctx),
  run(inputs, a, ctx) {
    const x = need(inputs, 0, ctx);
    const zp = inputs[2] ?? null;
    const type = quantizeOutputType(zp !== null, a, ctx);
    const [q] = quantizeLinearOp.run(inputs, a, ctx);
    const [y] = dequantizeLinearOp.run([q!, inputs[1] ?? null, zp], a, { ...ctx, inputTypes: [type, ctx.inputTypes[1], ctx.inputTypes[2]] });
    if (!needsGrad([x])) return [y!];
    const [lo, hi] = QUANT_RANGES[type];
    const p = quantParams(x.shape, need(inputs, 1, ctx), zp, a, ctx, [lo, hi]);
    const xs = floatValues(x);
    const mask = new Float32Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const c = p.count === 1 ? 0 : Math.floor(i / p.inner) % p.count;
      const r = roundHalfEven(Math.fround(xs[i]! / p.scales[c]!)) + p.zeroPoints[c]!;
      mask[i] = r >= lo && r <= hi ? 1 : 0;
    }
    const m = tensor(mask, x.shape.slice(), 'float32');
    return [record(y!, 'fakeQuantize', [x], (g) => [mul(g, m)])];
  },
};

export const quantizationOps: Record<string, OnnxOpSpec> = {
  QuantizeLinear: quantizeLinearOp,
  DequantizeLinear: dequantizeLinearOp,
  DynamicQuantizeLinear: dynamicQuantizeLinearOp,
};
