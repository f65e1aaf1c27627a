import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { type DecodedEvent, decodeGraphDef, eventFiles, readEventFile, scalarsByTag } from '../helpers/tfevents-reader';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-tboard-'));
  dirs.push(d);
  return d;
};

function setup() {
  tf.manualSeed(5);
  const x = tf.randn([64, 3]);
  const y = tf.sum(x, 1, true);
  const vx = tf.randn([16, 3]);
  const vy = tf.sum(vx, 1, true);
  const model = tf.sequential([tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', name: 'hidden' }), tf.layers.dense({ units: 1, name: 'out' })]);
  model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.02 }), loss: 'mse', metrics: ['mae'] });
  return { x, y, vx, vy, model };
}

function runEvents(dir: string): DecodedEvent[] {
  const files = eventFiles(dir);
  expect(files).toHaveLength(1);
  const events = readEventFile(files[0]!);
  expect(events[0]!.fileVersion).toBe('brain.Event:2');
  return events;
}

describe('callbacks.tensorBoard', () => {
  it('writes train/ and validation/ runs with epoch scalars equal to the History', async () => {
    const { x, y, vx, vy, model } = setup();
    const dir = tmp();
    const history = await model.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0, validationData: [vx, vy], callbacks: [tf.callbacks.tensorBoard(dir, { histogramFreq: 2 })],
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['train', 'validation']);
    const train = runEvents(path.join(dir, 'train'));
    const val = runEvents(path.join(dir, 'validation'));
    const ts = scalarsByTag(train);
    const vs = scalarsByTag(val);
    const h = history.history;
    const asScalars = (values: number[]) => values.map((v, e) => [e, Math.fround(v)]);
    expect(ts.get('epoch_loss')).toEqual(asScalars(h['loss']!));
    expect(ts.get('epoch_mae')).toEqual(asScalars(h['mae']!));
    expect(ts.get('epoch_learning_rate')).toEqual(asScalars([0.02, 0.02, 0.02]));
    expect(vs.get('epoch_loss')).toEqual(asScalars(h['val_loss']!));
    expect(vs.get('epoch_mae')).toEqual(asScalars(h['val_mae']!));
    expect([...vs.keys()].sort()).toEqual(['epoch_loss', 'epoch_mae']);
    expect([...ts.keys()].some((k) => k.startsWith('batch_') || k.includes('val'))).toBe(false);

    // The graph: one node per layer, wired in order.
    const graph = train.find((e) => e.graphDef);
    expect(decodeGraphDef(graph!.graphDef!).map((n) => [n.name, n.op, n.input])).toEqual([
      [model.inputs[0]!.sourceLayer.name, 'InputLayer', []],
      ['hidden', 'Dense', [model.inputs[0]!.sourceLayer.name]],
      ['out', 'Dense', ['hidden']],
    ]);

    // Weight histograms at epochs 0 and 2, Keras tags, counts = weight sizes.
    const hists = train.flatMap((e) => e.values.filter((v) => v.pluginName === 'histograms').map((v) => ({ step: e.step, ...v })));
    expect(hists.map((v) => `${v.step} ${v.tag}`)).toEqual([0, 2].flatMap((s) => ['hidden/kernel_0', 'hidden/bias_0', 'out/kernel_0', 'out/bias_0'].map((t) => `${s} ${t}`)));
    const sizes: Record<string, number> = { 'hidden/kernel_0': 12, 'hidden/bias_0': 4, 'out/kernel_0': 4, 'out/bias_0': 1 };
    for (const v of hists) {
      const d = v.tensor!.doubleVal;
      expect(d.filter((_, i) => i % 3 === 2).reduce((a, b) => a + b, 0)).toBe(sizes[v.tag]);
    }
  });

  it("logs batch scalars at the global batch index with updateFreq 'batch' or n", async () => {
    const { x, y, model } = setup();
    const a = tmp();
    const b = tmp();
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [tf.callbacks.tensorBoard(a, { updateFreq: 'batch', writeGraph: false })] });
    const ts = scalarsByTag(runEvents(path.join(a, 'train')));
    expect(ts.get('batch_loss')!.map(([s]) => s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ts.get('batch_mae')).toHaveLength(8);
    expect(ts.has('batch_batch') || ts.has('batch_size')).toBe(false);
    expect(ts.get('epoch_loss')).toHaveLength(2);
    expect(fs.existsSync(path.join(a, 'validation'))).toBe(false);
    expect(runEvents(path.join(a, 'train')).some((e) => e.graphDef)).toBe(false);

    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [tf.callbacks.tensorBoard(b, { updateFreq: 3 })] });
    expect(scalarsByTag(runEvents(path.join(b, 'train'))).get('batch_loss')!.map(([s]) => s)).toEqual([0, 3, 6]);
  });

  it('validates its arguments and names an unwritable logDir', async () => {
    expect(() => tf.callbacks.tensorBoard('')).toThrow(/tensorBoard: argument 'logDir' expected a directory path, got ""/);
    expect(() => tf.callbacks.tensorBoard('logs', { updateFreq: 0 })).toThrow(/argument 'updateFreq' expected 'epoch', 'batch' or a positive integer, got 0/);
    expect(() => tf.callbacks.tensorBoard('logs', { updateFreq: 'step' as 'batch' })).toThrow(/argument 'updateFreq' .* got "step"/);
    expect(() => tf.callbacks.tensorBoard('logs', { histogramFreq: -1 })).toThrow(/argument 'histogramFreq' expected a non-negative integer, got -1/);
    expect(() => tf.callbacks.tensorBoard('logs', { writeGraph: 1 as unknown as boolean })).toThrow(/argument 'writeGraph' expected a boolean, got 1/);
    const { x, y, model } = setup();
    const blocker = path.join(tmp(), 'file');
    fs.writeFileSync(blocker, '');
    await expect(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [tf.callbacks.tensorBoard(blocker)] })).rejects.toThrow(/tensorBoard: argument 'logDir' expected a writable directory, got ".*file.train" \(/);
  });
});
