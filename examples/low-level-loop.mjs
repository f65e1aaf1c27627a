// The low-level training loop, written the way a TensorFlow GradientTape loop is: forward pass and
// loss inside valueAndGrad, then one optimizer step on the gradients. MNIST digits, one hidden layer.
import * as tf from '../dist/index.mjs';

tf.manualSeed(0);
const { train, test } = tf.datasets.mnist();
const xTrain = train.images.reshape([train.images.shape[0], 784]);
const xTest = test.images.reshape([test.images.shape[0], 784]);
const yTrain = tf.oneHot(train.labels, 10);

const hidden = tf.layers.dense({ units: 128, activation: 'relu', inputShape: [784] });
const output = tf.layers.dense({ units: 10 }); // logits
const forward = (x) => output.apply(hidden.apply(x));
forward(xTrain.slice([0], [1])); // builds the weights
const params = [...hidden.trainableWeights, ...output.trainableWeights];

const optimizer = tf.optimizers.adam({ learningRate: 1e-3 });
const lossFn = tf.losses.categoricalCrossentropy({ fromLogits: true });
const batchSize = 128;
const n = xTrain.shape[0];

for (let epoch = 1; epoch <= 3; epoch++) {
  let total = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const xb = xTrain.slice([start], [size]);
    const yb = yTrain.slice([start], [size]);
    // "with tf.GradientTape() as tape": everything inside is recorded, and the gradients come back
    // for the tensors listed, which the layers use directly (the function closes over them).
    const { value, grads } = tf.valueAndGrad(() => tf.mean(lossFn(yb, forward(xb))))(params);
    optimizer.applyGradients(params.map((p, i) => [p, grads[i]]));
    total += value.item() * size;
  }
  const predicted = tf.argmax(forward(xTest), 1);
  const accuracy = tf.mean(tf.equal(predicted, test.labels)).item();
  console.log(`epoch ${epoch}: loss ${(total / n).toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}%`);
}
