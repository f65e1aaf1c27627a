// Int8 models (tf.quantization.quantize) exported as QDQ ONNX: onnxruntime-node runs the file, with
// its graph optimizer on (QDQ fused into int8 kernels) and off (each node on its own), and predicts
// the same digits classes as the library's int8 model; importOnnx reads the file back to the same
// predictions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { importOnnx } from '../../../src/onnx/import';
import { readOnnxModel } from '../../../src/onnx/read-model';
import type { LayersModel } from '../../../src/models/layers-model';
import type { Tensor } from '../../../src/tensor/tensor';
import { runOrt } from '../../helpers/onnx-graph';

interface Measure {
  /** Fraction of samples whose argmax class agrees. */
  agreement: number;
  /** Largest absolute difference of an output value. */
  maxDiff: number;
}

function measure(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): Measure {
  expect(a.length).toBe(b.length);
  let agree = 0;
  let maxDiff = 0;
  const n = a.length / classes;
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let c = 0; c < classes; c++) {
      const k = i * classes + c;
      if (a[k]! > a[i * classes + ia]!) ia = c;
      if (b[k]! > b[i * classes + ib]!) ib = c;
      maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
    }
    if (ia === ib) agree++;
  }
  return { agreement: agree / n, maxDiff };
}

async function ortPredict(bytes: Uint8Array, x: Tensor, optimize: boolean): Promise<Float32Array> {
  const out = await runOrt(bytes, { [inputName(bytes)]: { data: Float32Array.from(x.dataSync()), shape: x.shape.slice() } }, { optimize });
  return Object.values(out)[0]!.data as Float32Array;
}

function inputName(bytes: Uint8Array): string {
  return importOnnx(bytes).inputs[0]!.sourceLayer.name;
}

/** The op types of an exported file's nodes. */
function opTypes(bytes: Uint8Array): string[] {
  return readOnnxModel(bytes).graph.nodes.map((n) => n.opType);
}

/** The op types onnxruntime's optimizer leaves in the graph (its int8 kernels: QGemm, QLinearConv, ...). */
async function optimizedOpTypes(bytes: Uint8Array): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'qdq-opt-'));
  try {
    const file = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', optimizedModelFilePath: file });
    await session.release();
    return readOnnxModel(file).graph.nodes.map((n) => n.opType);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const data = tf.datasets.mnist({ trainSize: 2000, testSize: 1000 });

async function trained(make: () => LayersModel, epochs: number): Promise<LayersModel> {
  tf.manualSeed(7);
  const model = make();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(data.train.images, data.train.labels, { epochs, batchSize: 64, verbose: 0 });
  return model;
}

const mlp = () => tf.sequential([
  tf.layers.flatten({ inputShape: [28, 28, 1] }),
  tf.layers.dense({ units: 64, activation: 'relu' }),
  tf.layers.dense({ units: 32, activation: 'relu' }),
  tf.layers.dense({ units: 10 }),
]);

const cnn = () => tf.sequential([
  tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, activation: 'relu' }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 10 }),
]);

/** Our int8 logits, ORT's (optimized and not) and our import's of the exported file, with measures against ours. */
async function compareExport(q: LayersModel): Promise<{ bytes: Uint8Array; fused: Measure; plain: Measure; reimported: Measure; reimportVsOrt: Measure }> {
  const x = data.test.images;
  const ours = (q.predictOnBatch(x) as Tensor).dataSync();
  const bytes = exportOnnxBytes(q);
  const fusedOut = await ortPredict(bytes, x, true);
  const plainOut = await ortPredict(bytes, x, false);
  const back = (importOnnx(bytes).predictOnBatch(x) as Tensor).dataSync();
  return {
    bytes,
    fused: measure(ours, fusedOut, 10),
    plain: measure(ours, plainOut, 10),
    reimported: measure(ours, back, 10),
    reimportVsOrt: measure(back, plainOut, 10),
  };
}

describe('exportOnnx: quantized models as QDQ', () => {
  for (const [name, make, epochs] of [['MLP', mlp, 3], ['CNN', cnn, 2]] as const) {
    it(`static int8 ${name}: onnxruntime agrees with our int8 classes on >= 99.5% of 1000 digits`, async () => {
      const model = await trained(make, epochs);
      const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: data.train.images.slice([0], [500]) });
      const r = await compareExport(q);
      console.log(`QDQ ${name} static`, JSON.stringify({ fused: r.fused, plain: r.plain, reimported: r.reimported, reimportVsOrt: r.reimportVsOrt }));
      const ops = opTypes(r.bytes);
      expect(ops).toContain('QuantizeLinear');
      expect(ops.filter((o) => o === 'DequantizeLinear').length).toBeGreaterThanOrEqual(ops.filter((o) => o === 'QuantizeLinear').length);
      for (const m of [r.fused, r.plain, r.reimported]) expect(m.agreement).toBeGreaterThanOrEqual(0.995);
      // onnxruntime runs every int8 layer on its int8 kernels (the QDQ groups fused); layers that
      // quantize() kept float (a shallow first convolution) stay float ops.
      const fusedOps = await optimizedOpTypes(r.bytes);
      const count = (list: string[], ...ops: string[]) => list.filter((o) => ops.includes(o)).length;
      const classes = q.layers.map((l) => l.className);
      expect(count(fusedOps, 'QLinearConv')).toBe(count(classes, 'QuantizedConv'));
      expect(count(fusedOps, 'QGemm', 'QLinearMatMul')).toBe(count(classes, 'QuantizedDense'));
      expect(count(fusedOps, 'Conv')).toBe(count(classes, 'Conv2D'));
      expect(count(fusedOps, 'Gemm', 'MatMul')).toBe(count(classes, 'Dense'));
      // Importing the file computes what onnxruntime computes node by node.
      expect(r.reimportVsOrt.agreement).toBeGreaterThanOrEqual(0.995);
    });

    it(`dynamic int8 ${name}: DynamicQuantizeLinear + ${name === 'MLP' ? 'MatMulInteger' : 'ConvInteger'} agree with our int8 model`, async () => {
      const model = await trained(make, epochs);
      const q = tf.quantization.quantize(model, { mode: 'dynamic' });
      const r = await compareExport(q);
      console.log(`QDQ ${name} dynamic`, JSON.stringify({ fused: r.fused, plain: r.plain, reimported: r.reimported, reimportVsOrt: r.reimportVsOrt }));
      expect(opTypes(r.bytes)).toContain(name === 'MLP' ? 'MatMulInteger' : 'ConvInteger');
      for (const m of [r.fused, r.plain, r.reimported]) expect(m.agreement).toBeGreaterThanOrEqual(0.995);
      expect(r.plain.maxDiff).toBeLessThan(1e-3);
    });
  }

  it('covers Conv1D, DepthwiseConv2D, channelsFirst and Dense on rank-3 input (static and dynamic, random inputs)', async () => {
    tf.manualSeed(11);
    const seq = tf.sequential([
      tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [16, 4] }),
      tf.layers.dense({ units: 5, activation: 'tanh' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10 }),
    ]);
    const img = tf.sequential([
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', inputShape: [9, 9, 3] }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, dataFormat: 'channelsFirst', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10 }),
    ]);
    for (const [model, shape] of [[seq, [256, 16, 4]], [img, [256, 9, 9, 3]]] as const) {
      const x = tf.randn(shape.slice());
      for (const mode of ['static', 'dynamic'] as const) {
        const q = tf.quantization.quantize(model, mode === 'static' ? { mode, calibrationData: x } : { mode });
        const ours = (q.predictOnBatch(x) as Tensor).dataSync();
        const bytes = exportOnnxBytes(q);
        const quantized = q.layers.filter((l) => l.className.startsWith('Quantized')).length;
        // quantize() may keep a shallow first convolution float; the rest are int8.
        expect(quantized).toBeGreaterThanOrEqual(2);
        expect(opTypes(bytes).filter((o) => o === (mode === 'static' ? 'QuantizeLinear' : 'DynamicQuantizeLinear')).length).toBeGreaterThanOrEqual(quantized);
        for (const optimize of [true, false]) {
          const m = measure(ours, await ortPredict(bytes, x, optimize), 10);
          console.log(`QDQ ${model === seq ? 'conv1d/rank-3 dense' : 'depthwise/channelsFirst'} ${mode} optimize=${optimize}`, JSON.stringify(m));
          expect(m.agreement).toBeGreaterThanOrEqual(0.995);
        }
      }
    }
  });

  it('exports at opsets 13 and 21 too', async () => {
    tf.manualSeed(13);
    const x = tf.randn([64, 28, 28, 1]);
    const q = tf.quantization.quantize(cnn(), { mode: 'static', calibrationData: x });
    const ours = (q.predictOnBatch(x) as Tensor).dataSync();
    for (const opset of [13, 21]) {
      const bytes = exportOnnxBytes(q, { opset });
      expect(readOnnxModel(bytes).opsets.find((o) => o.domain === '')?.version).toBe(opset);
      expect(measure(ours, await ortPredict(bytes, x, true), 10).agreement).toBeGreaterThanOrEqual(0.995);
    }
  });

  it('exports a quantization-aware model as it computes (Q/DQ inputs, fake-quantized kernels), and its converted int8 model as QDQ', async () => {
    tf.manualSeed(17);
    const qat = tf.quantization.quantizeAware(cnn());
    qat.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const n = 512;
    await qat.fit(data.train.images.slice([0], [n]), data.train.labels.slice([0], [n]), { epochs: 1, batchSize: 64, verbose: 0 });
    const x = data.test.images.slice([0], [300]);
    const bytes = exportOnnxBytes(qat);
    expect(opTypes(bytes)).toContain('QuantizeLinear');
    const m = measure((qat.predictOnBatch(x) as Tensor).dataSync(), await ortPredict(bytes, x, false), 10);
    expect(m.agreement).toBe(1);
    expect(m.maxDiff).toBeLessThan(1e-4);
    const int8 = tf.quantization.convert(qat);
    const r = measure((int8.predictOnBatch(x) as Tensor).dataSync(), await ortPredict(exportOnnxBytes(int8), x, true), 10);
    console.log('QDQ QAT', JSON.stringify({ qat: m, converted: r }));
    expect(r.agreement).toBeGreaterThanOrEqual(0.995);
  });

  it('exports int8 LSTM and GRU as the ONNX op on DequantizeLinear of int8 W / R (int8 in the file, the dequantized weights exactly)', async () => {
    for (const kind of ['lstm', 'gru', 'gru-reset-before'] as const) {
      tf.manualSeed(5);
      const rnn = kind === 'lstm' ? tf.layers.lstm({ units: 48, inputShape: [7, 24] }) : tf.layers.gru({ units: 48, inputShape: [7, 24], resetAfter: kind === 'gru' });
      const model = tf.sequential([rnn, tf.layers.dense({ units: 5 })]);
      const x = tf.randn([300, 7, 24]);
      const q = tf.quantization.quantize(model, { mode: 'dynamic' });
      const bytes = exportOnnxBytes(q);
      const graph = readOnnxModel(bytes).graph;
      expect(opTypes(bytes)).toEqual(expect.arrayContaining([kind === 'lstm' ? 'LSTM' : 'GRU', 'DequantizeLinear', 'MatMulInteger']));
      const inits = [...graph.initializers.values()];
      const int8Weights = inits.filter((t) => t.dtype === 'int8' && t.shape.length === 3).map((t) => t.shape);
      expect(int8Weights).toEqual([[1, (kind === 'lstm' ? 4 : 3) * 48, 24], [1, (kind === 'lstm' ? 4 : 3) * 48, 48]]);
      expect(inits.some((t) => t.dtype === 'float32' && t.shape.length === 3)).toBe(false);
      expect(bytes.length / exportOnnxBytes(model).length).toBeLessThan(0.4);
      const feeds = { [inputName(bytes)]: { data: Float32Array.from(x.dataSync()), shape: [300, 7, 24] } };
      const theirs = Object.values(await runOrt(bytes, feeds, { optimize: true }))[0]!.data as Float32Array;
      // The ONNX op computes with the layer's dequantized weights in float: as our model with the
      // recurrent layer swapped for its float copy (toFloatLayer), up to float rounding order ...
      const dequantized = tf.sequential([(q.layers[0] as tf.quantization.QuantizedLSTM | tf.quantization.QuantizedGRU).toFloatLayer(), q.layers[1]!]);
      expect(measure((dequantized.predictOnBatch(x) as Tensor).dataSync(), theirs, 5).maxDiff).toBeLessThan(1e-4);
      // ... and differs from the int8 model only by its per-step activation quantization: by about
      // what separates the int8 model from the float one (untrained logits: near ties flip classes).
      const ours = (q.predictOnBatch(x) as Tensor).dataSync();
      const m = measure(ours, theirs, 5);
      const vsFloat = measure(ours, (model.predictOnBatch(x) as Tensor).dataSync(), 5);
      console.log(`QDQ ${kind}`, JSON.stringify({ ortVsInt8: m, floatVsInt8: vsFloat }));
      expect(m.agreement).toBeGreaterThanOrEqual(0.95);
      expect(m.maxDiff).toBeLessThan(Math.max(0.03, 2 * vsFloat.maxDiff));
    }
  });

  it('exports int8 MultiHeadAttention projections as DynamicQuantizeLinear + MatMulInteger (as the layer computes them)', async () => {
    tf.manualSeed(6);
    const inp = tf.input({ shape: [6, 64] });
    const att = tf.layers.multiHeadAttention({ numHeads: 4, keyDim: 32 }).apply([inp, inp]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 5 }).apply(tf.layers.flatten().apply(att) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const x = tf.randn([200, 6, 64]);
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: x });
    expect(q.layers.map((l) => l.className)).toContain('QuantizedMultiHeadAttention');
    const bytes = exportOnnxBytes(q);
    // Four projections and the Dense.
    expect(opTypes(bytes).filter((o) => o === 'MatMulInteger').length).toBe(4);
    expect(bytes.length / exportOnnxBytes(model).length).toBeLessThan(0.4);
    const ours = (q.predictOnBatch(x) as Tensor).dataSync();
    for (const optimize of [true, false]) {
      const theirs = Object.values(await runOrt(bytes, { [inputName(bytes)]: { data: Float32Array.from(x.dataSync()), shape: [200, 6, 64] } }, { optimize }))[0]!.data as Float32Array;
      const m = measure(ours, theirs, 5);
      expect(m.agreement).toBeGreaterThanOrEqual(0.995);
      expect(m.maxDiff).toBeLessThan(1e-3);
    }
  });

  it('exports a quantized Embedding as Gather from a DequantizeLinear int8 table (exact)', async () => {
    tf.manualSeed(9);
    const model = tf.sequential([tf.layers.embedding({ inputDim: 20, outputDim: 6, inputShape: [5] }), tf.layers.flatten(), tf.layers.dense({ units: 3 })]);
    const ids = tf.tensor(Float32Array.from({ length: 40 }, (_, i) => (i * 7) % 20), [8, 5]);
    const q = tf.quantization.quantize(model, { mode: 'dynamic' });
    const bytes = exportOnnxBytes(q);
    expect(opTypes(bytes)).toEqual(expect.arrayContaining(['DequantizeLinear', 'Gather', 'MatMulInteger']));
    const out = await runOrt(bytes, { [inputName(bytes)]: { data: Float32Array.from(ids.dataSync()), shape: [8, 5] } });
    const ours = (q.predictOnBatch(ids) as Tensor).dataSync();
    const theirs = Object.values(out)[0]!.data as Float32Array;
    expect(measure(ours, theirs, 3).maxDiff).toBeLessThan(1e-4);
  });
});
