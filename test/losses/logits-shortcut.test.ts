// A softmax/sigmoid layer output carries its logits, and crossentropy uses them (as Keras does on
// TensorFlow): exact for confident mistakes, where the probability path clips at 1e-7.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

describe('crossentropy from a layer output uses the logits behind it', () => {
  const dense = (activation: 'softmax' | 'sigmoid', units: number) => {
    const layer = tf.layers.dense({ units, activation, inputShape: [2], useBias: false });
    layer.apply(tf.zeros([1, 2]));
    return layer;
  };

  it('categorical and sparse categorical: a confident mistake costs its full logit gap', () => {
    const layer = dense('softmax', 2);
    layer.setWeights([tf.tensor([[30, -30], [0, 0]])]);
    const p = layer.apply(tf.tensor([[1, 0]])) as tf.Tensor; // logits [30, -30]
    const y = tf.tensor([[0, 1]]);
    // log-sum-exp: -log softmax(z)[1] = 60 + log(1 + e^-60) ~= 60; the clipped path would give ~16.1.
    expect(tf.losses.categoricalCrossentropy(y, p).item()).toBeCloseTo(60, 4);
    expect(tf.losses.sparseCategoricalCrossentropy(tf.tensor([1], [1], 'int32'), p).item()).toBeCloseTo(60, 4);
    // The same probabilities without a layer behind them take the clipped path.
    const detached = tf.tensor(Array.from(p.dataSync()), [1, 2]);
    expect(tf.losses.categoricalCrossentropy(y, detached).item()).toBeCloseTo(-Math.log(1e-7), 3);
  });

  it('binary: sigmoid outputs use softplus on the logits', () => {
    const layer = dense('sigmoid', 1);
    layer.setWeights([tf.tensor([[25], [0]])]);
    const p = layer.apply(tf.tensor([[1, 0]])) as tf.Tensor; // logit 25
    expect(tf.losses.binaryCrossentropy(tf.tensor([[0]]), p).item()).toBeCloseTo(25, 4);
  });

  it('gives the softmax - y gradient through the logits', () => {
    const layer = dense('softmax', 3);
    const w = tf.tensor([[1, 2, 3], [0, 0, 0]]);
    layer.setWeights([w]);
    const x = tf.tensor([[1, 0]]);
    const y = tf.tensor([[0, 0, 1]]);
    const { grad } = tf.valueAndGrad(() => tf.mean(tf.losses.categoricalCrossentropy(y, layer.apply(x) as tf.Tensor)))(layer.kernel!);
    const z = [1, 2, 3];
    const s = z.map((v) => Math.exp(v)).reduce((a, b) => a + b, 0);
    const expected = z.map((v, i) => Math.exp(v) / s - (i === 2 ? 1 : 0));
    const g = grad.dataSync();
    expected.forEach((e, i) => expect(g[i]).toBeCloseTo(e, 5));
    [3, 4, 5].forEach((i) => expect(g[i]).toBe(0));
  });
});
