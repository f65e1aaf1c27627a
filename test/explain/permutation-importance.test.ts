import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

describe('explain.permutationImportance', () => {
  it('ranks the informative feature of a synthetic regression first', async () => {
    tf.manualSeed(31);
    const x = tf.randn([300, 4]);
    // y depends strongly on feature 2, weakly on feature 0, not at all on 1 and 3.
    const xd = x.dataSync();
    const y = tf.tensor(Array.from({ length: 300 }, (_, i) => 3 * xd[i * 4 + 2]! + 0.5 * xd[i * 4]!), [300, 1]);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
    model.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 40, batchSize: 32, verbose: 0 });
    const result = await tf.explain.permutationImportance(model, x, y, { repeats: 4 });
    expect(result.mean).toHaveLength(4);
    expect(result.std).toHaveLength(4);
    expect(result.raw.every((r) => r.length === 4)).toBe(true);
    expect(result.baseline).toBeLessThan(0.05);
    const order = result.mean.map((m, i) => [m, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    expect(order.slice(0, 2)).toEqual([2, 0]);
    expect(Math.abs(result.mean[1]!)).toBeLessThan(0.05);
    // The same seed repeats the shuffles exactly.
    const again = await tf.explain.permutationImportance(model, x, y, { repeats: 4 });
    expect(again.raw).toEqual(result.raw);
  });

  it('measures accuracy drops of a classifier, with one-hot or index targets', async () => {
    // Class = whether feature 1 is positive (a fixed model: logits [-10 x1, 10 x1]).
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', useBias: false, inputShape: [3] })] });
    model.setWeights([tf.tensor([0, 0, -10, 10, 0, 0], [3, 2])]);
    tf.manualSeed(32);
    const x = tf.randn([200, 3]);
    const xd = x.dataSync();
    const labels = Array.from({ length: 200 }, (_, i) => (xd[i * 3 + 1]! > 0 ? 1 : 0));
    const byIndex = await tf.explain.permutationImportance(model, x, tf.tensor(labels), { metric: 'accuracy', repeats: 3, seed: 5 });
    const byOneHot = await tf.explain.permutationImportance(model, x, tf.oneHot(labels, 2), { metric: 'accuracy', repeats: 3, seed: 5 });
    expect(byIndex.baseline).toBe(1);
    expect(byOneHot.raw).toEqual(byIndex.raw);
    expect(byIndex.mean[1]!).toBeGreaterThan(0.3);
    expect(byIndex.mean[0]).toBe(0);
    expect(byIndex.mean[2]).toBe(0);
    const custom = await tf.explain.permutationImportance(model, x, tf.tensor(labels), {
      metric: (_t, p) => p.dataSync()[0]!,
      higherIsBetter: true,
      repeats: 1,
    });
    expect(custom.mean).toHaveLength(3);
  });

  it('rejects mismatched targets and unknown metrics', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    const x = tf.randn([10, 3]);
    await expect(tf.explain.permutationImportance(model, x, tf.zeros([9, 1]))).rejects.toThrow("explain.permutationImportance: argument 'y' expected 10 samples like x");
    await expect(tf.explain.permutationImportance(model, x, tf.zeros([10, 1]), { metric: 'loss' })).rejects.toThrow("argument 'metric' expected 'accuracy', 'mse', 'mae' or a function for a model that is not compiled");
    await expect(tf.explain.permutationImportance(model, x, tf.zeros([10, 1]), { metric: 'f1' as 'mse' })).rejects.toThrow("argument 'metric' expected 'accuracy', 'mse', 'mae', 'loss' or a function, got \"f1\"");
  });
});
