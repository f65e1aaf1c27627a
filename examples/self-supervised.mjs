// Self-supervised pre-training on unlabeled digits (SimCLR-style contrastive learning), then a
// linear probe with only 500 labels.
//
// 1. 6,000 digits without their labels. Each batch holds every image twice; the model's
//    augmentation layers (random rotation, translation, zoom, contrast, pixel dropout) act in
//    training only and draw independently per image, so the two copies become two different views.
//    The NT-Xent loss pulls each image's two views together and pushes the other images away.
// 2. The encoder (the conv layers, without the projection head) is then frozen as a feature
//    extractor, and a logistic regression (normalization + one softmax Dense layer) is trained on
//    500 labelled digits and tested on 2,000 others.
// 3. The same probe on raw pixels, and on the encoder before pre-training, are the baselines.
import * as tf from '../dist/index.mjs';

const t0 = performance.now();
tf.manualSeed(11);
const { train, test } = tf.datasets.mnist(); // [N, 28, 28, 1] in 0..1
const unlabeled = tf.slice(train.images, [0, 0, 0, 0], [6000, 28, 28, 1]);
const labeledX = tf.slice(train.images, [6000, 0, 0, 0], [500, 28, 28, 1]);
const labeledY = tf.slice(train.labels, [6000], [500]);

// Augmentation (training only) -> encoder -> projection head.
const input = tf.input({ shape: [28, 28, 1] });
let h = tf.layers.randomRotation({ factor: 0.05, fillMode: 'constant' }).apply(input);
h = tf.layers.randomTranslation({ heightFactor: 0.15, widthFactor: 0.15, fillMode: 'constant' }).apply(h);
h = tf.layers.randomZoom({ heightFactor: [-0.2, 0.2], fillMode: 'constant' }).apply(h);
h = tf.layers.randomContrast({ factor: 0.5, valueRange: [0, 1] }).apply(h);
h = tf.layers.dropout({ rate: 0.2 }).apply(h);
h = tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h);
h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h);
h = tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h);
h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h);
const features = tf.layers.flatten().apply(h); // 7 x 7 x 32 = 1568 features
let z = tf.layers.dense({ units: 128, activation: 'relu' }).apply(features);
z = tf.layers.dense({ units: 64 }).apply(z);
const contrastive = tf.model({ inputs: input, outputs: z });
// Shares the layers; in predict the augmentation and dropout layers pass images through.
const encoder = tf.model({ inputs: input, outputs: features });

// NT-Xent with temperature 0.2 over a batch [view 1 of B images; view 2 of the same B images].
const B = 128;
const positives = tf.oneHot(tf.tensor(Array.from({ length: 2 * B }, (_, i) => (i + B) % (2 * B)), [2 * B], 'int32'), 2 * B);
const notSelf = tf.mul(tf.eye(2 * B), 1e9);
function ntXent(_unused, emb) {
  const unit = tf.div(emb, tf.sqrt(tf.add(tf.sum(tf.square(emb), -1, true), 1e-12)));
  const similarity = tf.sub(tf.div(tf.matmul(unit, tf.transpose(unit)), 0.2), notSelf);
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(similarity, -1), positives), -1)); // per-sample loss
}
contrastive.compile({ optimizer: tf.optimizers.adam({ learningRate: 1e-3 }), loss: ntXent });

const pairs = tf.Dataset.fromTensors(unlabeled)
  .shuffle(true)
  .batch(B, { dropRemainder: true })
  .map(({ x }) => ({ x: tf.concat([x, x], 0), y: tf.zeros([2 * B, 1]) }))
  .prefetch(1);

/** Logistic regression on fixed features, trained on the 500 labels. */
async function linearProbe(name, toFeatures) {
  const trainX = await toFeatures(labeledX);
  const testX = await toFeatures(test.images);
  const norm = tf.layers.normalization();
  norm.adapt(trainX);
  tf.manualSeed(3);
  const probe = tf.sequential([
    tf.layers.inputLayer({ inputShape: [trainX.shape[1]] }),
    norm,
    tf.layers.dense({ units: 10, activation: 'softmax', kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }),
  ]);
  probe.compile({ optimizer: tf.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await probe.fit(trainX, labeledY, { epochs: 100, batchSize: 50, verbose: 0 });
  const { accuracy } = await probe.evaluate(testX, test.labels, { batchSize: 500, verbose: 0 });
  console.log(`linear probe (500 labels) on ${name.padEnd(34)} ${(accuracy * 100).toFixed(2)}% test accuracy`);
  return accuracy;
}

const encode = (x) => encoder.predict(x, { batchSize: 256 });
const raw = await linearProbe('raw pixels (784)', async (x) => tf.reshape(x, [x.shape[0], -1]));
const untrained = await linearProbe('the encoder before pre-training', encode);

console.log('contrastive pre-training on 6,000 unlabeled digits...');
await contrastive.fit(pairs, { epochs: 3, verbose: 2 });
const learned = await linearProbe('the pre-trained encoder (1568)', encode);

console.log(`pre-trained features vs raw pixels: ${learned > raw ? '+' : ''}${((learned - raw) * 100).toFixed(2)} points` +
  ` (vs the untrained encoder: ${learned > untrained ? '+' : ''}${((learned - untrained) * 100).toFixed(2)})`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
