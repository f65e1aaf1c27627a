// A new optimizer written outside the library, against its public API only: Lion (Chen et al.
// 2023, "Symbolic Discovery of Optimization Algorithms"). It trains the demo MLP (Dense(512, relu)
// -> Dense(10, softmax)) on part of MNIST, is saved with the model, loaded back and resumed; the
// resumed run ends exactly where an uninterrupted run does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../dist/index.mjs';

/**
 * Lion keeps one slot per weight, the momentum m, and moves every weight by the same amount, the
 * learning rate, in the direction of an interpolation of m and the gradient:
 *   update = sign(beta1 * m + (1 - beta1) * g);  p -= lr * update;  m = beta2 * m + (1 - beta2) * g
 * Weight decay is decoupled (p -= lr * weightDecay * p), which the Optimizer base class applies
 * before updateStep, together with clipNorm / globalClipNorm / clipValue when they are set.
 */
class Lion extends tf.Optimizer {
  className = 'Lion';

  constructor(options = {}) {
    // Lion wants a learning rate 3-10x smaller than Adam's (Keras defaults shown).
    super(options, { learningRate: 0.001, optionKeys: ['beta1', 'beta2'] });
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
  }

  buildSlots(variable) {
    this.addSlot(variable, 'momentum');
  }

  updateStep(gradient, variable, learningRate) {
    const m = this.getSlot(variable, 'momentum');
    const direction = tf.sign(tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1)));
    this.assignSub(variable, tf.mul(direction, learningRate));
    this.assign(m, tf.add(tf.mul(m, this.beta2), tf.mul(gradient, 1 - this.beta2)));
  }

  getConfig() {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2 };
  }
}
// So that loadModel (and compile({ optimizer: 'lion' })) can rebuild it from the saved config.
tf.registerOptimizer(Lion);

const info = tf.backendInfo();
console.log(`tensorforge: backend ${info.backend}, ${info.simd}, ${info.threads} thread(s)`);

const { train, test } = tf.datasets.mnist();
const take = (t, n) => t.slice([0], [n]);
const xTrain = take(train.images, 2000).reshape([-1, 784]);
const yTrain = tf.oneHot(take(train.labels, 2000), 10);
const xTest = take(test.images, 1000).reshape([-1, 784]);
const yTest = tf.oneHot(take(test.labels, 1000), 10);

function demoMlp() {
  tf.manualSeed(42); // the same initial weights for every model built here
  const model = tf.sequential([
    tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new Lion({ learningRate: 3e-4, weightDecay: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
// No shuffling, so that the interrupted and the uninterrupted runs see the same batches.
const fitArgs = { batchSize: 128, shuffle: false, verbose: 0 };
const report = async (what, model) => {
  const { loss, accuracy } = await model.evaluate(xTest, yTest, { batchSize: 500 });
  console.log(`${what}: test loss ${loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(1)}% (after ${model.optimizer.iterations} Lion steps)`);
};

const t0 = performance.now();
const model = demoMlp();
await model.fit(xTrain, yTrain, { ...fitArgs, epochs: 2 });
await report('2 epochs', model);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-lion-'));
await model.save(dir); // model.json, model.safetensors and optimizer.safetensors (Lion's momenta)
const resumed = await tf.loadModel(dir);
const kernel = resumed.trainableWeights[0];
const m = resumed.optimizer.getSlot(kernel, 'momentum');
console.log(
  `reloaded from ${dir}: ${resumed.optimizer.className}, iterations ${resumed.optimizer.iterations}, ` +
    `slots ${resumed.optimizer.getSlotNames(kernel).join(', ')} (|momentum| max ${tf.max(tf.abs(m)).item().toExponential(2)})`,
);
await resumed.fit(xTrain, yTrain, { ...fitArgs, epochs: 2 });
await report('resumed for 2 more', resumed);

const straight = demoMlp();
await straight.fit(xTrain, yTrain, { ...fitArgs, epochs: 4 });
await report('4 epochs straight', straight);
const diff = Math.max(
  ...resumed.trainableWeights.map((w, i) => tf.max(tf.abs(tf.sub(w, straight.trainableWeights[i]))).item()),
);
console.log(`resumed vs uninterrupted weights: ${diff === 0 ? 'identical' : `differ by up to ${diff}`} (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
if (diff > 1e-6) process.exitCode = 1;
