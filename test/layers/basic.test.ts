import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Dropout, Flatten, InputLayer, Reshape } from '../../src/layers';
import { deserializeLayer } from '../../src/layers/registry';
import { checkLayerGradients, expectBackendsAgree, seededValues, values } from '../helpers/layer-check';

describe('Dropout', () => {
  it('is the identity at inference (default and training: false)', () => {
    const layer = tf.layers.dropout({ rate: 0.5 });
    const x = tf.tensor(seededValues(20, 1), [4, 5]);
    expect(values(layer.apply(x))).toEqual(values(x));
    expect(values(layer.apply(x, { training: false }))).toEqual(values(x));
    expectBackendsAgree(layer, x);
  });

  it('rate 0 is the identity even in training', () => {
    const x = tf.tensor(seededValues(20, 2), [4, 5]);
    expect(values(tf.layers.dropout({ rate: 0 }).apply(x, { training: true }))).toEqual(values(x));
  });

  it('in training keeps about 1 - rate of the inputs and scales them by 1 / (1 - rate)', () => {
    for (const rate of [0.25, 0.6]) {
      const layer = tf.layers.dropout({ rate, seed: 123 });
      const n = 200 * 100;
      const y = values(layer.apply(tf.ones([200, 100]), { training: true }));
      const kept = y.filter((v) => v !== 0);
      for (const v of kept) expect(v).toBeCloseTo(1 / (1 - rate), 5);
      // Binomial(n, 1 - rate): 5 standard deviations.
      const sd = Math.sqrt(rate * (1 - rate) / n);
      expect(Math.abs(kept.length / n - (1 - rate))).toBeLessThan(5 * sd);
      // The expected value is preserved.
      expect(y.reduce((a, b) => a + b, 0) / n).toBeCloseTo(1, 1);
    }
  });

  it('seeded layers repeat the same masks; successive calls draw new masks', () => {
    const x = tf.ones([8, 16]);
    const a = tf.layers.dropout({ rate: 0.5, seed: 7 });
    const b = tf.layers.dropout({ rate: 0.5, seed: 7 });
    const a1 = values(a.apply(x, { training: true }));
    const a2 = values(a.apply(x, { training: true }));
    expect(values(b.apply(x, { training: true }))).toEqual(a1);
    expect(values(b.apply(x, { training: true }))).toEqual(a2);
    expect(a2).not.toEqual(a1);
    const c = tf.layers.dropout({ rate: 0.5, seed: 8 });
    expect(values(c.apply(x, { training: true }))).not.toEqual(a1);
  });

  it('the gradient is the mask: d sum(dropout(x)) / dx = y / x', () => {
    tf.setBackend('js');
    try {
      const layer = tf.layers.dropout({ rate: 0.4, seed: 3 });
      const x = tf.tensor(seededValues(30, 4, 0.5, 2), [5, 6], { requiresGrad: true });
      const y = layer.apply(x, { training: true });
      tf.backward(tf.sum(y));
      const g = values(x.grad!);
      const yv = values(y);
      const xv = values(x);
      g.forEach((gi, i) => expect(gi).toBeCloseTo(yv[i]! / xv[i]!, 5));
      expect(g.some((v) => v === 0)).toBe(true);
      expect(g.some((v) => Math.abs(v - 1 / 0.6) < 1e-5)).toBe(true);
    } finally {
      tf.setBackend('native');
    }
  });

  it('rejects rates outside [0, 1)', () => {
    for (const rate of [-0.1, 1, 1.5, Number.NaN]) {
      expect(() => tf.layers.dropout({ rate })).toThrow(/dropout: argument 'rate' expected a number in \[0, 1\)/);
    }
    expect(() => tf.layers.dropout({ rate: '0.5' as unknown as number })).toThrow(/rate/);
  });

  it('keeps the symbolic shape and round-trips its config', () => {
    const layer = tf.layers.dropout({ rate: 0.3, seed: 5 });
    expect(layer.apply(tf.input({ shape: [3, 2] })).shape).toEqual([null, 3, 2]);
    const rebuilt = deserializeLayer('Dropout', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as Dropout;
    expect(rebuilt.rate).toBe(0.3);
    expect(rebuilt.seed).toBe(5);
    expect(rebuilt.getConfig()).toEqual(layer.getConfig());
  });
});

describe('Flatten', () => {
  it('flattens all but the batch dimension in row-major order', () => {
    const data = seededValues(24, 5);
    const y = tf.layers.flatten().apply(tf.tensor(data, [2, 3, 4]));
    expect(y.shape).toEqual([2, 12]);
    expect(values(y)).toEqual(values(tf.tensor(data)));
  });

  it('flattens a non-contiguous (transposed) input correctly', () => {
    const x = tf.transpose(tf.tensor([[1, 2, 3], [4, 5, 6]]).reshape([1, 2, 3]), [0, 2, 1]);
    const y = tf.layers.flatten().apply(x);
    expect(y.shape).toEqual([1, 6]);
    expect(values(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('computeOutputShape on symbolic inputs', () => {
    expect(tf.layers.flatten().apply(tf.input({ shape: [3, 4, 5] })).shape).toEqual([null, 60]);
    expect(tf.layers.flatten().apply(tf.input({ batchShape: [7, 2, 3] })).shape).toEqual([7, 6]);
    expect(tf.layers.flatten().apply(tf.input({ batchShape: [null, null, 3] })).shape).toEqual([null, null]);
  });

  it('gradient passes straight through (finite differences)', () => {
    checkLayerGradients(tf.layers.flatten(), tf.tensor(seededValues(12, 6), [2, 3, 2]));
  });
});

describe('Reshape', () => {
  it('reshapes each sample to targetShape', () => {
    const data = seededValues(24, 7);
    const y = tf.layers.reshape({ targetShape: [3, 4] }).apply(tf.tensor(data, [2, 12]));
    expect(y.shape).toEqual([2, 3, 4]);
    expect(values(y)).toEqual(values(tf.tensor(data)));
  });

  it('infers a -1 entry', () => {
    const y = tf.layers.reshape({ targetShape: [-1, 2] }).apply(tf.zeros([2, 3, 4]));
    expect(y.shape).toEqual([2, 6, 2]);
  });

  it('computeOutputShape on symbolic inputs, with and without -1', () => {
    expect(tf.layers.reshape({ targetShape: [3, 4] }).apply(tf.input({ shape: [12] })).shape).toEqual([null, 3, 4]);
    expect(tf.layers.reshape({ targetShape: [-1, 3] }).apply(tf.input({ shape: [2, 6] })).shape).toEqual([null, 4, 3]);
    expect(tf.layers.reshape({ targetShape: [2, -1] }).apply(tf.input({ batchShape: [5, 12] })).shape).toEqual([5, 2, 6]);
    // An unknown non-batch dimension leaves -1 unknown.
    expect(tf.layers.reshape({ targetShape: [-1, 3] }).apply(tf.input({ batchShape: [null, null, 3] })).shape).toEqual([null, null, 3]);
  });

  it('symbolic application with an incompatible targetShape throws instead of producing a bad shape', () => {
    // 10 elements cannot be viewed as [?, 3]; 12 elements are not [5].
    expect(() => tf.layers.reshape({ targetShape: [-1, 3] }).apply(tf.input({ shape: [10] }))).toThrow();
    expect(() => tf.layers.reshape({ targetShape: [5] }).apply(tf.input({ shape: [12] }))).toThrow();
  });

  it('eager application with an incompatible targetShape throws', () => {
    expect(() => tf.layers.reshape({ targetShape: [5] }).apply(tf.zeros([2, 12]))).toThrow();
  });

  it('rejects a non-array targetShape', () => {
    expect(() => tf.layers.reshape({ targetShape: 12 as unknown as number[] })).toThrow(/targetShape/);
  });

  it('gradient passes straight through (finite differences) and config round-trips', () => {
    const layer = tf.layers.reshape({ targetShape: [-1, 2] });
    checkLayerGradients(layer, tf.tensor(seededValues(12, 8), [2, 6]));
    const rebuilt = deserializeLayer('Reshape', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as Reshape;
    expect(rebuilt).toBeInstanceOf(Reshape);
    expect(rebuilt.targetShape).toEqual([-1, 2]);
    expect(deserializeLayer('Flatten', new Flatten().getConfig())).toBeInstanceOf(Flatten);
  });
});

describe('InputLayer and input()', () => {
  it('input({ shape }) is a SymbolicTensor with a null batch dimension from an InputLayer', () => {
    const x = tf.input({ shape: [3, 4], name: 'pixels' });
    expect(x).toBeInstanceOf(tf.SymbolicTensor);
    expect(x.shape).toEqual([null, 3, 4]);
    expect(x.rank).toBe(3);
    expect(x.dtype).toBe('float32');
    expect(x.sourceLayer).toBeInstanceOf(InputLayer);
    expect(x.sourceLayer.name).toBe('pixels');
    expect(x.inputs).toEqual([]);
  });

  it('batchShape and batchSize fix the batch dimension; dtype is kept', () => {
    expect(tf.input({ batchShape: [4, 2] }).shape).toEqual([4, 2]);
    expect(tf.input({ shape: [2], batchSize: 8 }).shape).toEqual([8, 2]);
    expect(tf.input({ shape: [2], dtype: 'int32' }).dtype).toBe('int32');
  });

  it('requires a shape', () => {
    expect(() => tf.input({})).toThrow(/input: argument 'shape'/);
    expect(() => tf.layers.inputLayer({})).toThrow(/inputShape/);
  });

  it('an InputLayer passes tensors through', () => {
    const layer = tf.layers.inputLayer({ inputShape: [3] });
    const x = tf.tensor([[1, 2, 3]]);
    expect(values(layer.apply(x))).toEqual([1, 2, 3]);
    expect(layer.output.shape).toEqual([null, 3]);
  });

  it('symbolic tensors chain through several layers', () => {
    const x = tf.input({ shape: [2, 3] });
    const h = tf.layers.flatten().apply(x);
    const y = tf.layers.dense({ units: 4 }).apply(h);
    const z = tf.layers.reshape({ targetShape: [2, 2] }).apply(y);
    expect(h.shape).toEqual([null, 6]);
    expect(y.shape).toEqual([null, 4]);
    expect(z.shape).toEqual([null, 2, 2]);
    expect(z.inputs).toEqual([y]);
    expect(y.sourceLayer.batchInputShape).toEqual([null, 6]);
  });
});
