import { record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { type Shape, broadcastShapes, checkShape, isContiguous, normalizeAxis, shapesEqual, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { pad } from './movement';
import { sumTo } from './reduce';
import { registerOp } from './registry';
import { toTensor } from './util';

/** @internal an unrecorded view with permuted axes */
export function permuteView(x: Tensor, perm: readonly number[]): Tensor {
  return new Tensor(x.storage, perm.map((p) => x.shape[p]!), perm.map((p) => x.strides[p]!), x.offset, x.dtype);
}

/** Strides that let a view of (shape, strides) be read as `target` without copying, or null. */
function viewStrides(shape: Shape, strides: readonly number[], target: Shape): number[] | null {
  if (sizeOf(target) === 0 || isContiguous(shape, strides)) return stridesOf(target);
  // Size-1 input dims carry no layout; match groups of input dims to groups of target dims with
  // equal products and require each input group to be internally contiguous.
  const dims: number[] = [];
  const strs: number[] = [];
  shape.forEach((d, i) => {
    if (d !== 1) {
      dims.push(d);
      strs.push(strides[i]!);
    }
  });
  const out = new Array<number>(target.length).fill(1);
  let oi = 0;
  let ni = 0;
  while (oi < dims.length && ni < target.length) {
    let oj = oi + 1;
    let nj = ni + 1;
    let op = dims[oi]!;
    let np = target[ni]!;
    while (op !== np) {
      if (np < op) np *= target[nj++]!;
      else op *= dims[oj++]!;
    }
    for (let k = oi; k < oj - 1; k++) if (strs[k] !== dims[k + 1]! * strs[k + 1]!) return null;
    out[nj - 1] = strs[oj - 1]!;
    for (let k = nj - 1; k > ni; k--) out[k - 1] = out[k]! * target[k]!;
    oi = oj;
    ni = nj;
  }
  return out;
}

/** Same values in a new shape (one dimension may be -1). A view whenever the layout allows, else a copy. */
export function reshape(xIn: Tensor | number, shape: readonly number[]): Tensor {
  const x = toTensor('reshape', 'x', xIn);
  if (!Array.isArray(shape)) argError('reshape', 'shape', 'an array of integers', describe(shape));
  const target = shape.slice();
  const infer = target.indexOf(-1);
  if (infer >= 0) {
    if (target.indexOf(-1, infer + 1) >= 0) argError('reshape', 'shape', 'at most one -1', describe(shape));
    const known = sizeOf(target.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      argError('reshape', 'shape', `a shape with ${x.size} elements (from [${x.shape.join(',')}])`, describe(shape));
    }
    target[infer] = x.size / known;
  }
  checkShape('reshape', 'shape', target);
  if (sizeOf(target) !== x.size) {
    argError('reshape', 'shape', `a shape with ${x.size} elements (from [${x.shape.join(',')}])`, describe(shape));
  }
  if (shapesEqual(target, x.shape)) return x;
  const strides = viewStrides(x.shape, x.strides, target);
  const out = strides
    ? new Tensor(x.storage, target, strides, x.offset, x.dtype)
    : (() => {
        const c = x.contiguousCopy();
        return new Tensor(c.storage, target, stridesOf(target), c.offset, c.dtype);
      })();
  return record(out, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

/** Permutes axes (reverses them when `perm` is omitted). A view. */
export function transpose(xIn: Tensor | number, perm?: readonly number[]): Tensor {
  const x = toTensor('transpose', 'x', xIn);
  if (perm !== undefined && !Array.isArray(perm)) argError('transpose', 'perm', `a permutation of ${x.rank} axes`, describe(perm));
  const p = perm ? perm.map((a) => normalizeAxis('transpose', a, x.rank, 'perm')) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    argError('transpose', 'perm', `a permutation of ${x.rank} axes`, describe(perm));
  }
  const out = permuteView(x, p);
  const inverse = new Array<number>(p.length);
  p.forEach((axis, i) => (inverse[axis] = i));
  return record(out, 'transpose', [x], (g) => [transpose(g, inverse)]);
}

/** PyTorch name of {@link transpose} with an explicit permutation. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return transpose(x, perm);
}

/**
 * A box of `x` starting at `begin` with extent `size` per axis (tfjs semantics; -1 in size means
 * "to the end", and omitted trailing axes are taken whole). A view.
 */
export function slice(xIn: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const x = toTensor('slice', 'x', xIn);
  if (typeof begin !== 'number' && !Array.isArray(begin)) argError('slice', 'begin', 'a number or an array of numbers', describe(begin));
  if (size !== undefined && typeof size !== 'number' && !Array.isArray(size)) argError('slice', 'size', 'a number or an array of numbers', describe(size));
  const b = typeof begin === 'number' ? [begin] : begin.slice();
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : size.slice();
  if (b.length > x.rank) argError('slice', 'begin', `at most ${x.rank} values`, describe(begin));
  if (s.length > x.rank) argError('slice', 'size', `at most ${x.rank} values`, describe(size));
  const starts: number[] = [];
  const extents: number[] = [];
  let offset = x.offset;
  for (let d = 0; d < x.rank; d++) {
    const dim = x.shape[d]!;
    const st = b[d] ?? 0;
    if (!Number.isInteger(st) || st < 0 || st > dim) {
      argError('slice', 'begin', `integers within shape [${x.shape.join(',')}]`, describe(begin));
    }
    let ex = s[d] ?? -1;
    if (ex === -1) ex = dim - st;
    if (!Number.isInteger(ex) || ex < 0 || st + ex > dim) {
      argError('slice', 'size', `extents that fit shape [${x.shape.join(',')}] from begin ${describe(b)}`, describe(size));
    }
    starts.push(st);
    extents.push(ex);
    offset += st * x.strides[d]!;
  }
  const out = new Tensor(x.storage, extents, x.strides, offset, x.dtype);
  return record(out, 'slice', [x], (g) =>
    [pad(g, starts.map((st, d) => [st, x.shape[d]! - st - extents[d]!] as [number, number]))],
  );
}

/** Broadcasts to `shape` by NumPy rules without copying (stride 0 on repeated axes). */
export function broadcastTo(xIn: Tensor | number, shape: readonly number[]): Tensor {
  const x = toTensor('broadcastTo', 'x', xIn);
  checkShape('broadcastTo', 'shape', shape);
  const target = broadcastShapes('broadcastTo', x.shape, shape, 'x', 'shape');
  if (!shapesEqual(target, shape)) {
    argError('broadcastTo', 'shape', `a shape that [${x.shape.join(',')}] broadcasts to`, describe(shape));
  }
  if (shapesEqual(x.shape, shape)) return x;
  const lead = shape.length - x.rank;
  const strides = shape.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : x.strides[i - lead]!));
  const out = new Tensor(x.storage, shape.slice(), strides, x.offset, x.dtype);
  return record(out, 'broadcastTo', [x], (g) => [sumTo(g, x.shape)]);
}

/** PyTorch name of {@link broadcastTo}. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return broadcastTo(x, shape);
}

/** Removes size-1 axes (all of them, or those listed). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const t = toTensor('squeeze', 'x', x);
  const axes = axis === undefined ? null : (typeof axis === 'number' ? [axis] : axis).map((a) => normalizeAxis('squeeze', a, t.rank));
  if (axes) for (const a of axes) if (t.shape[a] !== 1) argError('squeeze', 'axis', 'axes of size 1', `axis ${a} of shape [${t.shape.join(',')}]`);
  return reshape(t, t.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
}

/** Inserts a size-1 axis at `axis` (tfjs expandDims, PyTorch unsqueeze). */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const t = toTensor('expandDims', 'x', x);
  const a = normalizeAxis('expandDims', axis, t.rank + 1);
  const shape = t.shape.slice();
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}
export const unsqueeze = expandDims;

/** Flattens to rank 1. */
export function flatten(x: Tensor): Tensor {
  return reshape(x, [-1]);
}

const viewOp = (name: string, onnx: string, checks: import('./registry').OpCheck[]) =>
  registerOp({ name, onnx, kind: 'view', native: false, differentiable: true, checks });
viewOp('reshape', 'Reshape', [
  { shapes: [[2, 3, 4]], run: (x) => reshape(x, [4, -1]) },
  { label: 'to scalar', shapes: [[1, 1]], run: (x) => reshape(x, []) },
]);
viewOp('transpose', 'Transpose', [
  { shapes: [[2, 3, 4]], run: (x) => transpose(x, [2, 0, 1]) },
  { label: 'reverse', shapes: [[3, 5]], run: (x) => transpose(x) },
]);
viewOp('slice', 'Slice', [
  { shapes: [[4, 5, 3]], run: (x) => slice(x, [1, 0, 1], [2, -1, 2]) },
  { label: 'empty', shapes: [[4, 5]], run: (x) => slice(x, [2, 1], [0, 3]) },
]);
viewOp('broadcastTo', 'Expand', [
  { shapes: [[3, 1]], run: (x) => broadcastTo(x, [2, 3, 4]) },
  { label: 'scalar', shapes: [[]], run: (x) => broadcastTo(x, [2, 2]) },
]);
viewOp('squeeze', 'Squeeze', [{ shapes: [[3, 1, 2, 1]], run: (x) => squeeze(x, [1]) }]);
viewOp('expandDims', 'Unsqueeze', [{ shapes: [[3, 2]], run: (x) => expandDims(x, 1) }]);
