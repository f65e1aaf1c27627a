import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { type Shape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { div, equal, mul } from './binary';
import { cast } from './cast';
import { registerOp } from './registry';
import { broadcastTo, permuteView, reshape } from './views';
import { toTensor } from './util';

type ReduceKind = 'sum' | 'mean' | 'max' | 'min';
type ArgKind = 'argmax' | 'argmin';

const reduceCodes = nativeAddon()?.reduceOps ?? [];
const argCodes = nativeAddon()?.argReduceOps ?? [];

interface Plan {
  /** x rearranged (if needed) so that it reads as [outer, len, inner] contiguously */
  src: Tensor;
  outer: number;
  len: number;
  inner: number;
  outShape: number[];
  keepShape: number[];
}

function plan(fn: string, x: Tensor, axes: number[], keepDims: boolean): Plan {
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? keepShape : x.shape.filter((_, i) => !axes.includes(i));
  const adjacent = axes.length === 0 || axes[axes.length - 1]! - axes[0]! === axes.length - 1;
  if (adjacent) {
    const first = axes.length ? axes[0]! : x.rank;
    const last = axes.length ? axes[axes.length - 1]! : x.rank - 1;
    return {
      src: x.contiguousCopy(),
      outer: sizeOf(x.shape.slice(0, first)),
      len: sizeOf(x.shape.slice(first, last + 1)),
      inner: sizeOf(x.shape.slice(last + 1)),
      outShape,
      keepShape,
    };
  }
  // Scattered axes: move them last so one [outer, len, 1] reduction covers them.
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = permuteView(x, [...kept, ...axes]).contiguousCopy();
  return {
    src: moved,
    outer: sizeOf(kept.map((i) => x.shape[i]!)),
    len: sizeOf(axes.map((i) => x.shape[i]!)),
    inner: 1,
    outShape,
    keepShape,
  };
}

function refReduce(kind: ReduceKind, p: Plan, out: Float32Array): void {
  const x = p.src.buffer;
  const base = p.src.offset;
  const { outer, len, inner } = p;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0;
      let pos = base + o * len * inner + i;
      for (let r = 0; r < len; r++, pos += inner) {
        const v = x[pos]!;
        if (kind === 'max') acc = v > acc || v !== v ? v : acc;
        else if (kind === 'min') acc = v < acc || v !== v ? v : acc;
        else acc += v;
        if (acc !== acc && kind !== 'sum' && kind !== 'mean') break;
      }
      out[o * inner + i] = kind === 'mean' ? acc / len : acc;
    }
  }
}

function reduceOp(kind: ReduceKind, xIn: Tensor | number, axis: number | number[] | undefined | null, keepDims: boolean): Tensor {
  let x = toTensor(kind, 'x', xIn);
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  const axes = normalizeAxes(kind, axis, x.rank);
  const p = plan(kind, x, axes, keepDims);
  const out = Tensor.empty(p.outShape, 'float32');
  const addon = activeAddon();
  const code = reduceCodes.indexOf(kind);
  if (addon && code >= 0) {
    addon.reduce(code, p.src.buffer as Float32Array, out.buffer as Float32Array,
      pack.reduce({ xOffset: p.src.offset, outer: p.outer, len: p.len, inner: p.inner }));
  } else {
    refReduce(kind, p, out.buffer as Float32Array);
  }
  return record(out, kind, [x], (g) => {
    const gb = broadcastTo(reshape(g, p.keepShape), x.shape);
    if (kind === 'sum') return [gb];
    if (kind === 'mean') return [div(gb, p.len)];
    // Ties share the gradient equally, as PyTorch's amax/amin do.
    const mask = equal(x, broadcastTo(reshape(out, p.keepShape), x.shape));
    const count = sum(mask, axes, true);
    return [mul(gb, div(mask, count))];
  });
}

function argReduceOp(kind: ArgKind, xIn: Tensor | number, axis: number, keepDims: boolean): Tensor {
  let x = toTensor(kind, 'x', xIn);
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  if (x.rank === 0) x = reshape(x, [1]);
  const ax = normalizeAxis(kind, axis, x.rank);
  if (x.shape[ax] === 0) throw new Error(`${kind}: argument 'x' has an empty axis ${ax} (shape [${x.shape.join(',')}])`);
  const p = plan(kind, x, [ax], keepDims);
  const out = Tensor.empty(p.outShape, 'int32');
  const addon = activeAddon();
  const code = argCodes.indexOf(kind);
  if (addon && code >= 0) {
    addon.argReduce(code, p.src.buffer as Float32Array, out.buffer as Int32Array,
      pack.argReduce({ xOffset: p.src.offset, outer: p.outer, len: p.len, inner: p.inner }));
    return out;
  }
  const xs = p.src.buffer;
  const od = out.buffer;
  const { outer, len, inner } = p;
  const better = kind === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = p.src.offset + o * len * inner + i;
      let best = xs[base]!;
      let bestIdx = 0;
      if (best === best) {
        for (let r = 1; r < len; r++) {
          const v = xs[base + r * inner]!;
          if (v !== v) {
            bestIdx = r;
            break;
          }
          if (better(v, best)) {
            best = v;
            bestIdx = r;
          }
        }
      }
      od[o * inner + i] = bestIdx;
    }
  }
  return out;
}

/** Sum over `axis` (all axes when omitted). */
export function sum(x: Tensor | number, axis?: number | number[] | null, keepDims = false): Tensor {
  return reduceOp('sum', x, axis, keepDims);
}
/** Mean over `axis` (all axes when omitted); NaN over an empty axis. */
export function mean(x: Tensor | number, axis?: number | number[] | null, keepDims = false): Tensor {
  return reduceOp('mean', x, axis, keepDims);
}
/** Maximum over `axis` (all axes when omitted); NaN if any value is NaN. */
export function max(x: Tensor | number, axis?: number | number[] | null, keepDims = false): Tensor {
  return reduceOp('max', x, axis, keepDims);
}
/** Minimum over `axis` (all axes when omitted); NaN if any value is NaN. */
export function min(x: Tensor | number, axis?: number | number[] | null, keepDims = false): Tensor {
  return reduceOp('min', x, axis, keepDims);
}
/** Index (int32) of the largest value along `axis` (default 0, as tfjs); the first one on ties, NaN counts as largest. */
export function argmax(x: Tensor | number, axis = 0, keepDims = false): Tensor {
  return argReduceOp('argmax', x, axis, keepDims);
}
/** Index (int32) of the smallest value along `axis` (default 0, as tfjs); the first one on ties. */
export function argmin(x: Tensor | number, axis = 0, keepDims = false): Tensor {
  return argReduceOp('argmin', x, axis, keepDims);
}

/** @internal sums a broadcast gradient back down to `shape` */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, false), shape);
}

for (const kind of ['sum', 'mean', 'max', 'min'] as const) {
  const run = (axis: number | number[] | undefined, keep: boolean) => (x: Tensor) => reduceOp(kind, x, axis, keep);
  registerOp({
    name: kind,
    onnx: { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin' }[kind],
    kind: 'kernel',
    native: reduceCodes.includes(kind),
    differentiable: true,
    checks: [
      { label: 'all', shapes: [[3, 4]], run: run(undefined, false) },
      { label: 'last axis', shapes: [[2, 3, 5]], run: run(-1, false) },
      { label: 'first axis keepDims', shapes: [[4, 3]], run: run(0, true) },
      { label: 'middle axes', shapes: [[2, 3, 4, 2]], run: run([1, 2], false) },
      { label: 'scattered axes', shapes: [[2, 3, 4]], run: run([0, 2], true) },
      { label: 'scalar', shapes: [[]], run: run(undefined, false) },
      { label: 'long rows', shapes: [[3, 1031]], run: run(1, false), grad: false },
      // A channels-last global pool: 63 rows of 16 channels, blocks of 16 rows and a partial one.
      { label: 'pixels of few channels', shapes: [[2, 7, 9, 16]], run: run([1, 2], true), grad: false },
      ...(kind === 'sum' ? [{ label: 'empty axis', shapes: [[0, 3]], run: run(0, false) }] : []),
    ],
  });
}
for (const kind of ['argmax', 'argmin'] as const) {
  registerOp({
    name: kind,
    onnx: kind === 'argmax' ? 'ArgMax' : 'ArgMin',
    kind: 'kernel',
    native: argCodes.includes(kind),
    differentiable: false,
    checks: [
      { label: 'axis 0', shapes: [[5, 3]], run: (x) => argReduceOp(kind, x, 0, false) },
      { label: 'last axis', shapes: [[2, 3, 7]], run: (x) => argReduceOp(kind, x, -1, true) },
      { label: 'middle axis', shapes: [[2, 9, 4]], run: (x) => argReduceOp(kind, x, 1, false) },
    ],
  });
}
