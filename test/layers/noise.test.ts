// GaussianNoise and GaussianDropout act only in training mode (fit, model.apply(x, { training: true }))
// with the right statistics, and are identities at inference and in exported ONNX graphs.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectOnnxMatches } from '../helpers/onnx-roundtrip';

const values = (t: tf.Tensor | tf.Tensor[]): number[] => Array.from((t as tf.Tensor).dataSync());
function stats(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
}

describe('noise layers', () => {
  it('gaussianNoise adds N(0, stddev) in training only', () => {
    tf.manualSeed(3);
    const m = tf.sequential([tf.layers.gaussianNoise({ stddev: 0.5, inputShape: [100] })]);
    const x = tf.ones([50, 100]);
    expect(values(m.apply(x))).toEqual(values(x));
    expect(values(m.predictOnBatch(x))).toEqual(values(x));
    const s = stats(values(m.apply(x, { training: true })));
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeGreaterThan(0.47);
    expect(s.std).toBeLessThan(0.53);
  });

  it('gaussianDropout multiplies by noise of mean 1 and variance rate / (1 - rate) in training only', () => {
    tf.manualSeed(4);
    const m = tf.sequential([tf.layers.gaussianDropout({ rate: 0.2, inputShape: [100] })]);
    const x = tf.full([50, 100], 2);
    expect(values(m.apply(x))).toEqual(values(x));
    const s = stats(values(m.apply(x, { training: true })).map((v) => v / 2));
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeGreaterThan(0.47);
    expect(s.std).toBeLessThan(0.53);
    expect(() => tf.layers.gaussianDropout({ rate: 1 })).toThrow(/gaussianDropout: argument 'rate' expected a number in \[0, 1\), got 1/);
    expect(() => tf.layers.gaussianNoise({ stddev: -1 })).toThrow(/gaussianNoise: argument 'stddev'/);
  });

  it('a seeded layer repeats its noise; configs save and load; ONNX export is the identity', async () => {
    const make = () => tf.sequential([tf.layers.dense({ units: 3, inputShape: [2] }), tf.layers.gaussianNoise({ stddev: 0.1, seed: 7 }), tf.layers.gaussianDropout({ rate: 0.1, seed: 8 })]);
    const a = make();
    const b = make();
    b.setWeights(a.getWeights());
    const x = tf.randn([4, 2]);
    expect(values(a.apply(x, { training: true }))).toEqual(values(b.apply(x, { training: true })));
    expect(a.layers[1]!.getConfig()).toMatchObject({ stddev: 0.1, seed: 7 });
    const back = tf.layers.gaussianDropout(a.layers[2]!.getConfig() as never);
    expect(back.rate).toBe(0.1);
    await expectOnnxMatches(a, [x]);
  });
});
