import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as metrics from '../../src/metrics';
import { Accuracy } from '../../src/metrics';
import { expectValues } from '../losses/reference';

describe('per-sample accuracy functions (tfjs metrics.*)', () => {
  it('binaryAccuracy: fraction of the last axis where (yPred > 0.5) == yTrue', () => {
    const out = metrics.binaryAccuracy(tensor([[1, 0, 1], [0, 0, 1]]), tensor([[0.7, 0.5, 0.2], [0.1, 0.9, 0.51]]));
    // row 0: 1 right, 0.5 is not > 0.5 so predicts 0 (right), 0.2 wrong; row 1: right, wrong, right.
    expectValues(out, [2 / 3, 2 / 3]);
    expectValues(metrics.binaryAccuracy(tensor([[1], [0]]), tensor([[0.3], [0.1]]), 0.25), [1, 1]);
  });

  it('categoricalAccuracy and sparseCategoricalAccuracy compare argmaxes', () => {
    const yp = tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6]]);
    expectValues(metrics.categoricalAccuracy(tensor([[0, 1, 0], [0, 0, 1], [0, 0, 1]]), yp), [1, 0, 1]);
    expectValues(metrics.sparseCategoricalAccuracy(tensor([1, 2, 2], 'int32'), yp), [1, 0, 1]);
    expectValues(metrics.sparseCategoricalAccuracy(tensor([[1], [0], [2]]), yp), [1, 1, 1]);
  });
});

describe('accuracy metrics accumulate over the epoch', () => {
  it('BinaryAccuracy over two batches is correct/total, not the mean of batch accuracies', () => {
    const m = new metrics.BinaryAccuracy();
    m.update(tensor([[1], [0], [1]]), tensor([[0.7], [0.6], [0.4]])); // 1 of 3
    expect(m.result()).toBeCloseTo(1 / 3, 6);
    m.update(tensor([[0]]), tensor([[0.2]])); // 1 of 1
    expect(m.result()).toBeCloseTo(2 / 4, 6); // the mean of batch values would be 2/3
    m.reset();
    expect(m.result()).toBe(0);
    m.update(tensor([[0]]), tensor([[0.2]]));
    expect(m.result()).toBe(1);
  });

  it('sample weights weigh each sample', () => {
    const m = new metrics.BinaryAccuracy();
    m.update(tensor([[1], [0], [1]]), tensor([[0.7], [0.6], [0.4]]), tensor([1, 2, 3])); // right: weight 1 of 6
    m.update(tensor([[0], [1]]), tensor([[0.2], [0.2]]), tensor([[4], [0]])); // right: 4 of 4
    expect(m.result()).toBeCloseTo(5 / 10, 6);
  });

  it('CategoricalAccuracy and SparseCategoricalAccuracy over two batches', () => {
    const c = new metrics.CategoricalAccuracy();
    const s = new metrics.SparseCategoricalAccuracy();
    c.update(tensor([[0, 1], [1, 0]]), tensor([[0.2, 0.8], [0.3, 0.7]]));
    s.update(tensor([1, 0], 'int32'), tensor([[0.2, 0.8], [0.3, 0.7]]));
    c.update(tensor([[1, 0], [1, 0], [0, 1]]), tensor([[0.9, 0.1], [0.6, 0.4], [0.8, 0.2]]));
    s.update(tensor([0, 0, 1]), tensor([[0.9, 0.1], [0.6, 0.4], [0.8, 0.2]]));
    // batch 1: 1 of 2, batch 2: 2 of 3 -> 3 / 5 (mean of batches would be 7/12).
    expect(c.result()).toBeCloseTo(0.6, 6);
    expect(s.result()).toBeCloseTo(0.6, 6);
    expect(c.name).toBe('categoricalAccuracy');
  });

  it('per-sample values of rank-3 outputs: a [batch] weight covers every time step', () => {
    const m = new metrics.SparseCategoricalAccuracy();
    const yp = tensor([[[0.9, 0.1], [0.2, 0.8]], [[0.4, 0.6], [0.7, 0.3]]]);
    m.update(tensor([[0, 0], [1, 1]], 'int32'), yp, tensor([1, 3])); // sample 0: 1 of 2, sample 1: 1 of 2
    expect(m.result()).toBeCloseTo((1 * 1 + 3 * 1) / (2 * 1 + 2 * 3), 6);
  });
});

describe("'accuracy' / 'acc' resolution", () => {
  it('uses the loss and output units from the context, keeping the name the user passed', () => {
    const cases: [Parameters<typeof metrics.getMetric>[1], string][] = [
      [{ lossName: 'binary_crossentropy', outputShape: [null, 3] }, 'binary'],
      [{ lossName: 'meanSquaredError', outputShape: [null, 1] }, 'binary'],
      [{ lossName: 'sparseCategoricalCrossentropy', outputShape: [null, 10] }, 'sparse'],
      [{ lossName: 'categorical_crossentropy' }, 'categorical'],
    ];
    for (const [context, kind] of cases) {
      for (const name of ['acc', 'accuracy']) {
        const m = metrics.getMetric(name, context) as Accuracy;
        expect(m.name).toBe(name);
        expect(m.kind).toBe(kind);
      }
    }
  });

  it('without a deciding context, the first batch shapes decide as in Keras', () => {
    const sparse = metrics.getMetric('accuracy') as Accuracy;
    expect(sparse.kind).toBeNull();
    sparse.update(tensor([1, 0], 'int32'), tensor([[0.2, 0.8], [0.3, 0.7]]));
    expect(sparse.kind).toBe('sparse');
    expect(sparse.result()).toBeCloseTo(0.5, 6);

    const binary = metrics.getMetric('acc', { lossName: 'myLoss' }) as Accuracy;
    binary.update(tensor([[1], [0]]), tensor([[0.8], [0.7]]));
    expect(binary.kind).toBe('binary');
    expect(binary.result()).toBeCloseTo(0.5, 6);

    const categorical = metrics.getMetric('acc') as Accuracy;
    categorical.update(tensor([[0, 1], [1, 0]]), tensor([[0.2, 0.8], [0.3, 0.7]]));
    expect(categorical.kind).toBe('categorical');
    categorical.reset();
    expect(categorical.result()).toBe(0);
    expect(categorical.kind).toBe('categorical');
  });

  it('a bad first batch throws without fixing the choice', () => {
    const m = metrics.getMetric('accuracy') as Accuracy;
    expect(() => m.update(null as never, tensor([[1]]))).toThrow(/argument 'yTrue' expected a Tensor/);
    expect(m.kind).toBeNull();
  });
});

describe('accuracy fast path', () => {
  it('counts the same as the tensor-op path (which sample weights of 1 force)', async () => {
    const tf = await import('../../src');
    tf.manualSeed(21);
    const pred = tf.softmax(tf.randn([257, 7]));
    const labels = tf.randint(0, 7, [257]);
    const oneHot = tf.oneHot(labels, 7);
    const ones = tf.ones([257]);
    for (const [m, y] of [[new tf.metrics.CategoricalAccuracy(), oneHot], [new tf.metrics.SparseCategoricalAccuracy(), labels]] as const) {
      const slow = m.constructor === tf.metrics.CategoricalAccuracy ? new tf.metrics.CategoricalAccuracy() : new tf.metrics.SparseCategoricalAccuracy();
      m.update(y, pred);
      slow.update(y, pred, ones);
      expect(m.result()).toBeCloseTo(slow.result(), 12);
      const direct = tf.mean(tf.equal(tf.argmax(pred, 1), labels)).item();
      expect(m.result()).toBeCloseTo(direct, 6);
    }
  });
});
