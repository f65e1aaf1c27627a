// Pruning (issue 14): the demo MLP (784 -> Dense 512 relu -> Dense 10) and the tutorial CNN
// (Conv2D 32 3x3 relu -> MaxPool 2 -> Flatten -> Dense 10) trained on the bundled MNIST digits
// (8,000 train / 2,000 test), then
//   MLP: magnitude pruning rising 50% -> 80% over the first of 2 fine-tune epochs (pruning callback),
//        stripped: test accuracy vs float, and model.safetensors size vs the float model's;
//   CNN: pruneChannels({ fraction: 0.5 }) (32 -> 16 filters), 1 fine-tune epoch: accuracy vs
//        float, and batch-64 predictOnBatch time of the float and the pruned model (the two timed
//        cases below; the summary also gives an interleaved in-process ratio).
// Targets: within 1 point of float for both, >= 1.6x faster CNN predict; file ratio reported.
// Training happens once (in the first case's setup, ~30 s) and is shared by both cases.
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { figure } from '../runner.mjs';
import { THREADS } from '../impl/registry.mjs';
import { interleavedMs, savedBytes } from '../impl/model-size-speed.mjs';

export const group = 'pruning';

const figures = {};
let experiment = null;

async function runExperiment() {
  const tf = loadTensorforge();
  enterNative(2)();
  tf.manualSeed(42);
  const { train, test } = tf.datasets.mnist();
  const yTrain = tf.oneHot(train.labels, 10);
  const yTest = tf.oneHot(test.labels, 10);
  const acc = async (m, x) => (await m.evaluate(x, yTest, { batchSize: 512 })).accuracy;

  const flat = (t) => t.reshape([t.shape[0], 784]);
  const [xTrain, xTest] = [flat(train.images), flat(test.images)];
  const mlp = tf.sequential([
    tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  mlp.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await mlp.fit(xTrain, yTrain, { epochs: 5, batchSize: 128, verbose: 0 });
  figures.mlpFloatAcc = await acc(mlp, xTest);
  figures.mlpFloatBytes = await savedBytes(mlp);
  const steps = Math.ceil(xTrain.shape[0] / 128);
  tf.pruning.prune(mlp, { schedule: tf.pruning.polynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.8, endStep: steps, frequency: 10 }) });
  await mlp.fit(xTrain, yTrain, { epochs: 2, batchSize: 128, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
  const stripped = tf.pruning.strip(mlp);
  figures.mlpSparsity = tf.pruning.sparsity(stripped).total;
  figures.mlpPrunedAcc = await acc(stripped, xTest);
  figures.mlpPrunedBytes = await savedBytes(stripped);

  const cnn = tf.sequential([
    tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  cnn.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await cnn.fit(train.images, yTrain, { epochs: 3, batchSize: 64, verbose: 0 });
  figures.cnnFloatAcc = await acc(cnn, test.images);
  const small = tf.pruning.pruneChannels(cnn, { fraction: 0.5 });
  figures.cnnPrunedAccBeforeTune = await acc(small, test.images);
  await small.fit(train.images, yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
  figures.cnnPrunedAcc = await acc(small, test.images);
  figures.cnnParams = [cnn.countParams(), small.countParams()];
  const x = test.images.slice([0, 0, 0, 0], [64, 28, 28, 1]);
  enterNative(1)();
  const [full1, small1] = interleavedMs([cnn, small], x);
  figures.cnnInterleavedMs1T = { float: full1, pruned: small1 };
  return { cnn, small, x };
}

function predictCase(which) {
  return {
    id: `pruning/cnn-${which}-b64`,
    group,
    label: `CNN tutorial predict b64, ${which === 'float' ? 'float' : '50% filters pruned'}`,
    unit: 'us',
    higherIsBetter: false,
    score: (ns) => ns / 1e3,
    // Filled by the experiment, so the JSON carries the accuracy and size figures with the row.
    work: { batch: 64, model: which === 'float' ? 'cnn' : 'cnn-pruned', figures },
    relTol: 1e-4,
    targets: [],
    setup: () => (experiment ??= runExperiment()),
    impls: {
      native: (ctx, threads) => {
        const enter = enterNative(threads);
        enter();
        const model = which === 'float' ? ctx.cnn : ctx.small;
        return {
          enter,
          run: () => model.predictOnBatch(ctx.x).dispose(),
          once: () => {
            const y = model.predictOnBatch(ctx.x);
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          },
        };
      },
    },
  };
}

export function cases() {
  return [predictCase('float'), predictCase('pruned')];
}

const pts = (a, b) => `${((a - b) * 100 >= 0 ? '+' : '')}${((a - b) * 100).toFixed(2)} points`;
const pct = (v) => `${(v * 100).toFixed(2)}%`;

export function summary(rows) {
  const float = rows.find((r) => r.id === 'pruning/cnn-float-b64');
  const pruned = rows.find((r) => r.id === 'pruning/cnn-pruned-b64');
  if (!float || !pruned || figures.mlpFloatAcc === undefined) return '';
  const f = figures;
  const ok = (v) => (v ? 'met' : 'NOT MET');
  const speed = THREADS.map((t) => {
    const a = figure(float.results, 'native', t);
    const b = figure(pruned.results, 'native', t);
    return a && b ? `${t}T ${(a.ns / b.ns).toFixed(2)}x` : `${t}T -`;
  });
  const { float: i1, pruned: i2 } = f.cnnInterleavedMs1T;
  const ms = (v) => v.toFixed(2);
  return [
    'Pruning (MNIST bundled digits):',
    `  MLP 80% magnitude pruning (sparsity ${pct(f.mlpSparsity)}), 2 fine-tune epochs: ${pct(f.mlpPrunedAcc)} vs float ${pct(f.mlpFloatAcc)} (${pts(f.mlpPrunedAcc, f.mlpFloatAcc)}; target within 1: ${ok(f.mlpFloatAcc - f.mlpPrunedAcc <= 0.01)})`,
    `  MLP saved file: ${f.mlpPrunedBytes} / ${f.mlpFloatBytes} bytes = ${(f.mlpPrunedBytes / f.mlpFloatBytes).toFixed(3)}x`,
    `  CNN 50% channel pruning (params ${f.cnnParams[0]} -> ${f.cnnParams[1]}): ${pct(f.cnnPrunedAccBeforeTune)} before, ${pct(f.cnnPrunedAcc)} after 1 fine-tune epoch vs float ${pct(f.cnnFloatAcc)} (${pts(f.cnnPrunedAcc, f.cnnFloatAcc)}; target within 1: ${ok(f.cnnFloatAcc - f.cnnPrunedAcc <= 0.01)})`,
    `  CNN batch-64 predict speed-up, pruned over float: table ${speed.join(', ')}; interleaved 1T (151 rounds) best ${ms(i1.best)} -> ${ms(i2.best)} ms = ${(i1.best / i2.best).toFixed(2)}x, median ${ms(i1.median)} -> ${ms(i2.median)} ms = ${(i1.median / i2.median).toFixed(2)}x (target >= 1.6x on best: ${ok(i1.best / i2.best >= 1.6)})`,
  ].join('\n');
}
