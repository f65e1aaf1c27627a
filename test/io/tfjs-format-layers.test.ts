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
const isQuantizationClass = (n: string): boolean => n.startsWith('Quantized') || n.startsWith('Qat');
const layerClassNames = () => registeredClassNames().filter((n) => !isQuantizationClass(n));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-layers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * `tfjs`: whether @tensorflow/tfjs (the installed 4.22) registers the class, so real tfjs must load
 * our file with equal predictions. For a class it lacks, `keras` is the layer entry Keras documents
 * (class name, config keys and values, weight names) that our model.json must hold instead.
 */
type Case = {
  build: () => LayersModel;
  inputs: { shape: number[]; ints?: number }[];
  tfjs: boolean;
  /** Run tfjs's loaded layers one by one on tensors instead of through its model (see Resizing). */
  tfjsLayerwise?: boolean;
  keras?: { layer: string; config: Record<string, unknown>; weights: string[] };
};

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
  // tfjs 4.22 registers no Subtract (nor MultiHeadAttention, below): what Keras writes instead.
  Subtract: { build: merge('subtract'), inputs: two, tfjs: false, keras: { layer: 'Subtract', config: { trainable: true, dtype: 'float32' }, weights: [] } },
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
    keras: {
      layer: 'MultiHeadAttention',
      config: { num_heads: 2, key_dim: 3, value_dim: 3, dropout: 0, use_bias: true, output_shape: null },
      weights: ['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias'],
    },
  },
  // tfjs's CenterCrop samples with cropAndResize and shifts a crop whose width differs by one; sizes
  // whose differences are even give Keras's exact centre crop in both. Its computeOutputShape also
  // overwrites its input's shape in place, so as a model's first layer it corrupts the model's
  // declared input shape (tfjs then refuses every input); a reshape in front (a fresh shape array)
  // keeps tfjs usable.
  CenterCrop: {
    build: seq(layers.reshape({ targetShape: [6, 7, 2], inputShape: [6, 7, 2] }), layers.centerCrop({ height: 4, width: 3 })),
    inputs: one([2, 6, 7, 2]),
    tfjs: true,
  },
  // Noise layers are identities at inference (predict) in Keras, tfjs and here.
  GaussianNoise: { build: seq(layers.dense({ units: 3, inputShape: [4] }), layers.gaussianNoise({ stddev: 0.5 })), inputs: one([2, 4]), tfjs: true },
  GaussianDropout: { build: seq(layers.dense({ units: 3, inputShape: [4] }), layers.gaussianDropout({ rate: 0.3 })), inputs: one([2, 4]), tfjs: true },
  Rescaling: { build: seq(layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [2, 2, 3] })), inputs: one([2, 2, 2, 3]), tfjs: true },
  // tfjs's Resizing resamples with align-corners (Keras uses half-pixel centres); the two agree on
  // nearest-neighbour upsampling by 2, which is what this checks against tfjs. Its call() also
  // does not unwrap the one-tensor list a tfjs model passes, so no tfjs model holding it can
  // predict; tfjs's loaded layer is run on the tensor directly.
  Resizing: {
    build: seq(layers.resizing({ height: 6, width: 4, interpolation: 'nearest', inputShape: [3, 2, 2] })),
    inputs: one([2, 3, 2, 2]),
    tfjs: true,
    tfjsLayerwise: true,
  },
  // tfjs 4.22 has none of these classes: our own round trip, and the layer entry Keras writes.
  Normalization: {
    build: () => {
      const m = sequential([layers.normalization({ inputShape: [3] }), layers.dense({ units: 2 })]);
      (m.layers[0] as unknown as { adapt(x: Tensor): void }).adapt(randn([16, 3]).mul(3).add(1));
      return m;
    },
    inputs: one([2, 3]),
    tfjs: false,
    keras: { layer: 'Normalization', config: { axis: [-1], mean: null, variance: null, invert: false }, weights: ['mean', 'variance'] },
  },
  RandomContrast: {
    build: seq(layers.randomContrast({ factor: 0.2, seed: 3, inputShape: [4, 4, 2] })),
    inputs: one([2, 4, 4, 2]),
    tfjs: false,
    keras: { layer: 'RandomContrast', config: { factor: [0.2, 0.2], seed: 3, value_range: [0, 255] }, weights: [] },
  },
  RandomFlip: {
    build: seq(layers.randomFlip({ mode: 'horizontal', inputShape: [4, 4, 2] })),
    inputs: one([2, 4, 4, 2]),
    tfjs: false,
    keras: { layer: 'RandomFlip', config: { mode: 'horizontal', seed: null }, weights: [] },
  },
  RandomRotation: {
    build: seq(layers.randomRotation({ factor: 0.1, fillMode: 'constant', fillValue: 0.5, inputShape: [4, 4, 2] })),
    inputs: one([2, 4, 4, 2]),
    tfjs: false,
    keras: { layer: 'RandomRotation', config: { factor: [-0.1, 0.1], fill_mode: 'constant', interpolation: 'bilinear', fill_value: 0.5, seed: null }, weights: [] },
  },
  RandomTranslation: {
    build: seq(layers.randomTranslation({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], inputShape: [4, 4, 2] })),
    inputs: one([2, 4, 4, 2]),
    tfjs: false,
    keras: { layer: 'RandomTranslation', config: { height_factor: [-0.2, 0.2], width_factor: [-0.1, 0.3], fill_mode: 'reflect', interpolation: 'bilinear', fill_value: 0 }, weights: [] },
  },
  RandomZoom: {
    build: seq(layers.randomZoom({ heightFactor: 0.2, interpolation: 'nearest', inputShape: [4, 4, 2] })),
    inputs: one([2, 4, 4, 2]),
    tfjs: false,
    keras: { layer: 'RandomZoom', config: { height_factor: [-0.2, 0.2], width_factor: null, fill_mode: 'reflect', interpolation: 'nearest' }, weights: [] },
  },
  // Models as layers: tfjs and Keras write the inner model's own config under its class name.
  Sequential: {
    build: () => {
      const inner = sequential([layers.dense({ units: 3, activation: 'relu', inputShape: [4] }), layers.dense({ units: 2 })]);
      return sequential([inner, layers.dense({ units: 1 })]);
    },
    inputs: one([2, 4]),
    tfjs: true,
  },
  Model: {
    build: () => {
      const a = input({ shape: [4] });
      const inner = model({ inputs: a, outputs: layers.dense({ units: 2, activation: 'tanh' }).apply(layers.dense({ units: 3 }).apply(a) as SymbolicTensor) as SymbolicTensor });
      const x = input({ shape: [4] });
      const y = inner.apply(x) as SymbolicTensor;
      return model({ inputs: x, outputs: layers.add({}).apply([y, layers.dense({ units: 2 }).apply(x) as SymbolicTensor]) });
    },
    inputs: one([2, 4]),
    tfjs: true,
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

describe('every layer class through tfjs format', () => {
  it('covers every registered class (except ONNX nodes and quantization classes, which tfjs has no form for, and InputLayer, which every case has)', () => {
    const expected = layerClassNames().filter((n) => n !== 'InputLayer' && n !== 'OnnxNode');
    expect(Object.keys(cases).sort()).toEqual(expected);
    // A class tfjs lacks must say what Keras writes for it instead; these are the ones (checked
    // against what the installed tfjs registers, so a tfjs upgrade that adds one shows up here).
    const lacking = Object.entries(cases).filter(([, c]) => !c.tfjs).map(([n]) => n).sort();
    expect(lacking).toEqual(['MultiHeadAttention', 'Normalization', 'RandomContrast', 'RandomFlip', 'RandomRotation', 'RandomTranslation', 'RandomZoom', 'Subtract']);
    const registered = tf.serialization.SerializationMap.getMap().classNameMap;
    for (const [name, c] of Object.entries(cases)) {
      expect(name in registered, `${name} registered in @tensorflow/tfjs`).toBe(c.tfjs);
      if (!c.tfjs) expect(c.keras, name).toBeDefined();
    }
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
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      if (c.keras) {
        const entry = (json.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[]).find((l) => l.class_name === c.keras!.layer)!;
        expect(entry.config).toMatchObject(c.keras.config);
        const names = (json.weightsManifest[0].weights as { name: string }[]).map((w) => w.name);
        expect(names.filter((n) => n.startsWith(`${entry.config['name']}/`))).toEqual(c.keras.weights.map((w) => `${entry.config['name']}/${w}`));
      }
      if (!c.tfjs) return;
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
      const tx = flat.map((f, i) => tf.tensor(f, c.inputs[i]!.shape, c.inputs[i]!.ints ? 'int32' : 'float32'));
      const out = c.tfjsLayerwise ? theirs.layers.reduce((t, l) => l.apply(t) as tf.Tensor, tx[0]!) : (theirs.predict(tx.length === 1 ? tx[0]! : tx) as tf.Tensor);
      expect(theirs.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.className));
      close(out.dataSync(), expected);
    });
  }
});

async function tfjsArtifacts(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let a: tf.io.ModelArtifacts | null = null;
  await m.save(tf.io.withSaveHandler(async (x) => ((a = x), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return a!;
}

describe('models built in real tfjs load here with equal predictions', () => {
  const dense = (units: number, activation: 'linear' | 'relu' | 'tanh' = 'linear') => tf.layers.dense({ units, activation, biasInitializer: 'glorotUniform' });
  const built: Record<string, { build: () => tf.LayersModel; shape: number[]; layerwise?: boolean }> = {
    'CenterCrop (after a reshape, see above)': {
      build: () => tf.sequential({ layers: [tf.layers.reshape({ targetShape: [6, 7, 2], inputShape: [6, 7, 2] }), tf.layers.centerCrop({ height: 2, width: 5 })] }),
      shape: [2, 6, 7, 2],
    },
    'GaussianNoise, GaussianDropout': {
      build: () => tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] }), tf.layers.gaussianNoise({ stddev: 0.3 }), tf.layers.gaussianDropout({ rate: 0.2 })] }),
      shape: [2, 4],
    },
    Rescaling: { build: () => tf.sequential({ layers: [tf.layers.rescaling({ scale: 0.5, offset: 2, inputShape: [3] })] }), shape: [2, 3] },
    'Resizing (nearest, x2)': { build: () => tf.sequential({ layers: [tf.layers.resizing({ height: 4, width: 6, interpolation: 'nearest', inputShape: [2, 3, 1] })] }), shape: [1, 2, 3, 1], layerwise: true },
    'Sequential in a Sequential': {
      build: () => {
        const inner = tf.sequential({ layers: [tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }), dense(2)] });
        return tf.sequential({ layers: [inner, dense(2, 'tanh')] });
      },
      shape: [3, 4],
    },
    'functional Model in a functional Model, called twice, and a Sequential in it': {
      build: () => {
        const a = tf.input({ shape: [4] });
        const inner = tf.model({ inputs: a, outputs: dense(4, 'tanh').apply(a) as tf.SymbolicTensor });
        const seqInner = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [4] })] });
        const x = tf.input({ shape: [4] });
        const twice = inner.apply(inner.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
        return tf.model({ inputs: x, outputs: seqInner.apply(tf.layers.add().apply([twice, x]) as tf.SymbolicTensor) as tf.SymbolicTensor });
      },
      shape: [3, 4],
    },
  };

  for (const [name, c] of Object.entries(built)) {
    it(name, async () => {
      const theirs = c.build();
      const a = await tfjsArtifacts(theirs);
      const ours = await loadLayersModel({ load: () => a as never });
      expect(ours.layers.map((l) => l.className)).toEqual(theirs.layers.map((l) => l.getClassName()));
      const x = Array.from(randn([c.shape.reduce((p, q) => p * q, 1)]).dataSync());
      const tx = tf.tensor(x, c.shape);
      const expected = c.layerwise ? theirs.layers.reduce((t, l) => l.apply(t) as tf.Tensor, tx) : (theirs.predict(tx) as tf.Tensor);
      close((ours.predictOnBatch(tensor(x, c.shape)) as Tensor).dataSync(), expected.dataSync());
      // And back: what we write from it, real tfjs reads again.
      const dir = path.join(tmp, `from-tfjs-${name.replace(/\W+/g, '-')}`);
      await ours.save(dir, { format: 'tfjs' });
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
      const again = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
      const out = c.layerwise ? again.layers.reduce((t, l) => l.apply(t) as tf.Tensor, tx) : (again.predict(tx) as tf.Tensor);
      close(out.dataSync(), expected.dataSync());
    });
  }
});

describe('nested models as Keras writes them', () => {
  it("tf.keras's 'Functional' class name for a nested model (calls counted from 1)", async () => {
    const a = tf.input({ shape: [3] });
    const inner = tf.model({ inputs: a, outputs: tf.layers.dense({ units: 3, activation: 'tanh', name: 'in_dense' }).apply(a) as tf.SymbolicTensor, name: 'block' });
    const x = tf.input({ shape: [3], name: 'x' });
    const theirs = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1, name: 'head' }).apply(inner.apply(inner.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor) as tf.SymbolicTensor });
    const a0 = await tfjsArtifacts(theirs);
    const topo = JSON.parse(JSON.stringify(a0.modelTopology)) as { class_name: string; config: { layers: { class_name: string; name: string; inbound_nodes: unknown[] }[] } };
    topo.class_name = 'Functional';
    const block = topo.config.layers.find((l) => l.name === 'block')!;
    block.class_name = 'Functional';
    // Its two calls are nodes 1 and 2 (node 0 is the model's own).
    expect(block.inbound_nodes).toEqual([[['x', 0, 0, {}]], [['block', 1, 0, {}]]]);
    const ours = await loadLayersModel({ load: () => ({ ...a0, modelTopology: { model_config: topo, keras_version: '2.13.1', backend: 'tensorflow' } }) as never });
    const xs = Array.from(randn([6]).dataSync());
    const expected = (theirs.predict(tf.tensor(xs, [2, 3])) as tf.Tensor).dataSync();
    close((ours.predictOnBatch(tensor(xs, [2, 3])) as Tensor).dataSync(), expected);
    // Weights named with the nested model's prefix (as h5-converted files may hold them) are found too.
    const prefixed = a0.weightSpecs!.map((w) => (w.name.startsWith('in_dense/') ? { ...w, name: `block/${w.name}` } : w));
    const again = await loadLayersModel({ load: () => ({ ...a0, weightSpecs: prefixed, modelTopology: topo }) as never });
    close((again.predictOnBatch(tensor(xs, [2, 3])) as Tensor).dataSync(), expected);
  });

  it('a nested layer named like an outer one is refused on save, naming it (tfjs names weights by layer only)', async () => {
    const inner = sequential([layers.dense({ units: 2, inputShape: [3], name: 'same' })]);
    const outer = sequential([inner, layers.dense({ units: 1, name: 'same' })]);
    await expect(outer.save(path.join(tmp, 'dup'), { format: 'tfjs' })).rejects.toThrow(/named 'same'.*give them distinct names/);
  });

  it("Keras 3's nested Sequential (not functional there, so its calls count from 0) and keras-tensor inbound nodes", async () => {
    const k3 = (className: string, config: object, extra: object = {}) => ({ module: 'keras.layers', class_name: className, config, registered_name: null, ...extra });
    const ktensor = (history: [string, number, number]) => ({ class_name: '__keras_tensor__', config: { shape: [null, 2], dtype: 'float32', keras_history: history } });
    const topology = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'outer',
        trainable: true,
        layers: [
          k3('InputLayer', { batch_shape: [null, 2], dtype: 'float32', sparse: false, name: 'x' }, { name: 'x', inbound_nodes: [] }),
          {
            module: 'keras',
            class_name: 'Sequential',
            config: {
              name: 'stack',
              trainable: true,
              dtype: 'float32',
              layers: [
                k3('InputLayer', { batch_shape: [null, 2], dtype: 'float32', sparse: false, name: 'stack_in' }),
                k3('Dense', { name: 'd1', trainable: true, dtype: 'float32', units: 2, activation: 'relu', use_bias: true }, { build_config: { input_shape: [null, 2] } }),
              ],
              build_input_shape: [null, 2],
            },
            registered_name: null,
            build_config: { input_shape: [null, 2] },
            name: 'stack',
            inbound_nodes: [{ args: [ktensor(['x', 0, 0])], kwargs: {} }, { args: [ktensor(['stack', 0, 0])], kwargs: {} }],
          },
          k3('Dense', { name: 'd2', trainable: true, dtype: 'float32', units: 1, activation: 'linear', use_bias: true }, { name: 'd2', inbound_nodes: [{ args: [ktensor(['stack', 1, 0])], kwargs: {} }] }),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['d2', 0, 0]],
      },
    };
    const w1 = [0.5, -1, 2, 0.25];
    const b1 = [0.1, -0.1];
    const w2 = [1.5, -0.5];
    const specs = [
      { name: 'd1/kernel', shape: [2, 2], dtype: 'float32' },
      { name: 'd1/bias', shape: [2], dtype: 'float32' },
      { name: 'd2/kernel', shape: [2, 1], dtype: 'float32' },
      { name: 'd2/bias', shape: [1], dtype: 'float32' },
    ];
    const data = Float32Array.from([...w1, ...b1, ...w2, 0.3]);
    const ours = await loadLayersModel({ load: () => ({ modelTopology: topology, weightSpecs: specs as never, weightData: data.buffer }) });
    // The shared Sequential runs twice, then the head: relu(relu(x W1 + b1) W1 + b1) W2 + 0.3.
    const dense = (v: number[], w: number[], b: number[]) => [0, 1].slice(0, b.length).map((j) => v[0]! * w[j]! + v[1]! * w[b.length + j]! + b[j]!);
    const relu = (v: number[]) => v.map((e) => Math.max(0, e));
    const x = [0.7, -0.4];
    const h = relu(dense(relu(dense(x, w1, b1)), w1, b1));
    close((ours.predictOnBatch(tensor(x, [1, 2])) as Tensor).dataSync(), [h[0]! * w2[0]! + h[1]! * w2[1]! + 0.3]);
  });
});

describe('Keras-written entries for the classes tfjs lacks', () => {
  // What tf.keras 2.13's model.to_json() writes for these layers (and Keras 3 for one, with its
  // dtype policy objects and data_format), with an adapted Normalization's three weights (mean,
  // variance and the int64 sample count, which the tfjs converter stores as int32) and a
  // Normalization whose statistics sit in its config (Keras saves no weights for it).
  const base = (name: string) => ({ name, trainable: true, dtype: 'float32' });
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'augment',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 3, 3, 2], dtype: 'float32', sparse: false, ragged: false, name: 'images' } },
        { class_name: 'RandomFlip', config: { ...base('random_flip'), mode: 'horizontal_and_vertical', seed: null } },
        { class_name: 'RandomRotation', config: { ...base('random_rotation'), factor: 0.2, fill_mode: 'reflect', fill_value: 0.0, interpolation: 'bilinear', seed: null } },
        { class_name: 'RandomZoom', config: { ...base('random_zoom'), height_factor: [-0.1, 0.2], width_factor: null, fill_mode: 'constant', fill_value: 0.0, interpolation: 'nearest', seed: 4 } },
        { class_name: 'RandomTranslation', config: { ...base('random_translation'), height_factor: 0.1, width_factor: 0.2, fill_mode: 'wrap', fill_value: 0.0, interpolation: 'bilinear', seed: null } },
        {
          module: 'keras.layers',
          class_name: 'RandomContrast',
          config: { name: 'random_contrast', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }, factor: 0.3, value_range: [0, 255], seed: null, data_format: 'channels_last' },
          registered_name: null,
        },
        { class_name: 'Normalization', config: { ...base('adapted'), axis: [-1], invert: false, mean: null, variance: null } },
        { class_name: 'Normalization', config: { ...base('fixed'), axis: [-1], invert: false, mean: [[0.5, -1]], variance: [[4, 0.25]] } },
        { class_name: 'Flatten', config: { ...base('flatten'), data_format: 'channels_last' } },
        { class_name: 'Dense', config: { ...base('dense'), units: 2, activation: 'linear', use_bias: true } },
      ],
    },
    keras_version: '2.13.1',
    backend: 'tensorflow',
  };
  const mean = [1, -2];
  const variance = [9, 0.5];
  const kernel = Array.from({ length: 18 * 2 }, (_, i) => Math.sin(i));
  const bias = [0.1, -0.2];
  const specs = [
    { name: 'adapted/mean', shape: [2], dtype: 'float32' },
    { name: 'adapted/variance', shape: [2], dtype: 'float32' },
    { name: 'adapted/count', shape: [], dtype: 'int32' },
    { name: 'dense/kernel', shape: [18, 2], dtype: 'float32' },
    { name: 'dense/bias', shape: [2], dtype: 'float32' },
  ];
  const data = new Uint8Array([...new Uint8Array(Float32Array.from([...mean, ...variance]).buffer), ...new Uint8Array(Int32Array.from([50]).buffer), ...new Uint8Array(Float32Array.from([...kernel, ...bias]).buffer)]);

  it('load and predict as Keras does at inference (augmentations pass images through)', async () => {
    const ours = await loadLayersModel({ load: () => ({ modelTopology: topology, weightSpecs: specs as never, weightData: data.buffer }) });
    expect(ours.layers.map((l) => l.className)).toEqual(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast', 'Normalization', 'Normalization', 'Flatten', 'Dense']);
    expect(ours.layers[2]!.getConfig()).toMatchObject({ heightFactor: [-0.1, 0.2], widthFactor: null, fillMode: 'constant', interpolation: 'nearest', seed: 4 });
    expect(ours.layers[4]!.getConfig()).toMatchObject({ factor: [0.3, 0.3], valueRange: [0, 255] });
    const x = Array.from(randn([2 * 3 * 3 * 2]).dataSync());
    // The same arithmetic in tfjs's ops: two standardizations, flatten, dense.
    const expected = tf.tidy(() => {
      const t = tf.tensor(x, [2, 3, 3, 2]);
      const n1 = t.sub(tf.tensor1d(mean)).div(tf.tensor1d(variance).sqrt());
      const n2 = n1.sub(tf.tensor1d([0.5, -1])).div(tf.tensor1d([4, 0.25]).sqrt());
      return n2.reshape([2, 18]).matMul(tf.tensor2d(kernel, [18, 2])).add(tf.tensor1d(bias)).dataSync();
    });
    close((ours.predictOnBatch(tensor(x, [2, 3, 3, 2])) as Tensor).dataSync(), expected);
    // Training mode really augments (the layers are not dropped on load).
    manualSeed(1);
    const augmented = (ours.layers[1]!.apply(tensor(x, [2, 3, 3, 2]), { training: true }) as Tensor).dataSync();
    expect(Array.from(augmented)).not.toEqual(x.map((v) => Math.fround(v)));
  });

  it('a Normalization weight the class lacks, other than count, is still refused', async () => {
    const extra = [...specs, { name: 'adapted/bogus', shape: [1], dtype: 'float32' }];
    const more = new Uint8Array([...data, 0, 0, 128, 63]);
    await expect(loadLayersModel({ load: () => ({ modelTopology: topology, weightSpecs: extra as never, weightData: more.buffer }) })).rejects.toThrow(/holds weights no layer takes: adapted\/bogus/);
  });
});

describe('Keras spellings in model.json', () => {
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
