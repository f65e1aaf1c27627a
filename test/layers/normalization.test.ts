import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { BatchNormalization, LayerNormalization } from '../../src/layers';
import { deserializeLayer } from '../../src/layers/registry';
import { checkLayerGradients, expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const biasedVar = (xs: number[]) => {
  const m = mean(xs);
  return mean(xs.map((v) => (v - m) ** 2));
};

describe('LayerNormalization', () => {
  const X = [[1, 2, 3, 6], [-2, 0, 0.5, 4]];
  const gamma = [1.5, -0.5, 2, 1];
  const beta = [0.1, 0.2, -0.3, 0];

  function layerNormRef(rows: number[][], g: number[], b: number[], eps = 1e-3): number[] {
    return rows.flatMap((row) => {
      const m = mean(row);
      const v = biasedVar(row);
      return row.map((x, j) => ((x - m) / Math.sqrt(v + eps)) * g[j]! + b[j]!);
    });
  }

  function built(args: ConstructorParameters<typeof LayerNormalization>[0] = {}): LayerNormalization {
    const layer = tf.layers.layerNormalization(args);
    layer.apply(tf.zeros([1, 4]));
    return layer;
  }

  it('with default gamma = 1 and beta = 0 each row has mean 0 and variance v / (v + 1e-3)', () => {
    const layer = built();
    const y = values(layer.apply(tf.tensor(X)));
    // Row 0: mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5.
    const s = Math.sqrt(3.5 + 1e-3);
    expectArrayClose(y.slice(0, 4), [-2 / s, -1 / s, 0, 3 / s], 1e-5, 1e-6, 'row 0');
    expectArrayClose(y, layerNormRef(X, [1, 1, 1, 1], [0, 0, 0, 0]), 1e-5, 1e-6, 'both rows');
    expect(layer.epsilon).toBe(1e-3);
  });

  it('scales by gamma and shifts by beta, per feature', () => {
    const layer = built();
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta)]);
    expectArrayClose(values(layer.apply(tf.tensor(X))), layerNormRef(X, gamma, beta), 1e-5, 1e-6, 'affine');
  });

  it('normalizes over the last axis only for rank-3 inputs', () => {
    const data = seededValues(24, 11, -2, 2);
    const layer = built();
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta)]);
    const rows = Array.from({ length: 6 }, (_, i) => data.slice(4 * i, 4 * i + 4));
    const y = layer.apply(tf.tensor(data, [2, 3, 4]));
    expect(y.shape).toEqual([2, 3, 4]);
    expectArrayClose(values(y), layerNormRef(rows, gamma, beta), 1e-5, 1e-6, 'rank 3');
  });

  it('a custom epsilon is used', () => {
    const layer = built({ epsilon: 0.5 });
    expectArrayClose(values(layer.apply(tf.tensor(X))), layerNormRef(X, [1, 1, 1, 1], [0, 0, 0, 0], 0.5), 1e-5, 1e-6, 'eps 0.5');
  });

  it('center: false / scale: false drop beta / gamma', () => {
    expect(built({ center: false }).weightsInfo.map((w) => w.name)).toEqual(['gamma']);
    expect(built({ scale: false }).weightsInfo.map((w) => w.name)).toEqual(['beta']);
    expect(built().weightsInfo.map((w) => w.name)).toEqual(['gamma', 'beta']);
    expect(built().countParams()).toBe(8);
  });

  it('rejects a non-positive epsilon', () => {
    expect(() => tf.layers.layerNormalization({ epsilon: 0 })).toThrow(/epsilon/);
    expect(() => tf.layers.layerNormalization({ epsilon: -1 })).toThrow(/a positive number/);
  });

  it('gradient w.r.t. input, gamma and beta by finite differences', () => {
    const layer = built();
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta)]);
    checkLayerGradients(layer, tf.tensor(X));
    checkLayerGradients(layer, tf.tensor(seededValues(24, 12, -2, 2), [2, 3, 4]));
  });

  it('native and js agree', () => {
    const layer = built();
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta)]);
    const x = tf.tensor(seededValues(40, 13, -3, 3), [10, 4]);
    const nat = onBackend('native', () => values(layer.apply(x)));
    const js = onBackend('js', () => values(layer.apply(x)));
    expectArrayClose(nat, js, 1e-5, 1e-5, 'native vs js');
  });

  it('config round trip', () => {
    const layer = tf.layers.layerNormalization({ epsilon: 1e-5, center: false, gammaInitializer: 'ones' });
    const rebuilt = deserializeLayer('LayerNormalization', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as LayerNormalization;
    expect(rebuilt.epsilon).toBe(1e-5);
    expect(rebuilt.center).toBe(false);
    expect(rebuilt.getConfig()).toEqual(layer.getConfig());
  });
});

describe('BatchNormalization', () => {
  // 4 samples x 3 features.
  const X = [[1, 2, -1], [3, 0, 0], [5, -2, 1], [-1, 4, 4]];
  const cols = (rows: number[][]) => rows[0]!.map((_, j) => rows.map((r) => r[j]!));

  function built(args: ConstructorParameters<typeof BatchNormalization>[0] = {}): BatchNormalization {
    const layer = tf.layers.batchNormalization(args);
    layer.apply(tf.zeros([1, 3]));
    return layer;
  }

  it('weights: gamma and beta trainable; moving mean and variance non-trainable (zeros and ones)', () => {
    const layer = built();
    expect(layer.weightsInfo.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(layer.trainableWeights).toEqual([layer.gamma, layer.beta]);
    expect(layer.nonTrainableWeights).toEqual([layer.movingMean, layer.movingVariance]);
    expect(layer.movingMean!.requiresGrad).toBe(false);
    expect(layer.movingVariance!.requiresGrad).toBe(false);
    expect(layer.gamma!.requiresGrad).toBe(true);
    expect(values(layer.movingMean!)).toEqual([0, 0, 0]);
    expect(values(layer.movingVariance!)).toEqual([1, 1, 1]);
    expect(layer.countParams()).toBe(12);
    expect(layer.momentum).toBe(0.99);
  });

  it('training mode normalizes with the batch mean and (biased) variance', () => {
    const layer = built();
    const gamma = [2, 0.5, -1];
    const beta = [0, 1, 0.25];
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta), tf.zeros([3]), tf.ones([3])]);
    const y = values(layer.apply(tf.tensor(X), { training: true }));
    const c = cols(X);
    const expected = X.flatMap((row) => row.map((v, j) => ((v - mean(c[j]!)) / Math.sqrt(biasedVar(c[j]!) + 1e-3)) * gamma[j]! + beta[j]!));
    expectArrayClose(y, expected, 1e-5, 1e-6, 'training');
  });

  it('one training call moves the moving statistics by (1 - momentum) toward the batch statistics', () => {
    const layer = built({ momentum: 0.9 });
    const mm0 = [0.5, -1, 2];
    const mv0 = [1, 2, 0.5];
    layer.setWeights([tf.ones([3]), tf.zeros([3]), tf.tensor(mm0), tf.tensor(mv0)]);
    const movingMean = layer.movingMean!;
    layer.apply(tf.tensor(X), { training: true });
    const c = cols(X);
    // Batch means [2, 1, 1]; biased variances [5, 5, 3.5].
    expectArrayClose(c.map(mean), [2, 1, 1], 1e-12, 0, 'hand means');
    expectArrayClose(c.map(biasedVar), [5, 5, 3.5], 1e-12, 0, 'hand variances');
    expectArrayClose(values(layer.movingMean!), [0.9 * 0.5 + 0.1 * 2, 0.9 * -1 + 0.1 * 1, 0.9 * 2 + 0.1 * 1], 1e-6, 1e-7, 'moving mean');
    expectArrayClose(values(layer.movingVariance!), [0.9 * 1 + 0.1 * 5, 0.9 * 2 + 0.1 * 5, 0.9 * 0.5 + 0.1 * 3.5], 1e-6, 1e-7, 'moving variance');
    // Updated in place: the same tensor objects.
    expect(layer.movingMean).toBe(movingMean);
  });

  it('default momentum 0.99 after one call from zeros/ones', () => {
    const layer = built();
    layer.apply(tf.tensor(X), { training: true });
    expectArrayClose(values(layer.movingMean!), [0.02, 0.01, 0.01], 1e-5, 1e-7, 'moving mean');
    expectArrayClose(values(layer.movingVariance!), [0.99 + 0.05, 0.99 + 0.05, 0.99 + 0.035], 1e-6, 1e-7, 'moving variance');
  });

  it('inference uses the moving statistics and leaves them unchanged', () => {
    const layer = built();
    const gamma = [1, 2, 3];
    const beta = [0.5, 0, -0.5];
    const mm = [1, -1, 0.5];
    const mv = [4, 0.25, 1];
    layer.setWeights([tf.tensor(gamma), tf.tensor(beta), tf.tensor(mm), tf.tensor(mv)]);
    const y = values(layer.apply(tf.tensor(X)));
    const expected = X.flatMap((row) => row.map((v, j) => ((v - mm[j]!) / Math.sqrt(mv[j]! + 1e-3)) * gamma[j]! + beta[j]!));
    expectArrayClose(y, expected, 1e-5, 1e-6, 'inference');
    expect(values(layer.movingMean!)).toEqual(mm);
    expect(values(layer.movingVariance!)).toEqual(mv);
  });

  it('axis 1 (channels first) reduces over every other axis', () => {
    const data = seededValues(2 * 3 * 2, 21, -2, 2);
    const layer = tf.layers.batchNormalization({ axis: 1 });
    const y = values(layer.apply(tf.tensor(data, [2, 3, 2]), { training: true }));
    expect(layer.gamma!.shape).toEqual([3]);
    const at = (n: number, c: number, w: number) => data[n * 6 + c * 2 + w]!;
    const expected: number[] = [];
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        const chan = [at(0, c, 0), at(0, c, 1), at(1, c, 0), at(1, c, 1)];
        for (let w = 0; w < 2; w++) expected.push((at(n, c, w) - mean(chan)) / Math.sqrt(biasedVar(chan) + 1e-3));
      }
    }
    expectArrayClose(y, expected, 1e-5, 1e-6, 'axis 1');
  });

  it('gradient in training mode (through the batch statistics) by finite differences', () => {
    const layer = built();
    layer.setWeights([tf.tensor([2, 0.5, -1]), tf.tensor([0, 1, 0.25]), tf.zeros([3]), tf.ones([3])]);
    checkLayerGradients(layer, tf.tensor(X), { training: true });
  });

  it('gradient in inference mode by finite differences', () => {
    const layer = built();
    layer.setWeights([tf.tensor([2, 0.5, -1]), tf.tensor([0, 1, 0.25]), tf.tensor([1, 0, -1]), tf.tensor([2, 0.5, 1])]);
    checkLayerGradients(layer, tf.tensor(X));
  });

  it('native and js agree in both modes', () => {
    const x = tf.tensor(seededValues(30, 22, -3, 3), [10, 3]);
    for (const training of [false, true]) {
      const a = built();
      const b = built();
      const w = [tf.tensor([1, 2, 3]), tf.tensor([0, 1, 0]), tf.tensor([0.5, 0, -0.5]), tf.tensor([1, 2, 0.5])];
      a.setWeights(w);
      b.setWeights(w);
      const nat = onBackend('native', () => values(a.apply(x, { training })));
      const js = onBackend('js', () => values(b.apply(x, { training })));
      expectArrayClose(nat, js, 1e-5, 1e-5, `training ${training}`);
      expectArrayClose(values(a.movingVariance!), values(b.movingVariance!), 1e-6, 1e-6, 'moving variance');
    }
  });

  it('rejects bad momentum and epsilon', () => {
    expect(() => tf.layers.batchNormalization({ momentum: 1.5 })).toThrow(/momentum/);
    expect(() => tf.layers.batchNormalization({ momentum: -0.1 })).toThrow(/momentum/);
    expect(() => tf.layers.batchNormalization({ epsilon: 0 })).toThrow(/epsilon/);
  });

  it('config round trip', () => {
    const layer = tf.layers.batchNormalization({ momentum: 0.8, epsilon: 1e-4, axis: 1, scale: false });
    const rebuilt = deserializeLayer('BatchNormalization', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as BatchNormalization;
    expect(rebuilt.momentum).toBe(0.8);
    expect(rebuilt.epsilon).toBe(1e-4);
    expect(rebuilt.axis).toBe(1);
    expect(rebuilt.scale).toBe(false);
    expect(rebuilt.getConfig()).toEqual(layer.getConfig());
  });
});
