// ONNX both ways: train a small model, export it, serve it with onnxruntime on worker threads
// (the event loop keeps ticking), then import a PyTorch-exported CNN and fine-tune only its head.
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as tf from '../dist/index.mjs';

tf.manualSeed(1);
const { train, test } = tf.datasets.mnist();
const x = train.images.reshape([-1, 784]);
const y = tf.oneHot(train.labels, 10);
const xTest = test.images.reshape([-1, 784]);

// 1. Train and export.
const mlp = tf.sequential([
  tf.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
  tf.layers.dense({ units: 10, activation: 'softmax' }),
]);
mlp.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await mlp.fit(x, y, { epochs: 2, batchSize: 128, verbose: 0 });
const mlpPath = join(tmpdir(), 'tensorforge-mlp.onnx');
const bytes = await tf.exportOnnx(mlp, mlpPath);
console.log(`exported ${mlpPath} (${bytes.length} bytes, opset 17, dynamic batch)`);

// 2. Serve it from worker threads: 1,000 single-sample requests while a 10 ms timer runs.
const session = await tf.InferenceSession.create(bytes, { workers: 2 });
console.log('inputs', session.inputMetadata, 'outputs', session.outputMetadata);
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const samples = Array.from({ length: 1000 }, (_, i) => tf.slice(xTest, [i % 2000, 0], [1, 784]));
const t0 = performance.now();
const answers = await Promise.all(samples.map((s) => session.run({ [session.inputNames[0]]: s })));
const seconds = (performance.now() - t0) / 1000;
delay.disable();
const ours = tf.argMax(mlp.predictOnBatch(tf.slice(xTest, [0, 0], [1000, 784])), 1).dataSync();
const agree = answers.filter((a, i) => tf.argMax(a[session.outputNames[0]], 1).dataSync()[0] === ours[i]).length;
console.log(`1,000 requests in ${seconds.toFixed(2)} s; event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms; ` +
  `${agree}/1000 answers equal to predictOnBatch`);
await session.dispose();

// 3. Import a PyTorch CNN (Conv-ReLU-MaxPool-Flatten-Linear, NCHW) and fine-tune its last layer.
const cnn = tf.importOnnx(fileURLToPath(new URL('../test/fixtures/cnn.onnx', import.meta.url)));
cnn.summary();
for (const layer of cnn.layers) layer.trainable = layer.name === '/fc/Gemm';
const xs = train.images.reshape([-1, 1, 28, 28]); // one channel: NHWC -> NCHW is a reshape
cnn.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.05 }), loss: tf.losses.categoricalCrossentropy({ fromLogits: true }), metrics: ['categoricalAccuracy'] });
const before = await cnn.evaluate(test.images.reshape([-1, 1, 28, 28]), tf.oneHot(test.labels, 10));
await cnn.fit(xs, y, { epochs: 2, batchSize: 64, verbose: 0 });
const after = await cnn.evaluate(test.images.reshape([-1, 1, 28, 28]), tf.oneHot(test.labels, 10));
console.log(`imported CNN, head fine-tuned: test loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, ` +
  `accuracy ${(before.categoricalAccuracy * 100).toFixed(1)}% -> ${(after.categoricalAccuracy * 100).toFixed(1)}%`);
const cnnPath = join(tmpdir(), 'tensorforge-cnn-finetuned.onnx');
await tf.exportOnnx(cnn, cnnPath);
console.log(`wrote ${cnnPath}`);
