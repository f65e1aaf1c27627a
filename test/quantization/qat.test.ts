// Quantization-aware training: fake-quant forward values, straight-through gradients, fit learning
// with them, ranges tracked and saved, and convert giving an int8 model that predicts as trained.
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { fakeQuantActivation, fakeQuantWeights } from '../../src/quantization/fake-quant';
import { accuracy, type Digits, digits, head, saveTemp, trainedMlp } from './digits';

describe('fake quantization', () => {
  it('rounds onto the grid and passes the gradient only inside the clamping range', () => {
    const x = tf.Tensor.fromArray(new Float32Array([-1, -0.26, 0.1, 0.74, 2]), [5]);
    x.requiresGrad = true;
    // Grid [-0.5, 0.775] in steps of 0.005 would be fine-grained; use a coarse one: scale 0.25, zero point 2 -> [-0.5, 63.25].
    const y = fakeQuantActivation(x, { scale: 0.25, zeroPoint: 2 });
    expect(Array.from(y.dataSync())).toEqual([-0.5, -0.25, 0, 0.75, 2]);
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(fakeQuantActivation(t, { scale: 0.25, zeroPoint: 2 })))([x]);
    expect(Array.from(g!.dataSync())).toEqual([0, 1, 1, 1, 1]);
  });

  it('fake-quantizes weights per output channel with the gradient passing through', () => {
    const w = tf.Tensor.fromArray(new Float32Array([1, 0.01, -0.5, 0.02, 0.26, 0.003]), [3, 2]);
    const q = fakeQuantWeights(w, true).dataSync();
    // Column 0: scale 1/127, so -0.5 -> -63.5 -> -64 (half to even) steps; column 1: scale 0.02/127.
    expect(q[0]).toBeCloseTo(1, 6);
    expect(q[2]).toBeCloseTo(Math.fround(1 / 127) * -64, 6);
    expect(q[3]).toBeCloseTo(0.02, 6);
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(fakeQuantWeights(t, true)))([w]);
    expect(Array.from(g!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('quantizeAware + convert on digits', () => {
  let d: Digits;
  let base: tf.LayersModel;
  let baseAcc: number;
  beforeAll(async () => {
    d = digits(true);
    base = await trainedMlp(d, 1);
    baseAcc = await accuracy(base, d);
  }, 120_000);

  it('fit learns with fake-quant, ranges are tracked and saved, convert gives the int8 model', async () => {
    const qat = tf.quantization.quantizeAware(base);
    expect(qat.layers.map((l) => l.className)).toEqual(['QatDense', 'QatDense']);
    expect(base.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
    expect(() => tf.quantization.convert(qat)).toThrow(/has not seen a training batch yet/);
    const history = await qat.fit(d.xTrain, d.yTrain, { epochs: 1, batchSize: 128, verbose: 0 });
    expect(history.history['loss']![0]).toBeLessThan(0.5);
    const range = qat.layers[1]!.getWeights()[2]!.dataSync();
    expect(range[0]).toBe(0); // relu output
    expect(range[1]).toBeGreaterThan(0);
    expect(range[2]).toBe(Math.ceil(8000 / 128));
    const qatAcc = await accuracy(qat, d);
    expect(qatAcc).toBeGreaterThan(baseAcc - 1);

    // The QAT model saves and loads with its ranges.
    const { dir } = await saveTemp(qat, 'qat');
    const back = await tf.loadModel(dir);
    expect(Array.from(back.layers[1]!.getWeights()[2]!.dataSync())).toEqual(Array.from(range));
    fs.rmSync(dir, { recursive: true, force: true });

    // Until a QDQ exporter lands, ONNX export writes the float layers with the trained float weights.
    expect(tf.exportOnnxBytes(qat).length).toBeGreaterThan(4 * 784 * 512);

    const int8 = tf.quantization.convert(qat);
    expect(int8.layers.map((l) => l.className)).toEqual(['QuantizedDense', 'QuantizedDense']);
    expect(int8.quantizationReport.mode).toBe('static');
    const g = (int8.layers[1] as tf.quantization.QuantizedDense).inputQuant!;
    expect(g.zeroPoint).toBe(0);
    expect(g.scale).toBeCloseTo(range[1]! / 255, 6);
    // The int8 model computes what the fake-quant model simulated (up to float rounding in the GEMM).
    const int8Acc = await accuracy(int8, d);
    expect(Math.abs(int8Acc - qatAcc)).toBeLessThanOrEqual(0.2);
  });

  it('convolutions train quantization-aware too', async () => {
    const dc = digits(false);
    tf.manualSeed(9);
    const cnn = tf.sequential([
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', inputShape: [28, 28, 1] }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    cnn.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const qat = tf.quantization.quantizeAware(cnn, { emaDecay: 0.9 });
    // QAT leaves the 9-tap first convolution float (convert keeps it float), so it trains without fake-quant.
    expect(qat.layers.map((l) => l.className)).toEqual(['Conv2D', 'QatConv2D', 'Flatten', 'QatDense']);
    await qat.fit(head(dc.xTrain, 2048), head(dc.yTrain, 2048), { epochs: 2, batchSize: 64, verbose: 0 });
    const int8 = tf.quantization.convert(qat);
    expect(int8.layers.map((l) => l.className)).toEqual(['Conv2D', 'QuantizedConv', 'Flatten', 'QuantizedDense']);
    expect((int8.layers[1] as tf.quantization.QuantizedConv).outputQuant).toEqual((int8.layers[3] as tf.quantization.QuantizedDense).inputQuant);
    expect(Math.abs((await accuracy(int8, dc)) - (await accuracy(qat, dc)))).toBeLessThanOrEqual(0.5);
  }, 120_000);

  it('bad arguments are named', () => {
    expect(() => tf.quantization.quantizeAware(base, { emaDecay: 1 })).toThrow(/quantization\.quantizeAware: argument 'emaDecay' expected a number in \[0, 1\)/);
    expect(() => tf.quantization.quantizeAware(base, { bits: 4 } as never)).toThrow(/'options\.bits' expected one of the options/);
    expect(() => tf.quantization.convert(base)).toThrow(/quantization\.convert: argument 'qatModel' expected a model made by quantization\.quantizeAware/);
  });
});
