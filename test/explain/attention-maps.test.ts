import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

describe('explain.attentionMaps', () => {
  it('returns each multiHeadAttention layer\'s weights, rows summing to 1', async () => {
    tf.manualSeed(41);
    const inp = tf.input({ shape: [5, 8] });
    const mha = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 4, name: 'self_attention' });
    const attended = mha.apply([inp, inp]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(attended) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const x = tf.randn([3, 5, 8]);
    const maps = await tf.explain.attentionMaps(model, x);
    expect(Object.keys(maps)).toEqual(['self_attention']);
    const scores = maps['self_attention']!;
    expect(scores.shape).toEqual([3, 2, 5, 5]);
    const d = scores.dataSync();
    for (let row = 0; row < 3 * 2 * 5; row++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += d[row * 5 + j]!;
      expect(s).toBeCloseTo(1, 5);
    }
    const direct = mha.attend(x, x).scores.dataSync();
    expect(Array.from(d)).toEqual(Array.from(direct));
    const one = await tf.explain.attentionMaps(model, x, { layerName: 'self_attention' });
    expect(Object.keys(one)).toEqual(['self_attention']);
    await expect(tf.explain.attentionMaps(model, x, { layerName: 'nope' })).rejects.toThrow("explain.attentionMaps: argument 'layerName' expected the name of a multiHeadAttention layer the model calls");
  });

  it('says when a model has no attention layer', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(tf.explain.attentionMaps(model, tf.ones([1, 2]))).rejects.toThrow("argument 'model' expected a model with a multiHeadAttention layer");
  });
});
