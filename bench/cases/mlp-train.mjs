// Training throughput of the demo network: Dense(784 -> 512, relu) -> Dense(10, softmax), adam,
// categorical crossentropy, batch 128 (the issue's MLP target). One call = one epoch of fit() over
// 512 samples (4 steps), so per-call setup is amortized the same way for every implementation.
// All start from the same weights, and the cross-check compares their loss on the first batch.
import { randomFloats } from '../data.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { tensorforgeFitVariant, tfjsFitVariant } from '../impl/fit-variant.mjs';
import { TORCH_SETTLE_MS, startWorker, tempFloats } from '../impl/pytorch.mjs';

export const group = 'train';

const N = 512;
const BATCH = 128;

function setupData() {
  const x = randomFloats(N * 784, 11).map((v) => Math.abs(v));
  const labels = randomFloats(N, 12).map((v) => Math.floor(Math.abs(v) * 10) % 10);
  const y = new Float32Array(N * 10);
  labels.forEach((l, i) => (y[i * 10 + l] = 1));
  // Glorot-uniform scale, zero biases, as Keras initializes these layers.
  const w1 = randomFloats(784 * 512, 13).map((v) => v * Math.sqrt(6 / (784 + 512)));
  const w2 = randomFloats(512 * 10, 14).map((v) => v * Math.sqrt(6 / (512 + 10)));
  return { x, y, w1, b1: new Float32Array(512), w2, b2: new Float32Array(10) };
}

function tfgVariant(enter, ctx) {
  const t = loadTensorforge();
  enter();
  const x = t.tensor(ctx.x, [N, 784]);
  const y = t.tensor(ctx.y, [N, 10]);
  const model = t.sequential([
    t.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
    t.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  model.setWeights([t.tensor(ctx.w1, [784, 512]), t.tensor(ctx.b1, [512]), t.tensor(ctx.w2, [512, 10]), t.tensor(ctx.b2, [10])]);
  model.compile({ optimizer: t.optimizers.adam({ learningRate: 1e-3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return tensorforgeFitVariant(enter, model, x, y, BATCH);
}

export function cases() {
  return [
    {
      id: 'train/mlp-784-512-10',
      group,
      label: 'MLP train, batch 128',
      unit: 'samples/s',
      higherIsBetter: true,
      score: (ns) => (N * 1e9) / ns,
      work: { samplesPerCall: N, batchSize: BATCH },
      relTol: 1e-4,
      targets: [
        { kind: 'ratio', ratio: 'native/tfjs', min: 30, label: '>=30x tfjs' },
        { kind: 'ratio', ratio: 'native/torch', min: 1.5, label: '>=1.5x PyTorch' },
      ],
      setup: setupData,
      impls: {
        native: (ctx, threads) => tfgVariant(enterNative(threads), ctx),
        js: (ctx) => tfgVariant(enterJs(), ctx),
        tfjs: async (ctx) => {
          const tf = await loadTfjs();
          const x = tf.tensor2d(ctx.x, [N, 784]);
          const y = tf.tensor2d(ctx.y, [N, 10]);
          const model = tf.sequential({
            layers: [
              tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
              tf.layers.dense({ units: 10, activation: 'softmax' }),
            ],
          });
          model.setWeights([tf.tensor2d(ctx.w1, [784, 512]), tf.tensor1d(ctx.b1), tf.tensor2d(ctx.w2, [512, 10]), tf.tensor1d(ctx.b2)]);
          model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
          return tfjsFitVariant(model, x, y, BATCH);
        },
        torch: async (ctx, threads) => {
          const worker = startWorker('mlp_worker.py');
          const weights = new Float32Array([...ctx.w1, ...ctx.b1, ...ctx.w2, ...ctx.b2]);
          const data = new Float32Array([...ctx.x, ...ctx.y]);
          await worker.send(`init ${threads} ${tempFloats('w', weights)} ${tempFloats(`d${threads}`, data)} ${N}`);
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
