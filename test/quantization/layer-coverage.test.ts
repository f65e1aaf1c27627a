// Every layer family quantize covers, on small random models: int8 predictions close to float32,
// save/load giving identical predictions, ONNX export through the float fallback, and the layers
// that stay float listed in the report.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectOnnxMatches } from '../helpers/onnx-roundtrip';
import { saveTemp } from './digits';

/** Largest |a - b| relative to the largest |a|. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(x[i]!));
  }
  return worst / scale;
}

async function roundTrip(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[], tag: string): Promise<void> {
  const { dir } = await saveTemp(model, tag);
  const back = await tf.loadModel(dir);
  expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
  expect(Array.from((back.predictOnBatch(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(x) as tf.Tensor).dataSync()));
  fs.rmSync(dir, { recursive: true, force: true });
}

function convModel(): tf.LayersModel {
  tf.manualSeed(3);
  const x = tf.input({ shape: [9, 9, 4] });
  let y = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 4, kernelSize: 2, groups: 2, activation: 'tanh' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y });
}

describe('quantize covers every convolution form', () => {
  it('Conv2D (strided same, grouped), DepthwiseConv2D: static and dynamic close to float, reload identical, ONNX fallback', async () => {
    const model = convModel();
    const x = tf.rand([16, 9, 9, 4]);
    const ref = model.predictOnBatch(x) as tf.Tensor;
    for (const mode of ['static', 'dynamic'] as const) {
      const q = tf.quantization.quantize(model, mode === 'static' ? { mode, calibrationData: tf.rand([64, 9, 9, 4]) } : { mode });
      expect(q.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.className)).toEqual(['QuantizedConv', 'QuantizedConv', 'QuantizedConv', 'Flatten', 'QuantizedDense']);
      expect(q.quantizationReport.float).toEqual([]);
      const depthwise = q.layers.find((l) => (l as tf.quantization.QuantizedConv).sourceClassName === 'DepthwiseConv2D') as tf.quantization.QuantizedConv;
      expect([depthwise.groups, depthwise.filters]).toEqual([6, 12]);
      expect((q.layers.filter((l) => l.className === 'QuantizedConv')[2] as tf.quantization.QuantizedConv).groups).toBe(2);
      expect(relativeError(ref, q.predictOnBatch(x) as tf.Tensor), mode).toBeLessThan(0.05);
      await roundTrip(q, x, `conv-${mode}`);
    }
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: tf.rand([64, 9, 9, 4]) });
    // ONNX runs the dequantized float layers: it differs from the int8 model by the activation rounding only.
    await expectOnnxMatches(q, [x], { atol: 0.05 });
  });

  it('Conv1D (dilated, same) and channelsFirst Conv2D', async () => {
    tf.manualSeed(5);
    const seq = tf.sequential([
      tf.layers.conv1d({ filters: 8, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu', inputShape: [12, 6] }),
      tf.layers.conv1d({ filters: 4, kernelSize: 2, strides: 2 }),
    ]);
    const x = tf.randn([8, 12, 6]);
    const q = tf.quantization.quantize(seq, { mode: 'static', calibrationData: tf.randn([64, 12, 6]) });
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedConv', 'QuantizedConv']);
    expect(relativeError(seq.predictOnBatch(x) as tf.Tensor, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
    await roundTrip(q, x, 'conv1d');

    const cf = tf.sequential([tf.layers.conv2d({ filters: 3, kernelSize: 3, dataFormat: 'channelsFirst', padding: 'same', inputShape: [2, 6, 6] })]);
    const xc = tf.randn([4, 2, 6, 6]);
    expect(tf.quantization.quantize(cf, { mode: 'dynamic' }).layers[0]!.className).toBe('QuantizedConv');
    const qc = tf.quantization.quantize(cf, { mode: 'dynamic' });
    expect((qc.predictOnBatch(xc) as tf.Tensor).shape).toEqual([4, 3, 6, 6]);
    expect(relativeError(cf.predictOnBatch(xc) as tf.Tensor, qc.predictOnBatch(xc) as tf.Tensor)).toBeLessThan(0.05);
  });
});

describe('quantize covers recurrent layers, attention and embeddings', () => {
  it('Embedding -> LSTM -> GRU -> Dense: int8 gate GEMMs, per-row embedding scales', async () => {
    tf.manualSeed(11);
    const model = tf.sequential([
      tf.layers.embedding({ inputDim: 30, outputDim: 8, inputShape: [7], maskZero: true }),
      tf.layers.lstm({ units: 6, returnSequences: true }),
      tf.layers.gru({ units: 5 }),
      tf.layers.dense({ units: 2 }),
    ]);
    const ids = tf.Tensor.fromArray(Int32Array.from({ length: 8 * 7 }, (_, i) => (i * 7 + 3) % 30), [8, 7]);
    const x = tf.cast(ids, 'float32');
    const ref = model.predictOnBatch(x) as tf.Tensor;
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: x });
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedEmbedding', 'QuantizedLSTM', 'QuantizedGRU', 'QuantizedDense']);
    const table = q.layers[0]!.getWeights();
    expect(table[0]!.dtype).toBe('int32');
    expect(table[1]!.shape).toEqual([30]);
    expect(relativeError(ref, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
    await roundTrip(q, x, 'rnn');
    await expectOnnxMatches(q, [x], { atol: 0.05 });
  });

  it('GRU without resetAfter', () => {
    tf.manualSeed(12);
    const model = tf.sequential([tf.layers.gru({ units: 4, resetAfter: false, inputShape: [5, 3] })]);
    const x = tf.randn([6, 5, 3]);
    const q = tf.quantization.quantize(model, { mode: 'dynamic' });
    expect(q.layers[0]!.className).toBe('QuantizedGRU');
    expect(relativeError(model.predictOnBatch(x) as tf.Tensor, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
  });

  it('MultiHeadAttention projections', async () => {
    tf.manualSeed(13);
    const inp = tf.input({ shape: [5, 8] });
    const att = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([inp, inp]) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3 }).apply(att) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const x = tf.randn([4, 5, 8]);
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: tf.randn([32, 5, 8]) });
    expect(q.layers.map((l) => l.className)).toContain('QuantizedMultiHeadAttention');
    const mha = q.layers.find((l) => l.className === 'QuantizedMultiHeadAttention')!;
    expect(mha.weightsInfo.filter((w) => w.value.dtype === 'int32').map((w) => w.name)).toEqual(['query/kernel', 'key/kernel', 'value/kernel', 'attention_output/kernel']);
    expect(relativeError(model.predictOnBatch(x) as tf.Tensor, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
    await roundTrip(q, x, 'mha');
  });

  it('a convolution with fewer than 16 taps per filter stays float unless the direct kernel can requantize its output', () => {
    const m = tf.sequential([tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'sigmoid', inputShape: [6, 6, 1] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })]);
    const q = tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.rand([8, 6, 6, 1]) });
    expect(q.layers.map((l) => l.className)).toEqual(['Conv2D', 'Flatten', 'QuantizedDense']);
    expect(q.quantizationReport.float).toEqual([{ name: m.layers[0]!.name, className: 'Conv2D', reason: expect.stringMatching(/only 9 taps .* stays float/) }]);
    const d = tf.quantization.quantize(m, { mode: 'dynamic' });
    expect(d.layers.map((l) => l.className)).toEqual(['Conv2D', 'Flatten', 'QuantizedDense']);
  });

  it('a shallow first convolution feeding int8 layers (through max pooling too) runs the direct kernel, in integers end to end', async () => {
    tf.manualSeed(21);
    const m = tf.sequential([
      tf.layers.conv2d({ filters: 20, kernelSize: 3, activation: 'relu', inputShape: [12, 11, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: [1, 3], padding: 'same', inputShape: [12, 11, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    const calibrationData = tf.rand([32, 12, 11, 1]);
    const q = tf.quantization.quantize(m, { mode: 'static', calibrationData });
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedConv', 'MaxPooling2D', 'QuantizedConv', 'MaxPooling2D', 'Flatten', 'QuantizedDense']);
    expect(q.quantizationReport.float).toEqual([]);
    const conv = q.layers[0] as tf.quantization.QuantizedConv;
    expect(conv.direct).toBe(true);
    expect(conv.outputQuant).toEqual((q.layers[2] as tf.quantization.QuantizedConv).inputQuant);
    const x = tf.rand([9, 12, 11, 1]);
    // The integer plan (fused conv + pool, byte pooling) gives the layer-by-layer path's bits.
    expect(q.inferencePlanner).not.toBeNull();
    const planned = (q.predictOnBatch(x) as tf.Tensor).dataSync();
    const planner = q.inferencePlanner;
    q.inferencePlanner = null;
    const layered = (q.predictOnBatch(x) as tf.Tensor).dataSync();
    q.inferencePlanner = planner;
    expect(Array.from(planned)).toEqual(Array.from(layered));
    expect(relativeError(m.predictOnBatch(x) as tf.Tensor, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
    await roundTrip(q, x, 'direct-conv');
  });

  it('layers without an int8 form stay float and are listed with the reason', () => {
    tf.manualSeed(14);
    const model = tf.sequential([
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ]);
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: tf.rand([8, 4, 4, 1]) });
    expect(q.layers.map((l) => l.className)).toEqual(['Conv2DTranspose', 'BatchNormalization', 'Flatten', 'QuantizedDense']);
    expect(q.quantizationReport.float.map((e) => [e.className, e.reason])).toEqual([
      ['Conv2DTranspose', expect.stringMatching(/no int8 kernel here/)],
      ['BatchNormalization', 'no int8 form for BatchNormalization'],
    ]);
    const x = tf.rand([3, 4, 4, 1]);
    expect(relativeError(model.predictOnBatch(x) as tf.Tensor, q.predictOnBatch(x) as tf.Tensor)).toBeLessThan(0.05);
  });
});
