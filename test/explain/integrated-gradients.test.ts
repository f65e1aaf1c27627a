import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { cnnFixture, sampleRows, scoreOf, smoothMlp } from './helpers';

describe('explain.integratedGradients', () => {
  it('is complete: each sample\'s attributions sum to f(x) - f(baseline) within 1%', async () => {
    const model = smoothMlp();
    tf.manualSeed(11);
    const x = tf.mul(tf.randn([4, 6]), 2);
    for (const k of [0, 2]) {
      const attributions = await tf.explain.integratedGradients(model, x, { classIndex: k, steps: 100 });
      expect(attributions.shape).toEqual([4, 6]);
      const fx = scoreOf(model, x, k);
      const f0 = scoreOf(model, tf.zeros([4, 6]), k);
      sampleRows(attributions).forEach((row, i) => {
        const total = row.reduce((a, b) => a + b, 0);
        const expected = fx[i]! - f0[i]!;
        expect(Math.abs(total - expected), `sample ${i} class ${k}: ${total} vs ${expected}`).toBeLessThan(0.01 * Math.abs(expected) + 1e-5);
      });
    }
  });

  it('takes a number, a per-sample or a shared baseline', async () => {
    const model = smoothMlp();
    tf.manualSeed(12);
    const x = tf.randn([2, 6]);
    const shared = tf.randn([1, 6]);
    const a = await tf.explain.integratedGradients(model, x, { baseline: shared, classIndex: 1, steps: 80 });
    const b = await tf.explain.integratedGradients(model, x, { baseline: tf.concat([shared, shared], 0), classIndex: 1, steps: 80 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const fx = scoreOf(model, x, 1);
    const fb = scoreOf(model, tf.concat([shared, shared], 0), 1);
    sampleRows(a).forEach((row, i) => {
      const total = row.reduce((s, v) => s + v, 0);
      expect(Math.abs(total - (fx[i]! - fb[i]!))).toBeLessThan(0.01 * Math.abs(fx[i]! - fb[i]!) + 1e-5);
    });
    // A baseline equal to x attributes nothing.
    const none = await tf.explain.integratedGradients(model, x, { baseline: x, steps: 4 });
    expect(Array.from(none.dataSync()).every((v) => v === 0)).toBe(true);
    const constant = await tf.explain.integratedGradients(model, x, { baseline: 0.5, steps: 4 });
    expect(constant.shape).toEqual([2, 6]);
  });

  it('is complete on an imported PyTorch CNN too', async () => {
    const { model, x, shape } = cnnFixture();
    const attributions = await tf.explain.integratedGradients(model, x, { classIndex: 3, steps: 500 });
    expect(attributions.shape).toEqual(shape);
    const fx = scoreOf(model, x, 3);
    const f0 = scoreOf(model, tf.zeros(shape), 3);
    sampleRows(attributions).forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      const expected = fx[i]! - f0[i]!;
      expect(Math.abs(total - expected), `sample ${i}: ${total} vs ${expected}`).toBeLessThan(0.01 * Math.abs(expected) + 1e-4);
    });
  });

  it('rejects bad options', async () => {
    const model = smoothMlp();
    const x = tf.randn([2, 6]);
    await expect(tf.explain.integratedGradients(model, x, { steps: 0 })).rejects.toThrow("explain.integratedGradients: argument 'steps' expected a positive integer, got 0");
    await expect(tf.explain.integratedGradients(model, x, { baseline: tf.zeros([3, 6]) })).rejects.toThrow("argument 'baseline' expected a float32 tensor of shape [2,6] or [1,6]");
    await expect(tf.explain.integratedGradients(model, x, { baseline: Number.NaN })).rejects.toThrow("argument 'baseline' expected a finite number");
  });
});
