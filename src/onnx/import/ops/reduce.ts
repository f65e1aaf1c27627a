// Reductions. Their axes moved from an attribute to an optional input (ReduceSum at opset 13, the
// others at 18); both forms are read. The norms and log-sums are built from differentiable ops;
// ReduceProd (PyTorch's var/std count their elements with it, over integer shapes) multiplies in
// float64 and takes its gradient as y / x.
import { record, noGrad } from '../../../autograd/tape';
import { add, div, mul, sub } from '../../../ops/binary';
import { tensor } from '../../../ops/creation';
import { max, mean, min, sum } from '../../../ops/reduce';
import { abs, exp, log, sqrt } from '../../../ops/unary';
import { broadcastTo, reshape, transpose } from '../../../ops/views';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, asFloat, need } from '../op-spec';
import { intValues, normAxis } from '../values';

type Reducer = (x: Tensor, axes: number[], keepDims: boolean) => Tensor;

function reduction(fn: Reducer, axesInputFrom: number, keepsInt = false): OnnxOpSpec {
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    run(inputs, a, ctx: OpContext) {
      const raw = need(inputs, 0, ctx);
      const x = keepsInt && raw.dtype === 'int32' ? raw : asFloat(raw);
      const given = ctx.opset >= axesInputFrom ? (inputs[1] ? intValues(inputs[1], 'axes', ctx.where) : undefined) : a.ints('axes');
      const keep = a.flag('keepdims', 1) === 1;
      if (!given || given.length === 0) {
        if (a.flag('noop_with_empty_axes', 0) === 1) return [x];
        return [fn(x, x.shape.map((_, i) => i), keep)];
      }
      return [fn(x, [...new Set(given.map((ax) => normAxis(ax, x.rank, ctx.where)))], keep)];
    },
  };
}

/** The reduced shape with the reduced axes kept as 1s (for broadcasting back). */
const keptShape = (x: Tensor, axes: readonly number[]): number[] => x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
const outShape = (x: Tensor, axes: readonly number[], keep: boolean): number[] =>
  keep ? keptShape(x, axes) : x.shape.filter((_, i) => !axes.includes(i));

function reduceProd(x: Tensor, axes: number[], keep: boolean): Tensor {
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const inner = axes.reduce((p, i) => p * x.shape[i]!, 1);
  const data = transpose(x, [...rest, ...axes]).dataSync();
  const outer = inner === 0 ? x.size : data.length / inner;
  const shape = outShape(x, axes, keep);
  const values = new Float64Array(inner === 0 ? shape.reduce((p, d) => p * d, 1) : outer).fill(1);
  for (let o = 0; o < outer && inner > 0; o++) for (let k = 0; k < inner; k++) values[o] = values[o]! * data[o * inner + k]!;
  if (x.dtype === 'int32') return tensor(Int32Array.from(values, (v) => Number(BigInt.asIntN(32, BigInt(Math.trunc(v))))), shape, 'int32');
  const y = tensor(Float32Array.from(values), shape);
  const back = (t: Tensor) => broadcastTo(reshape(t, keptShape(x, axes)), x.shape);
  return record(y, 'reduceProd', [x], (g) => [mul(back(g), div(back(y), x))]);
}

/** log(sum(exp(x))) with the maximum taken out (held constant: the gradient is the softmax either way). */
function reduceLogSumExp(x: Tensor, axes: number[], keep: boolean): Tensor {
  // An all -inf (or inf) slice keeps a shift of 0, so it gives log(0) = -inf (or inf), not NaN.
  const m = noGrad(() => {
    const v = max(x, axes, true);
    const d = v.dataSync();
    return d.every(Number.isFinite) ? v : tensor(Float32Array.from(d, (e) => (Number.isFinite(e) ? e : 0)), v.shape.slice());
  });
  return reshape(add(log(sum(exp(sub(x, m)), axes, true)), m), outShape(x, axes, keep));
}

/** Reductions by ONNX name. */
export const reduceOps: Record<string, OnnxOpSpec> = {
  ReduceSum: reduction(sum, 13),
  ReduceMean: reduction(mean, 18),
  ReduceMax: reduction(max, 18),
  ReduceMin: reduction(min, 18),
  ReduceProd: reduction(reduceProd, 18, true),
  ReduceL1: reduction((x, axes, keep) => sum(abs(x), axes, keep), 18),
  ReduceL2: reduction((x, axes, keep) => sqrt(sum(mul(x, x), axes, keep)), 18),
  ReduceSumSquare: reduction((x, axes, keep) => sum(mul(x, x), axes, keep), 18),
  ReduceLogSum: reduction((x, axes, keep) => log(sum(x, axes, keep)), 18),
  ReduceLogSumExp: reduction(reduceLogSumExp, 18),
};
