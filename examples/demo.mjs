// The classic tutorial network on the bundled MNIST digits: Dense(512, relu) -> Dense(10, softmax),
// adam, categorical cross-entropy, batch 128, 5 epochs. Then evaluate, save, reload, and check
// that the reloaded model predicts the same.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../dist/index.mjs';

const info = tf.backendInfo();
console.log(`tensorforge: backend ${info.backend}, ${info.simd}, ${info.threads} thread(s)`);

tf.manualSeed(42);
const { train, test } = tf.datasets.mnist(); // 8,000 train / 2,000 test digits from the mnist package
const flat = (images) => images.reshape([images.shape[0], 784]);
const xTrain = flat(train.images);
const xTest = flat(test.images);
const yTrain = tf.oneHot(train.labels, 10);
const yTest = tf.oneHot(test.labels, 10);

const model = tf.sequential([
  tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const t0 = performance.now();
await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 128, verbose: 1 });
const seconds = (performance.now() - t0) / 1000;
console.log(`trained 5 epochs in ${seconds.toFixed(2)} s (${Math.round((5 * xTrain.shape[0]) / seconds)} samples/s)`);

const { loss, accuracy } = await model.evaluate(xTest, yTest, { batchSize: 512 });
console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}%`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-mnist-'));
await model.save(dir);
const reloaded = await tf.loadModel(dir);
const before = await model.predict(xTest);
const after = await reloaded.predict(xTest);
const diff = tf.max(tf.abs(tf.sub(before, after))).item();
console.log(`saved to ${dir}; reloaded model's predictions ${diff === 0 ? 'match exactly' : `differ by up to ${diff}`}`);
if (diff !== 0) process.exitCode = 1;
