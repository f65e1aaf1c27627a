import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectClose } from '../helpers/compare';

/** Gives every BatchNormalization non-trivial statistics and affine parameters. */
function randomizeBatchNorms(model: tf.LayersModel): void {
  for (const l of model.layers) {
    if (l.className !== 'BatchNormalization') continue;
    // gamma and moving_variance stay positive-ish; beta and moving_mean anything.
    l.setWeights(l.weightsInfo.map((w) => (w.name === 'gamma' || w.name === 'moving_variance' ? tf.add(tf.rand(w.value.shape), 0.3) : tf.randn(w.value.shape))));
  }
}

function cnn(): tf.Sequential {
  return tf.sequential([
    tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [12, 12, 3] }),
    tf.layers.batchNormalization(),
    tf.layers.activation({ activation: 'relu' }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, useBias: false }),
    tf.layers.batchNormalization(),
    tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same' }),
    tf.layers.batchNormalization({ epsilon: 1e-5 }),
    tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }),
    tf.layers.batchNormalization(),
    tf.layers.flatten(),
    tf.layers.dense({ units: 5 }),
    tf.layers.batchNormalization({ center: false, scale: false }),
  ]);
}

describe('foldBatchNorm', () => {
  it('folds Conv2D/Depthwise/Separable/Dense + BN in a Sequential model and predicts the same', () => {
    tf.manualSeed(1);
    const model = cnn();
    randomizeBatchNorms(model);
    const folded = foldBatchNorm(model);
    expect(folded).toBeInstanceOf(tf.Sequential);
    // Conv2D with relu before its BN cannot be folded: that BN stays.
    expect(folded.layers.map((l) => l.className)).toEqual([
      'Conv2D', 'Activation', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2D', 'BatchNormalization', 'Flatten', 'Dense',
    ]);
    expect(folded.layers.map((l) => l.name)).toEqual(model.layers.filter((_, i) => ![1, 4, 6, 11].includes(i)).map((l) => l.name));
    const x = tf.randn([4, 12, 12, 3]);
    const want = model.predictOnBatch(x) as tf.Tensor;
    const got = folded.predictOnBatch(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(got, want))).item()).toBeLessThan(1e-5 * Math.max(1, tf.max(tf.abs(want)).item()));
    // The original is untouched and the copy owns its weights.
    expect(model.layers).toHaveLength(12);
    expect(folded.layers[0]!.weights[0]).not.toBe(model.layers[0]!.weights[0]);
  });

  it('folds channelsFirst convolutions, Conv1D and a functional graph, leaving shared outputs alone', () => {
    tf.manualSeed(2);
    const x = tf.input({ shape: [3, 8, 8] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' }).apply(x);
    const aBn = tf.layers.batchNormalization({ axis: 1 }).apply(a);
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' }).apply(x);
    const bBn = tf.layers.batchNormalization({ axis: 1 }).apply(b);
    // Also used by the add below: folding would change that branch, so b's BN must stay.
    const sum = tf.layers.add().apply([aBn, bBn, b]) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(sum);
    const wrongAxis = tf.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst' }).apply(x);
    const wrongBn = tf.layers.batchNormalization({ axis: -1 }).apply(wrongAxis);
    const seq = tf.input({ shape: [10, 3] });
    const c = tf.layers.conv1d({ filters: 5, kernelSize: 3 }).apply(seq);
    const cBn = tf.layers.batchNormalization().apply(c);
    const model = tf.model({ inputs: [x, seq], outputs: [flat, wrongBn, cBn] });
    randomizeBatchNorms(model);
    const folded = foldBatchNorm(model);
    expect(folded.layers.filter((l) => l.className === 'BatchNormalization')).toHaveLength(2);
    const xs = [tf.randn([2, 3, 8, 8]), tf.randn([2, 10, 3])];
    const want = model.predictOnBatch(xs) as tf.Tensor[];
    const got = folded.predictOnBatch(xs) as tf.Tensor[];
    want.forEach((w, i) => expectClose(got[i]!, w, 1e-5, 1e-5, `output ${i}`));
  });

  it('rejects unbuilt models and non-models', () => {
    expect(() => foldBatchNorm(tf.sequential([tf.layers.dense({ units: 2 })]))).toThrow(/not built/);
    expect(() => foldBatchNorm({} as tf.LayersModel)).toThrow(/foldBatchNorm: argument 'model'/);
  });

  it('the folded model predicts faster (timing reported, not asserted)', () => {
    tf.manualSeed(3);
    const model = tf.sequential([
      tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', inputShape: [32, 32, 16] }),
      tf.layers.batchNormalization(),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
    ]);
    randomizeBatchNorms(model);
    const folded = foldBatchNorm(model);
    const x = tf.randn([16, 32, 32, 16]);
    const time = (m: tf.LayersModel) => {
      m.predictOnBatch(x);
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) m.predictOnBatch(x);
      return (performance.now() - t0) / 5;
    };
    const [orig, fast] = [time(model), time(folded)];
    console.log(`foldBatchNorm: predict ${orig.toFixed(2)} ms -> ${fast.toFixed(2)} ms per batch of 16x32x32x16`);
    expect(fast).toBeGreaterThan(0);
  });
});

const { foldBatchNorm } = tf;
