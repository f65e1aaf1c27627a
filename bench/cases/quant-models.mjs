// Post-training quantization (issue 14) of the demo MLP (784 -> Dense 512 relu -> Dense 10 softmax,
// 5 epochs) and the tutorial CNN (Conv2D 32 3x3 relu -> MaxPool 2 -> Flatten -> Dense 10, 3 epochs)
// trained on the bundled MNIST digits (8,000 train / 2,000 test):
//   static int8 (tf.quantization.quantize, 500 training images as calibration data, min/max):
//     test accuracy vs float32, model.safetensors size vs the float model's, and batch-64
//     predictOnBatch time of the float and the int8 model (the timed cases below; the summary adds
//     an interleaved in-process ratio at 1 thread);
//   float16: accuracy and file size.
// Targets: int8 within 0.5 points and file <= 0.3x; float16 within 0.1 points and file <= 0.55x;
// int8 predict >= 2x float32 at 1 thread. The CNN's int8 model is integer end to end: its first
// convolution (9 taps per filter) runs the direct int8 kernel with the ReLU, the requantization and
// the 2x2 max pool fused, the bytes go through Flatten to the int8 Dense (src/quantization/int8-planner.ts).
// The summary adds interleaved in-process ratios at 1 thread: wall time (best and median) and CPU
// time (process.cpuUsage, which a shared machine disturbs less).
// Training happens once (in the first case's setup) and is shared by every case.
import { createRequire } from 'node:module';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { figure } from '../runner.mjs';
import { THREADS } from '../impl/registry.mjs';
import { interleavedCpuMs, interleavedMs, savedBytes } from '../impl/model-size-speed.mjs';

export const group = 'quant-models';

const require = createRequire(import.meta.url);

const figures = {};
let experiment = null;

async function study(tf, name, model, xTrain, xTest, yTest) {
  const acc = async (m) => (await m.evaluate(xTest, yTest, { batchSize: 512 })).accuracy;
  const calibrationData = xTrain.slice([0, ...xTrain.shape.slice(1).map(() => 0)], [500, ...xTrain.shape.slice(1)]);
  const int8 = tf.quantization.quantize(model, { mode: 'static', calibrationData });
  const f16 = tf.quantization.quantize(model, { mode: 'float16' });
  const f = {
    floatAcc: await acc(model), int8Acc: await acc(int8), f16Acc: await acc(f16),
    floatBytes: await savedBytes(model), int8Bytes: await savedBytes(int8), f16Bytes: await savedBytes(f16),
  };
  const x = xTest.slice([0, ...xTest.shape.slice(1).map(() => 0)], [64, ...xTest.shape.slice(1)]);
  enterNative(1)();
  const [fl, q] = interleavedMs([model, int8], x);
  f.interleaved1T = { float: fl, int8: q };
  const cpu = interleavedCpuMs([model, int8], x);
  f.cpu1T = { float: cpu.models[0], int8: cpu.models[1], medianRatio: cpu.medianRatio };
  figures[name] = f;
  return { float: model, int8, x };
}

async function runExperiment() {
  const tf = loadTensorforge();
  enterNative(2)();
  const { train, test } = tf.datasets.mnist();
  const yTrain = tf.oneHot(train.labels, 10);
  const yTest = tf.oneHot(test.labels, 10);
  const flat = (t) => t.reshape([t.shape[0], 784]);
  tf.manualSeed(42);
  const mlp = tf.sequential([
    tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  mlp.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await mlp.fit(flat(train.images), yTrain, { epochs: 5, batchSize: 128, verbose: 0 });
  tf.manualSeed(7);
  const cnn = tf.sequential([
    tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  cnn.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  enterNative(2)();
  await cnn.fit(train.images, yTrain, { epochs: 3, batchSize: 64, verbose: 0 });
  figures.isa = kernelIsa();
  return {
    mlp: await study(tf, 'mlp', mlp, flat(train.images), flat(test.images), yTest),
    cnn: await study(tf, 'cnn', cnn, train.images, test.images, yTest),
  };
}

/** Which integer-kernel copy runs (quantKernelIsa of the built dist/, not exported at the package root). */
function kernelIsa() {
  return require('../../dist/ops/quant-kernels.js').quantKernelIsa();
}

function predictCase(net, which) {
  const title = net === 'mlp' ? 'demo MLP' : 'tutorial CNN';
  return {
    id: `quant-models/${net}-${which}-b64`,
    group,
    label: `${title} predict b64, ${which === 'float' ? 'float32' : 'static int8'}`,
    unit: 'us',
    higherIsBetter: false,
    score: (ns) => ns / 1e3,
    // Filled by the experiment, so the JSON carries the accuracy and size figures with the row.
    work: { batch: 64, model: `${net}-${which}`, figures },
    // The int8 model's outputs differ from float32's by the quantization error, not between threads.
    relTol: 1e-4,
    targets: [],
    setup: () => (experiment ??= runExperiment()),
    impls: {
      native: (ctx, threads) => {
        const enter = enterNative(threads);
        enter();
        const { x } = ctx[net];
        const model = ctx[net][which];
        return {
          enter,
          run: () => model.predictOnBatch(x).dispose(),
          once: () => {
            const y = model.predictOnBatch(x);
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
  return [predictCase('mlp', 'float'), predictCase('mlp', 'int8'), predictCase('cnn', 'float'), predictCase('cnn', 'int8')];
}

const pts = (a, b) => `${(a - b) * 100 >= 0 ? '+' : ''}${((a - b) * 100).toFixed(2)} points`;
const pct = (v) => `${(v * 100).toFixed(2)}%`;
const ok = (v) => (v ? 'met' : 'NOT MET');

export function summary(rows) {
  if (!figures.mlp || !figures.cnn) return '';
  const lines = [`Quantization (MNIST bundled digits; integer kernels: ${figures.isa}):`];
  for (const net of ['mlp', 'cnn']) {
    const f = figures[net];
    const title = net === 'mlp' ? 'demo MLP' : 'tutorial CNN';
    const fl = rows.find((r) => r.id === `quant-models/${net}-float-b64`);
    const q = rows.find((r) => r.id === `quant-models/${net}-int8-b64`);
    const speed = THREADS.map((t) => {
      const a = fl && figure(fl.results, 'native', t);
      const b = q && figure(q.results, 'native', t);
      return a && b ? `${t}T ${(a.ns / b.ns).toFixed(2)}x` : `${t}T -`;
    });
    const { float: i1, int8: i2 } = f.interleaved1T;
    const c = f.cpu1T;
    lines.push(
      `  ${title}: static int8 ${pct(f.int8Acc)} vs float ${pct(f.floatAcc)} (${pts(f.int8Acc, f.floatAcc)}; target within 0.5: ${ok(Math.abs(f.int8Acc - f.floatAcc) <= 0.005)}),`
        + ` file ${f.int8Bytes} / ${f.floatBytes} = ${(f.int8Bytes / f.floatBytes).toFixed(3)}x (target <= 0.3x: ${ok(f.int8Bytes / f.floatBytes <= 0.3)})`,
      `    float16 ${pct(f.f16Acc)} (${pts(f.f16Acc, f.floatAcc)}; target within 0.1: ${ok(Math.abs(f.f16Acc - f.floatAcc) <= 0.001)}), file ${(f.f16Bytes / f.floatBytes).toFixed(3)}x (target <= 0.55x: ${ok(f.f16Bytes / f.floatBytes <= 0.55)})`,
      `    batch-64 predict speed-up, int8 over float32: table ${speed.join(', ')}; interleaved 1T best ${i1.best.toFixed(3)} -> ${i2.best.toFixed(3)} ms = ${(i1.best / i2.best).toFixed(2)}x,`
        + ` median ${i1.median.toFixed(3)} -> ${i2.median.toFixed(3)} ms = ${(i1.median / i2.median).toFixed(2)}x (target >= 2x: ${ok(i1.best / i2.best >= 2)})`,
      `    CPU time 1T interleaved: best ${c.float.best.toFixed(3)} -> ${c.int8.best.toFixed(3)} ms = ${(c.float.best / c.int8.best).toFixed(2)}x,`
        + ` median of per-round ratios ${c.medianRatio.toFixed(2)}x (target >= 2x: ${ok(c.medianRatio >= 2)})`,
    );
  }
  return lines.join('\n');
}
