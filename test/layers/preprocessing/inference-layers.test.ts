// The preprocessing layers that act at inference: values, adapt, save / load and ONNX export.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tfjs from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { LayersModel, Tensor } from '../../../src';
import { Normalization } from '../../../src/layers';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { checkLayerGradients, expectArrayClose, seededValues, values } from '../../helpers/layer-check';

const img = (n: number, h: number, w: number, c: number, seed = 3, lo = 0, hi = 255): Tensor => tf.tensor(seededValues(n * h * w * c, seed, lo, hi), [n, h, w, c]);

async function saveAndLoad(model: LayersModel): Promise<LayersModel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-prep-'));
  try {
    await model.save(dir);
    return await tf.loadModel(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the exported model in onnxruntime and compares with predictOnBatch. */
async function expectOrtMatches(model: LayersModel, x: Tensor, atol = 1e-4, opset?: number): Promise<void> {
  const bytes = exportOnnxBytes(model, opset ? { opset } : {});
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape.slice()) });
    const got = out[session.outputNames[0]!]!;
    const ours = model.predictOnBatch(x) as Tensor;
    expect(got.dims.slice()).toEqual(ours.shape);
    expectArrayClose(got.data as Float32Array, values(ours), 0, atol, `ORT opset ${opset ?? 'default'}`);
  } finally {
    await session.release();
  }
}

describe('rescaling', () => {
  it('computes x * scale + offset, casting integer inputs', () => {
    const out = tf.layers.rescaling({ scale: 1 / 127.5, offset: -1 }).apply(tf.tensor([0, 127.5, 255], [1, 3], 'float32'));
    expectArrayClose(values(out), [-1, 0, 1]);
    const ints = tf.layers.rescaling({ scale: 0.5 }).apply(tf.tensor([2, 4], [1, 2], 'int32'));
    expect(ints.dtype).toBe('float32');
    expect(values(ints)).toEqual([1, 2]);
    expect(() => tf.layers.rescaling({ scale: '1/255' as never })).toThrow(/argument 'scale' expected a finite number/);
  });
});

describe('resizing and centerCrop', () => {
  it('cropToAspectRatio resizes the largest centred crop of the target aspect', () => {
    const x = img(1, 6, 10, 1, 4);
    // Target 3x3 from 6x10: the centred 6x6 square (columns 2..7) resized to 3x3.
    const out = tf.layers.resizing({ height: 3, width: 3, cropToAspectRatio: true }).apply(x);
    const square = tfjs.slice(tfjs.tensor4d(Array.from(x.dataSync()), [1, 6, 10, 1]), [0, 0, 2, 0], [1, 6, 6, 1]);
    expectArrayClose(values(out), Array.from(tfjs.image.resizeBilinear(square, [3, 3], false, true).dataSync()), 1e-5, 1e-4);
  });

  it('centerCrop takes the centre (offsets rounded down) and resizes inputs smaller than the target', () => {
    const x = img(2, 5, 6, 2, 7);
    const out = tf.layers.centerCrop({ height: 2, width: 3 }).apply(x);
    expect(out.shape).toEqual([2, 2, 3, 2]);
    expect(values(out)).toEqual(values(tf.slice(x, [0, 1, 1, 0], [2, 2, 3, 2])));
    const up = tf.layers.centerCrop({ height: 8, width: 4 }).apply(x);
    expect(up.shape).toEqual([2, 8, 4, 2]);
    // 5x6 to 8x4 (aspect 2): Keras's crop width floor(5 * 4 / 8) = 2, so columns 2..3, resized.
    const region = tfjs.slice(tfjs.tensor4d(Array.from(x.dataSync()), [2, 5, 6, 2]), [0, 0, 2, 0], [2, 5, 2, 2]);
    expectArrayClose(values(up), Array.from(tfjs.image.resizeBilinear(region, [8, 4], false, true).dataSync()), 1e-5, 1e-3);
  });

  it('gradients pass through resizing (finite differences)', () => {
    checkLayerGradients(tf.layers.resizing({ height: 3, width: 7 }), img(2, 4, 5, 2, 9, 0, 1));
    checkLayerGradients(tf.layers.centerCrop({ height: 2, width: 3 }), img(1, 4, 5, 1, 10, 0, 1));
  });

  it('output shapes are symbolic-friendly and bad input ranks are named', () => {
    const input = tf.input({ shape: [32, 24, 3] });
    const y = tf.layers.resizing({ height: 8, width: 8 }).apply(input);
    expect(y.shape).toEqual([null, 8, 8, 3]);
    expect(() => tf.layers.centerCrop({ height: 2, width: 2 }).apply(tf.ones([2, 3]))).toThrow(/center_crop.*expected images \[batch, height, width, channels\]/);
    expect(() => tf.layers.resizing({ height: 0, width: 2 })).toThrow(/argument 'height' expected a positive integer/);
  });
});

describe('normalization', () => {
  it('adapt learns per-feature mean and variance; the layer standardizes', () => {
    const data = tf.tensor([[1, 10], [3, 30], [5, 20], [7, 40]]);
    const norm = tf.layers.normalization();
    norm.adapt(data);
    expectArrayClose(values(norm.mean!), [4, 25]);
    expectArrayClose(values(norm.variance!), [5, 125]);
    const out = norm.apply(data);
    expectArrayClose(values(tf.mean(out, 0)), [0, 0], 0, 1e-6);
    expectArrayClose(values(tf.mean(tf.square(out), 0)), [1, 1], 1e-5, 1e-5);
    const inverse = tf.layers.normalization({ mean: [4, 25], variance: [5, 125], invert: true }).apply(out);
    expectArrayClose(values(inverse), values(data), 1e-5, 1e-4);
  });

  it('adapt streams a Dataset of batches and gives the same statistics as the whole tensor', async () => {
    const x = img(10, 3, 3, 2, 21, -5, 5);
    const whole = tf.layers.normalization();
    whole.adapt(x);
    const streamed = tf.layers.normalization();
    await streamed.adapt(tf.Dataset.fromTensors(x).batch(3));
    expectArrayClose(values(streamed.mean!), values(whole.mean!), 1e-6, 1e-6);
    expectArrayClose(values(streamed.variance!), values(whole.variance!), 1e-5, 1e-6);
    // Per-channel statistics of images: the reduction covers batch, height and width.
    const channel0 = values(x).filter((_, i) => i % 2 === 0);
    const m0 = channel0.reduce((a, b) => a + b, 0) / channel0.length;
    expect(values(whole.mean!)[0]).toBeCloseTo(m0, 5);
  });

  it('axis null gives one scalar statistic; a list keeps several axes', () => {
    const x = img(4, 2, 3, 1, 2);
    const scalar = tf.layers.normalization({ axis: null });
    scalar.adapt(x);
    expect(scalar.mean!.shape).toEqual([]);
    const both = tf.layers.normalization({ axis: [1, 2] });
    both.adapt(x);
    expect(both.mean!.shape).toEqual([2, 3]);
    expect(() => tf.layers.normalization({ axis: 0 }).adapt(x)).toThrow(/argument 'axis' expected axes in \[1, 3\]/);
    expect(() => tf.layers.normalization({ mean: 1 })).toThrow(/argument 'variance'/);
  });
});

describe('preprocessing models save, load and export to ONNX', () => {
  const build = (): LayersModel => {
    const norm = new Normalization();
    norm.adapt(img(8, 9, 7, 3, 5, 0, 1));
    return tf.sequential([
      tf.layers.inputLayer({ inputShape: [9, 7, 3] }),
      tf.layers.rescaling({ scale: 1 / 255 }),
      tf.layers.randomFlip(),
      tf.layers.randomRotation({ factor: 0.1 }),
      tf.layers.randomZoom({ heightFactor: 0.1 }),
      tf.layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }),
      tf.layers.randomContrast({ factor: 0.2 }),
      tf.layers.resizing({ height: 12, width: 10 }),
      tf.layers.centerCrop({ height: 8, width: 6 }),
      tf.layers.resizing({ height: 5, width: 5, interpolation: 'nearest', cropToAspectRatio: true }),
      norm,
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ]);
  };

  it('save / load keeps every layer, its config and the adapted statistics', async () => {
    const model = build();
    const x = img(2, 9, 7, 3, 6);
    const loaded = await saveAndLoad(model);
    expect(loaded.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    expectArrayClose(values(loaded.predictOnBatch(x) as Tensor), values(model.predictOnBatch(x) as Tensor));
    const rot = loaded.layers.find((l) => l.className === 'RandomRotation') as unknown as { factor: number[] };
    expect(rot.factor).toEqual([-0.1, 0.1]);
  });

  it('exports to ONNX (random layers as identity) and onnxruntime agrees at several opsets', async () => {
    const model = build();
    for (const opset of [13, 17, 19]) await expectOrtMatches(model, img(3, 9, 7, 3, 8), 1e-4, opset);
  });

  it('centerCrop and bilinear resizing with upscaling and downscaling export exactly', async () => {
    const input = tf.input({ shape: [6, 10, 2] });
    const a = tf.layers.resizing({ height: 13, width: 4 }).apply(input);
    const b = tf.layers.centerCrop({ height: 9, width: 3 }).apply(a);
    const c = tf.layers.centerCrop({ height: 12, width: 5 }).apply(b);
    const model = tf.model({ inputs: input, outputs: tf.layers.normalization({ mean: 100, variance: 400, invert: true }).apply(c) });
    await expectOrtMatches(model, img(2, 6, 10, 2, 12), 1e-3);
  });
});
