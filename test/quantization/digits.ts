// Shared by the quantization tests: the demo MLP and the tutorial CNN trained briefly on the
// bundled digits (datasets.mnist: 8,000 train / 2,000 test), and helpers to measure them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src';

export interface Digits {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  xTest: tf.Tensor;
  yTest: tf.Tensor;
  labels: Int32Array;
}

export function digits(flat: boolean): Digits {
  const { train, test } = tf.datasets.mnist();
  const shape = (t: tf.Tensor) => (flat ? t.reshape([t.shape[0]!, 784]) : t);
  return {
    xTrain: shape(train.images), yTrain: tf.oneHot(train.labels, 10),
    xTest: shape(test.images), yTest: tf.oneHot(test.labels, 10),
    labels: Int32Array.from(test.labels.dataSync()),
  };
}

/** The examples/demo.mjs network: Dense(512, relu) -> Dense(10, softmax). */
export async function trainedMlp(d: Digits, epochs = 2): Promise<tf.LayersModel> {
  tf.manualSeed(42);
  const model = tf.sequential([
    tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(d.xTrain, d.yTrain, { epochs, batchSize: 128, verbose: 0 });
  return model;
}

/** The examples/mnist-cnn.mjs network: Conv2D(32, 3x3, relu) -> MaxPooling2D -> Flatten -> Dense(10, softmax). */
export async function trainedCnn(d: Digits, epochs = 2): Promise<tf.LayersModel> {
  tf.manualSeed(7);
  const model = tf.sequential([
    tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(d.xTrain, d.yTrain, { epochs, batchSize: 64, verbose: 0 });
  return model;
}

/** Test accuracy in percent, from predictions. */
export async function accuracy(model: tf.LayersModel, d: Digits): Promise<number> {
  const p = (await model.predict(d.xTest, { batchSize: 256 })) as tf.Tensor;
  const pred = tf.argmax(p, -1).dataSync();
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === d.labels[i]) ok++;
  return (100 * ok) / pred.length;
}

/** Saves to a fresh temporary folder; returns it and the weight file's size in bytes. */
export async function saveTemp(model: tf.LayersModel, tag: string): Promise<{ dir: string; bytes: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tf-quant-${tag}-`));
  await model.save(dir);
  return { dir, bytes: fs.statSync(path.join(dir, 'model.safetensors')).size };
}

/** The first n samples of x. */
export function head(x: tf.Tensor, n: number): tf.Tensor {
  return x.slice([0, ...x.shape.slice(1).map(() => 0)], [n, ...x.shape.slice(1)]);
}
