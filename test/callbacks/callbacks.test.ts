import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

function setup() {
  tf.manualSeed(12);
  const x = tf.randn([64, 3]);
  const y = tf.sum(x, 1, true);
  const model = tf.sequential([tf.layers.dense({ units: 1, inputShape: [3] })]);
  model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.05 }), loss: 'mse' });
  return { x, y, model };
}

describe('callbacks', () => {
  it('calls custom hooks in Keras order with logs', async () => {
    const { x, y, model } = setup();
    const events: string[] = [];
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 32,
      verbose: 0,
      callbacks: {
        onTrainBegin: () => void events.push('trainBegin'),
        onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
        onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
        onBatchEnd: (b, logs) => void events.push(`batchEnd ${b} ${typeof logs?.['loss']}`),
        onEpochEnd: async (e, logs) => {
          await new Promise((r) => setTimeout(r, 1));
          events.push(`epochEnd ${e} ${typeof logs?.['loss']}`);
        },
        onTrainEnd: () => void events.push('trainEnd'),
      },
    });
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0', 'batchBegin 0', 'batchEnd 0 number', 'batchBegin 1', 'batchEnd 1 number', 'epochEnd 0 number',
      'epochBegin 1', 'batchBegin 0', 'batchEnd 0 number', 'batchBegin 1', 'batchEnd 1 number', 'epochEnd 1 number',
      'trainEnd',
    ]);
  });

  it('earlyStopping stops when the monitored value stops improving and can restore the best weights', async () => {
    const { x, y, model } = setup();
    const values = [1, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    const fake = { onEpochEnd: (e: number, logs?: tf.Logs) => void (logs!['val_loss'] = values[e]!) };
    const stopper = tf.callbacks.earlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    let bestWeights: number[] = [];
    const snapshot = { onEpochEnd: (e: number) => void (e === 1 && (bestWeights = Array.from(model.getWeights()[0]!.dataSync()))) };
    const h = await model.fit(x, y, { epochs: 7, verbose: 0, callbacks: [fake, snapshot, stopper] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(stopper.stoppedEpoch).toBe(3);
    expect(Array.from(model.getWeights()[0]!.dataSync())).toEqual(bestWeights);
  });

  it('earlyStopping on accuracy maximizes in auto mode, with minDelta', async () => {
    const { x, y, model } = setup();
    const acc = [0.5, 0.6, 0.605, 0.61, 0.9];
    const h = await model.fit(x, y, {
      epochs: 5,
      verbose: 0,
      callbacks: [{ onEpochEnd: (e, logs) => void (logs!['val_acc'] = acc[e]!) }, tf.callbacks.earlyStopping({ monitor: 'val_acc', minDelta: 0.05, patience: 1 })],
    });
    // 0.6 improves on 0.5 by more than minDelta; 0.605 does not, and patience 1 stops there.
    expect(h.epoch).toEqual([0, 1, 2]);
  });

  it('learningRateScheduler and reduceLROnPlateau change the optimizer learning rate', async () => {
    const { x, y, model } = setup();
    const seen: number[] = [];
    await model.fit(x, y, {
      epochs: 3,
      verbose: 0,
      callbacks: [tf.callbacks.learningRateScheduler((epoch) => 0.1 / (epoch + 1)), { onEpochEnd: (_e, logs) => void seen.push(logs!['lr']!) }],
    });
    expect(seen.map((v) => +v.toFixed(6))).toEqual([0.1, 0.05, +(0.1 / 3).toFixed(6)]);
    model.optimizer!.learningRate = 0.1;
    const flat = { onEpochEnd: (_e: number, logs?: tf.Logs) => void (logs!['val_loss'] = 1) };
    await model.fit(x, y, { epochs: 5, verbose: 0, callbacks: [flat, tf.callbacks.reduceLROnPlateau({ factor: 0.5, patience: 2, minLr: 0.02 })] });
    // Keras: reduced at epochs 2 and 4 (wait reaches patience twice), 0.1 -> 0.05 -> 0.025 (above minLr).
    expect(model.optimizer!.learningRate).toBeCloseTo(0.025, 8);
  });

  it('csvLogger writes one row per epoch; modelCheckpoint saves loadable models', async () => {
    const { x, y, model } = setup();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cb-'));
    const csv = path.join(dir, 'log.csv');
    await model.fit(x, y, {
      epochs: 3,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [tf.callbacks.csvLogger(csv), tf.callbacks.modelCheckpoint({ filepath: path.join(dir, 'ckpt-{epoch}'), saveBestOnly: false })],
    });
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,val_loss');
    expect(lines).toHaveLength(4);
    expect(lines[1]!.split(',')[0]).toBe('0');
    for (const e of ['01', '02', '03']) expect(fs.existsSync(path.join(dir, `ckpt-${e}`, 'model.json'))).toBe(true);
    const loaded = await tf.loadModel(path.join(dir, 'ckpt-03'));
    const a = (await model.predict(x)) as tf.Tensor;
    const b = (await loaded.predict(x)) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  });

  it('terminateOnNaN stops at the first non-finite batch loss', async () => {
    const { x, model } = setup();
    const y = tf.full([64, 1], NaN);
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [tf.callbacks.terminateOnNaN()] });
    expect(h.epoch).toEqual([0]);
    expect(h.history['loss']![0]).toBeNaN();
  });

  it('prints one line per epoch when not on a TTY', async () => {
    const { x, y, model } = setup();
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await model.fit(x, y, { epochs: 2, verbose: 1 });
    } finally {
      process.stdout.write = write;
    }
    const text = lines.join('');
    expect(text).toMatch(/Epoch 1\/2 - .* - loss: \d+\.\d{4}\n/);
    expect(text).toMatch(/Epoch 2\/2 - /);
  });
});
