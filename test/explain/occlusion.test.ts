import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

describe('explain.occlusion', () => {
  it('finds the region a linear score reads, and nothing elsewhere', async () => {
    // score = sum of the top-left 4x4 pixels of an 8x8 image.
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 1] }), tf.layers.dense({ units: 1, useBias: false })] });
    const kernel = new Float32Array(64);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) kernel[r * 8 + c] = 1;
    model.setWeights([tf.tensor(kernel, [64, 1])]);
    const x = tf.ones([2, 8, 8, 1]);
    const map = await tf.explain.occlusion(model, x, { window: 2, stride: 2 });
    expect(map.shape).toEqual([2, 8, 8]);
    const d = map.dataSync();
    for (let s = 0; s < 2; s++) {
      for (let r = 0; r < 8; r++) {
        for (let c = 0; c < 8; c++) {
          // Non-overlapping 2x2 patches: each covered position reports its patch's drop (4 pixels of 1).
          expect(d[(s * 8 + r) * 8 + c]!).toBeCloseTo(r < 4 && c < 4 ? 4 : 0, 5);
        }
      }
    }
  });

  it('slides over features of tabular inputs and over channels-first images', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, useBias: false, inputShape: [5] })] });
    model.setWeights([tf.tensor([1, 0, 2, 0, 0], [5, 1])]);
    const map = await tf.explain.occlusion(model, tf.ones([1, 5]), { window: 1 });
    expect(Array.from(map.dataSync())).toEqual([1, 0, 2, 0, 0]);

    const cf = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 4, 4] }), tf.layers.dense({ units: 1, useBias: false })] });
    const k = new Float32Array(32);
    k[16 + 15] = 1; // channel 1, bottom-right pixel
    cf.setWeights([tf.tensor(k, [32, 1])]);
    const m2 = await tf.explain.occlusion(cf, tf.ones([1, 2, 4, 4]), { window: 1, stride: 1, dataFormat: 'channelsFirst' });
    expect(m2.shape).toEqual([1, 4, 4]);
    const d2 = Array.from(m2.dataSync());
    expect(d2[15]).toBeCloseTo(1, 6);
    expect(d2.slice(0, 15).every((v) => v === 0)).toBe(true);
  });

  it('rejects patches larger than the input', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [5] })] });
    await expect(tf.explain.occlusion(model, tf.ones([1, 5]), { window: 6 })).rejects.toThrow("explain.occlusion: argument 'window' expected a patch within the input's 1x5 positions");
    await expect(tf.explain.occlusion(model, tf.ones([1, 5]), { window: [1, 2] as unknown as number })).rejects.toThrow("argument 'window' expected a positive integer");
  });
});
