import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { Tensor } from '../../../src';
import { RandomContrast, RandomFlip } from '../../../src/layers';
import { Generator } from '../../../src/random/generator';
import { checkLayerGradients, seededValues, values } from '../../helpers/layer-check';

const [N, H, W, C] = [3, 6, 5, 2];
const images = () => tf.tensor(seededValues(N * H * W * C, 5, 0, 1), [N, H, W, C]);

const makers = {
  randomFlip: () => tf.layers.randomFlip(),
  randomRotation: () => tf.layers.randomRotation({ factor: 0.2 }),
  randomZoom: () => tf.layers.randomZoom({ heightFactor: [-0.3, 0.3] }),
  randomTranslation: () => tf.layers.randomTranslation({ heightFactor: 0.2, widthFactor: 0.2 }),
  randomContrast: () => tf.layers.randomContrast({ factor: 0.5, valueRange: [0, 1] }),
};

describe('random augmentation layers', () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: identity at inference, random in training, repeatable with manualSeed`, () => {
      const layer = make();
      const x = images();
      expect(layer.apply(x, { training: false })).toBe(x);
      tf.manualSeed(42);
      const a = values(layer.apply(x, { training: true }));
      tf.manualSeed(42);
      const b = values(layer.apply(x, { training: true }));
      expect(a).toEqual(b);
      // Called directly without a flag it augments, as Keras's call(x, training=True).
      tf.manualSeed(42);
      expect(values(layer.apply(x))).toEqual(a);
      expect(a).not.toEqual(values(x));
      // Another draw differs (fresh parameters per call).
      expect(values(layer.apply(x, { training: true }))).not.toEqual(a);
    });
  }

  it('a seeded layer repeats its own sequence whatever the global generator does', () => {
    const x = images();
    const run = (): number[][] => {
      const layer = tf.layers.randomRotation({ factor: 0.3, seed: 9 });
      tf.manualSeed(Math.random() * 1e6);
      return [values(layer.apply(x, { training: true })), values(layer.apply(x, { training: true }))];
    };
    expect(run()).toEqual(run());
  });

  it('randomFlip flips whole images exactly, per image', () => {
    const x = images();
    tf.manualSeed(1);
    const out = tf.layers.randomFlip({ mode: 'horizontal' }).apply(x, { training: true });
    const o = out.arraySync() as number[][][][];
    const xi = x.arraySync() as number[][][][];
    let flipped = 0;
    for (let n = 0; n < N; n++) {
      const same = JSON.stringify(o[n]) === JSON.stringify(xi[n]);
      const mirrored = JSON.stringify(o[n]) === JSON.stringify(xi[n]!.map((row) => row.slice().reverse()));
      expect(same || mirrored).toBe(true);
      if (mirrored) flipped++;
    }
    // Over many images about half flip.
    const many = tf.tensor(seededValues(200 * 1 * 2 * 1, 3), [200, 1, 2, 1]);
    const m = tf.layers.randomFlip({ mode: 'horizontal' }).apply(many, { training: true }).dataSync();
    const md = many.dataSync();
    let count = 0;
    for (let i = 0; i < 200; i++) if (m[2 * i] !== md[2 * i]) count++;
    expect(count).toBeGreaterThan(70);
    expect(count).toBeLessThan(130);
    expect(flipped).toBeGreaterThanOrEqual(0);
  });

  it('randomRotation by half a turn is a 180-degree rotation; randomTranslation moves content', () => {
    const x = tf.tensor(seededValues(1 * 4 * 4 * 1, 8), [1, 4, 4, 1]);
    const half = tf.layers.randomRotation({ factor: [0.5, 0.5], interpolation: 'nearest' }).apply(x, { training: true });
    expect(values(half)).toEqual(values(x).reverse());
    // A whole-pixel shift right by one (width 4, factor 0.25) with constant fill.
    const shift = tf.layers.randomTranslation({ heightFactor: [0, 0], widthFactor: [0.25, 0.25], fillMode: 'constant', interpolation: 'nearest' });
    const s = shift.apply(x, { training: true }).arraySync() as number[][][][];
    const xi = x.arraySync() as number[][][][];
    for (let r = 0; r < 4; r++) {
      expect(s[0]![r]![0]).toEqual([0]);
      expect(s[0]![r]!.slice(1)).toEqual(xi[0]![r]!.slice(0, 3));
    }
  });

  it('randomZoom with a positive factor zooms out (the centre pixel stays, the border fills)', () => {
    const x = tf.tensor(seededValues(1 * 5 * 5 * 1, 4, 0.5, 1), [1, 5, 5, 1]);
    const out = tf.layers.randomZoom({ heightFactor: [1, 1], fillMode: 'constant', interpolation: 'nearest' }).apply(x, { training: true }).arraySync() as number[][][][];
    const xi = x.arraySync() as number[][][][];
    expect(out[0]![2]![2]).toEqual(xi[0]![2]![2]);
    // Zoom 2 about the centre reads (2x - 2): corners fall outside, so they hold the fill 0.
    expect(out[0]![0]![0]).toEqual([0]);
    expect(out[0]![1]![1]).toEqual(xi[0]![0]![0]);
  });

  it('randomContrast keeps each image and channel mean (before clipping) and clips to valueRange', () => {
    const x = tf.tensor(seededValues(2 * 4 * 4 * 1, 6, 0.4, 0.6), [2, 4, 4, 1]);
    const out = tf.layers.randomContrast({ factor: 0.9, valueRange: [0, 1] }).apply(x, { training: true });
    const mIn = values(tf.mean(x, [1, 2]));
    const mOut = values(tf.mean(out, [1, 2]));
    mIn.forEach((m, i) => expect(mOut[i]).toBeCloseTo(m, 5));
    const wide = tf.layers.randomContrast({ factor: [0, 1], valueRange: [0.45, 0.55] }).apply(x, { training: true });
    expect(Math.max(...values(wide))).toBeLessThanOrEqual(Math.fround(0.55));
    expect(Math.min(...values(wide))).toBeGreaterThanOrEqual(Math.fround(0.45));
  });

  it('gradients pass through the augmentations in training (finite differences)', () => {
    const x = tf.tensor(seededValues(2 * 4 * 5 * 2, 12, 0.2, 0.8), [2, 4, 5, 2]);
    // Degenerate ranges make the draw fixed, so finite differences see the same map every call.
    checkLayerGradients(tf.layers.randomRotation({ factor: [0.07, 0.07] }), x, { training: true });
    checkLayerGradients(tf.layers.randomZoom({ heightFactor: [-0.2, -0.2], widthFactor: [0.3, 0.3] }), x, { training: true });
    // Contrast draws its factor from a range around 1: pin the generator instead.
    class PinnedContrast extends RandomContrast {
      protected override rng(): Generator {
        return new Generator(5);
      }
    }
    checkLayerGradients(new PinnedContrast({ factor: 0.3, valueRange: [-10, 10] }), x, { training: true });
  });

  it('fit runs them in training mode and predict / evaluate at inference', async () => {
    const calls: boolean[] = [];
    class SpyFlip extends RandomFlip {
      override call(x: Tensor, ctx: tf.CallContext): Tensor {
        calls.push(ctx.training);
        return super.call(x, ctx);
      }
    }
    const model = tf.sequential([
      new SpyFlip({ inputShape: [H, W, C], seed: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    // compile's inference warm-up (src/models/warm-up.ts) is one call at inference.
    expect(calls).toEqual([false]);
    calls.length = 0;
    await model.fit(images(), tf.tensor([0, 1, 0], [3], 'int32'), { epochs: 2, batchSize: 3, verbose: 0 });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((t) => t)).toBe(true);
    calls.length = 0;
    model.predictOnBatch(images());
    await model.evaluate(images(), tf.tensor([0, 1, 0], [3], 'int32'), { verbose: 0 });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((t) => t)).toBe(false);
  });

  it('rejects bad options with the layer and argument named', () => {
    expect(() => tf.layers.randomRotation({ factor: [0.3, 0.1] })).toThrow(/argument 'factor' expected a number or \[lower, upper\]/);
    expect(() => tf.layers.randomFlip({ mode: 'diagonal' as never })).toThrow(/argument 'mode' expected one of 'horizontal', 'vertical', 'horizontal_and_vertical'/);
    expect(() => tf.layers.randomZoom({ heightFactor: 0.2, fillMode: 'mirror' as never })).toThrow(/argument 'fillMode'/);
    expect(() => tf.layers.randomTranslation({ heightFactor: 0.2 } as never)).toThrow(/argument 'widthFactor'/);
    expect(() => tf.layers.randomContrast({ factor: 2 })).toThrow(/argument 'factor'/);
    expect(() => tf.layers.randomRotation({ factor: 0.1 }).apply(tf.ones([2, 3]), { training: true })).toThrow(/expected images \[batch, height, width, channels\]/);
  });
});
