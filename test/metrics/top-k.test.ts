import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { tensor } from '../../src';
import * as metrics from '../../src/metrics';

const scores = tensor([
  [0.1, 0.5, 0.3, 0.1],
  [0.4, 0.3, 0.2, 0.1],
  [0.25, 0.25, 0.25, 0.25],
]);

describe('top-k categorical accuracy', () => {
  it('hits when the true class is among the k highest scores (ties at the boundary count, as in_top_k)', () => {
    const labels = tensor([2, 2, 3], [3], 'int32');
    // Row 0: class 2 is second; row 1: class 2 third; row 2: all tied.
    expect(Array.from(metrics.sparseTopKCategoricalAccuracy(labels, scores, 1).dataSync())).toEqual([0, 0, 1]);
    expect(Array.from(metrics.sparseTopKCategoricalAccuracy(labels, scores, 2).dataSync())).toEqual([1, 0, 1]);
    expect(Array.from(metrics.sparseTopKCategoricalAccuracy(labels, scores, 3).dataSync())).toEqual([1, 1, 1]);
    const oneHot = tf.oneHot(labels, 4);
    expect(Array.from(metrics.topKCategoricalAccuracy(oneHot, scores, 2).dataSync())).toEqual([1, 0, 1]);
  });

  it('k = 1 equals categorical accuracy on rows without ties', () => {
    const p = tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]);
    const y = tensor([[0, 1], [0, 1], [1, 0]]);
    expect(Array.from(metrics.topKCategoricalAccuracy(y, p, 1).dataSync())).toEqual(Array.from(metrics.categoricalAccuracy(y, p).dataSync()));
  });

  it('the epoch metrics average over batches, and compile resolves the names with k = 5', () => {
    const m = new metrics.SparseTopKCategoricalAccuracy({ k: 2 });
    m.update(tensor([2, 2, 3]), scores);
    m.update(tensor([0]), tensor([[0.1, 0.2, 0.3, 0.4]]));
    expect(m.result()).toBeCloseTo(2 / 4, 12);
    const named = metrics.getMetric('sparse_top_k_categorical_accuracy');
    expect(named).toBeInstanceOf(metrics.SparseTopKCategoricalAccuracy);
    expect((named as metrics.SparseTopKCategoricalAccuracy).k).toBe(5);
    expect(metrics.getMetric('topKCategoricalAccuracy')).toBeInstanceOf(metrics.TopKCategoricalAccuracy);
  });

  it('works as a compile metric in fit', async () => {
    tf.manualSeed(3);
    const model = tf.sequential([tf.layers.dense({ units: 6, inputShape: [4], activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['sparseTopKCategoricalAccuracy', new metrics.SparseTopKCategoricalAccuracy({ k: 1, name: 'top1' })] });
    const x = tf.randn([20, 4]);
    const y = tf.tensor(Array.from({ length: 20 }, (_, i) => i % 6), [20], 'int32');
    const h = await model.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0 });
    const top5 = h.history['sparseTopKCategoricalAccuracy']![0]!;
    const top1 = h.history['top1']![0]!;
    expect(top5).toBeGreaterThanOrEqual(top1);
    expect(top5).toBeGreaterThan(0);
  });

  it('rejects a bad k and mismatched labels', () => {
    expect(() => new metrics.TopKCategoricalAccuracy({ k: 0 })).toThrow(/argument 'k' expected a positive integer/);
    expect(() => metrics.topKCategoricalAccuracy(tensor([[1, 0]]), scores)).toThrow(/topKCategoricalAccuracy: argument 'yTrue'/);
  });
});
