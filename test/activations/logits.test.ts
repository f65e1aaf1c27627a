// The logits a softmax/sigmoid layer records for crossentropy losses: a loss computed later on
// predict()'s output (whose logits are released) falls back to the probabilities instead of
// touching a disposed tensor, and fromLogits: true on probabilities warns once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tf from '../../src';

afterEach(() => vi.restoreAllMocks());

describe('logits behind probability outputs', () => {
  it('a loss on predict output of a softmax model works (one batch and several)', async () => {
    tf.manualSeed(1);
    const m = tf.sequential([tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    const x = tf.randn([8, 4]);
    const y = tf.oneHot(tf.randint(0, 3, [8]), 3);
    for (const batchSize of [32, 3]) {
      const p = (await m.predict(x, { batchSize })) as tf.Tensor;
      const fromPredict = tf.losses.categoricalCrossentropy(y, p);
      const live = tf.noGrad(() => tf.losses.categoricalCrossentropy(y, m.apply(x) as tf.Tensor));
      Array.from(fromPredict.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(live.dataSync()[i]!, 4));
      expect(tf.losses.sparseCategoricalCrossentropy(tf.argmax(y, 1), p).shape).toEqual([8]);
    }
    const b = tf.sequential([tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [4] })]);
    const pb = (await b.predict(x)) as tf.Tensor;
    expect(tf.losses.binaryCrossentropy(tf.ones([8, 1]), pb).shape).toEqual([8]);
  });

  it('fromLogits: true on a softmax output warns once per loss', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const m = tf.sequential([tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })]);
    const y = tf.oneHot(tf.tensor([0, 2], [2], 'int32'), 3);
    const loss = tf.losses.categoricalCrossentropy({ fromLogits: true });
    loss(y, m.apply(tf.randn([2, 2])) as tf.Tensor);
    loss(y, m.apply(tf.randn([2, 2])) as tf.Tensor);
    const calls = warn.mock.calls.filter((c) => String(c[0]).includes('fromLogits'));
    expect(calls).toHaveLength(1);
    expect(String(calls[0]![0])).toMatch(/categoricalCrossentropy received fromLogits: true, but yPred was produced by a softmax activation/);
    // Real logits do not warn.
    const logits = tf.sequential([tf.layers.dense({ units: 3, inputShape: [2] })]);
    tf.losses.sparseCategoricalCrossentropy({ fromLogits: true })(tf.tensor([0, 1], [2], 'int32'), logits.apply(tf.randn([2, 2])) as tf.Tensor);
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('sparseCategoricalCrossentropy'))).toHaveLength(0);
  });
});
