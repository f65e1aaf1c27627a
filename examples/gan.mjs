// A DCGAN on the bundled MNIST digits, written as TensorFlow's DCGAN tutorial: a generator and a
// discriminator as two Keras models, the combined `discriminator(generator(z))` as a model nesting
// both, and a custom loop with model.apply(x, { training: true }) inside valueAndGrad (the
// GradientTape). Writes a PNG grid of generated digits.
//
//   node examples/gan.mjs [out-dir]
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tf from '../dist/index.mjs';

const quick = process.env.TENSORFORGE_EXAMPLE_QUICK === '1';
const outDir = process.argv[2] ?? process.env.TENSORFORGE_EXAMPLE_OUT ?? '.';
const latent = 32;
const batchSize = 64;
const epochs = quick ? 1 : 10;
const trainSize = quick ? 512 : 8000;
// The run stops early when this budget is spent, so the example stays under two minutes on a slow machine.
const budgetMs = quick ? 60_000 : 80_000;

tf.manualSeed(0);
const { train } = tf.datasets.mnist({ trainSize, testSize: 100 });
const real = tf.sub(tf.mul(train.images, 2), 1); // [-1, 1], the generator's tanh range

const generator = tf.sequential({
  name: 'generator',
  layers: [
    tf.layers.dense({ units: 7 * 7 * 32, useBias: false, inputShape: [latent] }),
    tf.layers.batchNormalization({}),
    tf.layers.activation({ activation: 'leakyRelu' }),
    tf.layers.reshape({ targetShape: [7, 7, 32] }),
    tf.layers.conv2dTranspose({ filters: 16, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
    tf.layers.batchNormalization({}),
    tf.layers.activation({ activation: 'leakyRelu' }),
    tf.layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
  ],
});
const discriminator = tf.sequential({
  name: 'discriminator',
  layers: [
    tf.layers.conv2d({ filters: 16, kernelSize: 4, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
    tf.layers.activation({ activation: 'leakyRelu' }),
    tf.layers.dropout({ rate: 0.3 }),
    tf.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'same' }),
    tf.layers.activation({ activation: 'leakyRelu' }),
    tf.layers.dropout({ rate: 0.3 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 1 }), // a logit: real or fake
  ],
});
// The combined model nests both: its weights are the generator's and the discriminator's own.
const z = tf.input({ shape: [latent], name: 'z' });
const gan = tf.model({ inputs: z, outputs: discriminator.apply(generator.apply(z)), name: 'gan' });
gan.summary();

const bce = tf.losses.binaryCrossentropy({ fromLogits: true });
const dOptimizer = tf.optimizers.adam({ learningRate: 2e-4, beta1: 0.5 });
const gOptimizer = tf.optimizers.adam({ learningRate: 2e-4, beta1: 0.5 });
const ones = tf.ones([batchSize, 1]);
const zeros = tf.zeros([batchSize, 1]);
const step = (optimizer, weights, grads) => optimizer.applyGradients(weights.map((w, i) => [w, grads[i]]));

const t0 = performance.now();
const history = [];
let stopped = false;
for (let epoch = 0; epoch < epochs && !stopped; epoch++) {
  let dSum = 0;
  let gSum = 0;
  let dRealSum = 0;
  let dFakeSum = 0;
  let steps = 0;
  const order = tf.permutation(trainSize);
  for (let start = 0; start + batchSize <= trainSize; start += batchSize) {
    const images = tf.gather(real, tf.tensor(order.subarray(start, start + batchSize), [batchSize], 'int32'));
    // Discriminator step: real digits are 1, generated ones 0. The fakes are made without recording
    // (the generator is not being trained here).
    const fakes = tf.noGrad(() => generator.apply(tf.randn([batchSize, latent]), { training: true }));
    const d = tf.valueAndGrad(() => {
      const realLogits = discriminator.apply(images, { training: true });
      const fakeLogits = discriminator.apply(fakes, { training: true });
      dRealSum += tf.noGrad(() => tf.mean(tf.sigmoid(realLogits)).item());
      dFakeSum += tf.noGrad(() => tf.mean(tf.sigmoid(fakeLogits)).item());
      return tf.add(tf.mean(bce(ones, realLogits)), tf.mean(bce(zeros, fakeLogits)));
    })(discriminator.trainableWeights);
    step(dOptimizer, discriminator.trainableWeights, d.grads);
    // Generator step through the combined model, with the discriminator frozen (Keras's recipe:
    // its weights stop requiring gradients, so the backward pass skips them).
    discriminator.trainable = false;
    const g = tf.valueAndGrad(() => tf.mean(bce(ones, gan.apply(tf.randn([batchSize, latent]), { training: true }))))(generator.trainableWeights);
    discriminator.trainable = true;
    step(gOptimizer, generator.trainableWeights, g.grads);
    dSum += d.value.item();
    gSum += g.value.item();
    steps++;
    if (performance.now() - t0 > budgetMs) {
      stopped = true;
      break;
    }
  }
  const row = { epoch: epoch + 1, steps, dLoss: dSum / steps, gLoss: gSum / steps, dReal: dRealSum / steps, dFake: dFakeSum / steps };
  history.push(row);
  console.log(`epoch ${row.epoch}: discriminator loss ${row.dLoss.toFixed(3)}, generator loss ${row.gLoss.toFixed(3)}, `
    + `D(real) ${row.dReal.toFixed(2)}, D(fake) ${row.dFake.toFixed(2)} (${steps} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

// 36 samples from fixed noise, mapped back to [0, 1] for the picture.
tf.manualSeed(1);
const samples = tf.noGrad(() => generator.apply(tf.randn([36, latent])));
const pictures = tf.div(tf.add(samples, 1), 2);
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, 'gan-samples.png');
await tf.vis.imageGrid(pictures, file, { columns: 6, scale: 2 });
const mean = tf.mean(pictures).item();
const realMean = tf.mean(train.images).item();
console.log(`wrote ${file}: 36 generated digits, mean ink ${mean.toFixed(3)} (real digits ${realMean.toFixed(3)}); `
  + `${history.reduce((n, r) => n + r.steps, 0)} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

/** What the run measured (read by the example test). */
export const result = { history, file, sampleMean: mean, realMean };
