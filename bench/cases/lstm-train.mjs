// Training throughput of a sequence model: LSTM(28 -> 64) over 28 steps (MNIST rows as a sequence)
// -> Dense(10, softmax), adam, categorical crossentropy, batch 64: the forward and backward
// through time of every step. One call = one epoch of fit() over 256 samples (4 steps). All
// implementations start from the same weights (Keras layouts and gate order i, f, c, o), and the
// cross-check compares their loss on the first batch.
import { randomFloats } from '../data.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { tensorforgeFitVariant, tfjsFitVariant } from '../impl/fit-variant.mjs';

export const group = 'train';

const N = 256;
const BATCH = 64;
const T = 28;
const F = 28;
const U = 64;

function setupData() {
  const x = randomFloats(N * T * F, 41).map((v) => Math.abs(v));
  const labels = randomFloats(N, 42).map((v) => Math.floor(Math.abs(v) * 10) % 10);
  const y = new Float32Array(N * 10);
  labels.forEach((l, i) => (y[i * 10 + l] = 1));
  const k = randomFloats(F * 4 * U, 43).map((v) => v * Math.sqrt(6 / (F + 4 * U)));
  const rk = randomFloats(U * 4 * U, 44).map((v) => v * Math.sqrt(3 / U));
  const b = new Float32Array(4 * U);
  b.fill(1, U, 2 * U); // unit forget bias, as Keras
  const wd = randomFloats(U * 10, 45).map((v) => v * Math.sqrt(6 / (U + 10)));
  return { x, y, k, rk, b, wd, bd: new Float32Array(10) };
}

function tfgVariant(enter, ctx) {
  const t = loadTensorforge();
  enter();
  const x = t.tensor(ctx.x, [N, T, F]);
  const y = t.tensor(ctx.y, [N, 10]);
  const model = t.sequential([
    t.layers.lstm({ units: U, inputShape: [T, F] }),
    t.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.setWeights([t.tensor(ctx.k, [F, 4 * U]), t.tensor(ctx.rk, [U, 4 * U]), t.tensor(ctx.b, [4 * U]), t.tensor(ctx.wd, [U, 10]), t.tensor(ctx.bd, [10])]);
  model.compile({ optimizer: t.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
  return tensorforgeFitVariant(enter, model, x, y, BATCH);
}

export function cases() {
  return [
    {
      id: 'train/lstm-28x28-64',
      group,
      label: 'LSTM train, T=28, batch 64',
      unit: 'samples/s',
      higherIsBetter: true,
      score: (ns) => (N * 1e9) / ns,
      work: { samplesPerCall: N, batchSize: BATCH, steps: T, features: F, units: U },
      relTol: 1e-4,
      targets: [{ kind: 'ratio', ratio: 'native/tfjs', min: 30, label: '>=30x tfjs' }],
      setup: setupData,
      impls: {
        native: (ctx, threads) => tfgVariant(enterNative(threads), ctx),
        js: (ctx) => tfgVariant(enterJs(), ctx),
        tfjs: async (ctx) => {
          const tf = await loadTfjs();
          const x = tf.tensor3d(ctx.x, [N, T, F]);
          const y = tf.tensor2d(ctx.y, [N, 10]);
          const model = tf.sequential({
            // tfjs defaults recurrentActivation to hardSigmoid; Keras (and tensorforge) use sigmoid.
            layers: [tf.layers.lstm({ units: U, recurrentActivation: 'sigmoid', inputShape: [T, F] }), tf.layers.dense({ units: 10, activation: 'softmax' })],
          });
          model.setWeights([
            tf.tensor2d(ctx.k, [F, 4 * U]), tf.tensor2d(ctx.rk, [U, 4 * U]), tf.tensor1d(ctx.b),
            tf.tensor2d(ctx.wd, [U, 10]), tf.tensor1d(ctx.bd),
          ]);
          model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
          return tfjsFitVariant(model, x, y, BATCH);
        },
      },
    },
  ];
}
