import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src';
import * as metrics from '../../src/metrics';

const col = (xs: number[]): Tensor => tensor(xs.map((x) => [x]));

// Batch 1: TP 1 (0.9), TN 2 -> precision 1, recall 1, F1 1.
const b1 = { yTrue: col([1, 0, 0]), yPred: col([0.9, 0.2, 0.4]) };
// Batch 2: TP 1 (0.8), FN 2 (0.3, 0.1), FP 1 (0.7) -> precision 1/2, recall 1/3, F1 2/5.
const b2 = { yTrue: col([1, 1, 1, 0]), yPred: col([0.8, 0.3, 0.1, 0.7]) };
// Epoch: TP 2, FP 1, FN 2.
const epoch = { precision: 2 / 3, recall: 2 / 4, f1: (2 * 2) / (2 * 2 + 1 + 2) };
const batchMeans = { precision: (1 + 1 / 2) / 2, recall: (1 + 1 / 3) / 2, f1: (1 + 2 / 5) / 2 };

describe('precision, recall and F1 count over the whole epoch', () => {
  const cases = [
    ['precision', () => new metrics.Precision()],
    ['recall', () => new metrics.Recall()],
    ['f1', () => new metrics.F1Score()],
  ] as const;

  for (const [key, make] of cases) {
    it(`${key}: two batches give the epoch value, not the mean of batch values`, () => {
      const m = make();
      m.update(b1.yTrue, b1.yPred);
      expect(m.result()).toBeCloseTo(1, 6);
      m.update(b2.yTrue, b2.yPred);
      expect(m.result()).toBeCloseTo(epoch[key], 6);
      expect(Math.abs(m.result() - batchMeans[key])).toBeGreaterThan(0.05);
      m.reset();
      expect(m.result()).toBe(0);
      m.update(b2.yTrue, b2.yPred);
      expect(m.result()).toBeCloseTo({ precision: 1 / 2, recall: 1 / 3, f1: 2 / 5 }[key], 6);
    });
  }

  it('sample weights scale each sample\'s counts', () => {
    const w = tensor([2, 1, 1, 3]);
    const p = new metrics.Precision();
    const r = new metrics.Recall();
    const f = new metrics.F1Score();
    for (const m of [p, r, f]) m.update(b2.yTrue, b2.yPred, w);
    // TP 2 (weight 2), FN 1 + 1, FP 3.
    expect(p.result()).toBeCloseTo(2 / 5, 6);
    expect(r.result()).toBeCloseTo(2 / 4, 6);
    expect(f.result()).toBeCloseTo((2 * 2) / (2 * 2 + 3 + 2), 6);
  });

  it('labels of shape [batch] with outputs [batch, 1]; a custom threshold', () => {
    const p = new metrics.Precision({ threshold: 0.25 });
    p.update(tensor([1, 1, 1, 0]), b2.yPred);
    // Positives at 0.8, 0.3, 0.7: TP 2, FP 1.
    expect(p.result()).toBeCloseTo(2 / 3, 6);
    expect(p.threshold).toBe(0.25);
  });

  it('one-hot multi-class labels are micro-averaged over every (sample, class) decision', () => {
    const yTrue = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const yPred = tensor([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]);
    // Decisions > 0.5: (0,0) TP, (1,0) FP, (2,2) TP; missed (1,1) -> TP 2, FP 1, FN 1.
    const p = new metrics.Precision();
    const r = new metrics.Recall();
    const f = new metrics.F1Score();
    for (const m of [p, r, f]) m.update(yTrue, yPred);
    expect(p.result()).toBeCloseTo(2 / 3, 6);
    expect(r.result()).toBeCloseTo(2 / 3, 6);
    expect(f.result()).toBeCloseTo(2 / 3, 6);
  });

  it('names and bad inputs', () => {
    expect(new metrics.Precision().name).toBe('precision');
    expect(new metrics.F1Score({ name: 'f1' }).name).toBe('f1');
    expect(() => new metrics.Recall().update(col([1, 0]), col([0.5, 0.5, 0.5]))).toThrow(
      "recall: argument 'yTrue' expected the same shape as yPred [3,1], got shape [2,1]",
    );
    expect(() => new metrics.Recall().update(col([1, 0]), col([0.5, 0.5]), tensor([1, 2, 3]))).toThrow(
      /recall: argument 'sampleWeight' expected a shape that lines up with the values' shape \[2,1\].*got shape \[3\]/,
    );
    expect(() => new metrics.Precision({ threshold: Number.NaN })).toThrow(/threshold/);
  });
});
