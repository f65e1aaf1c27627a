// Shape and data-movement operators. Shapes, axes and indices arrive as small int32 tensors (often
// computed at run time from a Shape node, as PyTorch exports do for the batch size), so they are
// read with intValues at call time; the data itself moves through differentiable library ops.
import { decodeHalfArray, encodeHalfArray } from '../../../io/half';
import { add } from '../../../ops/binary';
import { cast } from '../../../ops/cast';
import { full, tensor } from '../../../ops/creation';
import { concat, gather, pad } from '../../../ops/movement';
import { broadcastTo, reshape, slice, squeeze, transpose } from '../../../ops/views';
import { broadcastShapes } from '../../../tensor/shape';
import type { Tensor } from '../../../tensor/tensor';
import { DataType } from '../../proto';
import type { NodeAttributes, StoredTensor } from '../attributes';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';
import { checkCreatedShape, fromOnnxTensor, int32Tensor, intValues, isFloatType, normAxis } from '../values';


/** Axes given as an attribute (older opsets) or as an optional input (newer ones). */
function axesOf(inputs: readonly (Tensor | null)[], k: number, a: NodeAttributes, ctx: OpContext): number[] | undefined {
  const t = inputs[k];
  if (t) return intValues(t, 'axes', ctx.where);
  return a.ints('axes');
}

const FLOAT_CODES: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);
const INT_CODES: ReadonlySet<number> = new Set([
  DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64,
]);

function castTo(x: Tensor, to: number): Tensor {
  if (to === DataType.FLOAT16) return roundToHalf(x.dtype === 'float32' ? x : cast(x, 'float32'));
  if (FLOAT_CODES.has(to)) return x.dtype === 'float32' ? x : cast(x, 'float32');
  // Plain loops: Int32Array.from with a map function ran ~150 ns per element (a 64x49x49 mask
  // Cast took 22 ms).
  if (to !== DataType.BOOL && x.dtype === 'int32') return x;
  const src = x.dataSync();
  const out = new Int32Array(src.length);
  if (to === DataType.BOOL) {
    for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
    return tensor(out, x.shape.slice(), 'int32');
  }
  // float -> int truncates toward zero, as C casts do.
  for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  return tensor(out, x.shape.slice(), 'int32');
}

/**
 * Cast to float16 as float32 values rounded to the nearest half (ties to even, overflow to
 * infinity): float16 values compute in float32 here, so the rounding is all a Cast to float16
 * changes. Written as x + (round(x) - x) with the difference a constant, so gradients pass through
 * unchanged (a mixed-precision graph's float parts still train).
 */
function roundToHalf(x: Tensor): Tensor {
  const v = x.dataSync();
  const rounded = decodeHalfArray(encodeHalfArray(v));
  // rounded - v is exact (the two are within a factor of 2, or rounded is 0 or infinite), so x + delta is rounded.
  const delta = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) delta[i] = rounded[i] === v[i] ? 0 : rounded[i]! - v[i]!;
  return add(x, tensor(delta, x.shape.slice(), 'float32'));
}

/** Start/end/step of every axis, clamped as ONNX Slice specifies (negative steps included). */
function sliceBounds(shape: readonly number[], starts: number[], ends: number[], axes: number[], steps: number[], ctx: OpContext) {
  const begin = shape.map(() => 0);
  const end = shape.slice();
  const step = shape.map(() => 1);
  axes.forEach((axisIn, i) => {
    const ax = normAxis(axisIn, shape.length, ctx.where, 'Slice axis');
    const dim = shape[ax]!;
    const st = steps[i] ?? 1;
    if (st === 0) throw new Error(`${ctx.where}: Slice steps must not be 0`);
    let s = starts[i]!;
    let e = ends[i]!;
    s = s < 0 ? s + dim : s;
    e = e < 0 ? e + dim : e;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      // Going backwards, starts clamp to [0, dim - 1] and ends to [-1, dim - 1] (-1: through index 0).
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    begin[ax] = s;
    end[ax] = e;
    step[ax] = st;
  });
  return { begin, end, step };
}

function range(s: number, e: number, st: number): number[] {
  const out: number[] = [];
  if (st > 0) for (let i = s; i < e; i += st) out.push(i);
  else for (let i = s; i > e; i += st) out.push(i);
  return out;
}

function runSlice(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = need(inputs, 0, ctx);
  const old = ctx.opset < 10;
  const starts = old ? a.ints('starts', []) : intValues(inputs[1], 'starts', ctx.where);
  const ends = old ? a.ints('ends', []) : intValues(inputs[2], 'ends', ctx.where);
  const axes = (old ? a.ints('axes') : inputs[3] ? intValues(inputs[3], 'axes', ctx.where) : undefined) ?? starts.map((_, i) => i);
  const steps = !old && inputs[4] ? intValues(inputs[4], 'steps', ctx.where) : axes.map(() => 1);
  if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Error(`${ctx.where}: starts, ends, axes and steps must have the same length`);
  }
  const { begin, end, step } = sliceBounds(x.shape, starts, ends, axes, steps, ctx);
  if (step.every((s) => s === 1)) {
    return [slice(x, begin, begin.map((b, d) => Math.max(end[d]! - b, 0)))];
  }
  // Strided or reversed slices gather the chosen indices axis by axis.
  let out = x;
  step.forEach((st, d) => {
    if (st === 1 && begin[d] === 0 && end[d] === x.shape[d]) return;
    out = gather(out, int32Tensor(range(begin[d]!, end[d]!, st)), d);
  });
  return [out];
}

/** Index maps for Pad's edge/reflect modes along one axis. */
function padIndices(dim: number, before: number, after: number, mode: string): number[] {
  const out: number[] = [];
  for (let i = -before; i < dim + after; i++) {
    if (mode === 'edge') out.push(Math.min(Math.max(i, 0), dim - 1));
    else {
      // reflect without repeating the edge: -1 -> 1, dim -> dim - 2
      const period = 2 * (dim - 1);
      let j = period === 0 ? 0 : ((i % period) + period) % period;
      if (j >= dim) j = period - j;
      out.push(j);
    }
  }
  return out;
}

function runPad(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  let x = need(inputs, 0, ctx);
  const mode = a.string('mode', 'constant');
  const rank = x.rank;
  const raw = ctx.opset < 11 ? a.ints('pads', []) : intValues(inputs[1], 'pads', ctx.where);
  const value = ctx.opset < 11 ? a.float('value', 0) : inputs[2] ? inputs[2].dataSync()[0] ?? 0 : 0;
  const axes = (inputs[3] ? intValues(inputs[3], 'axes', ctx.where) : undefined)?.map((ax) => normAxis(ax, rank, ctx.where)) ?? x.shape.map((_, i) => i);
  if (raw.length !== 2 * axes.length) throw new Error(`${ctx.where}: pads has ${raw.length} values, expected ${2 * axes.length}`);
  const pairs: [number, number][] = x.shape.map(() => [0, 0]);
  axes.forEach((ax, i) => (pairs[ax] = [raw[i]!, raw[i + axes.length]!]));
  // Negative pads crop.
  if (pairs.some(([b, e]) => b < 0 || e < 0)) {
    const begin = pairs.map(([b]) => Math.max(-b, 0));
    const size = x.shape.map((d, i) => d - begin[i]! - Math.max(-pairs[i]![1], 0));
    x = slice(x, begin, size);
  }
  const pos = pairs.map(([b, e]) => [Math.max(b, 0), Math.max(e, 0)] as [number, number]);
  checkCreatedShape(x.shape.map((d, i) => d + pos[i]![0] + pos[i]![1]), ctx.where);
  if (mode === 'constant') return [pad(x, pos, value)];
  let out = x;
  pos.forEach(([b, e], d) => {
    if (b === 0 && e === 0) return;
    out = gather(out, int32Tensor(padIndices(x.shape[d]!, b, e, mode)), d);
  });
  return [out];
}

function runReshape(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  const x = need(inputs, 0, ctx);
  const allowZero = a.flag('allowzero', 0) === 1;
  const raw = intValues(inputs[1], 'shape', ctx.where);
  if (raw.some((d, i) => d === 0 && !allowZero && i >= x.rank)) {
    throw new Error(`${ctx.where}: shape [${raw.join(',')}] copies (0) a dimension the input [${x.shape.join(',')}] does not have`);
  }
  const target = raw.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
  return [reshape(x, target)];
}

function storedValue(a: NodeAttributes, ctx: OpContext): StoredTensor {
  const t = a.tensor('value');
  if (t) return t;
  if (a.has('value_float')) return { dtype: 'float32', shape: [], data: [a.float('value_float', 0)] };
  if (a.has('value_int')) return { dtype: 'int64', shape: [], data: [a.int('value_int', 0)] };
  const fs = a.floats('value_floats');
  if (fs) return { dtype: 'float32', shape: [fs.length], data: fs };
  const is = a.ints('value_ints');
  if (is) return { dtype: 'int64', shape: [is.length], data: is };
  throw new Error(`${ctx.where}: Constant needs one of value, value_float(s), value_int(s)`);
}

/** Shape and movement operators by ONNX name. */
export const shapeOps: Record<string, OnnxOpSpec> = {
  Shape: {
    attributes: ['start', 'end'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const r = x.rank;
      const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      return [int32Tensor(x.shape.slice(clampAxis(a.int('start', 0)), clampAxis(a.int('end', r))))];
    },
  },
  Size: { attributes: [], run: (inputs, _a, ctx) => [int32Tensor([need(inputs, 0, ctx).size], [])] },
  Constant: {
    attributes: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    run: (_inputs, a, ctx) => [fromOnnxTensor(storedValue(a, ctx), ctx.where)],
  },
  ConstantOfShape: {
    attributes: ['value'],
    run(inputs, a, ctx) {
      const shape = intValues(inputs[0], 'input', ctx.where);
      checkCreatedShape(shape, ctx.where);
      const v = a.tensor('value') ?? { dtype: 'float32', shape: [1], data: [0] };
      return [full(shape, v.data[0] ?? 0, isFloatType(v.dtype) ? 'float32' : 'int32')];
    },
  },
  Reshape: { attributes: ['allowzero'], run: runReshape },
  Flatten: {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const axis = a.int('axis', 1);
      const ax = axis < 0 ? axis + x.rank : axis;
      if (ax < 0 || ax > x.rank) throw new Error(`${ctx.where}: axis ${axis} is out of range for rank ${x.rank}`);
      const outer = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
      return [reshape(x, [outer, x.size === 0 ? 0 : x.size / Math.max(outer, 1)])];
    },
  },
  Transpose: {
    attributes: ['perm'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const perm = a.ints('perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
      return [transpose(x, perm)];
    },
  },
  Squeeze: {
    attributes: ['axes'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const axes = axesOf(inputs, 1, a, ctx);
      return [axes ? squeeze(x, axes.map((ax) => normAxis(ax, x.rank, ctx.where))) : squeeze(x)];
    },
  },
  Unsqueeze: {
    attributes: ['axes'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const axes = axesOf(inputs, 1, a, ctx) ?? [];
      const rank = x.rank + axes.length;
      const at = new Set(axes.map((ax) => normAxis(ax, rank, ctx.where)));
      const shape: number[] = [];
      let k = 0;
      for (let d = 0; d < rank; d++) shape.push(at.has(d) ? 1 : x.shape[k++]!);
      return [reshape(x, shape)];
    },
  },
  Concat: {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const xs = inputs.filter((t): t is Tensor => t !== null);
      const axis = normAxis(a.int('axis', 0), xs[0]!.rank, ctx.where);
      const parts = xs.filter((t) => t.shape[axis] !== 0);
      return [parts.length === 1 ? parts[0]! : concat(parts.length ? parts : xs, axis)];
    },
  },
  Split: {
    attributes: ['axis', 'split', 'num_outputs'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const axis = normAxis(a.int('axis', 0), x.rank, ctx.where);
      const dim = x.shape[axis]!;
      let sizes = inputs[1] ? intValues(inputs[1], 'split', ctx.where) : a.ints('split');
      if (!sizes) {
        // Without sizes: num_outputs (opset 18) or, before that, one equal part per declared output.
        const n = a.int('num_outputs', ctx.outputCount);
        if (n <= 0) throw new Error(`${ctx.where}: Split needs split sizes, num_outputs or outputs`);
        const chunk = Math.ceil(dim / n);
        sizes = Array.from({ length: n }, (_, i) => Math.max(Math.min(chunk, dim - i * chunk), 0));
      }
      let at = 0;
      return sizes.map((s) => {
        const begin = x.shape.map(() => 0);
        begin[axis] = at;
        const size = x.shape.slice();
        size[axis] = s;
        at += s;
        return slice(x, begin, size);
      });
    },
  },
  Slice: { attributes: ['starts', 'ends', 'axes'], run: runSlice },
  Gather: {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const idx = need(inputs, 1, ctx);
      return [gather(x, idx.dtype === 'int32' ? idx : cast(idx, 'int32'), normAxis(a.int('axis', 0), x.rank, ctx.where))];
    },
  },
  Pad: {
    attributes: ['mode', 'pads', 'value'],
    validate(a, ctx) {
      const mode = a.string('mode', 'constant');
      if (!['constant', 'edge', 'reflect'].includes(mode)) unsupported(ctx, `mode='${mode}'`);
    },
    run: runPad,
  },
  Cast: {
    attributes: ['to', 'saturate'],
    validate(a, ctx) {
      const to = a.int('to', 0);
      if (!FLOAT_CODES.has(to) && !INT_CODES.has(to) && to !== DataType.BOOL) unsupported(ctx, `cast to element type ${to}`);
    },
    run: (inputs, a, ctx) => [castTo(need(inputs, 0, ctx), a.int('to', DataType.FLOAT))],
  },
  Range: {
    attributes: [],
    run(inputs, _a, ctx) {
      const [start, limit, delta] = [0, 1, 2].map((k) => need(inputs, k, ctx));
      const [s, l, d] = [start!, limit!, delta!].map((t) => t.dataSync()[0]!);
      if (d === 0) throw new Error(`${ctx.where}: delta must not be 0`);
      const n = Math.max(Math.ceil((l! - s!) / d!), 0);
      checkCreatedShape([n], ctx.where);
      const values = Array.from({ length: n }, (_, i) => s! + i * d!);
      const isInt = [start!, limit!, delta!].every((t) => t.dtype === 'int32');
      return [isInt ? int32Tensor(values) : tensor(Float32Array.from(values), [n], 'float32')];
    },
  },
  Expand: {
    attributes: [],
    run(inputs, _a, ctx) {
      const x = need(inputs, 0, ctx);
      const shape = broadcastShapes('Expand', x.shape, intValues(inputs[1], 'shape', ctx.where), 'input', 'shape');
      checkCreatedShape(shape, ctx.where);
      return [broadcastTo(x, shape)];
    },
  },
};
