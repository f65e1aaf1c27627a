// tfjs's Layers format both ways against the real @tensorflow/tfjs: models saved here load in tfjs
// and predict the same, and models built and saved by tfjs load here and predict the same.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LayersModel, type SymbolicTensor, type Tensor, input, layers, loadLayersModel, manualSeed, model, randn, sequential, tensor, toTfjsArtifacts } from '../../src';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-format-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  expect(worst).toBeLessThan(tol);
}

function oursPredict(m: LayersModel, x: number[][] | number[][][] | number[][][][], dtype: 'float32' | 'int32' = 'float32'): Float32Array | Int32Array {
  return (m.predictOnBatch(tensor(x as never, dtype)) as Tensor).dataSync();
}

function randomArray(shape: number[], scale = 1): number[] {
  return Array.from(randn(shape).mul(scale).dataSync());
}

function nest(flat: number[], shape: number[]): never {
  return tf.tensor(flat, shape).arraySync() as never;
}

/** Saves a tfjs model with a handler that writes model.json + weights.bin as tfjs-node does. */
async function saveFromTfjs(m: tf.LayersModel, dir: string): Promise<void> {
  await m.save(tf.io.withSaveHandler(async (a) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy,
      weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

/** Loads our model.json + weights.bin into tfjs from memory (pure tfjs has no file:// handler). */
async function loadInTfjs(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
}

describe('tfjs -> tensorforge (model.json + weights.bin written by real tfjs)', () => {
  const cases: { name: string; build: () => tf.LayersModel; shape: number[]; ints?: number }[] = [
    {
      name: 'dense + dropout',
      build: () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 7, activation: 'relu' }), tf.layers.dropout({ rate: 0.3 }), tf.layers.dense({ units: 3, activation: 'softmax' })] }),
      shape: [4, 5],
    },
    {
      name: 'conv2d + pooling + batchnorm + flatten',
      build: () => {
        const m = tf.sequential();
        m.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
        m.add(tf.layers.batchNormalization());
        m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
        m.add(tf.layers.conv2d({ filters: 3, kernelSize: 2, strides: 1 }));
        m.add(tf.layers.averagePooling2d({ poolSize: [3, 3] }));
        m.add(tf.layers.flatten());
        m.add(tf.layers.dense({ units: 2 }));
        return m;
      },
      shape: [3, 8, 8, 2],
    },
    {
      name: 'global pooling',
      build: () => tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 5, kernelSize: 3 }), tf.layers.globalAveragePooling2d({})] }),
      shape: [2, 6, 6, 3],
    },
    {
      name: 'LSTM (hardSigmoid gates, tfjs default)',
      build: () => tf.sequential({ layers: [tf.layers.lstm({ inputShape: [5, 3], units: 4, returnSequences: true }), tf.layers.lstm({ units: 2 })] }),
      shape: [2, 5, 3],
    },
    {
      name: 'GRU (sigmoid gates)',
      build: () => tf.sequential({ layers: [tf.layers.gru({ inputShape: [6, 2], units: 3, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 1 })] }),
      shape: [3, 6, 2],
    },
    {
      name: 'bidirectional LSTM + timeDistributed dense',
      build: () => tf.sequential({ layers: [
        tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as never, inputShape: [5, 2], mergeMode: 'concat' }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
      ] }),
      shape: [2, 5, 2],
    },
    {
      name: 'embedding + simpleRNN',
      build: () => tf.sequential({ layers: [tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }), tf.layers.simpleRNN({ units: 3 })] }),
      shape: [2, 5],
      ints: 10,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const m = c.build();
      // Non-trivial batch-norm statistics, so the moving mean/variance must land in the right slots.
      for (const l of m.layers) {
        if (l.getClassName() === 'BatchNormalization') l.setWeights(l.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 3 ? 0.5 : -1, 1.5)));
      }
      const dir = path.join(tmp, `from-tfjs-${c.name.replace(/\W+/g, '-')}`);
      await saveFromTfjs(m, dir);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const flat = c.ints ? Array.from({ length: size }, (_, i) => (i * 7 + 3) % c.ints!) : randomArray(c.shape);
      const expected = (m.predict(tf.tensor(flat, c.shape, c.ints ? 'int32' : 'float32')) as tf.Tensor).dataSync();
      const ours = await loadLayersModel(`file://${dir}/model.json`);
      closeTo(oursPredict(ours, nest(flat, c.shape), c.ints ? 'int32' : 'float32'), expected);
    });
  }

  it('a functional model with a merge and two inputs', async () => {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const da = tf.layers.dense({ units: 3, activation: 'tanh' }).apply(a) as tf.SymbolicTensor;
    const db = tf.layers.dense({ units: 3 }).apply(b) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([da, db]) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate().apply([sum, a]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(cat) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [a, b], outputs: out });
    const dir = path.join(tmp, 'from-tfjs-functional');
    await saveFromTfjs(m, dir);
    const xa = randomArray([3, 4]);
    const xb = randomArray([3, 4]);
    const expected = (m.predict([tf.tensor(xa, [3, 4]), tf.tensor(xb, [3, 4])]) as tf.Tensor).dataSync();
    const ours = await loadLayersModel(dir);
    expect(ours.className).toBe('Model');
    closeTo((ours.predictOnBatch([tensor(nest(xa, [3, 4])), tensor(nest(xb, [3, 4]))]) as Tensor).dataSync(), expected);
  });

  it('a saved training config compiles the loaded model (tfjs includeOptimizer, Keras training_config)', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
    expect(artifacts!.trainingConfig).toBeDefined();
    const ours = await loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(ours.compiled).not.toBeNull();
    expect(ours.optimizer!.getConfig()['learningRate']).toBeCloseTo(0.01);
    const h = await ours.fit(tensor([[1, 0, 0], [0, 1, 0]]), tensor([[1, 0], [0, 1]]), { epochs: 1, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy']);
    // Keras's spelling, nested in the topology; an unknown loss leaves the model uncompiled.
    const keras = { ...artifacts!, trainingConfig: undefined, modelTopology: { ...(artifacts!.modelTopology as object), training_config: { loss: 'mean_squared_error', optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.5 } } } } };
    expect((await loadLayersModel(tf.io.fromMemory(keras))).compiled!.losses[0]!.name).toMatch(/mean_?squared_?error/i);
    const odd = { ...keras, modelTopology: { ...(artifacts!.modelTopology as object), training_config: { loss: 'no_such_loss' } } };
    expect((await loadLayersModel(tf.io.fromMemory(odd))).compiled).toBeNull();
  });

  it('an IOHandler (tf.io.fromMemory) instead of a path', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const ours = await loadLayersModel(tf.io.fromMemory(artifacts!));
    const x = [[1, 2, 3]];
    closeTo(oursPredict(ours, x), (m.predict(tf.tensor(x)) as tf.Tensor).dataSync());
  });
});

describe('tensorforge -> tfjs (model.save(dir, { format: "tfjs" }))', () => {
  it('sequential conv net with batch norm', async () => {
    manualSeed(3);
    const m = sequential([
      layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu', padding: 'same' }),
      layers.batchNormalization({}),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten({}),
      layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 4, activation: 'softmax' }),
    ]);
    const bn = m.layers[1]!;
    bn.setWeights(bn.getWeights().map((w, i) => randn(w.shape.slice()).mul(0.3).add(i === 3 ? 1 : 0)));
    const dir = path.join(tmp, 'to-tfjs-seq');
    await m.save(`file://${dir}`, { format: 'tfjs' });
    expect(fs.existsSync(path.join(dir, 'weights.bin'))).toBe(true);
    const theirs = await loadInTfjs(dir);
    const x = randomArray([2, 6, 6, 1]);
    closeTo(oursPredict(m, nest(x, [2, 6, 6, 1])), (theirs.predict(tf.tensor(x, [2, 6, 6, 1])) as tf.Tensor).dataSync());
    // And back again.
    const back = await loadLayersModel(`file://${dir}/model.json`);
    closeTo(oursPredict(back, nest(x, [2, 6, 6, 1])), oursPredict(m, nest(x, [2, 6, 6, 1])), 1e-6);
  });

  it('recurrent and embedding layers', async () => {
    const m = sequential([
      layers.embedding({ inputDim: 12, outputDim: 5, inputShape: [6] }),
      layers.lstm({ units: 4, returnSequences: true }),
      layers.gru({ units: 3, resetAfter: false }),
      layers.dense({ units: 2 }),
    ]);
    const dir = path.join(tmp, 'to-tfjs-rnn');
    await m.save(dir, { format: 'tfjs' });
    const theirs = await loadInTfjs(dir);
    const x = [[1, 2, 3, 4, 5, 6], [11, 0, 7, 7, 2, 1]];
    closeTo(oursPredict(m, x, 'int32'), (theirs.predict(tf.tensor(x, [2, 6], 'int32')) as tf.Tensor).dataSync());
  });

  it('functional model with merges', async () => {
    const a = input({ shape: [3] });
    const b = input({ shape: [3] });
    const h = layers.multiply({}).apply([layers.dense({ units: 4, activation: 'sigmoid' }).apply(a), layers.dense({ units: 4 }).apply(b)]);
    const out = layers.dense({ units: 2 }).apply(layers.concatenate({}).apply([h as SymbolicTensor, a]) as SymbolicTensor);
    const m = model({ inputs: [a, b], outputs: out });
    const dir = path.join(tmp, 'to-tfjs-functional');
    await m.save(dir, { format: 'tfjs' });
    const theirs = await loadInTfjs(dir);
    const xa = randomArray([2, 3]);
    const xb = randomArray([2, 3]);
    const ours = (m.predictOnBatch([tensor(nest(xa, [2, 3])), tensor(nest(xb, [2, 3]))]) as Tensor).dataSync();
    closeTo(ours, (theirs.predict([tf.tensor(xa, [2, 3]), tf.tensor(xb, [2, 3])]) as tf.Tensor).dataSync());
  });

  it('toTfjsArtifacts gives tfjs ModelArtifacts directly', async () => {
    const m = sequential([layers.dense({ inputShape: [2], units: 2, activation: 'tanh' })]);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(toTfjsArtifacts(m) as unknown as tf.io.ModelArtifacts));
    closeTo(oursPredict(m, [[0.5, -1]]), (theirs.predict(tf.tensor([[0.5, -1]])) as tf.Tensor).dataSync());
  });
});

describe('errors', () => {
  it('an unsupported layer class is named', async () => {
    const dir = path.join(tmp, 'unsupported');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Cropping3D', config: { name: 'crop', batch_input_shape: [null, 4, 4, 4, 1] } }] } },
      weightsManifest: [],
    }));
    await expect(loadLayersModel(`file://${dir}/model.json`)).rejects.toThrow(/layer 'crop' has class 'Cropping3D', which tensorforge does not support/);
  });

  it('a truncated weights file and a missing weight are clear errors', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const dir = path.join(tmp, 'truncated');
    await saveFromTfjs(m, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const full = JSON.stringify(json);
    json.weightsManifest[0].weights = json.weightsManifest[0].weights.slice(0, 1);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadLayersModel(dir)).rejects.toThrow(/has no weight '.*\/bias'/);
    fs.writeFileSync(path.join(dir, 'model.json'), full);
    const bin = path.join(dir, 'weights.bin');
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 10));
    await expect(loadLayersModel(dir)).rejects.toThrow(/needs bytes .* the weight files hold 10/);
  });

  it('weights no layer takes are an error, as in tfjs', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const dir = path.join(tmp, 'extra');
    await saveFromTfjs(m, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights.push({ name: 'ghost/kernel', shape: [0], dtype: 'float32' });
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadLayersModel(dir)).rejects.toThrow(/holds weights no layer takes: ghost\/kernel/);
    delete json.modelTopology.config.layers[0].config.batch_input_shape;
    json.weightsManifest[0].weights.pop();
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadLayersModel(dir)).rejects.toThrow(/declares no input shape/);
  });

  it('a shard path leaving the model directory is refused', async () => {
    const dir = path.join(tmp, 'escape');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, batch_input_shape: [null, 1] } }] } },
      weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }],
    }));
    await expect(loadLayersModel(dir)).rejects.toThrow(/outside the model's directory/);
  });

  it('unknown save format and unknown URL schemes throw', async () => {
    const m = sequential([layers.dense({ inputShape: [2], units: 1 })]);
    await expect(m.save(path.join(tmp, 'x'), { format: 'keras' as never })).rejects.toThrow(/options.format/);
    await expect(m.save('http://example.com/model', { format: 'tfjs' })).rejects.toThrow(/'http:\/\/' scheme/);
    await expect(loadLayersModel('foo://bar/model.json')).rejects.toThrow(/'foo:\/\/' scheme/);
  });
});
