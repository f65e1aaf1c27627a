import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { data, mlp } from './small-mlp';

describe('pruning.strip', () => {
  it('strip gives a plain model with the zeros baked in that predicts the same', async () => {
    tf.manualSeed(7);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const { x, y } = data(64);
    tf.pruning.prune(model, { targetSparsity: 0.8 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
    const stripped = tf.pruning.strip(model);
    expect(stripped).not.toBe(model);
    expect(tf.pruning.isPruned(stripped)).toBe(false);
    expect(tf.pruning.isPruned(model)).toBe(true);
    expect(Array.from((stripped.predictOnBatch(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(x) as tf.Tensor).dataSync()));
    expect(stripped.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    // Compiled like the original, with its own optimizer.
    expect(stripped.optimizer).not.toBe(model.optimizer);
    expect(stripped.optimizer!.className).toBe(model.optimizer!.className);
    await stripped.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
  });
});
