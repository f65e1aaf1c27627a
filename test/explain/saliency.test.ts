import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { sampleRows, scoreOf, smoothMlp } from './helpers';

describe('explain.saliency', () => {
  it('equals central finite differences of the class score', async () => {
    const model = smoothMlp();
    tf.manualSeed(3);
    const x = tf.randn([3, 6]);
    const k = 1;
    const g = await tf.explain.saliency(model, x, { classIndex: k });
    expect(g.shape).toEqual([3, 6]);
    const base = Array.from(x.dataSync());
    const h = 1e-2;
    const grads = sampleRows(g);
    for (let f = 0; f < 6; f++) {
      const plus = base.slice();
      const minus = base.slice();
      for (let i = 0; i < 3; i++) {
        plus[i * 6 + f]! += h;
        minus[i * 6 + f]! -= h;
      }
      const sp = scoreOf(model, tf.tensor(plus, [3, 6]), k);
      const sm = scoreOf(model, tf.tensor(minus, [3, 6]), k);
      for (let i = 0; i < 3; i++) {
        const fd = (sp[i]! - sm[i]!) / (2 * h);
        expect(Math.abs(grads[i]![f]! - fd), `sample ${i} feature ${f}`).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
      }
    }
  });

  it('explains each sample for its predicted class by default, or for per-sample classes', async () => {
    const model = smoothMlp();
    tf.manualSeed(4);
    const x = tf.randn([4, 6]);
    const predicted = Array.from((tf.argMax(model.predictOnBatch(x) as tf.Tensor, 1)).dataSync());
    const byDefault = await tf.explain.saliency(model, x);
    const explicit = await tf.explain.saliency(model, x, { classIndex: predicted });
    expect(Array.from(byDefault.dataSync())).toEqual(Array.from(explicit.dataSync()));
    const other = await tf.explain.saliency(model, x, { classIndex: predicted.map((c) => (c + 1) % 3) });
    expect(Array.from(other.dataSync())).not.toEqual(Array.from(byDefault.dataSync()));
  });

  it('smoothGrad with zero noise is the vanilla gradient; with noise it averages nearby gradients', async () => {
    const model = smoothMlp();
    tf.manualSeed(5);
    const x = tf.randn([2, 6]);
    const vanilla = await tf.explain.saliency(model, x, { classIndex: 0 });
    const noiseless = await tf.explain.saliency(model, x, { classIndex: 0, smoothGrad: { samples: 3, noise: 0 } });
    const a = vanilla.dataSync();
    const b = noiseless.dataSync();
    for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]!, 5);
    const smooth = await tf.explain.saliency(model, x, { classIndex: 0, smoothGrad: true, absolute: true });
    expect(smooth.shape).toEqual([2, 6]);
    expect(Array.from(smooth.dataSync()).every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(Array.from(smooth.dataSync())).not.toEqual(Array.from(a).map(Math.abs));
  });

  it("with target 'logits' differentiates the scores before the final softmax", async () => {
    const model = smoothMlp();
    const logitsModel = tf.sequential({
      layers: [tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [6] }), tf.layers.dense({ units: 3 })],
    });
    logitsModel.setWeights(model.getWeights());
    tf.manualSeed(6);
    const x = tf.randn([2, 6]);
    const a = await tf.explain.saliency(model, x, { classIndex: 2, target: 'logits' });
    const b = await tf.explain.saliency(logitsModel, x, { classIndex: 2 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const probabilities = await tf.explain.saliency(model, x, { classIndex: 2 });
    expect(Array.from(probabilities.dataSync())).not.toEqual(Array.from(b.dataSync()));
    // The softmax is back in place afterwards.
    expect(Array.from((model.predictOnBatch(x) as tf.Tensor).dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('lets the event loop run while it works', async () => {
    const model = smoothMlp();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await tf.explain.saliency(model, tf.randn([2, 6]), { smoothGrad: { samples: 30 } });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects what it cannot explain with errors naming the argument', async () => {
    const model = smoothMlp();
    const x = tf.randn([2, 6]);
    await expect(tf.explain.saliency({} as tf.LayersModel, x)).rejects.toThrow("explain.saliency: argument 'model' expected a LayersModel");
    await expect(tf.explain.saliency(model, tf.randn([6]))).rejects.toThrow("argument 'x' expected rank >= 2");
    await expect(tf.explain.saliency(model, x, { classIndex: 3 })).rejects.toThrow("argument 'classIndex' expected an integer in [0, 3)");
    await expect(tf.explain.saliency(model, x, { classIndex: [0] })).rejects.toThrow("argument 'classIndex' expected an integer or an array of 2 integers");
    await expect(tf.explain.saliency(model, x, { smoothGrad: { noise: -1 } })).rejects.toThrow("argument 'smoothGrad.noise'");
    await expect(tf.explain.saliency(model, tf.randn([2, 5]))).rejects.toThrow('input shape');
    await expect(tf.explain.saliency(model, x, { target: 'probs' as 'output' })).rejects.toThrow("argument 'target' expected 'output' or 'logits', got \"probs\"");
  });
});
