// The core of tensorflow/tfjs-examples' mnist-node and abalone-node scripts (data.js, model.js,
// main.js / train.js and their tests), adapted here with only these changes: the import line
// ('@tensorflow/tfjs-node' -> the tensorforge/tfjs entry point), locally generated data instead of
// downloads, and fewer samples and epochs. Every tf.* call is as those scripts make it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tfjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-examples-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- mnist-node -------------------------------------------------------------------------------

const IMAGE_HEADER_MAGIC_NUM = 2051;
const IMAGE_HEADER_BYTES = 16;
const IMAGE_HEIGHT = 28;
const IMAGE_WIDTH = 28;
const IMAGE_FLAT_SIZE = IMAGE_HEIGHT * IMAGE_WIDTH;
const LABEL_HEADER_MAGIC_NUM = 2049;
const LABEL_HEADER_BYTES = 8;
const LABEL_FLAT_SIZE = 10;

/** Writes IDX files of synthetic digits: class k lights a vertical band at column 2 + 2k (learnable, like MNIST). */
function writeDigits(prefix: string, count: number, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const images = Buffer.alloc(IMAGE_HEADER_BYTES + count * IMAGE_FLAT_SIZE);
  [IMAGE_HEADER_MAGIC_NUM, count, IMAGE_HEIGHT, IMAGE_WIDTH].forEach((v, i) => images.writeUInt32BE(v, i * 4));
  const labels = Buffer.alloc(LABEL_HEADER_BYTES + count);
  [LABEL_HEADER_MAGIC_NUM, count].forEach((v, i) => labels.writeUInt32BE(v, i * 4));
  for (let n = 0; n < count; n++) {
    const label = n % 10;
    labels[LABEL_HEADER_BYTES + n] = label;
    for (let r = 0; r < IMAGE_HEIGHT; r++) {
      for (let c = 0; c < IMAGE_WIDTH; c++) {
        const on = Math.abs(c - (2 + 2 * label)) <= 1 && r > 4 && r < 24;
        images[IMAGE_HEADER_BYTES + n * IMAGE_FLAT_SIZE + r * IMAGE_WIDTH + c] = on ? 200 + Math.floor(rnd() * 55) : Math.floor(rnd() * 40);
      }
    }
  }
  // The example downloads .gz files and gunzips them; the IDX bytes are what it reads.
  fs.writeFileSync(`${prefix}-images-idx3-ubyte`, images);
  fs.writeFileSync(`${prefix}-labels-idx1-ubyte`, labels);
  fs.writeFileSync(`${prefix}-images-idx3-ubyte.gz`, gzipSync(images));
}

// data.js
function loadHeaderValues(buffer: Buffer, headerLength: number): number[] {
  const headerValues: number[] = [];
  for (let i = 0; i < headerLength / 4; i++) headerValues[i] = buffer.readUInt32BE(i * 4);
  return headerValues;
}

function loadImages(filename: string): Float32Array[] {
  const buffer = fs.readFileSync(filename);
  const headerValues = loadHeaderValues(buffer, IMAGE_HEADER_BYTES);
  expect(headerValues[0]).toBe(IMAGE_HEADER_MAGIC_NUM);
  const images: Float32Array[] = [];
  let index = IMAGE_HEADER_BYTES;
  while (index < buffer.byteLength) {
    const array = new Float32Array(IMAGE_FLAT_SIZE);
    for (let i = 0; i < IMAGE_FLAT_SIZE; i++) array[i] = buffer.readUInt8(index++) / 255;
    images.push(array);
  }
  return images;
}

function loadLabels(filename: string): Int32Array[] {
  const buffer = fs.readFileSync(filename);
  const headerValues = loadHeaderValues(buffer, LABEL_HEADER_BYTES);
  expect(headerValues[0]).toBe(LABEL_HEADER_MAGIC_NUM);
  const labels: Int32Array[] = [];
  let index = LABEL_HEADER_BYTES;
  while (index < buffer.byteLength) {
    const array = new Int32Array(1);
    array[0] = buffer.readUInt8(index++);
    labels.push(array);
  }
  return labels;
}

function getData(imagesList: Float32Array[], labelsList: Int32Array[]) {
  const size = imagesList.length;
  tf.util.assert(labelsList.length === size, `Mismatch in the number of images (${size}) and the number of labels (${labelsList.length})`);
  const imagesShape = [size, IMAGE_HEIGHT, IMAGE_WIDTH, 1];
  const images = new Float32Array(tf.util.sizeFromShape(imagesShape));
  const labels = new Int32Array(tf.util.sizeFromShape([size, 1]));
  let imageOffset = 0;
  let labelOffset = 0;
  for (let i = 0; i < size; ++i) {
    images.set(imagesList[i]!, imageOffset);
    labels.set(labelsList[i]!, labelOffset);
    imageOffset += IMAGE_FLAT_SIZE;
    labelOffset += 1;
  }
  return {
    images: tf.tensor4d(images, imagesShape),
    labels: tf.oneHot(tf.tensor1d(labels, 'int32'), LABEL_FLAT_SIZE).toFloat(),
  };
}

// model.js
function createMnistModel() {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.25 }));
  model.add(tf.layers.dense({ units: 512, activation: 'relu' }));
  model.add(tf.layers.dropout({ rate: 0.5 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  const optimizer = 'rmsprop';
  model.compile({ optimizer: optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('mnist-node', () => {
  it('main.js: fit, evaluate()[i].dataSync(), save(file://)', async () => {
    tf.manualSeed(1);
    const dir = path.join(tmp, 'mnist');
    fs.mkdirSync(dir);
    writeDigits(path.join(dir, 'train'), 320, 7);
    writeDigits(path.join(dir, 't10k'), 100, 8);
    const model = createMnistModel();
    const { images: trainImages, labels: trainLabels } = getData(loadImages(path.join(dir, 'train-images-idx3-ubyte')), loadLabels(path.join(dir, 'train-labels-idx1-ubyte')));
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/Total params: 594,?922/);
    const epochs = 3;
    const batchSize = 32;
    const validationSplit = 0.15;
    const history = await model.fit(trainImages, trainLabels, { epochs, batchSize, validationSplit, verbose: 0 });
    expect(history.history.loss).toHaveLength(epochs);
    expect(history.history.acc).toHaveLength(epochs);
    expect(history.history.val_acc).toHaveLength(epochs);

    const { images: testImages, labels: testLabels } = getData(loadImages(path.join(dir, 't10k-images-idx3-ubyte')), loadLabels(path.join(dir, 't10k-labels-idx1-ubyte')));
    const evalOutput = model.evaluate(testImages, testLabels) as tf.Tensor[];
    const loss = evalOutput[0]!.dataSync()[0]!;
    const accuracy = evalOutput[1]!.dataSync()[0]!;
    expect(`Loss = ${loss.toFixed(3)}; Accuracy = ${accuracy.toFixed(3)}`).toMatch(/^Loss = \d+\.\d{3}; Accuracy = \d\.\d{3}$/);
    expect(accuracy).toBeGreaterThan(0.8);

    const modelSavePath = path.join(dir, 'saved');
    await model.save(`file://${modelSavePath}`);
    expect(fs.readdirSync(modelSavePath).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(`file://${modelSavePath}/model.json`);
    const a = model.predict(testImages) as tf.Tensor;
    const b = loaded.predict(testImages) as tf.Tensor;
    tf.test_util.expectArraysClose(b, a, 1e-5);
  });
});

// ---- abalone-node -----------------------------------------------------------------------------

/** A small abalone.csv: the real header, plausible measurements, rings a noisy function of them. */
function writeAbalone(file: string, rows: number): void {
  let s = 3;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const lines = ['sex,length,diameter,height,weight.w,weight.s,weight.v,weight.sh,rings'];
  for (let i = 0; i < rows; i++) {
    const length = 0.2 + 0.5 * rnd();
    const d = length * 0.8;
    const h = length * 0.25;
    const w = length * 2.2 * rnd() + 0.05;
    const rings = Math.max(2, Math.min(16, Math.round(3 + 14 * length + 2 * rnd())));
    const f = (v: number) => Math.min(0.99, Math.max(0.01, v)).toFixed(4);
    lines.push([['M', 'F', 'I'][i % 3], f(length), f(d), f(h), f(w), f(w * 0.45), f(w * 0.2), f(w * 0.3), rings].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

// data.js
async function createDataset(csvPath: string) {
  const dataset = tf.data.csv(csvPath, { hasHeader: true, columnConfigs: { rings: { isLabel: true } } });
  const numOfColumns = (await dataset.columnNames()).length - 1;
  return {
    dataset: dataset.map((row) => {
      const { xs: rawFeatures, ys: rawLabel } = row as { xs: Record<string, string | number>; ys: Record<string, number> };
      const convertedFeatures = Object.keys(rawFeatures).map((key) => {
        switch (rawFeatures[key]) {
          case 'F':
            return 0;
          case 'M':
            return 1;
          case 'I':
            return 2;
          default:
            return Number(rawFeatures[key]);
        }
      });
      const convertedLabel = [rawLabel['rings']];
      return { xs: convertedFeatures, ys: convertedLabel };
    }),
    numOfColumns: numOfColumns,
  };
}

// model.js
function createModel(inputShape: number[]) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: inputShape, activation: 'sigmoid', units: 50 }));
  model.add(tf.layers.dense({ activation: 'sigmoid', units: 50 }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  return model;
}

describe('abalone-node', () => {
  const cwd = process.cwd();
  afterAll(() => process.chdir(cwd));

  it('train.js: csv dataset, fitDataset, save(file://relative), loadLayersModel, predict', async () => {
    tf.manualSeed(2);
    const dir = path.join(tmp, 'abalone');
    fs.mkdirSync(dir);
    process.chdir(dir);
    const csvPath = './abalone.csv';
    writeAbalone(csvPath, 600);
    const savePath = 'file://trainedModel';
    const epochs = 20;
    const batchSize = 50;

    const datasetObj = await createDataset('file://' + csvPath);
    const model = createModel([datasetObj.numOfColumns]);
    const trainBatches = Math.floor(500 / batchSize);
    const dataset = datasetObj.dataset.shuffle(1000).batch(batchSize);
    const trainDataset = dataset.take(trainBatches);
    const validationDataset = dataset.skip(trainBatches);
    const history = await model.fitDataset(trainDataset, { epochs: epochs, validationData: validationDataset, verbose: 0 });
    expect(history.history.loss).toHaveLength(epochs);
    expect(history.history.val_loss).toHaveLength(epochs);
    expect(history.history.loss![epochs - 1]!).toBeLessThan(history.history.loss![0]!);

    await model.save(savePath);
    expect(fs.existsSync(path.join(dir, 'trainedModel', 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'file:'))).toBe(false);

    const loadedModel = await tf.loadLayersModel(savePath + '/model.json');
    const result = loadedModel.predict(tf.tensor2d([[0, 0.625, 0.495, 0.165, 1.262, 0.507, 0.318, 0.39]])) as tf.Tensor;
    const expected = model.predict(tf.tensor2d([[0, 0.625, 0.495, 0.165, 1.262, 0.507, 0.318, 0.39]])) as tf.Tensor;
    expect(result.shape).toEqual([1, 1]);
    expect(Number.isFinite(result.dataSync()[0]!)).toBe(true);
    tf.test_util.expectArraysClose(result, expected, 1e-6);
  });

  it('data_test.js: createDataset and numOfColumns', async () => {
    const file = path.join(tmp, 'test_data.csv');
    writeAbalone(file, 5);
    const datasetObj = await createDataset(`file://${file}`);
    const row = (await datasetObj.dataset.take(1).toArray()) as { xs: number[]; ys: number[] }[];
    expect(datasetObj.numOfColumns).toBe(8);
    const features = row[0]!.xs;
    const label = row[0]!.ys;
    expect(features.length).toBe(8);
    expect(features[0] === 0 || features[0] === 1 || features[0] === 2).toBeTruthy();
    for (let i = 1; i < 8; i++) {
      expect(features[i]).toBeLessThan(1);
      expect(features[i]).toBeGreaterThan(0);
    }
    expect(Number.isInteger(label[0])).toBeTruthy();
    expect(label[0]).toBeGreaterThanOrEqual(2);
    expect(label[0]).toBeLessThanOrEqual(16);
  });

  it('model_test.js: created model can train; save-load roundtrip', async () => {
    const inputLength = 6;
    const outputLength = 1;
    const model = createModel([inputLength]);
    expect(model.inputs.length).toEqual(1);
    expect(model.inputs[0]!.shape).toEqual([null, inputLength]);
    expect(model.outputs.length).toEqual(1);
    expect(model.outputs[0]!.shape).toEqual([null, outputLength]);
    const numExamples = 3;
    const inputFeature = tf.ones([numExamples, inputLength]);
    const inputLabel = tf.ones([numExamples, outputLength]);
    const history = await model.fit(inputFeature, inputLabel, { epochs: 2, verbose: 0 });
    expect(history.history.loss!.length).toEqual(2);

    const feature = tf.ones([numExamples, inputLength]);
    const y = model.predict(feature);
    const tempDir = fs.mkdtempSync(path.join(tmp, 'roundtrip-'));
    await model.save(`file://${tempDir}`);
    const modelPrime = await tf.loadLayersModel(`file://${tempDir}/model.json`);
    const yPrime = modelPrime.predict([feature]);
    tf.test_util.expectArraysClose(yPrime, y);
  });
});
