import { Tensor, tensor, transpose } from '../../src';
import type { DType } from '../../src';
import type { Domain } from '../../src/ops/registry';
import { Generator } from '../../src/random/generator';

/** Draws one value from a registry domain. */
export function sample(g: Generator, domain: Domain): number {
  const u = g.uniform();
  switch (domain) {
    case 'positive':
      return 0.5 + 1.5 * u;
    case 'awayFromZero':
      return (0.2 + 1.8 * u) * (g.uniform() < 0.5 ? -1 : 1);
    case 'unit':
      return -0.9 + 1.8 * u;
    default:
      return -2 + 4 * u;
  }
}

export type Layout = 'contiguous' | 'transposed' | 'offset';

/**
 * A tensor of `shape` whose memory layout is `layout`: contiguous; a transposed view of a
 * differently shaped storage (non-contiguous strides); or a slice at a non-zero offset.
 */
export function makeInput(g: Generator, shape: number[], dtype: DType, domain: Domain, intRange: [number, number], layout: Layout): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (dtype === 'int32' ? g.int(intRange[0], intRange[1]) : sample(g, domain)));
  const base = tensor(values, shape, dtype);
  if (layout === 'transposed' && shape.length >= 2) {
    const perm = shape.map((_, i) => shape.length - 1 - i);
    // Store the values transposed, then view them back in the requested shape.
    const stored = tensor(Array.from(transpose(base, perm).contiguous().dataSync()), perm.map((p) => shape[p]!), dtype);
    return transpose(stored, perm);
  }
  if (layout === 'offset') {
    const padded = tensor([0, 0, 0, ...values], [n + 3], dtype);
    return padded.slice([3], [n]).reshape(shape);
  }
  return base;
}
