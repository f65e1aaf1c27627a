// Training throughput of the tutorial CNN: Conv2D(1 -> 32, 3x3 valid, relu) -> MaxPooling2D(2) ->
// Flatten -> Dense(10, softmax), adam, categorical crossentropy, batch 64, on 28x28x1 inputs. One
// call = one epoch of fit() over 256 samples (4 steps). All implementations start from the same
// weights, and the cross-check compares their loss on the first batch.
import { randomFloats } from '../data.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { tensorforgeFitVariant, tfjsFitVariant } from '../impl/fit-variant.mjs';
import { TORCH_SETTLE_MS, startWorker, tempFloats } from '../impl/pytorch.mjs';

export const group = 'train';

const N = 256;
const BATCH = 64;
const FLAT = 13 * 13 * 32;

function setupData() {
  const x = randomFloats(N * 784, 31).map((v) => Math.abs(v));
  const labels = randomFloats(N, 32).map((v) => Math.floor(Math.abs(v) * 10) % 10);
  const y = new Float32Array(N * 10);
  labels.forEach((l, i) => (y[i * 10 + l] = 1));
  // Glorot-uniform scale (fan in / out of a 3x3x1x32 kernel: 9 / 288), zero biases, as Keras.
  const wc = randomFloats(9 * 32, 33).map((v) => v * Math.sqrt(6 / (9 + 288)));
  const wd = randomFloats(FLAT * 10, 34).map((v) => v * Math.sqrt(6 / (FLAT + 10)));
  return { x, y, wc, bc: new Float32Array(32), wd, bd: new Float32Array(10) };
}

function tfgVariant(enter, ctx) {
  const t = loadTensorforge();
  enter();
  const x = t.tensor(ctx.x, [N, 28, 28, 1]);
  const y = t.tensor(ctx.y, [N, 10]);
  const model = t.sequential([
    t.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    t.layers.maxPooling2d({ poolSize: 2 }),
    t.layers.flatten(),
    t.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.setWeights([t.tensor(ctx.wc, [3, 3, 1, 32]), t.tensor(ctx.bc, [32]), t.tensor(ctx.wd, [FLAT, 10]), t.tensor(ctx.bd, [10])]);
  model.compile({ optimizer: t.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return tensorforgeFitVariant(enter, model, x, y, BATCH);
}

export function cases() {
  return [
    {
      id: 'train/cnn-tutorial',
      group,
      label: 'CNN train, batch 64',
      unit: 'samples/s',
      higherIsBetter: true,
      score: (ns) => (N * 1e9) / ns,
      work: { samplesPerCall: N, batchSize: BATCH },
      relTol: 1e-4,
      targets: [
        { kind: 'ratio', ratio: 'native/tfjs', min: 100, label: '>=100x tfjs' },
        { kind: 'ratio', ratio: 'native/torch', min: 1.5, label: '>=1.5x PyTorch' },
      ],
      setup: setupData,
      impls: {
        native: (ctx, threads) => tfgVariant(enterNative(threads), ctx),
        js: (ctx) => tfgVariant(enterJs(), ctx),
        tfjs: async (ctx) => {
          const tf = await loadTfjs();
          const x = tf.tensor4d(ctx.x, [N, 28, 28, 1]);
          const y = tf.tensor2d(ctx.y, [N, 10]);
          const model = tf.sequential({
            layers: [
              tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
              tf.layers.maxPooling2d({ poolSize: 2 }),
              tf.layers.flatten(),
              tf.layers.dense({ units: 10, activation: 'softmax' }),
            ],
          });
          model.setWeights([tf.tensor4d(ctx.wc, [3, 3, 1, 32]), tf.tensor1d(ctx.bc), tf.tensor2d(ctx.wd, [FLAT, 10]), tf.tensor1d(ctx.bd)]);
          model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
          return tfjsFitVariant(model, x, y, BATCH);
        },
        torch: async (ctx, threads) => {
          const worker = startWorker('cnn_worker.py');
          const weights = new Float32Array([...ctx.wc, ...ctx.bc, ...ctx.wd, ...ctx.bd]);
          const data = new Float32Array([...ctx.x, ...ctx.y]);
          await worker.send(`init ${threads} ${tempFloats('cw', weights)} ${tempFloats(`cd${threads}`, data)} ${N}`);
          return {
            async: true,
            settleMs: TORCH_SETTLE_MS,
            run: () => worker.send(`fit ${N}`),
            once: async () => Float32Array.of(Number(await worker.send('loss'))),
            dispose: () => worker.close(),
          };
        },
      },
    },
  ];
}
