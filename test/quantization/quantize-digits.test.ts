// Post-training quantization of the demo MLP and the tutorial CNN trained briefly on the digits:
// accuracy against float32, saved file sizes, save/load round trips, and the original untouched.
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { accuracy, type Digits, digits, head, saveTemp, trainedCnn, trainedMlp } from './digits';

async function expectSameAfterReload(model: tf.LayersModel, x: tf.Tensor, tag: string): Promise<void> {
  const { dir } = await saveTemp(model, tag);
  const back = await tf.loadModel(dir);
  expect(back.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
  const a = (await model.predict(x)) as tf.Tensor;
  const b = (await back.predict(x)) as tf.Tensor;
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  fs.rmSync(dir, { recursive: true, force: true });
}

describe('quantize: demo MLP on digits', () => {
  let d: Digits;
  let model: tf.LayersModel;
  let floatAcc: number;
  let floatBytes: number;
  beforeAll(async () => {
    d = digits(true);
    model = await trainedMlp(d);
    floatAcc = await accuracy(model, d);
    floatBytes = (await saveTemp(model, 'mlp-f32')).bytes;
  }, 120_000);

  it('static int8: within 0.5 points of float32, file <= 0.3x, integer kernels end to end', async () => {
    const before = model.layers[0]!.getWeights()[0]!.dataSync().slice(0, 50);
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: head(d.xTrain, 500) });
    expect(q).not.toBe(model);
    // The original keeps its float layers and weights.
    expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
    expect(Array.from(model.layers[0]!.getWeights()[0]!.dataSync().slice(0, 50))).toEqual(Array.from(before));
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedDense', 'QuantizedDense']);
    expect(q.quantizationReport).toEqual({
      mode: 'static',
      quantized: [{ name: model.layers[0]!.name, className: 'Dense', as: 'QuantizedDense' },
        { name: model.layers[1]!.name, className: 'Dense', as: 'QuantizedDense' }],
      float: [],
    });
    // The hidden layer requantizes straight onto the output layer's input grid.
    const [l0, l1] = q.layers as tf.quantization.QuantizedDense[];
    expect(l0!.outputQuant).toEqual(l1!.inputQuant);
    expect(l1!.outputQuant).toBeNull();
    const acc = await accuracy(q, d);
    expect(floatAcc).toBeGreaterThan(90);
    expect(Math.abs(acc - floatAcc)).toBeLessThanOrEqual(0.5);
    const { bytes } = await saveTemp(q, 'mlp-int8');
    expect(bytes / floatBytes).toBeLessThanOrEqual(0.3);
    await expectSameAfterReload(q, head(d.xTest, 300), 'mlp-int8-rt');
    const ev = await q.evaluate(d.xTest, d.yTest, { batchSize: 500 });
    expect(Math.abs(ev['accuracy']! * 100 - acc)).toBeLessThan(1e-9);
  });

  it('dynamic int8: within 0.5 points, same file size as static', async () => {
    const q = tf.quantization.quantize(model, { mode: 'dynamic' });
    const layers = q.layers as tf.quantization.QuantizedDense[];
    expect(layers.map((l) => [l.mode, l.inputQuant])).toEqual([['dynamic', null], ['dynamic', null]]);
    expect(Math.abs((await accuracy(q, d)) - floatAcc)).toBeLessThanOrEqual(0.5);
    expect((await saveTemp(q, 'mlp-dyn')).bytes / floatBytes).toBeLessThanOrEqual(0.3);
    await expectSameAfterReload(q, head(d.xTest, 200), 'mlp-dyn-rt');
  });

  it('float16: within 0.1 points, file <= 0.55x, weights stored as F16', async () => {
    const q = tf.quantization.quantize(model, { mode: 'float16' });
    expect(q.quantizationReport.quantized.map((e) => e.as)).toEqual(['float16', 'float16']);
    expect(Math.abs((await accuracy(q, d)) - floatAcc)).toBeLessThanOrEqual(0.1);
    const { dir, bytes } = await saveTemp(q, 'mlp-f16');
    expect(bytes / floatBytes).toBeLessThanOrEqual(0.55);
    const header = JSON.parse(fs.readFileSync(`${dir}/model.safetensors`).subarray(8, 8 + 2000).toString('utf8').split('}}')[0] + '}}') as Record<string, { dtype?: string }>;
    expect(header[`${model.layers[0]!.name}/kernel`]?.dtype).toBe('F16');
    await expectSameAfterReload(q, head(d.xTest, 200), 'mlp-f16-rt');
  });

  it('percentile and entropy calibration, symmetric grids and per-tensor scales also stay close', async () => {
    for (const options of [
      { calibration: 'percentile' as const }, { calibration: 'entropy' as const }, { symmetric: true }, { perChannel: false },
    ]) {
      const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: head(d.xTrain, 300), ...options });
      expect(Math.abs((await accuracy(q, d)) - floatAcc), JSON.stringify(options)).toBeLessThanOrEqual(1.5);
      if (options.symmetric) expect((q.layers[0] as tf.quantization.QuantizedDense).inputQuant!.zeroPoint).toBe(128);
      if (options.perChannel === false) {
        const s = q.layers[0]!.getWeights()[1]!.dataSync();
        expect(new Set(Array.from(s)).size).toBe(1);
      }
    }
  });
});

describe('quantize: tutorial CNN on digits', () => {
  let d: Digits;
  let model: tf.LayersModel;
  let floatAcc: number;
  let floatBytes: number;
  beforeAll(async () => {
    d = digits(false);
    model = await trainedCnn(d);
    floatAcc = await accuracy(model, d);
    floatBytes = (await saveTemp(model, 'cnn-f32')).bytes;
  }, 300_000);

  it('static int8: within 0.5 points, file <= 0.3x; the 9-tap first convolution runs the direct kernel', async () => {
    const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: head(d.xTrain, 256) });
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedConv', 'MaxPooling2D', 'Flatten', 'QuantizedDense']);
    expect(q.quantizationReport.float).toEqual([]);
    expect((q.layers[0] as tf.quantization.QuantizedConv).direct).toBe(true);
    const acc = await accuracy(q, d);
    expect(floatAcc).toBeGreaterThan(90);
    expect(Math.abs(acc - floatAcc)).toBeLessThanOrEqual(0.5);
    expect((await saveTemp(q, 'cnn-int8')).bytes / floatBytes).toBeLessThanOrEqual(0.3);
    await expectSameAfterReload(q, head(d.xTest, 100), 'cnn-int8-rt');
  });

  it('a deeper convolution runs int8 on the digits too (requantized through max pooling)', async () => {
    tf.manualSeed(9);
    const deep = tf.sequential([
      tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    deep.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await deep.fit(head(d.xTrain, 3000), head(d.yTrain, 3000), { epochs: 1, batchSize: 64, verbose: 0 });
    const q = tf.quantization.quantize(deep, { mode: 'static', calibrationData: head(d.xTrain, 256) });
    expect(q.layers.map((l) => l.className)).toEqual(['QuantizedConv', 'QuantizedConv', 'MaxPooling2D', 'Flatten', 'QuantizedDense']);
    // Quantizing after the max equals requantizing before it: the pool compares bytes.
    expect((q.layers[1] as tf.quantization.QuantizedConv).outputQuant).toEqual((q.layers[4] as tf.quantization.QuantizedDense).inputQuant);
    expect(Math.abs((await accuracy(q, d)) - (await accuracy(deep, d)))).toBeLessThanOrEqual(0.5);
  }, 120_000);

  it('float16: within 0.1 points, file <= 0.55x', async () => {
    const q = tf.quantization.quantize(model, { mode: 'float16' });
    expect(Math.abs((await accuracy(q, d)) - floatAcc)).toBeLessThanOrEqual(0.1);
    expect((await saveTemp(q, 'cnn-f16')).bytes / floatBytes).toBeLessThanOrEqual(0.55);
  });
});
