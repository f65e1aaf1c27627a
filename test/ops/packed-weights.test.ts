import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { linear, linearInference } from '../../src/ops/linear';
import { packedOnce, packedWeight } from '../../src/ops/packed-weights';
import { prepackTransposeFilter } from '../../src/ops/conv';
import { resolveFusedActivation } from '../../src/ops/fused-activation';
import { Generator } from '../../src/random/generator';
import { expectClose } from '../helpers/compare';
import { simdLevels } from '../helpers/simd-levels';

const native = tf.backendInfo().nativeAvailable;

function rand(shape: number[], seed: number, scale = 1): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => (g.uniform() * 2 - 1) * scale), shape);
}

/** A new tensor holding w's values, which no cache has seen. */
function copyOf(w: Tensor): Tensor {
  return tf.noGrad(() => tf.add(w, 0));
}

/** The product with a copy of w: packed afresh by the GEMM. */
function fresh(x: Tensor, w: Tensor, b: Tensor | null, act: 'relu' | 'linear' | 'sigmoid'): Tensor {
  return tf.noGrad(() => linear(x, copyOf(w), b, act));
}

describe('weights packed once for inference GEMMs', () => {
  const threadsBefore = tf.getNumThreads();
  afterEach(() => tf.setNumThreads(threadsBefore));

  it.runIf(native)('are packed on the second use at one version, and again after each in-place write', () => {
    tf.setBackend('native');
    const w = rand([40, 24], 1);
    expect(packedWeight(w, 40, 24, 24)).toBeNull();
    const first = packedWeight(w, 40, 24, 24);
    expect(first).not.toBeNull();
    expect(first!.data.length).toBe(Math.ceil(24 / first!.width) * first!.width * 40);
    expect(packedWeight(w, 40, 24, 24)).toBe(first);
    w.storage.version++;
    expect(packedWeight(w, 40, 24, 24)).toBeNull();
    const second = packedWeight(w, 40, 24, 24);
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    // Memory handed to user code can change behind the version's back: never packed.
    const v = rand([40, 24], 2);
    v.dataSync();
    packedWeight(v, 40, 24, 24);
    expect(packedWeight(v, 40, 24, 24)).toBeNull();
  });

  it.runIf(native)('give the per-call result on every GEMM route, SIMD level and thread count', () => {
    tf.setBackend('native');
    // [rows, in, out]: the demo MLP's layers, panel tails, the narrow dot-product route, a few rows.
    const cases: [number, number, number][] = [[64, 784, 512], [64, 512, 10], [7, 33, 20], [13, 130, 37], [2, 16, 16]];
    const { hardware, levels } = simdLevels();
    try {
      cases.forEach(([m, k, n], i) => {
        const x = rand([m, k], 10 + i);
        const b = rand([n], 20 + i);
        const residual = rand([m, n], 30 + i);
        for (const level of levels) {
          for (const threads of [1, 2]) {
            tf.setSimdLevel(level);
            tf.setNumThreads(threads);
            const w = rand([k, n], 40 + i, 0.2);
            for (const act of ['relu', 'sigmoid'] as const) {
              const want = fresh(x, w, b, act);
              for (let call = 0; call < 3; call++) {
                const got = tf.noGrad(() => linear(x, w, b, act));
                expectClose(got, want, 1e-6, 1e-7, `${m}x${k}x${n} ${act} at ${level}, ${threads}T, call ${call}`);
              }
              const wantR = tf.noGrad(() => linearInference(x, copyOf(w), b, resolveFusedActivation('t', act), residual));
              for (let call = 0; call < 3; call++) {
                const got = linearInference(x, w, b, resolveFusedActivation('t', act), residual);
                expectClose(got, wantR, 1e-6, 1e-7, `${m}x${k}x${n} ${act} + residual at ${level}, ${threads}T, call ${call}`);
              }
            }
            // x read transposed (a transposed view), and w a transposed view: neither takes the packed route.
            const xT = tf.transpose(rand([k, m], 80 + i));
            const wT = tf.transpose(rand([n, k], 90 + i, 0.2));
            for (let call = 0; call < 3; call++) {
              expectClose(tf.noGrad(() => linear(xT, w, b, 'relu')), fresh(xT, w, b, 'relu'), 1e-6, 1e-7, `${m}x${k}x${n} x transposed, call ${call}`);
              expectClose(tf.noGrad(() => linear(x, wT, b, 'relu')), fresh(x, wT, b, 'relu'), 1e-6, 1e-7, `${m}x${k}x${n} w transposed, call ${call}`);
            }
            // Packed at one level, used at another: the stale panels are not read.
            const other = levels[(levels.indexOf(level) + 1) % levels.length]!;
            tf.setSimdLevel(other);
            expectClose(tf.noGrad(() => linear(x, w, b, 'relu')), fresh(x, w, b, 'relu'), 1e-6, 1e-7, `${m}x${k}x${n} packed at ${level}, run at ${other}`);
          }
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
    }
  });

  it.runIf(native)('give convolutions the per-call result, and follow in-place writes to the filter', () => {
    tf.setBackend('native');
    // [x shape, filter shape]: pointwise (one GEMM), 3x3 through im2col tiles, a deep 3x3 filter.
    const cases: [number[], number[]][] = [[[2, 9, 7, 24], [1, 1, 24, 40]], [[2, 10, 9, 16], [3, 3, 16, 33]], [[1, 6, 6, 300], [3, 3, 300, 20]]];
    cases.forEach(([xs, ws], i) => {
      const x = rand(xs, 50 + i);
      const w = rand(ws, 60 + i, 0.2);
      const b = rand([ws[3]!], 70 + i);
      const conv = (f: Tensor): Tensor => tf.noGrad(() => tf.conv2d(x, f, { padding: 'same', bias: b, activation: 'relu' }));
      for (let call = 0; call < 3; call++) expectClose(conv(w), conv(copyOf(w)), 1e-6, 1e-7, `case ${i}, call ${call}`);
      expect(packedWeight(w, ws[0]! * ws[1]! * ws[2]!, ws[3]!, ws[3]!)).not.toBeNull();
      const opt = tf.train.sgd(0.5);
      opt.applyGradients([[w, tf.onesLike(w)]]);
      for (let call = 0; call < 3; call++) expectClose(conv(w), conv(copyOf(w)), 1e-6, 1e-7, `case ${i} after a step, call ${call}`);
    });
  });

  it.runIf(native)('keep a transposed-convolution filter packed by the plan only while it is unchanged', () => {
    tf.setBackend('native');
    // Stride == kernel, no padding: the disjoint kernel, which reads the prepacked panels.
    const x = rand([2, 5, 4, 6], 80);
    const w = rand([2, 2, 3, 6], 81, 0.3);
    const b = rand([3], 82);
    const up = (f: Tensor): Tensor => tf.noGrad(() => tf.conv2dTranspose(x, f, { strides: 2, padding: 'valid', bias: b }));
    const cached = (): unknown => packedOnce(w, 'conv-transpose-disjoint', 'cached', () => {
      throw new Error('a cached lookup must not pack');
    });
    expect(cached()).toBeNull();
    prepackTransposeFilter(w);
    expect(cached()).not.toBeNull();
    for (let call = 0; call < 3; call++) expectClose(up(w), up(copyOf(w)), 1e-6, 1e-7, `call ${call}`);
    tf.train.sgd(0.5).applyGradients([[w, tf.onesLike(w)]]);
    expect(cached()).toBeNull();
    for (let call = 0; call < 3; call++) expectClose(up(w), up(copyOf(w)), 1e-6, 1e-7, `after a step, call ${call}`);
  });

  it('predict follows the weights through fit, setWeights and optimizer steps', async () => {
    const model = tf.sequential([tf.layers.dense({ units: 48, activation: 'relu', inputShape: [30] }), tf.layers.dense({ units: 5 })]);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = rand([16, 30], 3);
    const y = rand([16, 5], 4);
    const reference = (): Tensor => tf.noGrad(() => {
      const [k0, b0] = model.layers[0]!.getWeights();
      const [k1, b1] = model.layers[1]!.getWeights();
      return linear(linear(x, k0!, b0!, 'relu'), k1!, b1!);
    });
    const check = (label: string): void => {
      for (let i = 0; i < 3; i++) expectClose(model.predictOnBatch(x) as Tensor, reference(), 1e-6, 1e-7, `${label}, call ${i}`);
    };
    check('initial weights');
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    check('after fit');
    model.layers[0]!.setWeights([rand([30, 48], 5), rand([48], 6)]);
    check('after setWeights');
    const k = (model.layers[1] as unknown as { kernel: Tensor }).kernel;
    const opt = tf.train.adam(0.05);
    opt.applyGradients([[k, tf.onesLike(k)]]);
    check('after an optimizer step');
    const written = k.dataSync() as Float32Array;
    written[3] = written[3]! + 1;
    check('after a write through dataSync');
  });
});
