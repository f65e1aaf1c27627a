// Inference latency of the demo MLP (784 -> Dense(512, relu) -> Dense(10, softmax)) and the
// tutorial CNN (Conv2D(32, 3x3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(10, softmax) on
// [N,28,28,1]) at batch 1 and 64. One call = one forward pass of one batch, awaited before the next
// (latency, not throughput). Every implementation runs the same weights:
//   native  tensorforge predictOnBatch on the native backend
//   ort     onnxruntime-node on this thread, over the model exported with exportOnnx
//   session tensorforge InferenceSession: the same ORT model on one worker thread (copies the input
//           to the worker and the output back, so it is ORT plus the cost of never blocking)
//   tfjs    @tensorflow/tfjs cpu backend
// The targets: native within 1.5x of ORT's latency at batch 1 and within 1.2x at batch 64.
import { createRequire } from 'node:module';
import { randomFloats } from '../data.mjs';
import { createSession, ortTensor, sessionRunner } from '../impl/ort.mjs';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';

export const group = 'infer';

const require = createRequire(import.meta.url);

/** The exporter and the session class from the built library (dist/, like every tensorforge impl). */
function loadOnnx() {
  return {
    exportOnnxBytes: require('../../dist/onnx/export/index.js').exportOnnxBytes,
    InferenceSession: require('../../dist/onnx/inference-session.js').InferenceSession,
  };
}

const MODELS = {
  mlp: {
    label: 'MLP 784-512-10',
    inputShape: [784],
    weightShapes: [[784, 512], [512], [512, 10], [10]],
    build: (L) => [
      L.dense({ units: 512, activation: 'relu', inputShape: [784] }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  },
  cnn: {
    label: 'CNN tutorial',
    inputShape: [28, 28, 1],
    weightShapes: [[3, 3, 1, 32], [32], [13 * 13 * 32, 10], [10]],
    build: (L) => [
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  },
};

const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** Inputs in [0, 1) like pixels; kernels scaled by sqrt(6 / (fan in + units)), small biases; seeded. */
function setupData(spec, batch, seed) {
  const x = randomFloats(batch * size(spec.inputShape), seed).map((v) => Math.abs(v));
  const weights = spec.weightShapes.map((shape, i) => {
    const fan = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) + shape[shape.length - 1] : 1;
    const scale = shape.length > 1 ? Math.sqrt(6 / fan) : 0.1;
    return randomFloats(size(shape), seed + 1 + i).map((v) => v * scale);
  });
  return { spec, batch, dims: [batch, ...spec.inputShape], x, weights };
}

/** Our model with the case's weights (one per thread count: variants own their models). */
function ourModel(ctx) {
  const t = loadTensorforge();
  const model = t.sequential(ctx.spec.build(t.layers));
  model.setWeights(ctx.weights.map((w, i) => t.tensor(w, ctx.spec.weightShapes[i])));
  return model;
}

// The exported bytes are the same for every variant of a case; export once.
const exported = new WeakMap();
function onnxBytes(ctx) {
  if (!exported.has(ctx)) exported.set(ctx, loadOnnx().exportOnnxBytes(ourModel(ctx), { opset: 17 }));
  return exported.get(ctx);
}

function latencyCase(name, batch) {
  const spec = MODELS[name];
  return {
    id: `infer/${name}-b${batch}`,
    group,
    label: `${spec.label} predict, batch ${batch}`,
    unit: 'us',
    higherIsBetter: false,
    score: (ns) => ns / 1e3,
    work: { batch, model: name },
    relTol: 1e-4,
    targets: [
      batch === 1
        ? { kind: 'ratio', ratio: 'native/ort', min: 1 / 1.5, label: 'latency <=1.5x ORT' }
        : { kind: 'ratio', ratio: 'native/ort', min: 1 / 1.2, label: 'latency <=1.2x ORT' },
    ],
    setup: () => setupData(spec, batch, name === 'mlp' ? 41 : 51),
    impls: {
      native: (ctx, threads) => {
        const t = loadTensorforge();
        const enter = enterNative(threads);
        enter();
        const model = ourModel(ctx);
        const x = t.tensor(ctx.x, ctx.dims);
        return {
          enter,
          run: () => model.predictOnBatch(x).dispose(),
          once: () => {
            const y = model.predictOnBatch(x);
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          },
          dispose: () => x.dispose(),
        };
      },
      ort: async (ctx, threads) => {
        const session = await createSession(onnxBytes(ctx), threads);
        return sessionRunner(session, { [session.inputNames[0]]: ortTensor(ctx.x, ctx.dims) }, session.outputNames[0], [batch, 10]);
      },
      session: async (ctx, threads) => {
        const t = loadTensorforge();
        // One worker: a latency run has one request in flight; ORT's intra-op threads do the rest.
        // Normal priority (the default is nice 10): this measures the hand-off's cost, not how the
        // worker fares against other processes on a shared machine.
        const session = await loadOnnx().InferenceSession.create(onnxBytes(ctx), { workers: 1, intraOpThreads: threads, workerNice: 0 });
        const x = t.tensor(ctx.x, ctx.dims);
        const feeds = { [session.inputNames[0]]: x };
        const out = session.outputNames[0];
        return {
          async: true,
          // Outputs are released at once, as the native variant does, so neither leans on the collector.
          run: async () => (await session.run(feeds))[out].dispose(),
          once: async () => Float32Array.from((await session.run(feeds))[out].dataSync()),
          dispose: () => session.dispose(),
        };
      },
      tfjs: async (ctx) => {
        const tf = await loadTfjs();
        const model = tf.sequential({ layers: ctx.spec.build(tf.layers) });
        model.setWeights(ctx.weights.map((w, i) => tf.tensor(w, ctx.spec.weightShapes[i])));
        const x = tf.tensor(ctx.x, ctx.dims);
        return {
          run: () => tf.tidy(() => model.predictOnBatch(x).dataSync()),
          once: () => Float32Array.from(tf.tidy(() => model.predictOnBatch(x).dataSync())),
          dispose: () => x.dispose(),
        };
      },
    },
  };
}

export function cases() {
  return [latencyCase('mlp', 1), latencyCase('mlp', 64), latencyCase('cnn', 1), latencyCase('cnn', 64)];
}
