import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { add, mul } from '../ops/binary';
import { sum } from '../ops/reduce';
import { abs, square } from '../ops/unary';

/** A weight or activity penalty added to the training loss. */
export interface Regularizer {
  readonly className: 'L1L2';
  readonly l1: number;
  readonly l2: number;
  /** The penalty for `x`: l1 * sum|x| + l2 * sum x^2, as a scalar tensor on the tape. */
  apply(x: Tensor): Tensor;
  getConfig(): { l1: number; l2: number };
}

function make(l1: number, l2: number): Regularizer {
  for (const [name, v] of [['l1', l1], ['l2', l2]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) argError('regularizer', name, 'a non-negative number', describe(v));
  }
  return {
    className: 'L1L2',
    l1,
    l2,
    apply(x: Tensor): Tensor {
      let penalty: Tensor | null = null;
      if (l1 > 0) penalty = mul(sum(abs(x)), l1);
      if (l2 > 0) {
        const p2 = mul(sum(square(x)), l2);
        penalty = penalty ? add(penalty, p2) : p2;
      }
      return penalty ?? mul(sum(x), 0);
    },
    getConfig: () => ({ l1, l2 }),
  };
}

/** Regularizer factories (tfjs names; Keras default strength 0.01). */
export const regularizers = {
  l1: (o: { l1?: number } = {}) => make(o.l1 ?? 0.01, 0),
  l2: (o: { l2?: number } = {}) => make(0, o.l2 ?? 0.01),
  l1l2: (o: { l1?: number; l2?: number } = {}) => make(o.l1 ?? 0.01, o.l2 ?? 0.01),
};

export type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | Regularizer | { className: string; config: { l1: number; l2: number } };

export function getRegularizer(fn: string, arg: string, id: RegularizerIdentifier | null | undefined): Regularizer | null {
  if (id === undefined || id === null) return null;
  if (typeof id === 'string') {
    const key = id.toLowerCase().replace('_', '') as 'l1' | 'l2' | 'l1l2';
    if (key in regularizers) return regularizers[key]();
  } else if (typeof id === 'object' && 'apply' in id) {
    return id;
  } else if (typeof id === 'object' && id.className === 'L1L2') {
    return make(id.config.l1, id.config.l2);
  }
  return argError(fn, arg, "'l1', 'l2', 'l1l2' or a regularizer", describe(id));
}
