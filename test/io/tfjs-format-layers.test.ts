// Every registered layer class through tfjs's format: saved with { format: 'tfjs' }, read back by
// loadLayersModel with equal predictions, and (for the classes tfjs has) read by real
// @tensorflow/tfjs with equal predictions. Plus the Keras spellings tfjs and Keras files use.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LayersModel, type SymbolicTensor, type Tensor, input, layers, loadLayersModel, manualSeed, model, randn, sequential, tensor } from '../../src';
import { layerClassNames as registeredClassNames } from '../../src/layers/registry';
// tf.quantization's int8 and quantization-aware classes have no tfjs form (saving them in tfjs's
// format is an Error; quantized models save in the tensorforge format), so no case here.
const QUANTIZATION_CLASSES = ['QatConv1D', 'QatConv2D', 'QatDense', 'QatDepthwiseConv2D', 'QuantizedConv', 'QuantizedDense', 'QuantizedEmbedding',
  'QuantizedGRU', 'QuantizedLSTM', 'QuantizedMultiHeadAttention'];
const layerClassNames = () => registeredClassNames().filter((n) => !QUANTIZATION_CLASSES.includes(n));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-layers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Case = { build: () => LayersModel; inputs: { shape: number[]; ints?: number }[]; tfjs: boolean };

const seq = (...ls: Parameters<typeof sequential>[0] & unknown[]) => () => sequential(ls as never);
const one = (shape: number[], ints?: number) => [{ shape, ints }];

function merge(kind: 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum' | 'concatenate'): () => LayersModel {
  return () => {
    const a = input({ shape: [3] });
    const b = input({ shape: [3] });
    const out = (layers[kind] as (o: object) => { apply(x: SymbolicTensor[]): SymbolicTensor })({}).apply([a, layers.dense({ units: 3 }).apply(b)]);
    return model({ inputs: [a, b], outputs: out });
  };
}
const two = [{ shape: [2, 3] }, { shape: [2, 3] }];

const cases: Record<string, Case> = {
  Activation: { build: seq(layers.activation({ activation: 'tanh', inputShape: [4] })), inputs: one([2, 4]), tfjs: true },
  Add: { build: merge('add'), inputs: two, tfjs: true },
  Subtract: { build: merge('subtract'), inputs: two, tfjs: false },
  Multiply: { build: merge('multiply'), inputs: two, tfjs: true },
  Average: { build: merge('average'), inputs: two, tfjs: true },
  Maximum: { build: merge('maximum'), inputs: two, tfjs: true },
  Minimum: { build: merge('minimum'), inputs: two, tfjs: true },
  Concatenate: { build: merge('concatenate'), inputs: two, tfjs: true },
  AveragePooling2D: { build: seq(layers.averagePooling2d({ poolSize: 2, inputShape: [4, 4, 2] })), inputs: one([2, 4, 4, 2]), tfjs: true },
  MaxPooling2D: { build: seq(layers.maxPooling2d({ poolSize: [2, 2], strides: 1, padding: 'same', inputShape: [4, 4, 2] })), inputs: one([2, 4, 4, 2]), tfjs: true },
  GlobalAveragePooling2D: { build: seq(layers.globalAveragePooling2d({ inputShape: [3, 3, 2] })), inputs: one([2, 3, 3, 2]), tfjs: true },
  GlobalMaxPooling2D: { build: seq(layers.globalMaxPooling2d({ inputShape: [3, 3, 2] })), inputs: one([2, 3, 3, 2]), tfjs: true },
  UpSampling2D: { build: seq(layers.upSampling2d({ size: [2, 2], inputShape: [2, 2, 1] })), inputs: one([1, 2, 2, 1]), tfjs: true },
  ZeroPadding2D: { build: seq(layers.zeroPadding2d({ padding: [[1, 0], [0, 2]], inputShape: [2, 2, 1] })), inputs: one([1, 2, 2, 1]), tfjs: true },
  BatchNormalization: { build: seq(layers.dense({ units: 3, inputShape: [2] }), layers.batchNormalization({ epsilon: 0.01 })), inputs: one([4, 2]), tfjs: true },
  LayerNormalization: { build: seq(layers.dense({ units: 4, inputShape: [2] }), layers.layerNormalization({})), inputs: one([3, 2]), tfjs: true },
  Conv1D: { build: seq(layers.conv1d({ filters: 3, kernelSize: 2, strides: 1, padding: 'same', inputShape: [5, 2], activation: 'relu' })), inputs: one([2, 5, 2]), tfjs: true },
  Conv2D: { build: seq(layers.conv2d({ filters: 3, kernelSize: [2, 3], strides: [1, 2], dilationRate: 1, inputShape: [5, 6, 2] })), inputs: one([2, 5, 6, 2]), tfjs: true },
  Conv2DTranspose: { build: seq(layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [3, 3, 2] })), inputs: one([1, 3, 3, 2]), tfjs: true },
  DepthwiseConv2D: { build: seq(layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, inputShape: [4, 4, 2] })), inputs: one([1, 4, 4, 2]), tfjs: true },
  SeparableConv2D: { build: seq(layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 1, inputShape: [4, 4, 2] })), inputs: one([1, 4, 4, 2]), tfjs: true },
  Dense: { build: seq(layers.dense({ units: 3, activation: 'relu', inputShape: [4] })), inputs: one([2, 4]), tfjs: true },
  Dropout: { build: seq(layers.dense({ units: 3, inputShape: [4] }), layers.dropout({ rate: 0.5 })), inputs: one([2, 4]), tfjs: true },
  Flatten: { build: seq(layers.flatten({ inputShape: [2, 3] })), inputs: one([2, 2, 3]), tfjs: true },
  Reshape: { build: seq(layers.reshape({ targetShape: [3, 2], inputShape: [6] })), inputs: one([2, 6]), tfjs: true },
  Embedding: { build: seq(layers.embedding({ inputDim: 7, outputDim: 3, inputShape: [4] })), inputs: one([2, 4], 7), tfjs: true },
  Masking: { build: seq(layers.masking({ maskValue: 0, inputShape: [4, 2] }), layers.simpleRNN({ units: 2 })), inputs: one([2, 4, 2]), tfjs: true },
  SimpleRNN: { build: seq(layers.simpleRNN({ units: 3, returnSequences: true, inputShape: [4, 2] })), inputs: one([2, 4, 2]), tfjs: true },
  LSTM: { build: seq(layers.lstm({ units: 3, goBackwards: true, inputShape: [4, 2] })), inputs: one([2, 4, 2]), tfjs: true },
  GRU: { build: seq(layers.gru({ units: 3, resetAfter: false, inputShape: [4, 2] })), inputs: one([2, 4, 2]), tfjs: true },
  Bidirectional: { build: seq(layers.bidirectional({ layer: layers.lstm({ units: 2 }), inputShape: [4, 2] })), inputs: one([2, 4, 2]), tfjs: true },
  TimeDistributed: { build: seq(layers.timeDistributed({ layer: layers.dense({ units: 2 }), inputShape: [3, 4] })), inputs: one([2, 3, 4]), tfjs: true },
  MultiHeadAttention: {
    build: () => {
      const q = input({ shape: [3, 4] });
      return model({ inputs: q, outputs: layers.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([q, q]) as SymbolicTensor });
    },
    inputs: one([2, 3, 4]),
    tfjs: false,
  },
};

function inputsFor(c: Case): { ours: Tensor[]; flat: number[][] } {
  const flat = c.inputs.map(({ shape, ints }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return ints ? Array.from({ length: n }, (_, i) => (i * 5 + 1) % ints) : Array.from(randn([n]).dataSync());
  });
  return { ours: flat.map((f, i) => tensor(f, c.inputs[i]!.shape, c.inputs[i]!.ints ? 'int32' : 'float32')), flat };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol * (1 + Math.abs(b[i]!)));
}

// Preprocessing and noise layers and nested models (issue 12) landed in the same merge as the tfjs
// format; their tfjs round trips are still to be written. Pinned so a new class cannot slip past.
const NOT_YET_COVERED = ['CenterCrop', 'GaussianDropout', 'GaussianNoise', 'Model', 'Normalization', 'RandomContrast', 'RandomFlip',
  'RandomRotation', 'RandomTranslation', 'RandomZoom', 'Rescaling', 'Resizing', 'Sequential'];

describe('every layer class through tfjs format', () => {
  it('covers every registered class (except ONNX nodes, which tfjs has no form for)', () => {
    const expected = layerClassNames().filter((n) => n !== 'InputLayer' && n !== 'OnnxNode');
    // Classes that landed beside the tfjs format in the same merge and have no case here yet.
    const missing = expected.filter((n) => !(n in cases));
    expect(missing).toEqual(NOT_YET_COVERED);
    expect(Object.keys(cases).sort()).toEqual(expected.filter((n) => !NOT_YET_COVERED.includes(n)));
  });

  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      manualSeed(11);
      const m = c.build();
      // Non-trivial statistics for batch normalization.
      for (const l of m.layers) if (l.className === 'BatchNormalization') l.setWeights(l.getWeights().map((w, i) => randn(w.shape.slice()).mul(0.2).add(i === 3 ? 1 : 0)));
      const { ours, flat } = inputsFor(c);
      const x = ours.length === 1 ? ours[0]! : ours;
      const expected = (m.predictOnBatch(x) as Tensor).dataSync();
      const dir = path.join(tmp, name);
      await m.save(dir, { format: 'tfjs' });
      const back = await loadLayersModel(`file://${dir}/model.json`);
      expect(back.layers.map((l) => l.className)).toEqual(m.layers.map((l) => l.className));
      close((back.predictOnBatch(x) as Tensor).dataSync(), expected, 1e-6);
      if (!c.tfjs) return;
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
      const tx = flat.map((f, i) => tf.tensor(f, c.inputs[i]!.shape, c.inputs[i]!.ints ? 'int32' : 'float32'));
      close((theirs.predict(tx.length === 1 ? tx[0]! : tx) as tf.Tensor).dataSync(), expected);
    });
  }
});

describe('Keras spellings in model.json', () => {
  async function tfjsArtifacts(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
    let a: tf.io.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (x) => ((a = x), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    return a!;
  }
  function write(dir: string, topology: unknown, specs: tf.io.WeightsManifestEntry[], data: Uint8Array): void {
    fs.mkdirSync(dir, { recursive: true });
    // Two shards, as the tfjs converter splits big models.
    const half = Math.floor(data.byteLength / 2);
    fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), data.subarray(0, half));
    fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), data.subarray(half));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: specs }] }));
  }

  it('Keras class aliases and keys, model_config nesting, Functional class, TF 2.2 cell-scoped weight names, sharded weights', async () => {
    const inp = tf.input({ shape: [4, 4, 2] });
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 2, name: 'conv' }).apply(inp) as tf.SymbolicTensor;
    const p = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(c) as tf.SymbolicTensor;
    const r = tf.layers.reshape({ targetShape: [1, 2], name: 'rs' }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(p) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const out = tf.layers.lstm({ units: 2, name: 'lstm' }).apply(r) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: out });
    const a = await tfjsArtifacts(m);
    const topo = JSON.parse(JSON.stringify(a.modelTopology)) as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    topo.class_name = 'Functional';
    const pool = topo.config.layers.find((l) => l.config['name'] === 'pool')!;
    pool.class_name = 'MaxPool2D';
    const gap = topo.config.layers.find((l) => l.config['name'] === 'gap')!;
    gap.config['keepdims'] = false;
    const specs = a.weightSpecs!.map((s) => (s.name.startsWith('lstm/') ? { ...s, name: s.name.replace('lstm/', 'lstm/lstm_cell/') } : s));
    const dir = path.join(tmp, 'keras-spellings');
    write(dir, { model_config: topo, training_config: {} }, specs, new Uint8Array(a.weightData as ArrayBuffer));
    const ours = await loadLayersModel(dir);
    const x = Array.from(randn([2 * 4 * 4 * 2]).dataSync());
    close((ours.predictOnBatch(tensor(x, [2, 4, 4, 2])) as Tensor).dataSync(), (m.predict(tf.tensor(x, [2, 4, 4, 2])) as tf.Tensor).dataSync());
  });

  it('quantized weights (uint8 with scale/min, float16) and int32 weights', async () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    const w = [tf.tensor2d([[0.5, -1], [0.25, 2], [0, 1]]), tf.tensor1d([1, -0.5])];
    m.setWeights(w);
    const a = await tfjsArtifacts(m);
    const kernel = [0.5, -1, 0.25, 2, 0, 1];
    const min = -1;
    const scale = 3 / 255;
    const q = Uint8Array.from(kernel.map((v) => Math.round((v - min) / scale)));
    // float16 of 1 and -0.5: 0x3c00 and 0xb800, little-endian.
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xb8]);
    const data = new Uint8Array(q.byteLength + half.byteLength);
    data.set(q, 0);
    data.set(half, q.byteLength);
    const specs = [
      { name: 'd/kernel', shape: [3, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale, min } },
      { name: 'd/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    ] as tf.io.WeightsManifestEntry[];
    const dir = path.join(tmp, 'quantized');
    write(dir, a.modelTopology, specs, data);
    const ours = await loadLayersModel(`file://${dir}/model.json`);
    close(ours.getWeights()[0]!.dataSync(), kernel, scale);
    expect(Array.from(ours.getWeights()[1]!.dataSync())).toEqual([1, -0.5]);
    const intDir = path.join(tmp, 'int32');
    write(intDir, a.modelTopology, [{ name: 'd/kernel', shape: [3, 2], dtype: 'int32' }, { name: 'd/bias', shape: [2], dtype: 'int32' }], new Uint8Array(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]).buffer));
    expect(Array.from((await loadLayersModel(intDir)).getWeights()[0]!.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
