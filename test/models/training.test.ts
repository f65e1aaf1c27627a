import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { tensor } from '../../src';
import type { StepArena } from '../../src/tensor/step-arena';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tf-model-test-'));
}

function mnistFlat(n: number) {
  const { train, test } = tf.datasets.mnist();
  const take = (t: tf.Tensor, k: number) => t.slice([0], [Math.min(k, t.shape[0]!)]);
  const xTrain = take(train.images, n).reshape([-1, 784]);
  const yTrain = tf.oneHot(take(train.labels, n), 10);
  const xTest = test.images.reshape([-1, 784]);
  const yTest = tf.oneHot(test.labels, 10);
  return { xTrain, yTrain, xTest, yTest, testLabels: test.labels };
}

describe('convergence', () => {
  it('learns XOR with sigmoid + MSE + SGD', async () => {
    tf.manualSeed(3);
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = tensor([[0], [1], [1], [0]]);
    const model = tf.sequential([
      tf.layers.dense({ units: 8, activation: 'sigmoid', inputShape: [2] }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 2 }), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { epochs: 1500, batchSize: 4, verbose: 0 });
    const pred = ((await model.predict(x)) as tf.Tensor).dataSync();
    expect(Array.from(pred).map((v) => Math.round(v))).toEqual([0, 1, 1, 0]);
    expect(h.history['loss']!.at(-1)!).toBeLessThan(0.02);
  });

  it('recovers y = 3x + 2 by linear regression with SGD', async () => {
    tf.manualSeed(5);
    const x = tf.rand([200, 1], { min: -1, max: 1 });
    const y = tf.add(tf.mul(x, 3), 2);
    const dense = tf.layers.dense({ units: 1, inputShape: [1] });
    const model = tf.sequential([dense]);
    model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    await model.fit(x, y, { epochs: 60, batchSize: 20, verbose: 0 });
    const [w, b] = dense.getWeights();
    expect(w!.item()).toBeCloseTo(3, 2);
    expect(b!.item()).toBeCloseTo(2, 2);
  });

  it('reaches 88% test accuracy on an MNIST subset within the test time', async () => {
    tf.manualSeed(11);
    const { xTrain, yTrain, xTest, yTest } = mnistFlat(3000);
    const model = tf.sequential([
      tf.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { epochs: 4, batchSize: 64, verbose: 0 });
    const result = await model.evaluate(xTest, yTest, { batchSize: 256 });
    expect(result['accuracy']).toBeGreaterThan(0.88);
    // The stateful accuracy equals argmax agreement computed directly.
    const pred = (await model.predict(xTest)) as tf.Tensor;
    const direct = tf.mean(tf.equal(tf.argmax(pred, 1), tf.argmax(yTest, 1))).item();
    expect(result['accuracy']).toBeCloseTo(direct, 6);
  });
});

describe('fit, evaluate, predict', () => {
  const data = () => {
    tf.manualSeed(9);
    const x = tf.randn([100, 4]);
    const labels = tf.argmax(tf.matmul(x, tf.randn([4, 3])), 1);
    return { x, labels, y: tf.oneHot(labels, 3) };
  };
  const small = () =>
    tf.sequential([tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })]);

  it('returns a History with per-epoch loss, metrics and val_ entries', async () => {
    const { x, y } = data();
    const model = small();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'acc'] });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.2, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'accuracy', 'loss', 'val_acc', 'val_accuracy', 'val_loss']);
    for (const v of Object.values(h.history)) expect(v).toHaveLength(3);
    expect(h.params!.samples).toBe(80);
  });

  it('evaluate resolves to numbers by name; predict batches and keeps order', async () => {
    const { x, y } = data();
    const model = small();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const r = await model.evaluate(x, y, { batchSize: 7 });
    expect(Object.keys(r).sort()).toEqual(['accuracy', 'loss']);
    expect(typeof r['loss']).toBe('number');
    const batched = (await model.predict(x, { batchSize: 7 })) as tf.Tensor;
    const whole = model.predictOnBatch(x) as tf.Tensor;
    expect(batched.shape).toEqual([100, 3]);
    expect(Array.from(batched.dataSync())).toEqual(Array.from(whole.dataSync()));
  });

  it('trains with sparse labels, trainOnBatch and classWeight', async () => {
    const { x, labels } = data();
    const model = small();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const before = (await model.evaluate(x, labels))['loss']!;
    const r = await model.trainOnBatch(x, labels);
    expect(Object.keys(r).sort()).toEqual(['accuracy', 'loss']);
    await model.fit(x, labels, { epochs: 5, batchSize: 10, verbose: 0, classWeight: { 0: 1, 1: 2, 2: 1 } });
    expect((await model.evaluate(x, labels))['loss']!).toBeLessThan(before);
  });

  it('works with the functional API, two inputs and two outputs', async () => {
    tf.manualSeed(2);
    const a = tf.input({ shape: [3], name: 'a' });
    const b = tf.input({ shape: [2], name: 'b' });
    const ha = tf.layers.dense({ units: 4, activation: 'relu' }).apply(a);
    const hb = tf.layers.dense({ units: 4, activation: 'relu' }).apply(b);
    const shared = tf.layers.dense({ units: 4, activation: 'tanh', name: 'shared' });
    const sa = shared.apply(ha);
    const sb = shared.apply(hb);
    const out1 = tf.layers.dense({ units: 1, name: 'sum_out' }).apply(sa);
    const out2 = tf.layers.dense({ units: 2, activation: 'softmax', name: 'class_out' }).apply(sb);
    const model = tf.model({ inputs: [a, b], outputs: [out1, out2] });
    model.compile({ optimizer: 'adam', loss: ['mse', 'sparseCategoricalCrossentropy'], metrics: { sum_out: ['mae'], class_out: ['accuracy'] } });
    const xa = tf.randn([64, 3]);
    const xb = tf.randn([64, 2]);
    const y1 = tf.sum(xa, 1, true);
    const y2 = tf.cast(tf.greater(tf.sum(xb, 1), 0), 'int32');
    const h = await model.fit([xa, xb], [y1, y2], { epochs: 30, batchSize: 16, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(['class_out_accuracy', 'class_out_loss', 'loss', 'sum_out_loss', 'sum_out_mae']);
    expect(h.history['loss']!.at(-1)!).toBeLessThan(h.history['loss']![0]!);
    const [p1, p2] = (await model.predict([xa, xb])) as tf.Tensor[];
    expect(p1!.shape).toEqual([64, 1]);
    expect(p2!.shape).toEqual([64, 2]);
    expect(model.layers.filter((l) => l.name === 'shared')).toHaveLength(1);
  });

  it('fits on a Dataset of batches', async () => {
    const { x, y } = data();
    const model = small();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const ds = tf.Dataset.fromTensors(x, y).batch(25);
    const seen: string[] = [];
    let lastBatchLoss = Number.NaN;
    const h = await model.fit(ds, {
      epochs: 2,
      verbose: 0,
      callbacks: {
        onBatchBegin: (b, logs) => void seen.push(`begin ${b} ${logs?.['batch']}`),
        onBatchEnd: (b, logs) => {
          seen.push(`end ${b} ${logs?.['batch']}`);
          lastBatchLoss = logs?.['loss'] as number;
        },
      },
    });
    expect(h.history['loss']).toHaveLength(2);
    // Batch callbacks get the batch's own index (as with tensors), and the running epoch loss.
    const batches = Math.ceil(x.shape[0]! / 25);
    const perEpoch = Array.from({ length: batches }, (_, b) => [`begin ${b} ${b}`, `end ${b} ${b}`]).flat();
    expect(seen).toEqual([...perEpoch, ...perEpoch]);
    expect(lastBatchLoss).toBeCloseTo(h.history['loss']![1]!, 6);
  });

  it('predicts with a Sequential that learns its input shape from the data', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3 })] });
    const y = (await model.predict(tf.ones([5, 4]), { batchSize: 2 })) as tf.Tensor;
    expect(y.shape).toEqual([5, 3]);
    const whole = (model.predictOnBatch(tf.ones([5, 4])) as tf.Tensor).dataSync();
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(whole[i]!, 5));
  });

  it('prints a Keras-style summary', () => {
    const model = small();
    const lines: string[] = [];
    model.summary(65, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/Layer \(type\)\s+Output Shape\s+Param #/);
    expect(text).toMatch(/\(Dense\)\s+\[null,8\]\s+40/);
    expect(text).toMatch(/\(Dense\)\s+\[null,3\]\s+27/);
    expect(text).toContain('Total params: 67');
    expect(text).toContain('Trainable params: 67');
    expect(text).toContain('Non-trainable params: 0');
  });
});

describe('freezing, saving and loading', () => {
  it('keeps frozen layers unchanged through fit', async () => {
    tf.manualSeed(4);
    const body = tf.layers.dense({ units: 6, activation: 'relu', inputShape: [4] });
    const head = tf.layers.dense({ units: 2, activation: 'softmax' });
    const model = tf.sequential([body, head]);
    body.trainable = false;
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const bodyBefore = body.getWeights().map((w) => Array.from(w.dataSync()));
    const headBefore = head.getWeights().map((w) => Array.from(w.dataSync()));
    await model.fit(tf.randn([32, 4]), tf.randint(0, 2, [32]), { epochs: 3, batchSize: 8, verbose: 0 });
    expect(body.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(bodyBefore);
    expect(head.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(headBefore);
    const lines: string[] = [];
    model.summary(65, (l) => lines.push(l));
    expect(lines.join('\n')).toContain('Non-trainable params: 30');
  });

  it('save/load round trip restores identical predictions and the training config', async () => {
    tf.manualSeed(6);
    const model = tf.sequential([
      tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [5], kernelRegularizer: 'l2' }),
      tf.layers.batchNormalization(),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.randn([40, 5]);
    await model.fit(x, tf.oneHot(tf.randint(0, 3, [40]), 3), { epochs: 2, verbose: 0 });
    const dir = tmpDir();
    await model.save(dir);
    expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
    const loaded = await tf.loadModel(dir);
    const a = ((await model.predict(x)) as tf.Tensor).dataSync();
    const b = ((await loaded.predict(x)) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.layers.map((l) => l.className)).toEqual(['Dense', 'BatchNormalization', 'Dropout', 'Dense']);
    expect(loaded.optimizer!.learningRate).toBeCloseTo(0.01, 8);
    const r = await loaded.evaluate(x, tf.oneHot(tf.randint(0, 3, [40]), 3));
    expect(Object.keys(r).sort()).toEqual(['accuracy', 'loss']);
  });

  it('round-trips a functional model with a shared layer', async () => {
    const a = tf.input({ shape: [3] });
    const b = tf.input({ shape: [3] });
    const shared = tf.layers.dense({ units: 2 });
    const out = tf.layers.dense({ units: 1 }).apply(shared.apply(a));
    const out2 = shared.apply(b);
    const model = tf.model({ inputs: [a, b], outputs: [out, out2] });
    const dir = tmpDir();
    await model.save(dir);
    const loaded = await tf.loadModel(dir);
    const xa = tf.randn([4, 3]);
    const xb = tf.randn([4, 3]);
    const p = (await model.predict([xa, xb])) as tf.Tensor[];
    const q = (await loaded.predict([xa, xb])) as tf.Tensor[];
    p.forEach((t, i) => expect(Array.from(q[i]!.dataSync())).toEqual(Array.from(t.dataSync())));
  });

  it('rejects corrupt or truncated files with a clear error', async () => {
    const model = tf.sequential([tf.layers.dense({ units: 2, inputShape: [3] })]);
    const dir = tmpDir();
    await model.save(dir);
    const weights = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(weights);
    fs.writeFileSync(weights, bytes.subarray(0, bytes.length - 5));
    await expect(tf.loadModel(dir)).rejects.toThrow(/model\.safetensors.*truncated/);
    fs.writeFileSync(weights, bytes);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"format": "tensorforge-layers-model", ');
    await expect(tf.loadModel(dir)).rejects.toThrow(/model\.json is not valid JSON/);
    await expect(tf.loadModel(path.join(dir, 'missing'))).rejects.toThrow(/cannot read/);
  });
});

describe('bad inputs give clear errors', () => {
  const model = () => {
    const m = tf.sequential([tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('names the expected and actual input shapes', async () => {
    await expect(model().fit(tf.zeros([8, 5]), tf.zeros([8], 'int32'), { verbose: 0 })).rejects.toThrow(
      /expected input shape \[null,4\], got shape \[8,5\]/,
    );
    await expect(model().predict(tf.zeros([2, 2, 2]))).rejects.toThrow(/input shape \[null,4\]/);
  });

  it('rejects labels out of range and mismatched sample counts', async () => {
    await expect(model().fit(tf.zeros([4, 4]), tensor([0, 1, 2, 7], [4], 'int32'), { verbose: 0 })).rejects.toThrow(/7/);
    await expect(model().fit(tf.zeros([4, 4]), tf.zeros([5], 'int32'), { verbose: 0 })).rejects.toThrow(/4 samples/);
  });

  it('rejects unknown loss, optimizer and metric names at compile time', () => {
    const m = tf.sequential([tf.layers.dense({ units: 1, inputShape: [1] })]);
    expect(() => m.compile({ optimizer: 'adamm', loss: 'mse' })).toThrow(/adamm/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'msee' })).toThrow(/msee/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy'] })).toThrow(/acuracy/);
    expect(() => tf.layers.dense({ units: 0 })).toThrow(/dense: argument 'units' expected a positive integer/);
    expect(() => tf.layers.dense({ units: 2, activation: 'rellu' as 'relu' })).toThrow(/activation/);
  });

  it('requires compile before fit', async () => {
    const m = tf.sequential([tf.layers.dense({ units: 1, inputShape: [1] })]);
    await expect(m.fit(tf.zeros([1, 1]), tf.zeros([1, 1]))).rejects.toThrow(/compile/);
  });
});

describe('servers come first', () => {
  it('keeps a 10 ms timer firing with p99 delay under 50 ms while MNIST trains', async () => {
    tf.manualSeed(1);
    const { xTrain, yTrain } = mnistFlat(4000);
    const model = tf.sequential([
      tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    let fired = 0;
    const timer = setInterval(() => fired++, 10);
    histogram.enable();
    const t0 = performance.now();
    await model.fit(xTrain, yTrain, { epochs: 2, batchSize: 128, verbose: 0 });
    const elapsed = performance.now() - t0;
    histogram.disable();
    clearInterval(timer);
    const p99 = histogram.percentile(99) / 1e6;
    expect(p99).toBeLessThan(50);
    expect(fired).toBeGreaterThan(elapsed / 10 / 3);
  });
});

describe('no per-step allocation', () => {
  // The first step builds optimizer slots and runs on the pool; the second is recorded on the pool
  // (every buffer it takes comes back before it returns) and planned into the step's arena; from the
  // third on, intermediates take their planned regions and the rest finds parked buffers: no fresh
  // pages to zero, no external memory bringing GCs forward.
  // A conv + BatchNorm network and an LSTM of the tutorials' kind, compiled.
  const convBnNet = (): tf.LayersModel => {
    const m = tf.sequential([
      tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.01, momentum: 0.9 }), loss: 'categoricalCrossentropy' });
    return m;
  };
  const lstmNet = (optimizer: string, metrics: string[] = []): tf.LayersModel => {
    const m = tf.sequential([tf.layers.lstm({ units: 16, inputShape: [6, 5] }), tf.layers.dense({ units: 10, activation: 'softmax' })]);
    m.compile({ optimizer, loss: 'categoricalCrossentropy', metrics });
    return m;
  };
  const freshPerStep = (step: () => void, steps: number): number[] =>
    Array.from({ length: steps }, () => {
      const before = tf.freshBufferCount();
      step();
      return tf.freshBufferCount() - before;
    });

  it('dense, convolutional, recurrent and imported BatchNorm models train without fresh buffers after the first two steps', () => {
    tf.manualSeed(5);
    // The count sees allocations: a tensor of a size no earlier test parked takes a fresh buffer.
    const before = tf.freshBufferCount();
    tf.zeros([3_000_017]);
    expect(tf.freshBufferCount()).toBe(before + 1);
    const dense = tf.sequential([
      tf.layers.dense({ units: 64, activation: 'relu', inputShape: [40] }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    dense.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const conv = convBnNet();
    const rnn = lstmNet('rmsprop');
    const imported = tf.importOnnx(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bn-net.onnx')));
    imported.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const wave = (shape: number[]) => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37)), shape);
    const labels = tf.oneHot(tensor(Int32Array.from({ length: 8 }, (_, i) => i % 10), [8], 'int32'), 10);
    const [xd, xc, xr, xi, yi] = [wave([8, 40]), wave([8, 12, 12, 1]), wave([8, 6, 5]), wave([6, 3, 6, 6]), wave([6, 2])];
    const cases: [string, () => void][] = [
      ['dense', () => dense.trainOnBatch(xd, labels)],
      ['conv', () => conv.trainOnBatch(xc, labels)],
      ['lstm', () => rnn.trainOnBatch(xr, labels)],
      ['imported bn-net', () => imported.trainOnBatch(xi, yi)],
    ];
    for (const [name, step] of cases) {
      const fresh = freshPerStep(step, 6);
      expect(fresh.slice(2), `${name}: fresh buffers per later step`).toEqual([0, 0, 0, 0]);
    }
  });

  it('plans each training step into one arena and trains exactly as the pool does', async () => {
    const build = (): tf.LayersModel[] => {
      tf.manualSeed(9);
      const conv = convBnNet();
      const rnn = lstmNet('adam', ['accuracy']);
      const imported = tf.importOnnx(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'bn-net.onnx')));
      imported.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      return [conv, rnn, imported];
    };
    const arenaOf = (m: tf.LayersModel): StepArena => (m as unknown as { compiled: { stepArena: StepArena } }).compiled.stepArena;
    const wave = (shape: number[], k: number) => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * k)), shape);
    const labels = tf.oneHot(tensor(Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 10), [20], 'int32'), 10);
    // 20 samples in batches of 8: every epoch ends with a partial batch of 4.
    const data = [[wave([20, 12, 12, 1], 0.37), labels], [wave([20, 6, 5], 0.21), labels], [wave([20, 3, 6, 6], 0.11), wave([20, 2], 0.5)]] as const;
    const planned = build();
    const pooled = build();
    pooled.forEach((m) => arenaOf(m).disable());
    for (let i = 0; i < 3; i++) {
      const [x, y] = data[i]!;
      const a = await planned[i]!.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
      const b = await pooled[i]!.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
      expect(a.history['loss']).toEqual(b.history['loss']);
      const wa = planned[i]!.getWeights().map((w) => Array.from(w.dataSync()));
      const wb = pooled[i]!.getWeights().map((w) => Array.from(w.dataSync()));
      expect(wa).toEqual(wb);
      // The full batches run on a plan whose arena holds at least one step's activations.
      const key = `float32[8,${x.shape.slice(1).join(',')}]float32[8,${y.shape.slice(1).join(',')}]`;
      expect(arenaOf(planned[i]!).planned(key), `model ${i}`).toBe(true);
      expect(arenaOf(planned[i]!).bytes).toBeGreaterThan(8 * 4 * Math.min(10, x.size / 20));
      expect(arenaOf(pooled[i]!).bytes).toBe(0);
    }
  });
});
