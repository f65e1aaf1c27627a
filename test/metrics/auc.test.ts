import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as metrics from '../../src/metrics';

/** Keras's AUC computed literally: a confusion matrix at every threshold, then the trapezoidal rule. */
function kerasAuc(labels: number[], preds: number[], weights: number[] = labels.map(() => 1), n = 200): number {
  const t = [-1e-7, ...Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1)), 1 + 1e-7].map(Math.fround);
  const tp = t.map((th) => labels.reduce((s, y, i) => s + (y && preds[i]! > th ? weights[i]! : 0), 0));
  const fp = t.map((th) => labels.reduce((s, y, i) => s + (!y && preds[i]! > th ? weights[i]! : 0), 0));
  const pos = labels.reduce((s, y, i) => s + (y ? weights[i]! : 0), 0);
  const neg = labels.reduce((s, y, i) => s + (y ? 0 : weights[i]!), 0);
  let area = 0;
  for (let i = 0; i < n - 1; i++) area += ((fp[i]! - fp[i + 1]!) / neg) * ((tp[i]! + tp[i + 1]!) / pos / 2);
  return area;
}

describe('AUC (ROC, 200 thresholds)', () => {
  it('separated predictions give the exact AUC: 3 of 4 positive/negative pairs ordered right', () => {
    const m = new metrics.AUC();
    m.update(tensor([0, 0, 1, 1]), tensor([0.1, 0.4, 0.35, 0.8]));
    expect(m.result()).toBeCloseTo(0.75, 6);
  });

  it('accumulates over batches: two perfect batches can make an imperfect epoch', () => {
    const m = new metrics.AUC();
    m.update(tensor([[0], [1]]), tensor([[0.1], [0.35]]));
    expect(m.result()).toBeCloseTo(1, 6);
    m.update(tensor([[0], [1]]), tensor([[0.4], [0.8]]));
    expect(m.result()).toBeCloseTo(0.75, 6); // each batch alone has AUC 1
    m.reset();
    expect(m.result()).toBe(0);
  });

  it('ties count half, as the trapezoid between thresholds does', () => {
    const m = new metrics.AUC();
    m.update(tensor([0, 1]), tensor([0.5, 0.5]));
    expect(m.result()).toBeCloseTo(0.5, 6);
  });

  it('matches the literal threshold computation on many values, ties, 0, 1 and values on thresholds', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const preds = Array.from({ length: 300 }, () => Math.fround(rand()));
    preds.push(0, 1, 0, 1, Math.fround(100 / 199), Math.fround(37 / 199), 0.5, 0.5);
    const labels = preds.map((p) => (rand() < 0.3 + 0.5 * p ? 1 : 0));
    const weights = preds.map(() => Math.fround(0.5 + rand()));
    const m = new metrics.AUC();
    m.update(tensor(labels.slice(0, 150)), tensor(preds.slice(0, 150)));
    m.update(tensor(labels.slice(150)), tensor(preds.slice(150)));
    expect(m.result()).toBeCloseTo(kerasAuc(labels, preds), 6);
    const w = new metrics.AUC({ numThresholds: 50 });
    w.update(tensor(labels), tensor(preds), tensor(weights));
    expect(w.result()).toBeCloseTo(kerasAuc(labels, preds, weights, 50), 6);
  });

  it('per-sample weights cover every output of the sample; fromLogits applies a sigmoid', () => {
    const m = new metrics.AUC();
    m.update(tensor([[0, 1], [1, 0]]), tensor([[0.2, 0.9], [0.3, 0.6]]), tensor([1, 2]));
    expect(m.result()).toBeCloseTo(kerasAuc([0, 1, 1, 0], [0.2, 0.9, 0.3, 0.6], [1, 1, 2, 2]), 6);
    const logits = new metrics.AUC({ fromLogits: true });
    logits.update(tensor([0, 0, 1, 1]), tensor([-2.2, -0.4, -0.6, 1.4]));
    expect(logits.result()).toBeCloseTo(0.75, 6);
  });

  it('rejects predictions outside [0, 1] and bad options', () => {
    expect(() => new metrics.AUC().update(tensor([0, 1]), tensor([0.5, 1.5]))).toThrow(
      "auc: argument 'yPred' expected probabilities in [0, 1] (set fromLogits: true for logits), got 1.5 at index 1",
    );
    expect(() => new metrics.AUC({ numThresholds: 2 })).toThrow(/numThresholds/);
  });
});

describe('AUC state on errors', () => {
  it('a batch with a bad prediction adds nothing', () => {
    const m = new metrics.AUC();
    m.update(tensor([0, 1]), tensor([0.1, 0.9]));
    expect(() => m.update(tensor([1, 0, 1]), tensor([0.2, 0.95, Number.NaN]))).toThrow(/got NaN at index 2/);
    expect(m.result()).toBeCloseTo(1, 6);
  });
});
