// Operators that select or accumulate along one axis: ArgMax/ArgMin, CumSum, GatherElements
// (torch.gather), ScatterElements (torch.scatter, scatter_add), OneHot and TopK. Each walks the axis as the last one of a [outer, len, inner] view; float
// results record their gradient (CumSum's is the cumulative sum the other way, GatherElements' a
// scatter-add), and TopK's values are a GatherElements of the input, so they train too.
import { record } from '../../../autograd/tape';
import { tensor } from '../../../ops/creation';
import { argmax, argmin } from '../../../ops/reduce';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';
import { checkCreatedShape, intValues, normAxis } from '../values';

/** [outer, len, inner] of x around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return [outer, shape[axis]!, inner];
}

function argReduce(fn: typeof argmax): OnnxOpSpec {
  return {
    attributes: ['axis', 'keepdims', 'select_last_index'],
    validate(a, ctx) {
      if (a.int('select_last_index', 0) !== 0) unsupported(ctx, 'select_last_index=1');
    },
    run(inputs, a, ctx) {
      const x = asFloat(need(inputs, 0, ctx));
      return [fn(x, normAxis(a.int('axis', 0), x.rank, ctx.where), a.flag('keepdims', 1) === 1)];
    },
  };
}

function cumsum(x: Tensor, axis: number, exclusive: boolean, reverse: boolean): Tensor {
  const [outer, len, inner] = around(x.shape, axis);
  const src = x.dataSync();
  const out = new Float64Array(x.size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let t = 0; t < len; t++) {
        const k = reverse ? len - 1 - t : t;
        const at = (o * len + k) * inner + i;
        if (exclusive) {
          out[at] = acc;
          acc += src[at]!;
        } else {
          acc += src[at]!;
          out[at] = acc;
        }
      }
    }
  }
  if (x.dtype === 'int32') return tensor(Int32Array.from(out), x.shape.slice(), 'int32');
  const y = tensor(Float32Array.from(out), x.shape.slice());
  return record(y, 'cumsum', [x], (g) => [cumsum(g, axis, exclusive, !reverse)]);
}

/** Indices of `indices` checked against the axis length (negative ones counted from the end). */
function axisIndices(indices: Tensor, len: number, ctx: OpContext): Int32Array {
  const raw = indices.dataSync();
  const out = new Int32Array(raw.length);
  for (let k = 0; k < raw.length; k++) {
    const i = raw[k]! < 0 ? raw[k]! + len : raw[k]!;
    if (!(i >= 0 && i < len)) throw new Error(`${ctx.where}: index ${raw[k]} is out of range for an axis of length ${len}`);
    out[k] = i;
  }
  return out;
}

/** The offset in data (row-major) of each index element with its axis coordinate replaced by the index. */
function sourceOffsets(dataShape: readonly number[], idx: Int32Array, idxShape: readonly number[], axis: number): Int32Array {
  const rank = idxShape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= dataShape[d]!;
  }
  const coord = new Array<number>(rank).fill(0);
  const out = new Int32Array(idx.length);
  for (let p = 0; p < idx.length; p++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === axis ? idx[p]! : coord[d]!) * strides[d]!;
    out[p] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < idxShape[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

/** out[.., j, ..] = data[.., idx[.., j, ..], ..] along `axis`; gradients scatter-add back into data's shape. */
export function gatherElements(data: Tensor, idx: Int32Array, idxShape: readonly number[], axis: number): Tensor {
  const from = sourceOffsets(data.shape, idx, idxShape, axis);
  const src = data.dataSync();
  // Plain loops: TypedArray.from with a map function costs ~150 ns per element.
  const values = data.dtype === 'int32' ? new Int32Array(from.length) : new Float32Array(from.length);
  for (let p = 0; p < from.length; p++) values[p] = src[from[p]!]!;
  if (data.dtype === 'int32') return tensor(values, idxShape.slice(), 'int32');
  const y = tensor(values, idxShape.slice());
  return record(y, 'gatherElements', [data], (g) => {
    const gd = g.dataSync();
    const back = new Float32Array(data.size);
    from.forEach((o, p) => (back[o] = back[o]! + gd[p]!));
    return [tensor(back, data.shape.slice())];
  });
}

function checkIndexShape(data: Tensor, indices: Tensor, axis: number, ctx: OpContext): void {
  if (indices.rank !== data.rank || indices.shape.some((d, i) => i !== axis && d > data.shape[i]!)) {
    throw new Error(`${ctx.where}: indices of shape [${indices.shape.join(',')}] should have the data's rank and no dimension beyond the data's [${data.shape.join(',')}] except on axis ${axis}`);
  }
}

/** The k largest (or smallest) along `axis`, ties to the lower index (as onnxruntime), in order. */
function topK(x: Tensor, k: number, axis: number, largest: boolean, ctx: OpContext): [Tensor, Tensor] {
  const [outer, len, inner] = around(x.shape, axis);
  if (!(Number.isInteger(k) && k >= 0 && k <= len)) throw new Error(`${ctx.where}: k should be between 0 and ${len} (the axis length), got ${k}`);
  const src = x.dataSync();
  const shape = x.shape.slice();
  shape[axis] = k;
  const idx = new Int32Array(outer * k * inner);
  const order = Array.from({ length: len }, (_, t) => t);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const v = (t: number) => src[(o * len + t) * inner + i]!;
      // NaN sorts as the largest, as in onnxruntime's comparisons of the raw values.
      const key = (t: number) => (Number.isNaN(v(t)) ? Infinity : v(t));
      order.sort((p, q) => (largest ? key(q) - key(p) : key(p) - key(q)) || p - q);
      for (let t = 0; t < k; t++) idx[(o * k + t) * inner + i] = order[t]!;
    }
  }
  return [gatherElements(x, idx, shape, axis), tensor(idx, shape, 'int32')];
}

/**
 * data with updates written (reduction 'none', later writes winning as onnxruntime's loop does) or
 * added ('add') at the positions indices name along `axis`. The gradient reaches the data where
 * nothing overwrote it (all of it for 'add') and each update from its position.
 */
function scatterElements(data: Tensor, idx: Int32Array, updates: Tensor, axis: number, add: boolean): Tensor {
  const to = sourceOffsets(data.shape, idx, updates.shape, axis);
  const out = data.dataSync().slice();
  const up = updates.dataSync();
  for (let p = 0; p < to.length; p++) out[to[p]!] = add ? out[to[p]!]! + up[p]! : up[p]!;
  if (data.dtype === 'int32') return tensor(out, data.shape.slice(), 'int32');
  const y = tensor(out, data.shape.slice());
  return record(y, 'scatterElements', [data, updates], (g) => {
    const gd = g.dataSync();
    const toData = gd.slice();
    if (!add) for (const o of to) toData[o] = 0;
    // Without 'add' only the last update written to a position reached the output.
    const last = new Map<number, number>();
    if (!add) to.forEach((o, p) => last.set(o, p));
    const toUpdates = new Float32Array(to.length);
    for (let p = 0; p < to.length; p++) toUpdates[p] = add || last.get(to[p]!) === p ? gd[to[p]!]! : 0;
    return [tensor(toData, data.shape.slice()), tensor(toUpdates, updates.shape.slice())];
  });
}

/** One-hot rows: values[1] where the index (negative from the end) names the position along the new axis, values[0] elsewhere. */
function oneHot(indices: Tensor, depth: number, values: Tensor, axis: number, ctx: OpContext): Tensor {
  if (!(Number.isInteger(depth) && depth >= 1)) throw new Error(`${ctx.where}: depth should be a positive integer, got ${depth}`);
  if (values.size !== 2) throw new Error(`${ctx.where}: values should hold [off, on], got ${values.size} values`);
  const [off, on] = values.dataSync() as unknown as [number, number];
  const idx = indices.dataSync();
  const shape = indices.shape.slice();
  shape.splice(axis, 0, depth);
  checkCreatedShape(shape, ctx.where);
  const [outer, , inner] = around(shape, axis);
  const out = new Float32Array(outer * depth * inner).fill(off);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const raw = Math.trunc(idx[o * inner + i]!);
      const k = raw < 0 ? raw + depth : raw;
      // Out-of-range indices give an all-off row, as the operator specifies.
      if (k >= 0 && k < depth) out[(o * depth + k) * inner + i] = on;
    }
  }
  return values.dtype === 'int32' ? tensor(Int32Array.from(out), shape, 'int32') : tensor(out, shape);
}

/** Selecting and accumulating operators by ONNX name. */
export const indexingOps: Record<string, OnnxOpSpec> = {
  ArgMax: argReduce(argmax),
  ArgMin: argReduce(argmin),
  CumSum: {
    attributes: ['exclusive', 'reverse'],
    run(inputs, a, ctx) {
      const x = need(inputs, 0, ctx);
      const axis = normAxis(intValues(need(inputs, 1, ctx), 'axis', ctx.where)[0] ?? 0, x.rank, ctx.where);
      return [cumsum(x.dtype === 'int32' ? x : asFloat(x), axis, a.flag('exclusive', 0) === 1, a.flag('reverse', 0) === 1)];
    },
  },
  GatherElements: {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const data = need(inputs, 0, ctx);
      const indices = need(inputs, 1, ctx);
      const axis = normAxis(a.int('axis', 0), data.rank, ctx.where);
      checkIndexShape(data, indices, axis, ctx);
      const x = data.dtype === 'int32' ? data : asFloat(data);
      return [gatherElements(x, axisIndices(indices, data.shape[axis]!, ctx), indices.shape, axis)];
    },
  },
  ScatterElements: {
    attributes: ['axis', 'reduction'],
    validate(a, ctx) {
      const reduction = a.string('reduction', 'none');
      if (reduction !== 'none' && reduction !== 'add') unsupported(ctx, `reduction='${reduction}'`);
    },
    run(inputs, a, ctx) {
      const data = need(inputs, 0, ctx);
      const indices = need(inputs, 1, ctx);
      const updates = need(inputs, 2, ctx);
      const axis = normAxis(a.int('axis', 0), data.rank, ctx.where);
      checkIndexShape(data, indices, axis, ctx);
      if (updates.shape.length !== indices.rank || updates.shape.some((d, i) => d !== indices.shape[i])) {
        throw new Error(`${ctx.where}: updates should have the indices' shape [${indices.shape.join(',')}], got [${updates.shape.join(',')}]`);
      }
      const int = data.dtype === 'int32' && updates.dtype === 'int32';
      const [x, u] = int ? [data, updates] : [asFloat(data), asFloat(updates)];
      return [scatterElements(x, axisIndices(indices, data.shape[axis]!, ctx), u, axis, a.string('reduction', 'none') === 'add')];
    },
  },
  OneHot: {
    attributes: ['axis'],
    run(inputs, a, ctx) {
      const indices = need(inputs, 0, ctx);
      const depth = intValues(need(inputs, 1, ctx), 'depth', ctx.where)[0]!;
      const values = need(inputs, 2, ctx);
      return [oneHot(indices, depth, values, normAxis(a.int('axis', -1), indices.rank + 1, ctx.where), ctx)];
    },
  },
  TopK: {
    attributes: ['axis', 'largest', 'sorted'],
    run(inputs, a, ctx) {
      const x = asFloat(need(inputs, 0, ctx));
      const k = intValues(need(inputs, 1, ctx), 'K', ctx.where)[0]!;
      return topK(x, k, normAxis(a.int('axis', -1), x.rank, ctx.where), a.int('largest', 1) === 1, ctx);
    },
  },
};
