import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { cnnFixture } from './helpers';

const SIZE = 16;
const HALF = SIZE / 2;

/**
 * 16x16 images: channel 0 is noise with bright 3x3 squares, channel 1 marks the top-left quadrant
 * (1 inside, 0 outside). Squares go in the given quadrants (0 = top-left, 1 = top-right, ...).
 */
function images(quadrantsPerImage: number[][]): tf.Tensor {
  const n = quadrantsPerImage.length;
  const data = new Float32Array(n * SIZE * SIZE * 2);
  let state = 12345;
  const rand = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  quadrantsPerImage.forEach((quadrants, i) => {
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        data[((i * SIZE + r) * SIZE + c) * 2] = rand() * 0.1;
        data[((i * SIZE + r) * SIZE + c) * 2 + 1] = r < HALF && c < HALF ? 1 : 0;
      }
    }
    for (const q of quadrants) {
      const top = (q >= 2 ? HALF : 0) + 1 + Math.floor(rand() * (HALF - 4));
      const left = (q % 2 === 1 ? HALF : 0) + 1 + Math.floor(rand() * (HALF - 4));
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) data[((i * SIZE + top + dy) * SIZE + left + dx) * 2] = 1;
    }
  });
  return tf.tensor(data, [n, SIZE, SIZE, 2]);
}

/**
 * A CNN whose class-1 score reads the top-left quadrant only: feature 0 = relu(image + mask - 1.5)
 * (bright pixels in the top-left), feature 1 = relu(image - 0.5) (bright pixels anywhere), global
 * average pooling, then logits [10 f1 - 2 f0 ... ] with class 1 = 10 f0 - 2 f1.
 */
function quadrantModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', inputShape: [SIZE, SIZE, 2], name: 'features' }),
      tf.layers.globalAveragePooling2d(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.setWeights([
    tf.tensor([1, 1, 1, 0], [1, 1, 2, 2]),
    tf.tensor([-1.5, -0.5]),
    tf.tensor([-2, 10, 10, -2], [2, 2]),
    tf.tensor([0, 0]),
  ]);
  return model;
}

describe('explain.gradCam', () => {
  it('lights the quadrant a model decides by, not a distractor elsewhere', async () => {
    const model = quadrantModel();
    // A square in the top-left and one in another quadrant.
    const x = images([[0, 1], [0, 2], [0, 3], [3, 0]]);
    const cams = await tf.explain.gradCam(model, x, { classIndex: 1 });
    expect(cams.shape).toEqual([4, SIZE, SIZE]);
    const byName = await tf.explain.gradCam(model, x, { classIndex: 1, layerName: 'features' });
    expect(Array.from(byName.dataSync())).toEqual(Array.from(cams.dataSync()));
    const d = cams.dataSync();
    for (let i = 0; i < 4; i++) {
      let inside = 0;
      let outside = 0;
      for (let r = 0; r < SIZE; r++) {
        for (let c = 0; c < SIZE; c++) {
          const v = d[(i * SIZE + r) * SIZE + c]!;
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1 + 1e-6);
          if (r < HALF && c < HALF) inside += v;
          else outside += v;
        }
      }
      expect(inside, `image ${i}`).toBeGreaterThan(0);
      expect(outside, `image ${i}`).toBe(0);
    }
    // The other class is explained by the squares outside the top-left.
    const other = await tf.explain.gradCam(model, x, { classIndex: 0, upsample: false });
    const o = other.dataSync();
    let outsideMass = 0;
    let insideMass = 0;
    for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) (r < HALF && c < HALF ? (insideMass += o[r * SIZE + c]!) : (outsideMass += o[r * SIZE + c]!));
    expect(outsideMass).toBeGreaterThan(insideMass);
  });

  it("with method 'hiResCam' lights the quadrant a Flatten + Dense head reads, where mean weights cancel", async () => {
    // Class 1 reads feature 0 in the top-left quadrant only, through a Dense layer over the flattened map.
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'relu', inputShape: [SIZE, SIZE, 2], name: 'features' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const dense = new Float32Array(SIZE * SIZE * 2);
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        // Unit 1: +1 inside the top-left quadrant, -1 elsewhere (a bright pixel elsewhere argues against class 1).
        dense[(r * SIZE + c) * 2 + 1] = r < HALF && c < HALF ? 1 : -1;
      }
    }
    model.setWeights([tf.tensor([1, 0], [1, 1, 2, 1]), tf.tensor([-0.5]), tf.tensor(dense, [SIZE * SIZE, 2]), tf.tensor([0, 0])]);
    const x = images([[0, 1, 2, 3]]);
    const hiRes = (await tf.explain.gradCam(model, x, { classIndex: 1, method: 'hiResCam' })).dataSync();
    let inside = 0;
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const v = hiRes[r * SIZE + c]!;
        if (r < HALF && c < HALF) inside += v;
        else expect(v).toBe(0);
      }
    }
    expect(inside).toBeGreaterThan(0);
    // Mean weighting: one square inside against three outside gives a negative channel weight, a blank map.
    const mean = (await tf.explain.gradCam(model, x, { classIndex: 1 })).dataSync();
    expect(Array.from(mean).every((v) => v === 0)).toBe(true);
    // With global pooling the two methods agree.
    const pooled = quadrantModel();
    const a = (await tf.explain.gradCam(pooled, x, { classIndex: 1 })).dataSync();
    const b = (await tf.explain.gradCam(pooled, x, { classIndex: 1, method: 'hiResCam' })).dataSync();
    a.forEach((v, i) => expect(b[i]!).toBeCloseTo(v, 5));
    await expect(tf.explain.gradCam(model, x, { method: 'cam' as 'gradCam' })).rejects.toThrow("argument 'method' expected 'gradCam' or 'hiResCam', got \"cam\"");
  });

  it('explains the scores before the softmax by default (probabilities of a confident model saturate)', async () => {
    const model = quadrantModel();
    const x = images([[0, 1]]);
    const logits = await tf.explain.gradCam(model, x, { classIndex: 1 });
    const probabilities = await tf.explain.gradCam(model, x, { classIndex: 1, target: 'output' });
    expect(probabilities.shape).toEqual(logits.shape);
    // The model is still whole afterwards.
    const y = (model.predictOnBatch(x) as tf.Tensor).dataSync();
    expect(y[0]! + y[1]!).toBeCloseTo(1, 5);
  });

  it('works on an imported PyTorch CNN (channels-first)', async () => {
    const { model, x, shape } = cnnFixture();
    const cams = await tf.explain.gradCam(model, x);
    expect(cams.shape).toEqual([shape[0], shape[2], shape[3]]);
    const values = Array.from(cams.dataSync());
    expect(values.every((v) => v >= 0 && v <= 1 + 1e-6)).toBe(true);
    expect(Math.max(...values)).toBeGreaterThan(0);
    // Scaled per sample at the layer's resolution (upsampling may smooth the peak).
    const raw = await tf.explain.gradCam(model, x, { upsample: false });
    expect(raw.rank).toBe(3);
    for (let s = 0; s < raw.shape[0]!; s++) {
      const per = raw.shape[1]! * raw.shape[2]!;
      expect(Math.max(...Array.from(raw.dataSync().subarray(s * per, (s + 1) * per)))).toBeCloseTo(1, 5);
    }
  });

  it('names the layer it cannot use', async () => {
    tf.manualSeed(22);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], name: 'only' })] });
    const x = tf.randn([2, 4]);
    await expect(tf.explain.gradCam(model, x)).rejects.toThrow("explain.gradCam: argument 'layerName' expected a layer name (the model has no layer with a spatial output");
    await expect(tf.explain.gradCam(model, x, { layerName: 'missing' })).rejects.toThrow("argument 'layerName' expected the name of one of the model's 1 layers, got \"missing\"");
    await expect(tf.explain.gradCam(model, x, { layerName: 'only' })).rejects.toThrow("argument 'layerName' expected a layer whose output is [batch, H, W, C]");
  });
});
