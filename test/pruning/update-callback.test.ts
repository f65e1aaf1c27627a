import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { data, mlp, zeros } from './small-mlp';

describe('pruning.updateCallback and pruning.step', () => {
  it('masks keep pruned weights zero through fit with the callback, and masks follow the schedule', async () => {
    tf.manualSeed(4);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(256);
    const schedule = tf.pruning.polynomialDecay({ initialSparsity: 0.3, finalSparsity: 0.9, beginStep: 0, endStep: 12, frequency: 4 });
    tf.pruning.prune(model, { schedule });
    const sparsities: number[] = [];
    const pruned = new Set<number>();
    const probe: tf.Callback = {
      onBatchEnd: () => {
        const k = model.layers[0]!.weights[0]!.dataSync();
        sparsities.push(zeros(model.layers[0]!.weights[0]!) / k.length);
        // Once pruned, an entry stays zero (masks only grow under a rising schedule).
        for (const i of pruned) expect(k[i]).toBe(0);
        k.forEach((v, i) => v === 0 && pruned.add(i));
      },
    };
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback(), probe] });
    // 32 steps; masks at steps 0, 4, 8, 12 with sparsity 0.3 -> 0.9.
    expect(sparsities).toHaveLength(32);
    const expected = (s: number) => Math.round(schedule.sparsityAt(s) * 640) / 640;
    expect(sparsities[0]).toBeCloseTo(expected(0), 10);
    expect(sparsities[5]).toBeCloseTo(expected(4), 10);
    expect(sparsities[31]).toBeCloseTo(0.9, 10);
    expect(sparsities[0]).toBeLessThan(sparsities[5]!);
    // The weights did train (loss went somewhere and kept weights moved).
    expect(tf.pruning.sparsity(model).layers[1]!.sparsity).toBeCloseTo(Math.round(0.9 * 128) / 128, 10);
  });

  it('without masks the optimizer would regrow weights: the callback is what keeps them zero', async () => {
    tf.manualSeed(5);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(64);
    tf.pruning.prune(model, { targetSparsity: 0.5 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(tf.pruning.sparsity(model).layers[0]!.sparsity).toBeLessThan(0.1);
    tf.pruning.prune(model, { targetSparsity: 0.5 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
    expect(tf.pruning.sparsity(model).layers[0]!.sparsity).toBe(0.5);
  });

  it('step() keeps masks and the schedule in a custom loop (trainOnBatch) as the callback does in fit', async () => {
    tf.manualSeed(8);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(32);
    tf.pruning.prune(model, { schedule: tf.pruning.polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.6, endStep: 4, frequency: 2, power: 1 }) });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      await model.trainOnBatch(x, y);
      tf.pruning.step(model);
      seen.push(tf.pruning.sparsity(model).layers[0]!.sparsity);
    }
    // Masks at steps 0 (0.2), 2 (0.4) and 4 (0.6); pruned entries stay zero in between.
    const at = (s: number) => Math.round(s * 640) / 640;
    expect(seen).toEqual([at(0.2), at(0.4), at(0.4), at(0.6), at(0.6), at(0.6)]);
    expect(() => tf.pruning.step(mlp())).toThrow(/pruning.step: model .* is not pruned/);
  });
});
