import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { regularizers, type Tensor } from '../../src';
import { getRegularizer } from '../../src/regularizers/regularizers';
import { expectArrayClose, onBackend, values } from '../helpers/layer-check';

const W = [[0.5, -2, 0], [1.5, -0.25, 3]];
const sumAbs = W.flat().reduce((s, v) => s + Math.abs(v), 0); // 7.25
const sumSq = W.flat().reduce((s, v) => s + v * v, 0); // 15.5625

describe('regularizer penalty values', () => {
  it('hand sums of the fixture', () => {
    expect(sumAbs).toBe(7.25);
    expect(sumSq).toBe(15.5625);
  });

  it('l1: l1 * sum|x|', () => {
    const p = regularizers.l1({ l1: 0.1 }).apply(tf.tensor(W));
    expect(p.shape).toEqual([]);
    expect(p.item()).toBeCloseTo(0.725, 6);
  });

  it('l2: l2 * sum(x^2)', () => {
    expect(regularizers.l2({ l2: 0.2 }).apply(tf.tensor(W)).item()).toBeCloseTo(3.1125, 6);
  });

  it('l1l2: both terms', () => {
    expect(regularizers.l1l2({ l1: 0.1, l2: 0.2 }).apply(tf.tensor(W)).item()).toBeCloseTo(0.725 + 3.1125, 6);
  });

  it('default strengths are 0.01 (Keras)', () => {
    expect(regularizers.l1().apply(tf.tensor(W)).item()).toBeCloseTo(0.01 * sumAbs, 6);
    expect(regularizers.l2().apply(tf.tensor(W)).item()).toBeCloseTo(0.01 * sumSq, 6);
    expect(regularizers.l1l2().apply(tf.tensor(W)).item()).toBeCloseTo(0.01 * (sumAbs + sumSq), 6);
    expect(regularizers.l1().getConfig()).toEqual({ l1: 0.01, l2: 0 });
    expect(regularizers.l1l2({ l1: 0.3 }).getConfig()).toEqual({ l1: 0.3, l2: 0.01 });
  });

  it('zero strengths give a zero scalar penalty', () => {
    const p = regularizers.l1l2({ l1: 0, l2: 0 }).apply(tf.tensor(W));
    expect(p.shape).toEqual([]);
    expect(p.item()).toBe(0);
  });

  it('native and js agree', () => {
    const x = tf.tensor(Array.from({ length: 1000 }, (_, i) => Math.sin(i)));
    const r = regularizers.l1l2({ l1: 0.3, l2: 0.7 });
    const nat = onBackend('native', () => r.apply(x).item());
    const js = onBackend('js', () => r.apply(x).item());
    expect(nat).toBeCloseTo(js, 3);
  });
});

describe('regularizer gradients', () => {
  it('d/dx [l1 sum|x| + l2 sum x^2] = l1 sign(x) + 2 l2 x (away from 0), matching finite differences', () => {
    const r = regularizers.l1l2({ l1: 0.1, l2: 0.2 });
    const x = [[0.5, -2, 0.75], [1.5, -0.25, 3]];
    const g = values(tf.grad((t: Tensor) => r.apply(t))(tf.tensor(x)));
    const hand = x.flat().map((v) => 0.1 * Math.sign(v) + 2 * 0.2 * v);
    expectArrayClose(g, hand, 1e-5, 1e-6, 'hand');
    const eps = 1e-3;
    const penalty = (vals: number[]) => vals.reduce((s, v) => s + 0.1 * Math.abs(v) + 0.2 * v * v, 0);
    const flat = x.flat();
    const numeric = flat.map((_, i) => {
      const p = flat.slice();
      const m = flat.slice();
      p[i]! += eps;
      m[i]! -= eps;
      return (penalty(p) - penalty(m)) / (2 * eps);
    });
    expectArrayClose(g, numeric, 1e-4, 1e-6, 'finite differences');
  });

  it('penalties are on the tape so they train a weight toward zero', () => {
    const w = tf.tensor([2, -4], { requiresGrad: true });
    tf.backward(regularizers.l2({ l2: 0.5 }).apply(w));
    expect(values(w.grad!)).toEqual([2, -4]);
  });
});

describe('regularizer validation and lookup', () => {
  it('rejects negative, non-finite and non-number strengths', () => {
    for (const bad of [-0.1, Number.NaN, Infinity, '0.1' as unknown as number]) {
      expect(() => regularizers.l1({ l1: bad })).toThrow(/regularizer: argument 'l1' expected a non-negative number/);
      expect(() => regularizers.l2({ l2: bad })).toThrow(/regularizer: argument 'l2' expected a non-negative number/);
    }
    expect(() => regularizers.l1l2({ l1: 0.1, l2: -1 })).toThrow(/'l2'/);
  });

  it('getRegularizer resolves names (any case, Keras l1_l2), objects, saved configs and null', () => {
    expect(getRegularizer('f', 'r', 'l1')!.getConfig()).toEqual({ l1: 0.01, l2: 0 });
    expect(getRegularizer('f', 'r', 'l2')!.getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(getRegularizer('f', 'r', 'l1l2')!.getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(getRegularizer('f', 'r', 'l1_l2' as never)!.getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(getRegularizer('f', 'r', 'L2' as never)!.getConfig()).toEqual({ l1: 0, l2: 0.01 });
    const r = regularizers.l2({ l2: 0.3 });
    expect(getRegularizer('f', 'r', r)).toBe(r);
    expect(getRegularizer('f', 'r', { className: 'L1L2', config: { l1: 0.5, l2: 0.25 } })!.getConfig()).toEqual({ l1: 0.5, l2: 0.25 });
    expect(getRegularizer('f', 'r', null)).toBeNull();
    expect(getRegularizer('f', 'r', undefined)).toBeNull();
  });

  it('getRegularizer rejects unknown identifiers and bad saved strengths', () => {
    expect(() => getRegularizer('dense', 'kernelRegularizer', 'l3' as never)).toThrow(/dense: argument 'kernelRegularizer' expected 'l1', 'l2', 'l1l2' or a regularizer/);
    expect(() => getRegularizer('dense', 'kernelRegularizer', { className: 'Other', config: { l1: 0, l2: 0 } })).toThrow(/kernelRegularizer/);
    expect(() => getRegularizer('dense', 'kernelRegularizer', { className: 'L1L2', config: { l1: -1, l2: 0 } })).toThrow(/non-negative/);
  });
});
