// Looking inside a model: trains the tutorial CNN on a slice of MNIST, then writes into one folder
// TensorBoard logs, an HTML report (summary, curves, confusion matrix, misclassified digits),
// saliency / integrated-gradients / Grad-CAM overlays for a few test digits, and a permutation
// importance table for a small model on synthetic tabular data.
//   node examples/explain.mjs [output-folder]     (default: a new temp folder)
import { mkdtempSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as tf from '../dist/index.mjs';

const t0 = performance.now();
const out = process.argv[2] ? resolve(process.argv[2]) : mkdtempSync(join(tmpdir(), 'tensorforge-explain-'));
mkdirSync(out, { recursive: true });
tf.manualSeed(7);

// 1. The tutorial CNN on the bundled digits (8,000 train / 2,000 test), 3 epochs, with TensorBoard logs.
const { train, test } = tf.datasets.mnist(); // [N, 28, 28, 1] in 0..1
const model = tf.sequential({
  name: 'mnist_cnn',
  layers: [
    tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv' }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ units: 10, activation: 'softmax', name: 'probs' }),
  ],
});
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(train.images, tf.oneHot(train.labels, 10), {
  epochs: 3,
  batchSize: 64,
  validationSplit: 0.1,
  verbose: 0,
  callbacks: [tf.callbacks.tensorBoard(join(out, 'logs'), { histogramFreq: 1 })],
});
const last = (k) => history.history[k].at(-1).toFixed(3);
console.log(`trained: loss ${last('loss')}, accuracy ${last('accuracy')}, val_accuracy ${last('val_accuracy')}`);

// 2. Pictures of the model and its training, and the one-page report.
const digits = Array.from({ length: 10 }, (_, d) => `digit ${d}`);
await tf.vis.plotModel(model, join(out, 'model.svg'));
await tf.vis.plotHistory(history, join(out, 'history.svg'));
await tf.vis.report(model, history, { path: join(out, 'report.html'), testData: { x: test.images, y: test.labels }, classNames: digits, maxMisclassified: 24 });
const predicted = tf.argmax(await model.predict(test.images, { batchSize: 256 }), -1);
const matrix = await tf.vis.confusionMatrix(test.labels, predicted, join(out, 'confusion-matrix.svg'), { labels: digits });
const correct = matrix.reduce((s, row, i) => s + row[i], 0);
console.log(`test accuracy ${((100 * correct) / test.labels.shape[0]).toFixed(1)}% on ${test.labels.shape[0]} digits`);

// 3. Attributions for the first correctly classified test example of each of four digits, as heat
// maps over the digits.
const labels = test.labels.dataSync();
const guesses = predicted.dataSync();
const picks = [0, 3, 7, 9].map((d) => labels.findIndex((l, i) => l === d && guesses[i] === d));
const x = tf.gather(test.images, tf.tensor(picks, [picks.length], { dtype: 'int32' }));
const n = picks.length;
await tf.vis.imageGrid(x, join(out, 'explained-digits.png'), { scale: 4, columns: n });
/** [N, 28, 28, 1] attributions to [N, 28, 28] magnitudes (stretched to [0, 1] by the overlay). */
const magnitude = (a) => tf.abs(a).reshape([n, 28, 28]);
const saliency = await tf.explain.saliency(model, x, { absolute: true });
await tf.vis.heatmapOverlay(x, magnitude(saliency), join(out, 'saliency.png'), { normalize: true, scale: 4, alpha: 0.6 });
const smooth = await tf.explain.saliency(model, x, { absolute: true, smoothGrad: { samples: 16 } });
await tf.vis.heatmapOverlay(x, magnitude(smooth), join(out, 'smoothgrad.png'), { normalize: true, scale: 4, alpha: 0.6 });
const ig = await tf.explain.integratedGradients(model, x, { steps: 32 });
await tf.vis.heatmapOverlay(x, magnitude(ig), join(out, 'integrated-gradients.png'), { normalize: true, scale: 4, alpha: 0.6 });
// The only conv layer feeds Dense through Flatten: Grad-CAM's per-channel mean gradient can be
// negative for every channel that matters there, leaving blank maps, so this uses HiResCAM, which
// weights each position by its own gradient (plain Grad-CAM suits CNNs ending in global pooling).
const cam = await tf.explain.gradCam(model, x, { layerName: 'conv', method: 'hiResCam' }); // [N, 28, 28] in [0, 1]
await tf.vis.heatmapOverlay(x, cam, join(out, 'grad-cam.png'), { scale: 4, alpha: 0.5 });
console.log(`heat maps for test samples ${picks.join(', ')} (digits 0, 3, 7, 9): saliency, smoothgrad, integrated-gradients, grad-cam (HiResCAM)`);

// 4. Permutation importance on synthetic tabular data: the label depends on x0 strongly, on x1
// less, on x2 barely and not at all on x3, so shuffling them should hurt in that order.
const features = ['x0 (strong)', 'x1 (medium)', 'x2 (weak)', 'x3 (noise)'];
const xTab = tf.randn([1200, 4]);
const score = xTab.dataSync();
const yTab = Int32Array.from({ length: 1200 }, (_, i) => (2 * score[i * 4] - score[i * 4 + 1] + 0.25 * score[i * 4 + 2] > 0 ? 1 : 0));
const tabular = tf.sequential({
  name: 'tabular',
  layers: [tf.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 2, activation: 'softmax' })],
});
tabular.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const yTabT = tf.tensor(yTab, [1200], { dtype: 'int32' });
await tabular.fit(xTab, yTabT, { epochs: 15, batchSize: 64, verbose: 0 });
const imp = await tf.explain.permutationImportance(tabular, xTab, yTabT, { metric: 'accuracy', repeats: 5, seed: 1 });
const table = [
  `Permutation importance (accuracy drop when a feature is shuffled; baseline accuracy ${imp.baseline.toFixed(3)})`,
  'feature        mean     std',
  ...features.map((f, i) => `${f.padEnd(13)} ${imp.mean[i].toFixed(4).padStart(7)} ${imp.std[i].toFixed(4).padStart(7)}`),
].join('\n');
console.log(table);
await writeFile(join(out, 'permutation-importance.txt'), `${table}\n`);
await writeFile(join(out, 'permutation-importance.csv'), `feature,mean,std\n${features.map((f, i) => `${f},${imp.mean[i]},${imp.std[i]}`).join('\n')}\n`);

// What was written.
const list = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
console.log(`\nwrote into ${out}:`);
const files = list(out).sort().map((f) => relative(out, f));
const width = Math.max(...files.map((f) => f.length));
for (const f of files) console.log(`  ${f.padEnd(width)} ${String(statSync(join(out, f)).size).padStart(9)} bytes`);
console.log(`open ${join(out, 'report.html')} in a browser; tensorboard --logdir ${join(out, 'logs')}`);
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
