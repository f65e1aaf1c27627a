// Reductions. Their axes moved from an attribute to an optional input (ReduceSum at opset 13, the
// others at 18); both forms are read.
import { max, mean, min, sum } from '../../../ops/reduce';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, asFloat, need } from '../op-spec';
import { intValues, normAxis } from '../values';

type Reducer = (x: Tensor, axis: number[] | null, keepDims: boolean) => Tensor;

function reduction(fn: Reducer, axesInputFrom: number): OnnxOpSpec {
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    run(inputs, a, ctx: OpContext) {
      const x = asFloat(need(inputs, 0, ctx));
      const given = ctx.opset >= axesInputFrom ? (inputs[1] ? intValues(inputs[1], 'axes', ctx.where) : undefined) : a.ints('axes');
      const keep = a.flag('keepdims', 1) === 1;
      if (!given || given.length === 0) {
        if (a.flag('noop_with_empty_axes', 0) === 1) return [x];
        return [fn(x, x.shape.map((_, i) => i), keep)];
      }
      return [fn(x, given.map((ax) => normAxis(ax, x.rank, ctx.where)), keep)];
    },
  };
}

/** Reductions by ONNX name. */
export const reduceOps: Record<string, OnnxOpSpec> = {
  ReduceSum: reduction(sum, 13),
  ReduceMean: reduction(mean, 18),
  ReduceMax: reduction(max, 18),
  ReduceMin: reduction(min, 18),
};
