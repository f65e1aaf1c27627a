// Pruning on the bundled MNIST digits, in three parts:
//  1. magnitude pruning of the demo MLP (Dense 512 relu -> Dense 10) to 80% zeros while fine-tuning
//     2 epochs with the pruning callback, then strip and save: accuracy and file sizes;
//  2. channel pruning of the tutorial CNN (Conv2D 32 -> MaxPool -> Flatten -> Dense 10): half the
//     filters removed, 1 epoch of fine-tuning: accuracy, parameters and batch-64 predict speed;
//  3. the per-layer sparsity report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../dist/index.mjs';

tf.setNumThreads(1);
const info = tf.backendInfo();
console.log(`tensorforge: backend ${info.backend}, ${info.simd}, ${info.threads} thread(s)`);

tf.manualSeed(42);
const { train, test } = tf.datasets.mnist();
const yTrain = tf.oneHot(train.labels, 10);
const yTest = tf.oneHot(test.labels, 10);
const pct = (v) => `${(v * 100).toFixed(2)}%`;
const accuracy = async (m, x) => (await m.evaluate(x, yTest, { batchSize: 512 })).accuracy;

async function savedBytes(m) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-pruning-'));
  await m.save(dir);
  const bytes = fs.statSync(path.join(dir, 'model.safetensors')).size;
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}

// ---- 1. magnitude pruning of the MLP ----
const flat = (t) => t.reshape([t.shape[0], 784]);
const [xTrain, xTest] = [flat(train.images), flat(test.images)];
const mlp = tf.sequential([
  tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
]);
mlp.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await mlp.fit(xTrain, yTrain, { epochs: 5, batchSize: 128, verbose: 0 });
const mlpAcc = await accuracy(mlp, xTest);
const denseBytes = await savedBytes(mlp);

// Sparsity rises 50% -> 80% over the first fine-tune epoch (63 steps), masks every 10 steps.
const steps = Math.ceil(xTrain.shape[0] / 128);
tf.pruning.prune(mlp, {
  schedule: tf.pruning.polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: steps, frequency: 10 }),
});
await mlp.fit(xTrain, yTrain, { epochs: 2, batchSize: 128, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
const stripped = tf.pruning.strip(mlp);
const prunedAcc = await accuracy(stripped, xTest);
const sparseBytes = await savedBytes(stripped);
console.log(`\nMLP: float ${pct(mlpAcc)}; 80% magnitude-pruned after 2 fine-tune epochs ${pct(prunedAcc)} (${((prunedAcc - mlpAcc) * 100).toFixed(2)} points)`);
console.log(`MLP file: ${(denseBytes / 1024).toFixed(0)} KiB dense -> ${(sparseBytes / 1024).toFixed(0)} KiB sparse (${(sparseBytes / denseBytes).toFixed(3)}x)`);
for (const l of tf.pruning.sparsity(stripped).layers) console.log(`  ${l.name.padEnd(10)} ${l.className.padEnd(8)} ${pct(l.sparsity)} zeros of ${l.size}`);

// ---- 2. channel pruning of the tutorial CNN ----
const cnn = tf.sequential([
  tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
  tf.layers.maxPooling2d({ poolSize: 2 }),
  tf.layers.flatten(),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
]);
cnn.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await cnn.fit(train.images, yTrain, { epochs: 3, batchSize: 64, verbose: 0 });
const cnnAcc = await accuracy(cnn, test.images);
const small = tf.pruning.pruneChannels(cnn, { fraction: 0.5 });
const beforeTune = await accuracy(small, test.images);
await small.fit(train.images, yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
const smallAcc = await accuracy(small, test.images);

/**
 * ms per predictOnBatch on one batch of 64, the two models interleaved round by round so both see
 * the same load: best round (least disturbed by other processes) and median round.
 */
function timePredict(models, rounds = 31, reps = 5) {
  const x = test.images.slice([0, 0, 0, 0], [64, 28, 28, 1]);
  const times = models.map(() => []);
  models.forEach((m) => m.predictOnBatch(x));
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, i) => {
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) m.predictOnBatch(x).dispose();
      times[i].push((performance.now() - t0) / reps);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)).map((t) => ({ best: t[0], median: t[t.length >> 1] }));
}
const [full, pruned] = timePredict([cnn, small]);
console.log(`\nCNN: float ${pct(cnnAcc)}; 50% of filters removed ${pct(beforeTune)} before, ${pct(smallAcc)} after 1 fine-tune epoch (${((smallAcc - cnnAcc) * 100).toFixed(2)} points)`);
console.log(`CNN params ${cnn.countParams()} -> ${small.countParams()}; batch-64 predict, 1 thread: best ${full.best.toFixed(2)} -> ${pruned.best.toFixed(2)} ms ` +
  `(${(full.best / pruned.best).toFixed(2)}x faster), median ${full.median.toFixed(2)} -> ${pruned.median.toFixed(2)} ms (${(full.median / pruned.median).toFixed(2)}x)`);
