// TensorFlow's "training loop from scratch" tutorial, ported: a Keras model called in training mode
// inside valueAndGrad (the GradientTape), gradients applied by the optimizer, running metrics per
// epoch, then test accuracy at the end of each epoch. MNIST digits bundled with the package.
//
//   node examples/gradient-tape.mjs
import * as tf from '../dist/index.mjs';

const quick = process.env.TENSORFORGE_EXAMPLE_QUICK === '1';
const epochs = quick ? 2 : 5;
const batchSize = 64;

tf.manualSeed(0);
const { train, test } = tf.datasets.mnist(quick ? { trainSize: 2000, testSize: 500 } : {});
const xTrain = train.images.reshape([-1, 784]);
const xTest = test.images.reshape([-1, 784]);

// keras.Sequential([Dense(64, relu), Dense(64, relu), Dense(10)]): the last layer gives logits.
const model = tf.sequential([
  tf.layers.dense({ units: 64, activation: 'relu', inputShape: [784] }),
  tf.layers.dropout({ rate: 0.1 }),
  tf.layers.dense({ units: 64, activation: 'relu' }),
  tf.layers.dense({ units: 10 }),
]);
const optimizer = tf.optimizers.adam({ learningRate: 1e-3 });
const lossFn = tf.losses.sparseCategoricalCrossentropy({ fromLogits: true });
const trainAccuracy = new tf.metrics.SparseCategoricalAccuracy();
const trainDataset = tf.Dataset.fromTensors(xTrain, train.labels).shuffle(true).batch(batchSize);

const history = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  const t0 = performance.now();
  trainAccuracy.reset();
  let lossSum = 0;
  let seen = 0;
  for await (const { x, y } of trainDataset) {
    // with tf.GradientTape() as tape: logits = model(x, training=True); loss = loss_fn(y, logits)
    const { value, grads } = tf.valueAndGrad(() => {
      const logits = model.apply(x, { training: true });
      trainAccuracy.update(y, logits); // train_acc_metric.update_state(y, logits)
      return tf.mean(lossFn(y, logits));
    })(model.trainableWeights);
    // optimizer.apply_gradients(zip(grads, model.trainable_weights))
    optimizer.applyGradients(model.trainableWeights.map((w, i) => [w, grads[i]]));
    lossSum += value.item() * x.shape[0];
    seen += x.shape[0];
  }
  // Test accuracy with the model in inference mode (dropout off).
  const testLogits = tf.noGrad(() => model.apply(xTest, { training: false }));
  const testAccuracy = tf.mean(tf.equal(tf.argmax(testLogits, 1), test.labels)).item();
  const row = { epoch: epoch + 1, loss: lossSum / seen, trainAccuracy: trainAccuracy.result(), testAccuracy };
  history.push(row);
  console.log(`epoch ${row.epoch}: loss ${row.loss.toFixed(4)}, train accuracy ${(row.trainAccuracy * 100).toFixed(2)}%, `
    + `test accuracy ${(row.testAccuracy * 100).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** What the run measured (read by the example test). */
export const result = { history };
