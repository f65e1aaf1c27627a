import { describe, expect, it } from 'vitest';
import { type Tensor, abs, mean, sub, tensor } from '../../src';
import * as metrics from '../../src/metrics';
import { Accuracy } from '../../src/metrics';

describe('Mean (the epoch loss tracker)', () => {
  it('weights each batch mean by its batch size', () => {
    const m = new metrics.Mean('loss');
    m.update(2, 3); // batch of 3 with mean loss 2
    m.update(4, 1); // batch of 1 with mean loss 4
    expect(m.result()).toBeCloseTo((2 * 3 + 4 * 1) / 4, 12);
    expect(m.name).toBe('loss');
    m.reset();
    expect(m.result()).toBe(0);
  });

  it('averages every element of tensors, optionally weighted', () => {
    const m = new metrics.Mean();
    m.update(tensor([1, 2, 3]));
    m.update(tensor([[10], [20]]), tensor([1, 3]));
    expect(m.result()).toBeCloseTo((1 + 2 + 3 + 10 + 60) / (3 + 4), 6);
    const scalarWeight = new metrics.Mean();
    scalarWeight.update(tensor([1, 3]), 2);
    scalarWeight.update(6);
    expect(scalarWeight.result()).toBeCloseTo((2 + 6 + 6) / 5, 6);
    expect(() => m.update(1, tensor([1]))).toThrow(/sampleWeight/);
  });
});

describe('mse / mae metrics', () => {
  it('average the per-sample error over all samples of the epoch', () => {
    const mse = metrics.getMetric('mse');
    const mae = new metrics.MeanAbsoluteError();
    // Batch 1: per-sample mse (1 + 0) / 2 = 0.5 and (4 + 4) / 2 = 4; batch 2: (0.25 + 0.25) / 2 = 0.25.
    mse.update(tensor([[0, 0], [1, 1]]), tensor([[1, 0], [3, -1]]));
    mae.update(tensor([[0, 0], [1, 1]]), tensor([[1, 0], [3, -1]]));
    mse.update(tensor([[2, 2]]), tensor([[2.5, 1.5]]));
    mae.update(tensor([[2, 2]]), tensor([[2.5, 1.5]]));
    expect(mse.result()).toBeCloseTo((0.5 + 4 + 0.25) / 3, 6);
    expect(mae.result()).toBeCloseTo((0.5 + 2 + 0.5) / 3, 6);
    expect(mse.name).toBe('mse');
    expect(mae.name).toBe('meanAbsoluteError');
  });

  it('weighted: sum(w * value) / sum(w)', () => {
    const m = new metrics.MeanSquaredError();
    m.update(tensor([[0], [0]]), tensor([[1], [3]]), tensor([3, 1]));
    expect(m.result()).toBeCloseTo((3 * 1 + 1 * 9) / 4, 6);
  });
});

describe('getMetric', () => {
  it('resolves names in tfjs camelCase, Keras snake_case and class spellings, keeping the given name', () => {
    const cases: [string, new (...args: never[]) => metrics.Metric][] = [
      ['binaryAccuracy', metrics.BinaryAccuracy],
      ['binary_accuracy', metrics.BinaryAccuracy],
      ['categoricalAccuracy', metrics.CategoricalAccuracy],
      ['sparse_categorical_accuracy', metrics.SparseCategoricalAccuracy],
      ['precision', metrics.Precision],
      ['recall', metrics.Recall],
      ['f1', metrics.F1Score],
      ['f1_score', metrics.F1Score],
      ['auc', metrics.AUC],
      ['AUC', metrics.AUC],
      ['acc', Accuracy],
      ['meanSquaredError', metrics.MeanMetricWrapper],
      ['mean_absolute_error', metrics.MeanMetricWrapper],
      ['binaryCrossentropy', metrics.MeanMetricWrapper],
    ];
    for (const [name, cls] of cases) {
      const m = metrics.getMetric(name);
      expect(m).toBeInstanceOf(cls);
      expect(m.name).toBe(name);
    }
  });

  it('every call gives fresh state', () => {
    const a = metrics.getMetric('precision');
    const b = metrics.getMetric('precision');
    expect(a).not.toBe(b);
  });

  it('a loss name gives the epoch mean of that loss', () => {
    const m = metrics.getMetric('categorical_crossentropy');
    m.update(tensor([[0, 1]]), tensor([[0.5, 0.5]]));
    m.update(tensor([[1, 0], [1, 0]]), tensor([[0.25, 0.75], [0.25, 0.75]]));
    expect(m.result()).toBeCloseTo((Math.log(2) + 2 * Math.log(4)) / 3, 5);
  });

  it('accepts Metric objects as they are and per-sample functions by their name', () => {
    const p = new metrics.Precision();
    expect(metrics.getMetric(p)).toBe(p);
    function meanAbsDiff(yTrue: Tensor, yPred: Tensor): Tensor {
      return mean(abs(sub(yTrue, yPred)), -1);
    }
    const m = metrics.getMetric(meanAbsDiff);
    expect(m.name).toBe('meanAbsDiff');
    m.update(tensor([[1, 1]]), tensor([[0, 1]]));
    expect(m.result()).toBeCloseTo(0.5, 6);
  });

  it('unknown names throw an Error listing the valid names', () => {
    expect(() => metrics.getMetric('accuracyy')).toThrow(
      /^getMetric: unknown metric "accuracyy"; valid names are accuracy, acc, binaryAccuracy, .*auc, meanSquaredError, .*mse/,
    );
    expect(() => metrics.getMetric(3 as never)).toThrow(/getMetric: argument 'identifier'/);
  });

  it('works on predictions that require gradients', () => {
    const yPred = tensor([[0.2, 0.8]], { requiresGrad: true });
    const m = metrics.getMetric('mse');
    m.update(tensor([[0, 1]]), yPred);
    expect(yPred.grad).toBeNull();
    expect(m.result()).toBeCloseTo(0.04, 6);
  });
});
