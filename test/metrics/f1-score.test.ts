import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as metrics from '../../src/metrics';

// 3 classes, one-hot truth and probability rows.
const truth = [0, 0, 0, 1, 2, 2];
const predicted = [0, 0, 1, 1, 1, 2];
const oneHot = (cs: number[]) => tensor(cs.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))));
const probs = (cs: number[]) => tensor(cs.map((c) => [0, 1, 2].map((j) => (j === c ? 0.8 : 0.1))));

describe('F1Score averages', () => {
  const report = metrics.classificationReport(truth, predicted);

  it('macro is the mean of per-class F1 and weighted uses the class supports (as the report)', () => {
    const macro = new metrics.F1Score({ average: 'macro' });
    macro.update(oneHot(truth.slice(0, 3)), probs(predicted.slice(0, 3)));
    macro.update(oneHot(truth.slice(3)), probs(predicted.slice(3)));
    expect(macro.result()).toBeCloseTo(report.macroAvg.f1, 12);
    const weighted = new metrics.F1Score({ average: 'weighted' });
    weighted.update(oneHot(truth), probs(predicted));
    expect(weighted.result()).toBeCloseTo(report.weightedAvg.f1, 12);
    expect(Math.abs(macro.result() - weighted.result())).toBeGreaterThan(0.01);
  });

  it('micro pools every decision; threshold null predicts the arg max of each row', () => {
    const micro = new metrics.F1Score();
    micro.update(oneHot(truth), probs(predicted));
    // With one predicted class per row, micro F1 equals accuracy.
    expect(micro.result()).toBeCloseTo(report.accuracy, 12);
    const argmax = new metrics.F1Score({ threshold: null, average: 'macro' });
    // Scores below 0.5 still predict their row's top class.
    argmax.update(oneHot(truth), tensor(predicted.map((c) => [0, 1, 2].map((j) => (j === c ? 0.4 : 0.3)))));
    expect(argmax.result()).toBeCloseTo(report.macroAvg.f1, 12);
    argmax.reset();
    expect(argmax.result()).toBe(0);
  });

  it('rejects an unknown average', () => {
    expect(() => new metrics.F1Score({ average: 'samples' as never })).toThrow(/argument 'average' expected 'micro', 'macro' or 'weighted'/);
  });
});
