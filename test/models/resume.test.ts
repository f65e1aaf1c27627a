// Checkpoints resume exactly: model.save keeps the optimizer state (slots, step count, hence the
// schedule position) and fit's training seed, so loadModel + fit({ initialEpoch }) gives the same
// losses as an uninterrupted run, with shuffling and dropout on, whatever the global generator did
// in between.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-resume-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function data(): { x: tf.Tensor; y: tf.Tensor } {
  tf.manualSeed(21);
  const x = tf.randn([60, 5]);
  return { x, y: tf.oneHot(tf.randint(0, 3, [60]), 3) };
}

function classifier(optimizer: () => tf.optimizers.Optimizer): tf.LayersModel {
  tf.manualSeed(8);
  const m = tf.sequential([
    tf.layers.dense({ units: 12, activation: 'relu', inputShape: [5] }),
    tf.layers.dropout({ rate: 0.3 }),
    tf.layers.batchNormalization({}),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const fitArgs = { batchSize: 8, verbose: 0 as const };
const adam = () => tf.optimizers.adam({ learningRate: 0.01 });
const scheduled = () => tf.optimizers.sgd({ learningRate: tf.schedules.exponentialDecay({ initialLearningRate: 0.2, decaySteps: 5, decayRate: 0.5 }), momentum: 0.9 });

describe('exact resume from a checkpoint', () => {
  it.each([['adam', adam], ['sgd with momentum and a decay schedule', scheduled]] as const)(
    '%s: resumed losses equal the uninterrupted run, with shuffle and dropout', async (_name, make) => {
      const { x, y } = data();
      const straight = classifier(make);
      const full = await straight.fit(x, y, { ...fitArgs, epochs: 4 });

      const { x: x2, y: y2 } = data();
      const first = classifier(make);
      const part = await first.fit(x2, y2, { ...fitArgs, epochs: 2 });
      expect(part.history['loss']).toEqual(full.history['loss']!.slice(0, 2));
      const dir = tmpDir();
      await first.save(dir);
      // Whatever happens to the global generator before resuming does not matter.
      tf.manualSeed(999);
      tf.randn([17]);
      const resumed = await tf.loadModel(dir);
      const rest = await resumed.fit(x2, y2, { ...fitArgs, epochs: 4, initialEpoch: 2 });
      expect(rest.history['loss']).toEqual(full.history['loss']!.slice(2));
      expect(rest.history['accuracy']).toEqual(full.history['accuracy']!.slice(2));
      resumed.weights.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(straight.weights[i]!.dataSync())));
    });

  it('modelCheckpoint files resume exactly too', async () => {
    const { x, y } = data();
    const straight = classifier(adam);
    const full = await straight.fit(x, y, { ...fitArgs, epochs: 3 });
    const { x: x2, y: y2 } = data();
    const m = classifier(adam);
    const dir = tmpDir();
    await m.fit(x2, y2, { ...fitArgs, epochs: 3, callbacks: [tf.callbacks.modelCheckpoint({ filepath: path.join(dir, 'ckpt-{epoch}') })] });
    expect(fs.readdirSync(dir).sort()).toEqual(['ckpt-01', 'ckpt-02', 'ckpt-03']);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'ckpt-01', 'model.json'), 'utf8'));
    expect(Number.isInteger(saved.trainingSeed)).toBe(true);
    const resumed = await tf.loadModel(path.join(dir, 'ckpt-01'));
    expect(resumed.optimizer!.iterations).toBe(8);
    const rest = await resumed.fit(x2, y2, { ...fitArgs, epochs: 3, initialEpoch: 1 });
    expect(rest.history['loss']).toEqual(full.history['loss']!.slice(1));
  });

  it('consecutive fit() calls still shuffle differently (the step count moves on)', async () => {
    const { x, y } = data();
    const m = classifier(adam);
    let seen: number[] = [];
    // Records the first rows of each fit's first batch.
    const spy = new (class extends tf.Layer {
      readonly className = 'RowSpy';
      call(t: tf.Tensor): tf.Tensor {
        if (seen.length === 0) seen = Array.from(t.dataSync()).slice(0, 10);
        return t;
      }
    })({});
    const wrapped = tf.sequential([spy, m]);
    wrapped.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });
    await wrapped.fit(x, y, { ...fitArgs, epochs: 1 });
    const first = seen;
    seen = [];
    await wrapped.fit(x, y, { ...fitArgs, epochs: 1 });
    expect(seen).toHaveLength(10);
    expect(seen).not.toEqual(first);
  });
});
