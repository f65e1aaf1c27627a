// Elementwise and activation operators. Every unary op that is an ONNX operator comes from the unary
// op table (src/ops/unary.ts), attributes mapped to its parameters. Integer tensors (shape arithmetic in exported graphs) stay
// int32 where ONNX keeps them integer: Div truncates, comparisons give 0/1 int32 (ONNX bool).
import { add, div, equal, fmod, greater, greaterEqual, less, lessEqual, maximum, minimum, mod, mul, notEqual, pow, sub } from '../../../ops/binary';
import { cast } from '../../../ops/cast';
import { softmax, logSoftmax } from '../../../ops/softmax';
import { elu, neg } from '../../../ops/unary';
import { type UnaryEntry, onnxParamDefaults, unaryEntries } from '../../../ops/unary-table';
import { where } from '../../../ops/where';
import { reshape } from '../../../ops/views';
import { Tensor } from '../../../tensor/tensor';
import { globalGenerator } from '../../../random/generator';
import { tensor, zerosLike } from '../../../ops/creation';
import type { NodeAttributes } from '../attributes';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';
import { normAxis } from '../values';

type Binary = (a: Tensor, b: Tensor) => Tensor;

const float = asFloat;

function binary(fn: Binary): OnnxOpSpec {
  return { attributes: [], run: (inputs, _a, ctx) => [fn(need(inputs, 0, ctx), need(inputs, 1, ctx))] };
}

/**
 * A unary op's ONNX operator: parameters from the attributes named like them, or (Clip from
 * opset 11) from optional scalar inputs, else ONNX's defaults.
 */
function unary(entry: UnaryEntry): OnnxOpSpec {
  const onnx = entry.onnx!;
  const fixed = Object.entries(onnx.fixed ?? {});
  const defaults = onnxParamDefaults(entry);
  return {
    attributes: [...entry.params.map((p) => p.name), ...fixed.map(([k]) => k)],
    validate: fixed.length === 0 ? undefined : (a, ctx) => {
      for (const [k, v] of fixed) if (a.string(k, v) !== v) unsupported(ctx, `${k}='${a.string(k, '')}'`);
    },
    run(inputs, a, ctx) {
      const values = entry.params.map((p, i) => {
        const input = onnx.paramsAs === 'inputs' ? inputs[i + 1] : null;
        return input ? input.dataSync()[0]! : a.float(p.name, defaults[i]!);
      });
      return [entry.apply(float(need(inputs, 0, ctx)), ...values)];
    },
  };
}

/** Every unary op that is an ONNX operator, by that operator's name. */
function unaryOps(): Record<string, OnnxOpSpec> {
  return Object.fromEntries(unaryEntries().filter((e) => e.onnx?.op).map((e) => [e.onnx!.op!, unary(e)]));
}

/** Integer division truncates toward zero in ONNX; float division is the usual one. */
function divide(a: Tensor, b: Tensor): Tensor {
  const q = div(a, b);
  if (a.dtype !== 'int32' || b.dtype !== 'int32') return q;
  const data = q.dataSync();
  return tensor(Int32Array.from(data, (v) => Math.trunc(v)), q.shape.slice(), 'int32');
}

function toBool(t: Tensor): Tensor {
  return cast(t, 'int32');
}

/** ONNX < 13 Softmax/LogSoftmax flatten to 2-D at `axis` (default 1); from 13 they act on one axis (default -1). */
function softmaxLike(fn: (x: Tensor, axis: number) => Tensor): OnnxOpSpec {
  return {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const x = float(need(inputs, 0, ctx));
      if (ctx.opset >= 13) return [fn(x, normAxis(a.int('axis', -1), x.rank, ctx.where))];
      const axis = normAxis(a.int('axis', 1), x.rank, ctx.where);
      const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
      return [reshape(fn(reshape(x, [outer, -1]), 1), x.shape.slice())];
    },
  };
}

/** Sum/Mean/Max/Min over any number of broadcastable inputs. */
function variadic(fn: Binary, scale: boolean): OnnxOpSpec {
  return {
    attributes: [],
    run(inputs, _a, ctx) {
      const xs = inputs.filter((t): t is Tensor => t !== null);
      if (xs.length === 0) throw new Error(`${ctx.where}: needs at least one input`);
      let acc = xs[0]!;
      for (const x of xs.slice(1)) acc = fn(acc, x);
      return [scale ? div(acc, xs.length) : acc];
    },
  };
}

function dropout(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = need(inputs, 0, ctx);
  // Ratio is an attribute before opset 12 and an optional input from 12.
  const ratioInput = inputs[1];
  const ratio = ratioInput ? ratioInput.dataSync()[0]! : a.float('ratio', 0.5);
  const forced = inputs[2] ? inputs[2].dataSync()[0] !== 0 : false;
  if (!(ctx.training || forced) || ratio === 0) return [x, tensor(new Int32Array(x.size).fill(1), x.shape.slice(), 'int32')];
  const keep = 1 - ratio;
  const mask = Tensor.empty(x.shape.slice(), 'float32');
  const m = mask.buffer;
  const g = globalGenerator();
  for (let i = 0; i < mask.size; i++) m[i] = g.uniform() < keep ? 1 / keep : 0;
  return [mul(x, mask), cast(greater(mask, 0), 'int32')];
}

/** Elementwise operators by ONNX name. */
export const elementwiseOps: Record<string, OnnxOpSpec> = {
  ...unaryOps(),
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  Div: binary(divide),
  Pow: binary((a, b) => pow(float(a), float(b))),
  // fmod = 0 (the default, integers): the sign of the divisor; fmod = 1: the sign of the dividend.
  Mod: {
    attributes: ['fmod'],
    validate: (a, ctx) => {
      const f = a.int('fmod', 0);
      if (f !== 0 && f !== 1) throw new Error(`${ctx.where}: fmod should be 0 or 1, got ${f}`);
    },
    run: (inputs, a, ctx) => [(a.int('fmod', 0) === 1 ? fmod : mod)(need(inputs, 0, ctx), need(inputs, 1, ctx))],
  },
  Equal: binary((a, b) => toBool(equal(a, b))),
  Greater: binary((a, b) => toBool(greater(a, b))),
  Less: binary((a, b) => toBool(less(a, b))),
  GreaterOrEqual: binary((a, b) => toBool(greaterEqual(a, b))),
  LessOrEqual: binary((a, b) => toBool(lessEqual(a, b))),
  // Booleans are 0/1 int32: And is a product, Or a maximum, Not a comparison with 0.
  And: binary((a, b) => toBool(mul(notEqual(a, 0), notEqual(b, 0)))),
  Or: binary((a, b) => toBool(maximum(notEqual(a, 0), notEqual(b, 0)))),
  Not: { attributes: [], run: (inputs, _a, ctx) => [toBool(equal(need(inputs, 0, ctx), 0))] },
  Xor: binary((a, b) => toBool(notEqual(notEqual(a, 0), notEqual(b, 0)))),
  IsNaN: { attributes: [], run: (inputs, _a, ctx) => [toBool(notEqual(float(need(inputs, 0, ctx)), float(need(inputs, 0, ctx))))] },
  IsInf: {
    attributes: ['detect_positive', 'detect_negative'],
    run(inputs, a, ctx) {
      const x = float(need(inputs, 0, ctx));
      const pos = a.flag('detect_positive', 1) === 1 ? equal(x, Infinity) : null;
      const neg = a.flag('detect_negative', 1) === 1 ? equal(x, -Infinity) : null;
      return [toBool(pos && neg ? maximum(pos, neg) : pos ?? neg ?? zerosLike(x))];
    },
  },
  // alpha * elu(x / alpha): x above 0, alpha (e^(x / alpha) - 1) below.
  Celu: {
    attributes: ['alpha'],
    run(inputs, a, ctx) {
      const alpha = a.float('alpha', 1);
      if (!(alpha !== 0 && Number.isFinite(alpha))) throw new Error(`${ctx.where}: alpha should be a non-zero finite number, got ${alpha}`);
      return [mul(elu(div(float(need(inputs, 0, ctx)), alpha), 1), alpha)];
    },
  },
  // Integer negation stays integer (shape arithmetic).
  Neg: {
    attributes: [],
    run: (inputs, _a, ctx) => {
      const x = need(inputs, 0, ctx);
      return [x.dtype === 'int32' ? sub(0, x) : neg(x)];
    },
  },
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),
  Max: variadic(maximum, false),
  Min: variadic(minimum, false),
  Sum: variadic(add, false),
  Mean: variadic(add, true),
  Where: {
    attributes: [],
    run: (inputs, _a, ctx) => [where(float(need(inputs, 0, ctx)), need(inputs, 1, ctx), need(inputs, 2, ctx))],
  },
  Identity: { attributes: [], run: (inputs, _a, ctx) => [need(inputs, 0, ctx)] },
  Dropout: { attributes: ['ratio', 'seed'], run: dropout },
};
