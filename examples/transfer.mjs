// Transfer learning the Keras way: train a small CNN on digits 0-4, cut it at a layer's output
// (`tf.model({ inputs: base.inputs, outputs: base.getLayer('features').output })`), freeze it, put
// a new head on top for digits 5-9, then unfreeze the top of the base and fine-tune with a low
// learning rate. The cut model shares the trained layers (same weight objects).
//
//   node examples/transfer.mjs
import * as tf from '../dist/index.mjs';

const quick = process.env.TENSORFORGE_EXAMPLE_QUICK === '1';
const epochs = quick ? { base: 2, head: 2, fine: 1 } : { base: 3, head: 3, fine: 2 };

tf.manualSeed(0);
const { train, test } = tf.datasets.mnist(quick ? { trainSize: 3000, testSize: 1000 } : {});

/** The samples whose label is in [lo, hi], labels shifted to start at 0. */
function digits(split, lo, hi) {
  const labels = split.labels.dataSync();
  const idx = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] >= lo && labels[i] <= hi) idx.push(i);
  const index = tf.tensor(idx, [idx.length], 'int32');
  return { x: tf.gather(split.images, index), y: tf.sub(tf.gather(split.labels, index), lo) };
}
const [trainA, testA] = [digits(train, 0, 4), digits(test, 0, 4)];
const [trainB, testB] = [digits(train, 5, 9), digits(test, 5, 9)];

// 1. A CNN trained on digits 0-4.
const cnn = tf.sequential([
  tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', name: 'top_conv' }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten({ name: 'features' }),
  tf.layers.dense({ units: 64, activation: 'relu' }),
  tf.layers.dense({ units: 5, activation: 'softmax' }),
]);
cnn.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await cnn.fit(trainA.x, trainA.y, { epochs: epochs.base, batchSize: 64, verbose: 0 });
const baseAccuracy = (await cnn.evaluate(testA.x, testA.y)).accuracy;
console.log(`CNN on digits 0-4: test accuracy ${(baseAccuracy * 100).toFixed(2)}%`);

// 2. Cut at the feature layer (the flattened convolution features), freeze, and add a new head
// for digits 5-9.
const base = tf.model({ inputs: cnn.inputs, outputs: cnn.getLayer('features').output, name: 'feature_extractor' });
base.trainable = false;
const input = tf.input({ shape: [28, 28, 1] });
const hidden = tf.layers.dense({ units: 64, activation: 'relu', name: 'new_hidden' });
const head = tf.layers.dense({ units: 5, activation: 'softmax', name: 'new_head' });
// As in Keras's tutorial, the base is called with training: false, so it stays in inference mode
// (dropout off, batch-norm statistics fixed) even while the new model trains.
const transfer = tf.model({ inputs: input, outputs: head.apply(hidden.apply(base.apply(input, { training: false }))) });
transfer.compile({ optimizer: tf.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
transfer.summary();
const frozenBefore = cnn.getLayer('top_conv').getWeights()[0].dataSync().slice();
await transfer.fit(trainB.x, trainB.y, { epochs: epochs.head, batchSize: 64, verbose: 0 });
const headAccuracy = (await transfer.evaluate(testB.x, testB.y)).accuracy;
const frozenKept = cnn.getLayer('top_conv').getWeights()[0].dataSync().every((v, i) => v === frozenBefore[i]);
console.log(`frozen base + new head on digits 5-9: test accuracy ${(headAccuracy * 100).toFixed(2)}% (base weights unchanged: ${frozenKept})`);

// 3. Unfreeze the top of the base (its last convolution) and fine-tune slowly.
base.trainable = true;
for (const l of base.layers) if (l.name !== 'top_conv') l.trainable = false;
transfer.compile({ optimizer: tf.optimizers.adam({ learningRate: 1e-4 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
console.log(`fine-tuning ${transfer.trainableWeights.length} weight tensors (${transfer.trainableWeights.reduce((n, w) => n + w.size, 0)} parameters)`);
await transfer.fit(trainB.x, trainB.y, { epochs: epochs.fine, batchSize: 64, verbose: 0 });
const fineAccuracy = (await transfer.evaluate(testB.x, testB.y)).accuracy;
console.log(`after fine-tuning the top at learning rate 1e-4: test accuracy ${(fineAccuracy * 100).toFixed(2)}%`);
// The original 0-4 model shares those layers, so fine-tuning for 5-9 moved it too.
const originalAfter = (await cnn.evaluate(testA.x, testA.y)).accuracy;
console.log(`the original CNN on digits 0-4 now (shared layers were fine-tuned): ${(originalAfter * 100).toFixed(2)}%`);

/** What the run measured (read by the example test). */
export const result = { baseAccuracy, headAccuracy, fineAccuracy, frozenKept, originalAfter };
