import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { gather } from '../ops/movement';
import { slice } from '../ops/views';
import { Generator, globalGenerator } from '../random/generator';

/** Normalizes x or y of fit/evaluate/predict to a list of tensors with one sample count. */
export function asTensorList(fn: string, arg: string, value: unknown): Tensor[] {
  const list = value instanceof Tensor ? [value] : Array.isArray(value) ? value : null;
  if (!list || list.length === 0 || !list.every((t) => t instanceof Tensor)) {
    const plain = Array.isArray(value) && !value.some((t) => t instanceof Tensor);
    argError(fn, arg, 'a Tensor or an array of Tensors', `${describe(value)}${plain ? ' (make it a Tensor with tf.tensor(...))' : ''}`);
  }
  for (const t of list as Tensor[]) {
    if (t.rank === 0) argError(fn, arg, 'tensors with a batch dimension', 'a scalar');
  }
  return list as Tensor[];
}

export function sampleCount(fn: string, groups: { name: string; tensors: Tensor[] }[]): number {
  let n: number | null = null;
  let first = '';
  for (const g of groups) {
    for (const t of g.tensors) {
      const m = t.shape[0]!;
      if (n === null) {
        n = m;
        first = g.name;
      } else if (m !== n) {
        argError(fn, g.name, `${n} samples like ${first}`, `${m} (shape [${t.shape.join(',')}])`);
      }
    }
  }
  return n ?? 0;
}

/** A random permutation of 0..n-1 (Fisher-Yates on the seedable generator). */
export function permutation(n: number, g: Generator = globalGenerator()): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.uniform() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Rows [start, start + size) of each tensor: a view when reading in order, one gather per tensor
 * when shuffled.
 */
export function takeRows(tensors: Tensor[], order: Int32Array | null, start: number, size: number): Tensor[] {
  if (!order) return tensors.map((t) => slice(t, [start], [size]));
  const idx = Tensor.empty([size], 'int32');
  (idx.buffer as Int32Array).set(order.subarray(start, start + size));
  return tensors.map((t) => gather(t, idx, 0));
}
