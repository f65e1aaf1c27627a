// Serving next to training: a second fit on the same model is an Error (not two interleaved runs on
// one set of weights), and fit yields after every step, so a queued request waits at most one step.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

function model(): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }), tf.layers.dense({ units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  return m;
}

describe('fit concurrency', () => {
  it('a second fit on the same model while one runs rejects; fits on other models run', async () => {
    tf.manualSeed(1);
    const m = model();
    const x = tf.randn([256, 4]);
    const y = tf.randn([256, 1]);
    const first = m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/fit: model '.*' is already being trained by a fit\(\) in progress/);
    await expect(m.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch: model .* already being trained/);
    const other = model();
    await expect(other.fit(x, y, { epochs: 1, verbose: 0 })).resolves.toBeDefined();
    await first;
    // Once the first has finished, training again is fine.
    await expect(m.fit(x, y, { epochs: 1, verbose: 0 })).resolves.toBeDefined();
  });

  it('a failing fit releases the model', async () => {
    const m = model();
    await expect(m.fit(tf.randn([4, 3]), tf.randn([4, 1]), { verbose: 0 })).rejects.toThrow();
    await expect(m.fit(tf.randn([8, 4]), tf.randn([8, 1]), { verbose: 0 })).resolves.toBeDefined();
  });

  it('yields to the event loop after every training step by default', async () => {
    const m = model();
    let steps = 0;
    let ticks = 0;
    let maxStepsBetweenTicks = 0;
    let stepsAtLastTick = 0;
    const tick = (): void => {
      ticks++;
      maxStepsBetweenTicks = Math.max(maxStepsBetweenTicks, steps - stepsAtLastTick);
      stepsAtLastTick = steps;
      if (running) setImmediate(tick);
    };
    let running = true;
    setImmediate(tick);
    await m.fit(tf.randn([512, 4]), tf.randn([512, 1]), {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      callbacks: { onBatchEnd: () => void steps++ } as never,
    });
    running = false;
    expect(steps).toBe(64);
    expect(ticks).toBeGreaterThan(32);
    expect(maxStepsBetweenTicks).toBeLessThanOrEqual(1);
  });
});
