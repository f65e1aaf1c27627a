import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError, describe } from '../errors';
import type { DType } from '../tensor/dtype';
import { normalizeAxis, shapesEqual, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast } from './cast';
import { copyView } from './copy';
import { registerOp } from './registry';
import { expandDims, slice } from './views';
import { toTensor } from './util';

function fillBuffer(t: Tensor, value: number): void {
  const addon = activeAddon();
  if (addon && t.dtype === 'float32') addon.fill(t.buffer as Float32Array, pack.fill({ yOffset: 0, n: t.size, value }));
  else t.buffer.fill(value);
}

/** Joins tensors along an existing axis. Mixed dtypes are promoted to float32. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) argError('concat', 'tensors', 'a non-empty array of tensors', describe(tensors));
  let ts = tensors.map((t, i) => toTensor('concat', `tensors[${i}]`, t));
  const dtype: DType = ts.every((t) => t.dtype === 'int32') ? 'int32' : 'float32';
  ts = ts.map((t) => (t.dtype === dtype ? t : cast(t, dtype)));
  const first = ts[0]!;
  if (first.rank === 0) argError('concat', 'tensors[0]', 'tensors of rank >= 1', 'a scalar');
  const ax = normalizeAxis('concat', axis, first.rank);
  let total = 0;
  ts.forEach((t, i) => {
    const ok = t.rank === first.rank && t.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!ok) {
      argError('concat', `tensors[${i}]`, `shape matching [${first.shape.join(',')}] except on axis ${ax}`, `[${t.shape.join(',')}]`);
    }
    total += t.shape[ax]!;
  });
  const shape = first.shape.slice();
  shape[ax] = total;
  const out = Tensor.empty(shape, dtype);
  let start = 0;
  const starts: number[] = [];
  for (const t of ts) {
    starts.push(start);
    copyView(t.shape, t.buffer, t, out.buffer, { offset: start * out.strides[ax]!, strides: out.strides });
    start += t.shape[ax]!;
  }
  return record(out, 'concat', ts, (g) =>
    ts.map((t, i) => {
      const begin = new Array<number>(g.rank).fill(0);
      begin[ax] = starts[i]!;
      return slice(g, begin, t.shape);
    }),
  );
}

/** Joins same-shaped tensors along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) argError('stack', 'tensors', 'a non-empty array of tensors', describe(tensors));
  const ts = tensors.map((t, i) => toTensor('stack', `tensors[${i}]`, t));
  ts.forEach((t, i) => {
    if (!shapesEqual(t.shape, ts[0]!.shape)) {
      argError('stack', `tensors[${i}]`, `shape [${ts[0]!.shape.join(',')}] like tensors[0]`, `[${t.shape.join(',')}]`);
    }
  });
  const ax = normalizeAxis('stack', axis, ts[0]!.rank + 1);
  return concat(ts.map((t) => expandDims(t, ax)), ax);
}

/** Pads with `constantValue`; `paddings[i] = [before, after]` for axis i (tfjs semantics). */
export function pad(xIn: Tensor, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
  const x = toTensor('pad', 'x', xIn);
  if (!Array.isArray(paddings) || paddings.length !== x.rank) {
    argError('pad', 'paddings', `${x.rank} pairs [before, after]`, describe(paddings));
  }
  for (const p of paddings) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
      argError('pad', 'paddings', 'pairs of non-negative integers', describe(paddings));
    }
  }
  const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const out = Tensor.empty(shape, x.dtype);
  fillBuffer(out, constantValue);
  let offset = 0;
  paddings.forEach((p, i) => (offset += p[0] * out.strides[i]!));
  copyView(x.shape, x.buffer, x, out.buffer, { offset, strides: out.strides });
  return record(out, 'pad', [x], (g) => [slice(g, paddings.map((p) => p[0]), x.shape)]);
}

/**
 * Contiguous indices in [0, limit); negative ones count from the end (as ONNX Gather and NumPy
 * take them) and are rewritten into a copy.
 */
function checkIndices(fn: string, idx: Tensor, limit: number, axisName: string): { data: Int32Array; offset: number } {
  const c = idx.contiguousCopy();
  let data = c.buffer as Int32Array;
  let offset = c.offset;
  for (let i = 0; i < idx.size; i++) {
    const v = data[offset + i]!;
    if (v < -limit || v >= limit) argError(fn, 'indices', `values in [${-limit}, ${limit}) for ${axisName}`, `index ${v}`);
    if (v < 0) {
      // The rewritten index is stored as int32: past 2^31 - 1 (an axis that long can only be empty
      // here) it would wrap and both backends would read it differently.
      if (v + limit > 2147483647) argError(fn, 'indices', `non-negative values for ${axisName} (an axis longer than 2^31 - 1 cannot be indexed from the end)`, `index ${v}`);
      if (data === c.buffer) {
        data = data.slice(offset, offset + idx.size);
        offset = 0;
      }
      data[i] = v + limit;
    }
  }
  return { data, offset };
}

function toIndices(fn: string, value: unknown): Tensor {
  const t = toTensor(fn, 'indices', value, 'int32');
  if (t.dtype !== 'int32') argError(fn, 'indices', 'an int32 tensor', `dtype ${t.dtype}`);
  return t;
}

/**
 * Takes slices of `x` along `axis` at `indices` (int32; negative ones count from the end): the
 * result's shape is x.shape[:axis] + indices.shape + x.shape[axis+1:] (tfjs / ONNX Gather).
 */
export function gather(xIn: Tensor, indicesIn: Tensor | readonly number[] | number, axis = 0): Tensor {
  const x = toTensor('gather', 'x', xIn);
  const indices = toIndices('gather', indicesIn);
  if (x.rank === 0) argError('gather', 'x', 'a tensor of rank >= 1', 'a scalar');
  const ax = normalizeAxis('gather', axis, x.rank);
  const len = x.shape[ax]!;
  const ic = checkIndices('gather', indices, len, `axis ${ax} of shape [${x.shape.join(',')}]`);
  const idxData = ic.data;
  const xc = x.contiguousCopy();
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const n = indices.size;
  const out = Tensor.empty([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
  const addon = activeAddon();
  if (addon) {
    addon.gather(xc.buffer, idxData, out.buffer, pack.gather({ xOffset: xc.offset, outer, len, inner, indicesOffset: ic.offset, nidx: n }));
  } else {
    const xd = xc.buffer;
    const od = out.buffer;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const src = xc.offset + (o * len + idxData[ic.offset + j]!) * inner;
        const dst = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) od[dst + i] = xd[src + i]!;
      }
    }
  }
  if (x.dtype !== 'float32') return out;
  return record(out, 'gather', [x], (g) => [gatherGrad(g, idxData, ic.offset, n, x.shape, outer, len, inner)]);
}

/** The adjoint of gather: zeros of x's shape with each gradient slice added at its index. */
function gatherGrad(g: Tensor, idx: Int32Array, idxOff: number, n: number, shape: readonly number[], outer: number, len: number, inner: number): Tensor {
  const gc = g.contiguousCopy();
  const out = Tensor.empty(shape, 'float32');
  fillBuffer(out, 0);
  const addon = activeAddon();
  const gd = gc.offset === 0 ? gc.buffer : gc.buffer.subarray(gc.offset);
  if (addon) {
    addon.scatterAdd(gd as Float32Array, idx, out.buffer as Float32Array, pack.scatterAdd({ outer, len, inner, indicesOffset: idxOff, nidx: n }));
  } else {
    const od = out.buffer;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const dst = (o * len + idx[idxOff + j]!) * inner;
        const src = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) od[dst + i] = od[dst + i]! + gd[src + i]!;
      }
    }
  }
  return out;
}

/**
 * One-hot encodes int32 `indices` into float32 of shape [...indices.shape, depth]. Indices outside
 * [0, depth) give a row of offValue (as tfjs).
 */
export function oneHot(indicesIn: Tensor | readonly number[], depth: number, onValue = 1, offValue = 0): Tensor {
  const indices = toIndices('oneHot', indicesIn);
  if (!Number.isInteger(depth) || depth < 1) argError('oneHot', 'depth', 'a positive integer', describe(depth));
  const ic = indices.contiguousCopy();
  const out = Tensor.empty([...indices.shape, depth], 'float32');
  const addon = activeAddon();
  if (addon) {
    addon.oneHot(ic.buffer as Int32Array, out.buffer as Float32Array,
      pack.oneHot({ indicesOffset: ic.offset, n: indices.size, depth, onValue, offValue }));
  } else {
    const od = out.buffer;
    od.fill(offValue);
    const id = ic.buffer;
    for (let i = 0; i < indices.size; i++) {
      const v = id[ic.offset + i]!;
      if (v >= 0 && v < depth) od[i * depth + v] = onValue;
    }
  }
  return out;
}

registerOp({
  name: 'concat',
  onnx: 'Concat',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[2, 3], [4, 3]], run: (a, b) => concat([a, b], 0) },
    { label: 'last axis', shapes: [[2, 3, 1], [2, 3, 4], [2, 3, 2]], run: (a, b, c) => concat([a, b, c], -1) },
  ],
});
registerOp({
  name: 'stack',
  onnx: 'Unsqueeze+Concat',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [{ shapes: [[2, 3], [2, 3]], run: (a, b) => stack([a, b], 1) }],
});
registerOp({
  name: 'pad',
  onnx: 'Pad',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[2, 3]], run: (x) => pad(x, [[1, 0], [2, 3]], 0.5) },
    { label: 'rank 3', shapes: [[2, 1, 3]], run: (x) => pad(x, [[0, 0], [1, 1], [0, 2]]) },
  ],
});
registerOp({
  name: 'gather',
  onnx: 'Gather',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[5, 3], [4]], dtypes: ['float32', 'int32'], intRange: [-5, 5], run: (x, i) => gather(x, i, 0) },
    { label: 'axis 1, 2-d indices', shapes: [[2, 4, 3], [2, 3]], dtypes: ['float32', 'int32'], intRange: [0, 4], run: (x, i) => gather(x, i, 1) },
  ],
});
registerOp({
  name: 'oneHot',
  onnx: 'OneHot',
  kind: 'kernel',
  native: true,
  differentiable: false,
  checks: [{ shapes: [[2, 5]], dtypes: ['int32'], intRange: [-1, 7], run: (i) => oneHot(i, 6) }],
});
