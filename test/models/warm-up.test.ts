// compile() and loadModel() run one batch-1 inference pass so a server's first predict is not the
// slow one; the pass must leave no trace (weights, random stream) and skip what it cannot do.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as tf from '../../src';
import { warmUpInference } from '../../src/models/warm-up';

function mlp(): tf.Sequential {
  return tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 2 })] });
}

describe('inference warm-up', () => {
  it('compile runs one batch-1 pass on zeros', () => {
    const m = mlp();
    const spy = vi.spyOn(m, 'predictOnBatch');
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(spy).toHaveBeenCalledTimes(1);
    const arg = spy.mock.calls[0]![0] as tf.Tensor[];
    expect(arg.map((t) => t.shape)).toEqual([[1, 4]]);
  });

  it('leaves the weights and the random stream as they were', () => {
    tf.manualSeed(3);
    const a = mlp();
    const before = a.getWeights().map((w) => Array.from(w.dataSync()));
    a.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    expect(a.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    const afterCompile = Array.from(tf.randn([4]).dataSync());
    tf.manualSeed(3);
    mlp();
    expect(Array.from(tf.randn([4]).dataSync())).toEqual(afterCompile);
  });

  it('skips a Sequential without an input shape, large inputs and stateful layers, without throwing', () => {
    const deferred = tf.sequential({ layers: [tf.layers.dense({ units: 2 })] });
    const s1 = vi.spyOn(deferred, 'predictOnBatch');
    expect(() => deferred.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })).not.toThrow();
    expect(s1).not.toHaveBeenCalled();

    const big = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1 << 17] })] });
    const s2 = vi.spyOn(big, 'predictOnBatch');
    warmUpInference(big);
    expect(s2).not.toHaveBeenCalled();

    const stateful = mlp();
    Object.assign(stateful.layers[1]!, { stateful: true });
    const s3 = vi.spyOn(stateful, 'predictOnBatch');
    warmUpInference(stateful);
    expect(s3).not.toHaveBeenCalled();
  });

  it('a model the zeros do not suit compiles anyway (the real call reports its error)', () => {
    const m = mlp();
    vi.spyOn(m, 'predictOnBatch').mockImplementation(() => {
      throw new Error('boom');
    });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })).not.toThrow();
  });

  it('loadModel warms a model saved without a training config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-warm-'));
    try {
      await mlp().save(dir);
      const spy = vi.spyOn(tf.LayersModel.prototype, 'predictOnBatch');
      const loaded = await tf.loadModel(dir);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      expect((loaded.predictOnBatch(tf.zeros([1, 4])) as tf.Tensor).shape).toEqual([1, 2]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
