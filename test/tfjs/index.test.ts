// The tensorforge/tfjs entry point, item by item against what tfjs-node scripts expect of it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as real from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tfjs';
import { Tensor as MainTensor, sequential as mainSequential } from '../../src';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-entry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tensors', () => {
  it('tensor, tensor1d..6d and scalar check ranks and take flat values with a shape', () => {
    expect(tf.tensor1d([1, 2, 3]).shape).toEqual([3]);
    expect(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]).arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tf.tensor3d([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tf.tensor4d(new Float32Array(24), [1, 2, 3, 4]).shape).toEqual([1, 2, 3, 4]);
    expect(tf.tensor5d(new Float32Array(2), [1, 1, 1, 1, 2]).rank).toBe(5);
    expect(tf.tensor6d(new Float32Array(2), [1, 1, 1, 1, 1, 2]).rank).toBe(6);
    expect(tf.scalar(3).shape).toEqual([]);
    expect(tf.tensor1d([1, 0, 1], 'bool').dtype).toBe('int32');
    expect(tf.tensor(new Uint8Array([1, 2]), [2]).dtype).toBe('int32');
    expect(() => tf.tensor2d([1, 2, 3])).toThrow(/tensor2d: argument 'values' expected a rank-2 array/);
    expect(() => tf.tensor3d([1, 2], [2])).toThrow(/tensor3d: argument 'shape' expected 3 dimensions/);
    expect(() => tf.tensor([1], [1], 'string' as never)).toThrow(/dtype/);
  });

  it('tfjs Tensor methods: toFloat, toInt, asType, array, clone, as2D, argMax, dataSync, arraySync', async () => {
    const t = tf.tensor2d([[1.5, -2], [3, 0.25]]);
    expect(t.toInt().dtype).toBe('int32');
    expect(Array.from(t.toInt().dataSync())).toEqual([1, -2, 3, 0]);
    const i = tf.tensor1d([1, 2], 'int32');
    expect(i.toFloat().dtype).toBe('float32');
    expect(i.asType('float32').dtype).toBe('float32');
    expect(Array.from(tf.tensor1d([0, 2, 0]).asType('bool').dataSync())).toEqual([0, 1, 0]);
    expect(await t.array()).toEqual([[1.5, -2], [3, 0.25]]);
    expect(t.as1D().shape).toEqual([4]);
    expect(t.as2D(1, 4).shape).toEqual([1, 4]);
    expect(Array.from(t.argMax(1).dataSync())).toEqual([0, 0]);
    expect(Array.from(t.argMax().dataSync())).toEqual([1, 1]);
    const c = t.clone();
    expect(c.arraySync()).toEqual(t.arraySync());
    expect(c.buffer).not.toBe(t.buffer);
    expect(tf.tensor1d([1]).concat(tf.tensor1d([2])).arraySync()).toEqual([1, 2]);
    expect(tf.tensor2d([[1, 2]]).matMul(tf.tensor2d([[3], [4]])).arraySync()).toEqual([[11]]);
  });

  it('variable: copies its initial value, assign writes in place', () => {
    const init = tf.tensor1d([1, 2]);
    const v = tf.variable(init, true, 'w');
    expect(v.name).toBe('w');
    expect(v.trainable).toBe(true);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    expect(Array.from(init.dataSync())).toEqual([1, 2]);
    expect(() => v.assign(tf.tensor1d([1, 2, 3]))).toThrow(/Variable.assign: argument 'value' expected a Tensor of shape \[2\]/);
  });

  it('tidy disposes intermediates but keeps results and keep()s; dispose frees; memory is harmless', () => {
    let inner: tf.Tensor | null = null;
    let kept: tf.Tensor | null = null;
    const out = tf.tidy(() => {
      inner = tf.tensor1d([1, 2]).mul(2);
      kept = tf.keep(tf.tensor1d([3]));
      return inner.add(1);
    });
    expect(Array.from(out.dataSync())).toEqual([3, 5]);
    expect(inner!.isDisposed).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    expect(tf.tidy('named', () => tf.scalar(2)).item()).toBe(2);
    const a = tf.tensor1d([1]);
    const b = tf.tensor1d([2]);
    tf.dispose({ a, list: [b] });
    expect(a.isDisposed && b.isDisposed).toBe(true);
    expect(tf.memory()).toMatchObject({ numTensors: 0, unreliable: true });
    expect(tf.engine().memory().unreliable).toBe(true);
  });

  it('the entry point shares the main Tensor class and keeps the main API', async () => {
    expect(tf.tensor1d([1])).toBeInstanceOf(MainTensor);
    expect(typeof tf.matMul).toBe('function');
    expect(await tf.setBackend('tensorflow')).toBe(true);
    expect(tf.getBackend()).toBe('native');
    expect(mainSequential([]).predict).toBeInstanceOf(Function);
  });
});

describe('ops tfjs has under its own names', () => {
  it('unstack, linspace, moments, buffer, util.assertShapesMatch, Model, train.Optimizer, layers.Layer', () => {
    const parts = tf.unstack(tf.tensor2d([[1, 2], [3, 4]]), 1);
    expect(parts.map((p) => p.arraySync())).toEqual([[1, 3], [2, 4]]);
    expect(Array.from(tf.linspace(0, 1, 5).dataSync())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const { mean, variance } = tf.moments(tf.tensor1d([1, 2, 3, 6]));
    expect(mean.item()).toBe(3);
    expect(variance.item()).toBe(3.5);
    const b = tf.buffer([2, 2]);
    b.set(5, 1, 0);
    expect(b.get(1, 0)).toBe(5);
    expect(b.toTensor().arraySync()).toEqual([[0, 0], [5, 0]]);
    expect(() => tf.util.assertShapesMatch([1, 2], [2, 1], 'x: ')).toThrow('x: Shapes [1,2] and [2,1] must match');
    expect(tf.sequential()).toBeInstanceOf(tf.Model);
    expect(tf.train.adam()).toBeInstanceOf(tf.train.Optimizer);
    expect(tf.layers.dense({ units: 1 })).toBeInstanceOf(tf.layers.Layer);
  });
});

describe('custom training loops', () => {
  it('optimizer.minimize(f) without a varList trains every trainable tf.variable; variableGrads by name', () => {
    const a = tf.variable(tf.scalar(0), true, 'a');
    const b = tf.variable(tf.scalar(0), true, 'b');
    const frozen = tf.variable(tf.scalar(1), false, 'frozen');
    const xs = tf.tensor1d([0, 1, 2, 3]);
    const ys = tf.tensor1d([1, 3, 5, 7]);
    const loss = () => a.mul(xs).add(b).mul(frozen).sub(ys).square().mean();
    const { value, grads } = tf.variableGrads(loss);
    expect(value.item()).toBe(21);
    expect(Object.keys(grads).filter((k) => k === 'a' || k === 'b').sort()).toEqual(['a', 'b']);
    expect(grads['a']!.item()).toBeCloseTo(-17);
    const opt = tf.train.sgd(0.05);
    for (let i = 0; i < 300; i++) opt.minimize(loss);
    expect(a.item()).toBeCloseTo(2, 1);
    expect(b.item()).toBeCloseTo(1, 1);
    expect(frozen.item()).toBe(1);
  });
});

describe('util', () => {
  it('assert, sizeFromShape, flatten, arraysEqual, inferShape', () => {
    expect(() => tf.util.assert(false, 'boom')).toThrow('boom');
    expect(() => tf.util.assert(false, () => 'lazy')).toThrow('lazy');
    expect(() => tf.util.assert(true, 'never')).not.toThrow();
    expect(tf.util.sizeFromShape([2, 3, 4])).toBe(24);
    expect(tf.util.sizeFromShape([])).toBe(1);
    expect(tf.util.flatten([1, [2, [3, 4]], new Float32Array([5])])).toEqual([1, 2, 3, 4, 5]);
    expect(tf.util.arraysEqual([1, 2], [1, 2])).toBe(true);
    expect(tf.util.arraysEqual([1, 2], [2, 1])).toBe(false);
    expect(tf.util.inferShape([[1, 2, 3], [4, 5, 6]])).toEqual([2, 3]);
    expect(tf.util.isTypedArray(new Float32Array(1))).toBe(true);
  });

  it('shuffle permutes in place and follows manualSeed; shuffleCombo keeps pairs together', () => {
    const run = () => {
      tf.manualSeed(5);
      const a = Array.from({ length: 20 }, (_, i) => i);
      tf.util.shuffle(a);
      return a;
    };
    const a = run();
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(run()).toEqual(a);
    const xs = [1, 2, 3, 4, 5];
    const ys = ['1', '2', '3', '4', '5'];
    tf.util.shuffleCombo(xs, ys);
    expect(xs.map(String)).toEqual(ys);
    expect(Array.from(tf.util.createShuffledIndices(6)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

function tinyClassifier(): tf.TfjsLayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 8, activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
  m.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const X = [[0, 0], [0, 1], [1, 0], [1, 1], [0.1, 0.9], [0.9, 0.1], [0.8, 0.9], [0.2, 0.1]];
const Y = X.map(([a, b]) => (a! + b! > 1 ? [1, 0] : [0, 1]));

describe('models', () => {
  it('predict is synchronous and returns tensors (batched past batchSize); evaluate returns Scalar[] or a Scalar', async () => {
    tf.manualSeed(4);
    const m = tinyClassifier();
    const x = tf.tensor2d(X);
    const y = tf.tensor2d(Y);
    const p = m.predict(x) as tf.Tensor;
    expect(p).toBeInstanceOf(MainTensor);
    expect(p.shape).toEqual([8, 2]);
    tf.test_util.expectArraysClose(m.predict(x, { batchSize: 3 }), p, 1e-6);
    tf.test_util.expectArraysClose(m.predict([x]), p, 1e-6);
    const ev = m.evaluate(x, y) as tf.Tensor[];
    expect(ev).toHaveLength(2);
    expect(ev[0]!.shape).toEqual([]);
    expect(ev[1]!.dataSync()[0]).toBeGreaterThanOrEqual(0);
    const r = mainSequential([tf.layers.dense({ inputShape: [2], units: 1 })]);
    r.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const single = new tf.TfjsLayersModel(r).evaluate(x, tf.ones([8, 1]));
    expect(single).toBeInstanceOf(MainTensor);
    expect((single as tf.Tensor).shape).toEqual([]);
  });

  it('fit resolves to a History with tfjs names (acc, val_acc) and callbacks see them', async () => {
    tf.manualSeed(6);
    const m = tinyClassifier();
    const seen: string[] = [];
    const h = await m.fit(tf.tensor2d(X), tf.tensor2d(Y), {
      epochs: 30, batchSize: 4, validationSplit: 0.25, verbose: 0,
      callbacks: { onEpochEnd: async (_e: number, logs?: Record<string, number>) => void seen.push(...Object.keys(logs ?? {})) },
    });
    expect(h.history.loss).toHaveLength(30);
    expect(h.history.acc).toEqual(h.history.accuracy);
    expect(h.history.val_acc).toHaveLength(30);
    expect(seen).toContain('acc');
    expect(h.history.loss![29]!).toBeLessThan(h.history.loss![0]!);
    const tob = await m.trainOnBatch(tf.tensor2d(X), tf.tensor2d(Y));
    expect(Array.isArray(tob) && tob.length === 2).toBe(true);
  });

  it('tf.Callback subclasses and tf.CustomCallback hook into fit; stopTraining ends it', async () => {
    class StopAfterTwo extends tf.Callback {
      epochs = 0;
      override async onEpochEnd(): Promise<void> {
        if (++this.epochs === 2) this.model!.stopTraining = true;
      }
    }
    const stop = new StopAfterTwo();
    const batches: number[] = [];
    const m = tinyClassifier();
    const h = await m.fit(tf.tensor2d(X), tf.tensor2d(Y), { epochs: 10, batchSize: 4, verbose: 0, callbacks: [stop, new tf.CustomCallback({ onBatchEnd: async (b) => void batches.push(b) })] });
    expect(h.history.loss).toHaveLength(2);
    expect(batches).toEqual([0, 1, 0, 1]);
    const s: tf.Scalar = tf.scalar(1);
    expect(s.rank).toBe(0);
  });

  it('fit and fitDataset take datasets of { xs, ys } and [xs, ys] elements; evaluateDataset resolves to scalars', async () => {
    tf.manualSeed(7);
    const m = tinyClassifier();
    const ds = tf.data.zip({ xs: tf.data.array(X), ys: tf.data.array(Y) }).batch(4);
    const h = await m.fitDataset(ds, { epochs: 3, verbose: 0, validationData: ds });
    expect(h.history.val_loss).toHaveLength(3);
    const h2 = await m.fit(tf.data.zip([tf.data.array(X.map((r) => tf.tensor1d(r))), tf.data.array(Y.map((r) => tf.tensor1d(r)))]).batch(8), { epochs: 2, verbose: 0 });
    expect(h2.history.loss).toHaveLength(2);
    const ev = (await m.evaluateDataset(ds)) as tf.Tensor[];
    expect(ev.map((t) => t.shape)).toEqual([[], []]);
    await expect(m.fitDataset(tf.data.array([{ a: 1 }]).batch(1), { epochs: 1, verbose: 0 })).rejects.toThrow(/elements \{ xs, ys \}/);
  });

  it('functional models through tf.input / tf.model, getLayer, summary, add on non-Sequential throws', () => {
    const a = tf.input({ shape: [3], name: 'in_a' });
    const h = tf.layers.dense({ units: 4, name: 'hidden' }).apply(a) as tf.SymbolicTensor;
    const m = tf.model({ inputs: a, outputs: tf.layers.dense({ units: 1 }).apply(h) as tf.SymbolicTensor });
    expect(m.getLayer('hidden').name).toBe('hidden');
    expect(m.outputShape).toEqual([null, 1]);
    expect(m.inputs[0]!.shape).toEqual([null, 3]);
    expect(() => m.add(tf.layers.dense({ units: 1 }))).toThrow(/not a Sequential/);
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.some((l) => l.includes('hidden'))).toBe(true);
  });

  it("save('file://...') writes tfjs's format, which real @tensorflow/tfjs loads with equal predictions", async () => {
    tf.manualSeed(8);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    m.add(tf.layers.dropout({ rate: 0.1 }));
    const dir = path.join(tmp, 'saved');
    const res = await m.save(`file://${dir}`);
    expect(res.modelArtifactsInfo.weightDataBytes).toBe(m.countParams() * 4);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 6, 6, 1]);
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    const theirs = await real.loadLayersModel(real.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
    const x = tf.randomUniform([2, 6, 6, 1]);
    tf.test_util.expectArraysClose(theirs.predict(real.tensor(Array.from(x.dataSync()), [2, 6, 6, 1])) as real.Tensor as never, m.predict(x), 1e-5);
    // An IOHandler with save() gets the artifacts.
    let got: unknown = null;
    await m.save(tf.io.withSaveHandler(async (a) => ((got = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    expect((got as { weightSpecs: unknown[] }).weightSpecs).toHaveLength(4);
    await expect(m.save('http://example.com/model')).rejects.toThrow(/'http:\/\/' scheme/);
  });

  it('the GRU factory defaults to resetAfter false, the form tfjs reads', () => {
    expect((tf.layers.gru({ units: 2 }) as unknown as { resetAfter: boolean }).resetAfter).toBe(false);
    expect((tf.layers.gru({ units: 2, resetAfter: true }) as unknown as { resetAfter: boolean }).resetAfter).toBe(true);
    expect(tf.layers.maxPool2d({ poolSize: 2 }).className).toBe('MaxPooling2D');
  });
});

describe('tf.train', () => {
  it('sgd, momentum, adam, rmsprop, adagrad, adadelta and adamax build optimizers that train', async () => {
    const opts = [tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9), tf.train.adam(0.01), tf.train.rmsprop(0.01), tf.train.adagrad(0.1), tf.train.adadelta(1), tf.train.adamax(0.05)];
    for (const opt of opts) {
      tf.manualSeed(9);
      const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const h = await m.fit(tf.tensor2d([[1], [2], [3]]), tf.tensor2d([[2], [4], [6]]), { epochs: 20, verbose: 0 });
      expect(h.history.loss![19]!).toBeLessThan(h.history.loss![0]!);
    }
  });
});

describe('tf.data', () => {
  it('array, map, filter, batch (numbers, arrays and objects), shuffle, take, skip, repeat, forEachAsync, iterator', async () => {
    const ds = tf.data.array([1, 2, 3, 4, 5]);
    expect(ds.size).toBe(5);
    expect(await ds.map((x) => x * 10).filter((x) => x > 20).toArray()).toEqual([30, 40, 50]);
    const batches = await ds.batch(2).toArray();
    expect(batches.map((b) => (b as unknown as tf.Tensor).arraySync())).toEqual([[1, 2], [3, 4], [5]]);
    expect(await ds.batch(2, false).toArray()).toHaveLength(2);
    const rows = await tf.data.array([{ xs: [1, 2], ys: [0] }, { xs: [3, 4], ys: [1] }]).batch(2).toArray();
    expect((rows[0]!.xs as unknown as tf.Tensor).shape).toEqual([2, 2]);
    expect((rows[0]!.ys as unknown as tf.Tensor).shape).toEqual([2, 1]);
    const tensors = await tf.data.array([tf.tensor1d([1, 2]), tf.tensor1d([3, 4])]).batch(2).toArray();
    expect(tensors[0]!.shape).toEqual([2, 2]);
    expect((await ds.shuffle(5, 'seed').toArray()).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await ds.shuffle(10, 3).toArray()).toEqual(await ds.shuffle(10, 3).toArray());
    expect(await ds.skip(3).take(1).toArray()).toEqual([4]);
    expect(await ds.take(2).repeat(2).toArray()).toEqual([1, 2, 1, 2]);
    expect(await ds.prefetch(2).concatenate(tf.data.array([6])).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    const seen: number[] = [];
    await ds.forEachAsync((x) => void seen.push(x));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const it = await ds.iterator();
    expect((await it.next()).value).toBe(1);
    await expect(tf.data.array(['a', 'b']).batch(2).toArray()).rejects.toThrow(/tensors here hold numbers only/);
  });

  it('generator (sync and async, anew each pass) and zip of arrays and objects', async () => {
    const g = tf.data.generator(function* () {
      for (let i = 0; i < 3; i++) yield i;
    });
    expect(await g.toArray()).toEqual([0, 1, 2]);
    expect(await g.toArray()).toEqual([0, 1, 2]);
    const ag = tf.data.generator(async function* () {
      yield 'x';
    });
    expect(await ag.toArray()).toEqual(['x']);
    let n = 0;
    const it = tf.data.generator(() => ({ next: () => (n < 2 ? { value: n++, done: false } : { value: undefined, done: true }) }) as Iterator<number>);
    expect(await it.toArray()).toEqual([0, 1]);
    expect(await tf.data.zip([tf.data.array([1, 2, 3]), tf.data.array(['a', 'b'])]).toArray()).toEqual([[1, 'a'], [2, 'b']]);
    expect(await tf.data.zip({ a: tf.data.array([1]), b: tf.data.array([2]) }).toArray()).toEqual([{ a: 1, b: 2 }]);
  });

  it('csv: hasHeader, columnConfigs isLabel/dtype/default/required, columnNames(), delimiter, configuredColumnsOnly, file:// and plain paths', async () => {
    const file = path.join(tmp, 'd.csv');
    fs.writeFileSync(file, 'a;b;label\n1;x;0\n2;;1\n"3";z;1\n');
    const ds = tf.data.csv(`file://${file}`, { delimiter: ';', columnConfigs: { label: { isLabel: true }, b: { default: 'none' } } });
    expect(await ds.columnNames()).toEqual(['a', 'b', 'label']);
    expect(await ds.toArray()).toEqual([
      { xs: { a: 1, b: 'x' }, ys: { label: 0 } },
      { xs: { a: 2, b: 'none' }, ys: { label: 1 } },
      { xs: { a: 3, b: 'z' }, ys: { label: 1 } },
    ]);
    const only = tf.data.csv(file, { delimiter: ';', configuredColumnsOnly: true, columnConfigs: { a: { dtype: 'int32' } } });
    expect(await only.columnNames()).toEqual(['a']);
    expect(await only.toArray()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    const headerless = tf.data.csv(file, { delimiter: ';', hasHeader: false, columnNames: ['p', 'q', 'r'] });
    expect((await headerless.take(1).toArray())[0]).toEqual({ p: 'a', q: 'b', r: 'label' });
    await expect(tf.data.csv(file, { delimiter: ';', columnConfigs: { b: { required: true } } }).toArray()).rejects.toThrow(/required column 'b' is empty/);
    await expect(tf.data.csv(file, { delimiter: ';', columnConfigs: { nope: { isLabel: true } } }).toArray()).rejects.toThrow(/argument 'columnConfigs' expected columns of the file \(a, b, label\), got "nope"/);
    await expect(tf.data.csv('http://example.com/x.csv').toArray()).rejects.toThrow(/'http:\/\/' scheme/);
  });
});

describe('tf.io, tf.loadLayersModel, tf.node', () => {
  it('io.fileSystem saves and loads; loadLayersModel takes file:// URLs, paths, directories and handlers', async () => {
    tf.manualSeed(10);
    const m = tinyClassifier();
    const dir = path.join(tmp, 'fs-handler');
    await m.save(tf.io.fileSystem(`file://${dir}`));
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const x = tf.tensor2d(X);
    for (const src of [`file://${dir}/model.json`, path.join(dir, 'model.json'), dir, tf.io.fileSystem(path.join(dir, 'model.json'))]) {
      const back = await tf.loadLayersModel(src as string);
      tf.test_util.expectArraysClose(back.predict(x), m.predict(x), 1e-6);
    }
    const art = await tf.io.fileSystem(dir).load!();
    const fromMem = await tf.loadLayersModel(tf.io.fromMemory(art.modelTopology as never, art.weightSpecs, art.weightData as ArrayBuffer));
    tf.test_util.expectArraysClose(fromMem.predict(x), m.predict(x), 1e-6);
    await expect(tf.loadLayersModel('indexeddb://my-model')).rejects.toThrow(/'indexeddb:\/\/' scheme/);
  });

  it('node.tensorBoard writes event files during fit', async () => {
    const m = tinyClassifier();
    const logdir = path.join(tmp, 'tb');
    await m.fit(tf.tensor2d(X), tf.tensor2d(Y), { epochs: 2, verbose: 0, callbacks: tf.node.tensorBoard(`file://${logdir}`) });
    const train = path.join(logdir, 'train');
    expect(fs.readdirSync(train).some((f) => f.startsWith('events.out.tfevents'))).toBe(true);
    const w = tf.node.summaryFileWriter(path.join(tmp, 'tb2'));
    w.scalar('x', 1, 0);
    await w.close();
  });
});
