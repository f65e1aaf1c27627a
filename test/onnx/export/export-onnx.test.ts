// exportOnnx as a whole: opsets and IR versions, the file form, names, multi-input/output models,
// dynamic batch, custom converters, and the errors for bad arguments and unsupported models.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import { Layer, type LayerArgs, type LayersModel, type SymbolicTensor, type Tensor } from '../../../src';
import { decodeModel } from '../../../src/onnx/proto';
import { readOnnxModel } from '../../../src/onnx/read-model';
import { exportOnnx, exportOnnxBytes, irVersionForOpset, registerOnnxConverter } from '../../../src/onnx/export';
import { checkOnnxModel } from '../../../src/onnx/check-model';
import { getOnnxConverter } from '../../../src/onnx/export/converter';
import { builtinConverterClassNames } from '../../../src/onnx/export/converters/index';
import { deserializeLayer } from '../../../src/layers/registry';
import { expectOnnxMatches, expectOnnxMatchesAtBatches, onnxOpTypes, randomizeWeights, sampleInputs } from '../../helpers/onnx-roundtrip';

const dir = mkdtempSync(join(tmpdir(), 'tf-onnx-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mlp(): LayersModel {
  return tf.sequential({ layers: [
    tf.layers.dense({ units: 16, activation: 'relu', inputShape: [10] }),
    tf.layers.dropout({ rate: 0.2 }),
    tf.layers.dense({ units: 8, activation: 'relu' }),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
}

function cnn(): LayersModel {
  return tf.sequential({ layers: [
    tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 1] }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.globalAveragePooling2d(),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
}

function lstm(): LayersModel {
  return tf.sequential({ layers: [
    tf.layers.lstm({ units: 8, returnSequences: true, inputShape: [6, 4] }),
    tf.layers.gru({ units: 5 }),
    tf.layers.dense({ units: 2 }),
  ] });
}

/** y = x * scale: a layer class the library has no converter for. */
class ScaleLayer extends Layer {
  readonly className: string = 'ScaleLayerForOnnxTest';
  scale: Tensor | null = null;
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  override build(shape: (number | null)[]): void {
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], tf.initializers.randomUniform({ minval: -1, maxval: 1 }));
  }
  call(x: Tensor): Tensor {
    return tf.mul(x, this.scale!);
  }
}

/** Class names in the layer registry (read from the error that lists them). */
function registeredLayerClasses(): string[] {
  try {
    deserializeLayer('NoSuchLayerClass', {});
  } catch (e) {
    const m = /one of (.*), got/.exec((e as Error).message);
    if (m) return m[1]!.split(', ');
  }
  throw new Error('could not list the registered layer classes');
}

describe('exportOnnx: opsets', () => {
  it('every registered layer class has a converter', () => {
    // Nested models (registered so they load) need none: the exporter inlines their layers (test/models/nested.test.ts).
    const missing = registeredLayerClasses().filter((c) => getOnnxConverter(c) === undefined && c !== 'Model' && c !== 'Sequential');
    expect(registeredLayerClasses().length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
    expect(builtinConverterClassNames().length).toBeGreaterThan(30);
  });

  for (const [label, make] of [['MLP', mlp], ['CNN', cnn], ['LSTM', lstm]] as const) {
    it(`${label} at opsets 13, 17 (default) and 21 runs in onnxruntime`, async () => {
      const model = make();
      for (const opset of [13, 17, 21]) {
        const { bytes } = await expectOnnxMatchesAtBatches(model, { opset });
        const decoded = decodeModel(bytes);
        expect(decoded.opsetImport).toEqual([{ domain: '', version: opset }]);
        expect(decoded.irVersion).toBe(irVersionForOpset(opset));
        expect(decoded.producerName).toBe('tensorforge');
      }
    });
  }

  it('every opset from 13 to 21 exports the CNN and the LSTM', async () => {
    for (let opset = 13; opset <= 21; opset++) {
      await expectOnnxMatchesAtBatches(cnn(), { opset });
      await expectOnnxMatchesAtBatches(lstm(), { opset });
    }
  });

  it('every opset from 13 to 21 exports models using every built-in layer class', async () => {
    // Images: every conv, pooling, resize and padding layer, both layouts, normalization, merges.
    const img = tf.input({ shape: [8, 8, 2] });
    let a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'gelu' }).apply(img);
    a = tf.layers.batchNormalization().apply(a);
    a = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(a);
    a = tf.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(a);
    const pooled = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(a);
    let b = tf.layers.maxPooling2d({ poolSize: 2 }).apply(a);
    b = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(b);
    b = tf.layers.upSampling2d({ interpolation: 'bilinear' }).apply(tf.layers.maxPooling2d({}).apply(b));
    const c = tf.layers.zeroPadding2d({ padding: 1 }).apply(tf.layers.upSampling2d({}).apply(pooled));
    const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3 }).apply(c);
    const merged = tf.layers.concatenate().apply([tf.layers.add().apply([b, c2]) as SymbolicTensor, tf.layers.multiply().apply([b, c2]) as SymbolicTensor]) as SymbolicTensor;
    const chFirst = tf.layers.conv2d({ filters: 3, kernelSize: 3, dataFormat: 'channelsFirst' }).apply(tf.layers.reshape({ targetShape: [8, 8, 8] }).apply(merged));
    const g1 = tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }).apply(chFirst);
    const g2 = tf.layers.globalMaxPooling2d().apply(merged);
    const imgOut = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(
      tf.layers.dropout({ rate: 0.3 }).apply(tf.layers.concatenate().apply([g1, g2]) as SymbolicTensor));
    const imageModel = tf.model({ inputs: img, outputs: [imgOut, tf.layers.flatten().apply(c)] });

    // Sequences: masks, every recurrent layer and wrapper, attention, layer norm, Conv1D.
    const seqIn = tf.input({ shape: [6, 3] });
    const masked = tf.layers.masking({ maskValue: 0 }).apply(seqIn);
    const r1 = tf.layers.lstm({ units: 4, returnSequences: true }).apply(masked);
    const r2 = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnSequences: true }), mergeMode: 'concat' }).apply(r1);
    const r3 = tf.layers.simpleRNN({ units: 4, returnSequences: true, goBackwards: true }).apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(seqIn));
    const att = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, useCausalMask: true }).apply([r2, r3]) as SymbolicTensor;
    const td = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4 }) }).apply(att);
    const mixed = [tf.layers.subtract(), tf.layers.average(), tf.layers.maximum(), tf.layers.minimum()].map((l) => l.apply([td, r3]) as SymbolicTensor);
    const normed = tf.layers.layerNormalization().apply(tf.layers.add().apply(mixed) as SymbolicTensor);
    const seqOut = tf.layers.activation({ activation: 'tanh' }).apply(tf.layers.gru({ units: 3, resetAfter: false }).apply(normed));
    const sequenceModel = tf.model({ inputs: seqIn, outputs: seqOut });

    const idsIn = tf.input({ shape: [5], dtype: 'int32' });
    const emb = tf.layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true }).apply(idsIn);
    const textModel = tf.model({ inputs: idsIn, outputs: tf.layers.lstm({ units: 2 }).apply(emb) });
    randomizeWeights(textModel, 2);
    const ids = (b: number, s: number) => tf.tensor(Array.from({ length: b * 5 }, (_, k) => (k * 3 + s) % 7), [b, 5], 'int32');

    // These three models use every layer class with a built-in converter (except InputLayer, which is no node).
    const used = new Set<string>();
    const visit = (l: Layer): void => {
      used.add(l.className);
      if (l instanceof tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 1 }) }).constructor) visit((l as unknown as { forwardLayer: Layer }).forwardLayer);
      if ('layer' in l && l.layer instanceof Layer) visit(l.layer);
    };
    for (const m of [imageModel, sequenceModel, textModel]) m.layers.forEach(visit);
    // Int8 and quantization-aware layers (tf.quantization) come only from quantize() and
    // quantizeAware(); their export is checked against onnxruntime in quantized.test.ts.
    const quantized = new Set(['QuantizedDense', 'QuantizedConv', 'QuantizedEmbedding', 'QuantizedLSTM', 'QuantizedGRU', 'QuantizedMultiHeadAttention',
      'QatDense', 'QatConv2D', 'QatConv1D', 'QatDepthwiseConv2D']);
    expect(builtinConverterClassNames().filter((c) => c !== 'InputLayer' && !quantized.has(c) && !used.has(c))).toEqual([]);

    for (let opset = 13; opset <= 21; opset++) {
      await expectOnnxMatchesAtBatches(imageModel, { opset, seed: opset });
      await expectOnnxMatchesAtBatches(sequenceModel, { opset, seed: opset });
      await expectOnnxMatches(textModel, [ids(1, opset), ids(3, opset + 1)], { opset });
    }
  });

  it('IR versions follow the ONNX release table', () => {
    expect([13, 14, 15, 16, 17, 18, 19, 20, 21].map(irVersionForOpset)).toEqual([7, 7, 8, 8, 8, 8, 9, 9, 10]);
    expect(decodeModel(exportOnnxBytes(mlp())).irVersion).toBe(8);
  });

  it('rejects opsets outside 13..21, naming opset', () => {
    for (const opset of [12, 22, 17.5, Number.NaN, '17' as unknown as number]) {
      expect(() => exportOnnxBytes(mlp(), { opset })).toThrow(/exportOnnx: argument 'opset' expected an integer from 13 to 21/);
    }
  });
});

describe('exportOnnx: the file and the bytes', () => {
  it('writes the file when given a path and resolves to the same bytes', async () => {
    const model = mlp();
    const path = join(dir, 'mlp.onnx');
    const bytes = await exportOnnx(model, path);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(readOnnxModel(path).producerName).toBe('tensorforge');
    const noPath = await exportOnnx(model);
    expect(noPath).toEqual(bytes);
    expect(await exportOnnx(model, null, { opset: 13 })).toEqual(exportOnnxBytes(model, { opset: 13 }));
  });

  it('a path that cannot be written rejects with the path in the message', async () => {
    await expect(exportOnnx(mlp(), join(dir, 'missing-dir', 'x.onnx'))).rejects.toThrow(/exportOnnx: cannot write '.*missing-dir/);
  });

  it('rejects a non-string path', async () => {
    await expect(exportOnnx(mlp(), 5 as unknown as string)).rejects.toThrow(/argument 'path'/);
  });

  it('the graph has a symbolic batch dimension and the model layout', () => {
    const g = readOnnxModel(exportOnnxBytes(cnn())).graph;
    expect(g.inputs).toEqual([{ name: expect.any(String), elemType: 'float32', shape: ['batch', 10, 10, 1] }]);
    expect(g.outputs[0]!.shape).toEqual(['batch', 3]);
  });

  it('a model with a fixed batch size keeps it', () => {
    const x = tf.input({ batchShape: [2, 4] });
    const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3 }).apply(x) });
    expect(readOnnxModel(exportOnnxBytes(m)).graph.inputs[0]!.shape).toEqual([2, 4]);
  });

  it('exporting twice gives identical bytes (deterministic names)', () => {
    const m = lstm();
    expect(exportOnnxBytes(m)).toEqual(exportOnnxBytes(m));
  });
});

describe('exportOnnx: names, inputs and outputs', () => {
  it('uses input layer and output layer names by default, or the given names', async () => {
    const x = tf.input({ shape: [4], name: 'features' });
    const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'logits' }).apply(x) });
    let g = readOnnxModel(exportOnnxBytes(m)).graph;
    expect(g.inputs.map((v) => v.name)).toEqual(['features']);
    expect(g.outputs.map((v) => v.name)).toEqual(['logits']);
    g = readOnnxModel(exportOnnxBytes(m, { inputNames: ['input'], outputNames: ['output'] })).graph;
    expect(g.inputs.map((v) => v.name)).toEqual(['input']);
    expect(g.outputs.map((v) => v.name)).toEqual(['output']);
    await expectOnnxMatchesAtBatches(m, { inputNames: ['input'], outputNames: ['output'] });
  });

  it('rejects names of the wrong count, duplicates and input/output clashes', () => {
    const m = mlp();
    expect(() => exportOnnxBytes(m, { inputNames: ['a', 'b'] })).toThrow(/argument 'inputNames' expected 1 distinct/);
    expect(() => exportOnnxBytes(m, { outputNames: [''] })).toThrow(/argument 'outputNames'/);
    expect(() => exportOnnxBytes(m, { inputNames: ['x'], outputNames: ['x'] })).toThrow(/argument 'outputNames' expected names different from the input names/);
  });

  it('multiple inputs and outputs, a shared layer and an output that is also used inside', async () => {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const shared = tf.layers.dense({ units: 3, activation: 'tanh', name: 'shared' });
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const sum = tf.layers.add({ name: 'sum' }).apply([ha, hb]) as SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'head' }).apply(sum);
    const m = tf.model({ inputs: [a, b], outputs: [out, sum, ha] });
    const { bytes } = await expectOnnxMatchesAtBatches(m);
    expect(readOnnxModel(bytes).graph.outputs.map((v) => v.name)).toEqual(['head', 'sum', 'shared']);
  });

  it('an output that is a model input, and the same tensor output twice', async () => {
    const x = tf.input({ shape: [3], name: 'x' });
    const y = tf.layers.dense({ units: 2, name: 'd' }).apply(x);
    const m = tf.model({ inputs: x, outputs: [y, x, y] });
    const { bytes } = await expectOnnxMatchesAtBatches(m);
    expect(readOnnxModel(bytes).graph.outputs.map((v) => v.name)).toEqual(['d', 'x_1', 'd_1']);
    expect(onnxOpTypes(bytes).filter((o) => o === 'Identity')).toHaveLength(2);
  });

  it('a sequential model with an explicit input layer, and one that is an identity at inference', async () => {
    await expectOnnxMatchesAtBatches(tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4] }), tf.layers.dense({ units: 2 })] }));
    const { bytes } = await expectOnnxMatchesAtBatches(tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4] }), tf.layers.dropout({ rate: 0.1 })] }));
    expect(onnxOpTypes(bytes)).toEqual(['Identity']);
  });

  it('an int32 model input is typed int32 in the graph', () => {
    const ids = tf.input({ shape: [3], dtype: 'int32' });
    const m = tf.model({ inputs: ids, outputs: tf.layers.embedding({ inputDim: 4, outputDim: 2 }).apply(ids) });
    expect(readOnnxModel(exportOnnxBytes(m)).graph.inputs[0]!.elemType).toBe('int32');
  });
});

describe('exportOnnx: converters and errors', () => {
  it('an unknown layer class fails naming the layer and the class', () => {
    const x = tf.input({ shape: [3] });
    const m = tf.model({ inputs: x, outputs: new ScaleLayer({ name: 'my_scale' }).apply(x) });
    expect(() => exportOnnxBytes(m)).toThrow(/layer 'my_scale' has class ScaleLayerForOnnxTest, which has no ONNX converter/);
  });

  it('registerOnnxConverter lets a custom layer class export', async () => {
    registerOnnxConverter('ScaleLayerForOnnxTest', ({ layer, inputs }, ctx) => {
      const scale = ctx.addInitializer('scale', (layer as ScaleLayer).scale!);
      return ctx.addNode({ opType: 'Mul', inputs: [inputs[0]!, scale] });
    });
    const x = tf.input({ shape: [3] });
    const h = new ScaleLayer().apply(x);
    const m = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(h) });
    const { bytes } = await expectOnnxMatchesAtBatches(m);
    expect(onnxOpTypes(bytes)).toEqual(['Mul', 'Gemm']);
  });

  it('a converter returning no names fails clearly', () => {
    class Broken extends ScaleLayer {
      override readonly className = 'BrokenForOnnxTest';
    }
    registerOnnxConverter('BrokenForOnnxTest', () => [] as string[]);
    const x = tf.input({ shape: [3] });
    const m = tf.model({ inputs: x, outputs: new Broken({ name: 'broken' }).apply(x) });
    expect(() => exportOnnxBytes(m)).toThrow(/converter of layer 'broken'.*returned 0 output/);
    expect(() => registerOnnxConverter('', () => [])).toThrow(/className/);
    expect(() => registerOnnxConverter('X', 3 as unknown as () => string[])).toThrow(/must be a function/);
  });

  it('an unbuilt sequential model fails asking for an input shape', () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2 })] });
    expect(() => exportOnnxBytes(m)).toThrow(/exportOnnx: model 'sequential.*' is not built yet/);
    // Once it has run, the input shape is known.
    m.predictOnBatch(tf.zeros([1, 3]));
    expect(() => checkOnnxModel(exportOnnxBytes(m))).not.toThrow();
  });

  it('rejects what is not a model, and bad options', async () => {
    expect(() => exportOnnxBytes({} as LayersModel)).toThrow(/exportOnnx: argument 'model' expected a LayersModel/);
    expect(() => exportOnnxBytes(tf.layers.dense({ units: 1 }) as unknown as LayersModel)).toThrow(/argument 'model'/);
    expect(() => exportOnnxBytes(mlp(), 'x' as never)).toThrow(/argument 'options'/);
    await expect(exportOnnx(null as unknown as LayersModel)).rejects.toThrow(/argument 'model'/);
  });

  it('a trained model exports its trained weights', async () => {
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    tf.manualSeed(11);
    const x = tf.randn([32, 10]);
    const y = tf.oneHot(tf.tensor(Array.from({ length: 32 }, (_, i) => i % 3), [32], 'int32'), 3);
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    await expectOnnxMatches(m, [sampleInputs(m, 1, 3), sampleInputs(m, 3, 4), sampleInputs(m, 64, 5)]);
  });

  it('random weights end to end on a larger batch', async () => {
    const m = cnn();
    randomizeWeights(m, 9);
    await expectOnnxMatches(m, [sampleInputs(m, 17, 1)]);
  });
});
