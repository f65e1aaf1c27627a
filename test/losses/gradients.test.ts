import { describe, expect, it } from 'vitest';
import { type Tensor, sum, tensor, valueAndGrad } from '../../src';
import * as losses from '../../src/losses';
import type { Loss } from '../../src/losses';
import {
  type Rows,
  bceLogitsRef,
  bceRef,
  cceLogitsRef,
  cceRef,
  expectValues,
  huberRef,
  maeRef,
  mseRef,
  numericGrad,
  sparseLogitsRef,
  sparseRef,
  toRows,
} from './reference';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softmaxRows = (rows: Rows) =>
  rows.map((r) => {
    const e = r.map((x) => Math.exp(x - Math.max(...r)));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });

/** Value and gradient of sum(loss(yTrue, yPred)) with respect to yPred, through autograd. */
function lossGrad(loss: Loss, yTrue: Tensor, yPred: Tensor): { value: number; grad: number[] } {
  const r = valueAndGrad((p: Tensor) => sum(loss(yTrue, p)))(yPred);
  return { value: r.value.item(), grad: Array.from(r.grad.dataSync()) };
}

function allFinite(xs: ArrayLike<number>): boolean {
  return Array.from(xs).every(Number.isFinite);
}

describe('from logits equals from probabilities for moderate values', () => {
  const logits = [[-2, 1.5, 0.3], [0.5, -1, 3]];

  it('binaryCrossentropy(fromLogits) == binaryCrossentropy(sigmoid(x))', () => {
    const yt = tensor([[0, 1, 1], [1, 0, 0.5]]);
    const fromLogits = losses.binaryCrossentropy({ fromLogits: true })(yt, tensor(logits));
    const fromProbs = losses.binaryCrossentropy(yt, tensor(logits.map((r) => r.map(sigmoid))));
    expectValues(fromLogits, Array.from(fromProbs.dataSync()), 1e-5);
  });

  it('categoricalCrossentropy(fromLogits) == categoricalCrossentropy(softmax(x)), and the sparse form', () => {
    const yt = tensor([[0, 1, 0], [0.2, 0, 0.8]]);
    const probs = tensor(softmaxRows(logits));
    expectValues(losses.categoricalCrossentropy({ fromLogits: true })(yt, tensor(logits)),
      Array.from(losses.categoricalCrossentropy(yt, probs).dataSync()), 1e-5);
    const labels = tensor([2, 0], 'int32');
    expectValues(losses.sparseCategoricalCrossentropy({ fromLogits: true })(labels, tensor(logits)),
      Array.from(losses.sparseCategoricalCrossentropy(labels, probs).dataSync()), 1e-5);
  });
});

describe('stability', () => {
  it('binary crossentropy from logits +-100: exact finite losses and gradients', () => {
    const yt = tensor([[0, 1, 1, 0]]);
    const x = tensor([[100, -100, 100, -100]]);
    const { value, grad } = lossGrad(losses.binaryCrossentropy({ fromLogits: true }), yt, x);
    // Wrong-way logits cost |x| each: (100 + 100 + 0 + 0) / 4.
    expect(value).toBeCloseTo(50, 4);
    expect(allFinite(grad)).toBe(true);
    // d/dx = (sigmoid(x) - y) / 4.
    expectValues(grad, [0.25, -0.25, 0, 0], 1e-6);
  });

  it('categorical and sparse crossentropy from logits +-100: finite losses and gradients', () => {
    const x = tensor([[100, -100, 0], [-100, 100, 0]]);
    const cce = lossGrad(losses.categoricalCrossentropy({ fromLogits: true }), tensor([[0, 1, 0], [0, 1, 0]]), x);
    expect(cce.value).toBeCloseTo(200, 3); // 200 for the wrong row, ~0 for the right one
    expect(allFinite(cce.grad)).toBe(true);
    expectValues(cce.grad, [1, -1, 0, 0, 0, 0], 1e-6); // softmax - y
    const sparse = lossGrad(losses.sparseCategoricalCrossentropy({ fromLogits: true }), tensor([1, 1], 'int32'), x);
    expect(sparse.value).toBeCloseTo(200, 3);
    expectValues(sparse.grad, cce.grad, 1e-6);
  });

  it('probabilities of exactly 0 and 1 stay finite thanks to clipping', () => {
    const p = tensor([[0, 1, 0], [1, 0, 0]]);
    const yt = tensor([[1, 0, 0], [1, 0, 0]]);
    for (const loss of [losses.binaryCrossentropy, losses.categoricalCrossentropy]) {
      const { value, grad } = lossGrad(loss, yt, p);
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(5);
      expect(allFinite(grad)).toBe(true);
    }
    const sparse = lossGrad(losses.sparseCategoricalCrossentropy, tensor([0, 0], 'int32'), p);
    // Row 0 picks p = 0 -> -log(1e-7); row 1 picks p = 1 -> -log(1 - 2^-23) ~ 1.2e-7.
    expect(sparse.value).toBeCloseTo(-Math.log(1e-7), 3);
    expect(allFinite(sparse.grad)).toBe(true);
  });
});

describe('gradients match finite differences of the float64 formulas', () => {
  // Points away from kinks (|e| = delta, e = 0) and from the clipping bounds.
  const cases: { name: string; loss: Loss; yTrue: Rows | number[]; yPred: Rows; ref: (t: Rows, p: Rows) => number[] }[] = [
    { name: 'meanSquaredError', loss: losses.meanSquaredError, yTrue: [[1, 2, 3], [0, -1, 0.5]], yPred: [[1.5, 1, 2.5], [2, -0.7, -1]], ref: mseRef },
    { name: 'meanAbsoluteError', loss: losses.meanAbsoluteError, yTrue: [[1, 2, 3], [0, -1, 0.5]], yPred: [[1.5, 1, 2.5], [2, -0.7, -1]], ref: maeRef },
    { name: 'huber', loss: losses.huber, yTrue: [[1, 2, 3], [0, -1, 0.5]], yPred: [[1.5, 1.2, 2.5], [2, -0.7, -1]], ref: (t, p) => huberRef(t, p) },
    { name: 'huber delta 0.4', loss: losses.huber({ delta: 0.4 }), yTrue: [[1, 2, 3], [0, -1, 0.5]], yPred: [[1.5, 1.2, 2.9], [2, -0.7, -1]], ref: (t, p) => huberRef(t, p, 0.4) },
    { name: 'binaryCrossentropy', loss: losses.binaryCrossentropy, yTrue: [[0, 1, 1], [1, 0, 0.3]], yPred: [[0.1, 0.8, 0.6], [0.3, 0.2, 0.9]], ref: (t, p) => bceRef(t, p) },
    { name: 'binaryCrossentropy smoothed', loss: losses.binaryCrossentropy({ labelSmoothing: 0.1 }), yTrue: [[0, 1, 1], [1, 0, 0]], yPred: [[0.1, 0.8, 0.6], [0.3, 0.2, 0.9]], ref: (t, p) => bceRef(t, p, 0.1) },
    { name: 'binaryCrossentropy fromLogits', loss: losses.binaryCrossentropy({ fromLogits: true }), yTrue: [[0, 1, 1], [1, 0, 0.3]], yPred: [[-2, 1.5, 0.3], [0.5, -1, 3]], ref: (t, p) => bceLogitsRef(t, p) },
    { name: 'categoricalCrossentropy', loss: losses.categoricalCrossentropy, yTrue: [[0, 1, 0], [0.2, 0, 0.8]], yPred: [[0.2, 0.7, 0.1], [0.3, 0.3, 0.5]], ref: (t, p) => cceRef(t, p) },
    { name: 'categoricalCrossentropy smoothed', loss: losses.categoricalCrossentropy({ labelSmoothing: 0.2 }), yTrue: [[0, 1, 0], [0, 0, 1]], yPred: [[0.2, 0.7, 0.1], [0.3, 0.3, 0.5]], ref: (t, p) => cceRef(t, p, 0.2) },
    { name: 'categoricalCrossentropy fromLogits', loss: losses.categoricalCrossentropy({ fromLogits: true }), yTrue: [[0, 1, 0], [0.2, 0, 0.8]], yPred: [[1, 2, 3], [-1, 0, 4]], ref: (t, p) => cceLogitsRef(t, p) },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { value, grad } = lossGrad(c.loss, tensor(c.yTrue), tensor(c.yPred));
      const t = c.yTrue as Rows;
      const cols = c.yPred[0]!.length;
      const f = (flat: number[]) => c.ref(t, toRows(flat, cols)).reduce((a, b) => a + b, 0);
      expect(value).toBeCloseTo(f(c.yPred.flat()), 5);
      expectValues(grad, numericGrad(f, c.yPred.flat()), 2e-5);
    });
  }

  for (const fromLogits of [false, true]) {
    it(`sparseCategoricalCrossentropy${fromLogits ? ' fromLogits' : ''}`, () => {
      const labels = [1, 2];
      const yp = fromLogits ? [[1, 2, 3], [-1, 0, 4]] : [[0.2, 0.7, 0.1], [0.3, 0.3, 0.5]];
      const ref = fromLogits ? sparseLogitsRef : sparseRef;
      const { value, grad } = lossGrad(losses.sparseCategoricalCrossentropy({ fromLogits }), tensor(labels, 'int32'), tensor(yp));
      const f = (flat: number[]) => ref(labels, toRows(flat, 3)).reduce((a, b) => a + b, 0);
      expect(value).toBeCloseTo(f(yp.flat()), 5);
      expectValues(grad, numericGrad(f, yp.flat()), 2e-5);
    });
  }
});
