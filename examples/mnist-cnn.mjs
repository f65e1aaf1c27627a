// The tutorial CNN on the bundled MNIST digits: Conv2D(32, 3x3, relu) -> MaxPooling2D(2x2) ->
// Flatten -> Dense(10, softmax), adam, batch 64, 3 epochs, with a progress bar.
import * as tf from '../dist/index.mjs';

const info = tf.backendInfo();
console.log(`tensorforge: backend ${info.backend}, ${info.simd}, ${info.threads} thread(s)`);

tf.manualSeed(7);
const { train, test } = tf.datasets.mnist(); // [N, 28, 28, 1] in 0..1, 8,000 train / 2,000 test
const yTrain = tf.oneHot(train.labels, 10);
const yTest = tf.oneHot(test.labels, 10);

const model = tf.sequential([
  tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const t0 = performance.now();
await model.fit(train.images, yTrain, { epochs: 3, batchSize: 64, verbose: 1 });
const seconds = (performance.now() - t0) / 1000;
console.log(`trained 3 epochs in ${seconds.toFixed(1)} s (${Math.round((3 * train.images.shape[0]) / seconds)} samples/s)`);
const { accuracy } = await model.evaluate(test.images, yTest, { batchSize: 256 });
console.log(`test accuracy ${(accuracy * 100).toFixed(2)}%`);
