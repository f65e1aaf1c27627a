// Keras's snake_case option names are aliases of the camelCase ones everywhere options are read:
// layer factories, tf.input, compile, fit, evaluate, predict, losses and optimizers.
import { describe, expect, it } from 'vitest';
import * as tf from '../src';
import { camelOptions, snakeToCamel } from '../src/option-names';

describe('snake_case option aliases', () => {
  it('renames top-level keys only, keeps the object when nothing changes, refuses both spellings', () => {
    expect(snakeToCamel('batch_input_shape')).toBe('batchInputShape');
    expect(snakeToCamel('beta_1')).toBe('beta1');
    const same = { units: 3 };
    expect(camelOptions('f', same)).toBe(same);
    expect(camelOptions('f', { loss_weights: { out_a: 1 }, units: 2 })).toEqual({ lossWeights: { out_a: 1 }, units: 2 });
    expect(() => camelOptions('layers.dense', { inputShape: [2], input_shape: [3] })).toThrow(
      /layers.dense: argument 'inputShape' expected one spelling of the option \(camelCase 'inputShape' or Keras's 'input_shape'\), got both/);
  });

  it('layer factories and tf.input accept Keras names', () => {
    const d = tf.layers.dense({ units: 3, input_shape: [4], use_bias: false, kernel_regularizer: 'l2' } as never);
    expect(d.batchInputShape).toEqual([null, 4]);
    const m = tf.sequential([d]);
    expect(m.countParams()).toBe(12);
    expect(m.regularizationLosses()).toHaveLength(1);
    const conv = tf.layers.conv2d({ filters: 2, kernel_size: 3, input_shape: [5, 5, 1] } as never);
    expect(tf.sequential([conv]).outputShapes).toEqual([[null, 3, 3, 2]]);
    expect(tf.input({ batch_shape: [2, 7] } as never).shape).toEqual([2, 7]);
  });

  it('compile, fit, evaluate and predict accept Keras names', async () => {
    tf.manualSeed(3);
    const m = tf.sequential([tf.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })]);
    m.compile({ optimizer: tf.optimizers.adam({ learning_rate: 0.01, beta_1: 0.8 } as never), loss: 'categoricalCrossentropy', loss_weights: [2] } as never);
    expect(m.compiled!.lossWeights).toEqual([2]);
    expect(m.optimizer!.getConfig()).toMatchObject({ learningRate: 0.01, beta1: 0.8 });
    const x = tf.randn([20, 3]);
    const y = tf.oneHot(tf.randint(0, 2, [20]), 2);
    const batches: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 3, initial_epoch: 1, batch_size: 4, validation_split: 0.2, verbose: 0,
      callbacks: { onBatchEnd: async (_b: number, logs?: tf.Logs) => { batches.push(logs!['size']!); } },
    } as never);
    expect(h.history['loss']).toHaveLength(2);
    expect(h.history['val_loss']).toHaveLength(2);
    expect(batches.slice(0, 4)).toEqual([4, 4, 4, 4]);
    expect(batches.length).toBe(8);
    const logs = await m.evaluate(x, y, { batch_size: 7 } as never);
    expect(Number.isFinite(logs['loss'])).toBe(true);
    expect(((await m.predict(x, { batch_size: 3 } as never)) as tf.Tensor).shape).toEqual([20, 2]);
  });

  it('callbacks accept Keras names', async () => {
    const stop = tf.callbacks.earlyStopping({ monitor: 'loss', min_delta: 10, patience: 0 } as never);
    const m = tf.sequential([tf.layers.dense({ units: 1, inputShape: [2] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    // min_delta 10 means no epoch improves enough: training stops after the second epoch.
    const h = await m.fit(tf.randn([8, 2]), tf.randn([8, 1]), { epochs: 10, verbose: 0, callbacks: [stop] });
    expect(h.history['loss']).toHaveLength(2);
  });

  it('losses accept Keras names; optimizers suggest the camelCase name for Keras spellings', () => {
    const loss = tf.losses.categoricalCrossentropy({ from_logits: true, label_smoothing: 0.1 } as never);
    expect(loss.getConfig()).toMatchObject({ fromLogits: true, labelSmoothing: 0.1 });
    expect(() => tf.optimizers.sgd({ clipnorm: 1 } as never)).toThrow(/sgd: argument 'clipnorm' expected one of the options .*got an unknown option \(did you mean 'clipNorm'\?\)/);
  });
});
