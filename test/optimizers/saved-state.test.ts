// model.save writes the optimizer's state next to the weights (keyed by weight name), and
// loadModel restores it, so training resumes exactly; bad or mismatched state files are refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { BACKENDS, onBackend } from './helpers';

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-optimizer-state-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function data(): { x: tf.Tensor; y: tf.Tensor } {
  tf.manualSeed(21);
  const x = tf.randn([40, 4]);
  return { x, y: tf.oneHot(tf.randint(0, 3, [40]), 3) };
}

function classifier(optimizer: tf.optimizers.Optimizer): tf.LayersModel {
  tf.manualSeed(8);
  const m = tf.sequential([tf.layers.dense({ units: 5, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })]);
  m.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return m;
}

const fitArgs = { batchSize: 10, shuffle: false, verbose: 0 as const };

describe.each(BACKENDS)('optimizer state in model.save on the %s backend', (backend) => {
  const makers: [string, () => tf.optimizers.Optimizer][] = [
    ['adam amsgrad', () => tf.optimizers.adam({ learningRate: 0.01, amsgrad: true })],
    ['rmsprop centered momentum', () => tf.optimizers.rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5 })],
    ['adadelta', () => tf.optimizers.adadelta({ learningRate: 1 })],
    ['adamax', () => tf.optimizers.adamax({ learningRate: 0.01 })],
    ['sgd nesterov + schedule', () => tf.optimizers.sgd({ learningRate: tf.schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.5 }), momentum: 0.9, nesterov: true })],
  ];

  it.each(makers)('%s: training resumes after loadModel as if never interrupted', async (_name, make) => {
    await onBackend(backend, async () => {
      const { x, y } = data();
      const straight = classifier(make());
      await straight.fit(x, y, { ...fitArgs, epochs: 4 });
      const first = classifier(make());
      await first.fit(x, y, { ...fitArgs, epochs: 2 });
      const dir = tmpDir();
      await first.save(dir);
      const resumed = await tf.loadModel(dir);
      expect(resumed.optimizer!.iterations).toBe(8);
      expect(resumed.optimizer!.getWeights().map((w) => w.name)).toEqual(first.optimizer!.getWeights().map((w) => w.name));
      await resumed.fit(x, y, { ...fitArgs, epochs: 2 });
      resumed.trainableWeights.forEach((w, i) => {
        expect(Array.from(w.dataSync())).toEqual(Array.from(straight.trainableWeights[i]!.dataSync()));
      });
    });
  });
});

describe('optimizer state files', () => {
  it('are written only for a compiled model whose optimizer has state', async () => {
    const plain = tf.sequential([tf.layers.dense({ units: 2, inputShape: [3] })]);
    const dir1 = tmpDir();
    await plain.save(dir1);
    expect(fs.existsSync(path.join(dir1, 'optimizer.safetensors'))).toBe(false);
    const compiled = classifier(tf.optimizers.adam());
    const dir2 = tmpDir();
    await compiled.save(dir2);
    expect(fs.existsSync(path.join(dir2, 'optimizer.safetensors'))).toBe(false);
    expect((await tf.loadModel(dir2)).optimizer!.iterations).toBe(0);
  });

  it('name each slot after its weight', async () => {
    const { x, y } = data();
    const m = classifier(tf.optimizers.sgd({ momentum: 0.5 }));
    await m.fit(x, y, { ...fitArgs, epochs: 1 });
    const dir = tmpDir();
    await m.save(dir);
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(path.join(dir, 'optimizer.safetensors')));
    const weightNames = m.layers.flatMap((l) => l.weightsInfo.map((w) => `${l.name}/${w.name}`));
    expect([...tensors.keys()]).toEqual(['iterations', ...weightNames.map((n) => `${n}/momentum`)]);
    expect(tensors.get('iterations')!.dtype).toBe('int32');
    expect(tensors.get('iterations')!.item()).toBe(4);
    expect(metadata['className']).toBe('SGD');
  });

  it('that are missing a slot or belong to another optimizer are refused with a clear error', async () => {
    const { x, y } = data();
    const m = classifier(tf.optimizers.adam());
    await m.fit(x, y, { ...fitArgs, epochs: 1 });
    const dir = tmpDir();
    await m.save(dir);
    const file = path.join(dir, 'optimizer.safetensors');
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(file));
    const velocity = [...tensors.keys()].find((k) => k.endsWith('/velocity'))!;
    const without = new Map([...tensors].filter(([k]) => k !== velocity));
    fs.writeFileSync(file, encodeSafetensors(without, metadata));
    await expect(tf.loadModel(dir)).rejects.toThrow(new RegExp(`loadModel: .*optimizer\\.safetensors: no '${velocity}' entry \\(slot 'velocity' of Adam`));
    fs.writeFileSync(file, encodeSafetensors(tensors, { ...metadata, className: 'RMSprop' }));
    await expect(tf.loadModel(dir)).rejects.toThrow(/holds the state of optimizer class RMSprop; the model's optimizer is Adam/);
    const shrunk = new Map(tensors);
    shrunk.set(velocity, tf.zeros([1]));
    fs.writeFileSync(file, encodeSafetensors(shrunk, metadata));
    await expect(tf.loadModel(dir)).rejects.toThrow(/setWeights: argument 'weights\[\d+\]' expected a float32 tensor of shape \[\d+(,\d+)?\] \(slot 'velocity'\)/);
  });
});
