import { argError, describe } from '../errors';
import { checkedElements } from './budget';

/** A tensor's dimensions, outermost first. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Row-major element strides of a contiguous tensor. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when a view with these strides walks its elements in row-major order without gaps. */
/**
 * Whether the elements fill [offset, offset + size) exactly once in some axis order: a transposed
 * view of contiguous data (e.g. a channels-first view of a channels-last result). Elementwise work
 * can then run over the memory directly and keep the layout instead of copying into row-major order.
 */
export function isDensePermutation(shape: Shape, strides: readonly number[]): boolean {
  const axes = shape.map((d, i) => [d, strides[i]!] as const).filter(([d]) => d !== 1);
  if (axes.some(([d, st]) => d === 0 || st <= 0)) return false;
  axes.sort((a, b) => a[1] - b[1]);
  let expected = 1;
  for (const [d, st] of axes) {
    if (st !== expected) return false;
    expected *= d;
  }
  return true;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

export function checkShape(fn: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) argError(fn, arg, 'an array of non-negative integers', describe(shape));
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      argError(fn, arg, 'an array of non-negative integers', describe(shape));
    }
  }
  checkedElements(fn, `argument '${arg}'`, shape as number[]);
  return shape.slice() as number[];
}

/** NumPy broadcasting of two shapes; the error names both arguments and shapes. */
export function broadcastShapes(fn: string, a: Shape, b: Shape, argA = 'a', argB = 'b'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new Error(
        `${fn}: arguments '${argA}' and '${argB}' have shapes [${a.join(',')}] and [${b.join(',')}] ` +
          `that do not broadcast (dimension ${i} is ${da} vs ${db})`,
      );
    }
  }
  checkedElements(fn, 'the broadcast result', out);
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the broadcast shape `target`. */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

export function normalizeAxis(fn: string, axis: unknown, rank: number, arg = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    argError(fn, arg, `an integer in [${-rank}, ${Math.max(rank, 1) - 1}] for a rank-${rank} tensor`, describe(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

/** Axes as sorted unique non-negative integers; undefined/null means all axes. */
export function normalizeAxes(fn: string, axes: unknown, rank: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axes) ? axes : [axes];
  const out = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      argError(fn, 'axis', `integers in [${-rank}, ${rank - 1}] for a rank-${rank} tensor`, describe(axes));
    }
    const norm = a < 0 ? a + rank : a;
    if (out.has(norm)) argError(fn, 'axis', 'distinct axes', describe(axes));
    out.add(norm);
  }
  return [...out].sort((x, y) => x - y);
}
