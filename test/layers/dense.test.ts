import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { Dense } from '../../src/layers/dense';
import { deserializeLayer } from '../../src/layers/registry';
import { checkLayerGradients, expectArrayClose, expectBackendsAgree, seededValues, values } from '../helpers/layer-check';

type Mat = number[][];

// x [2,3], kernel [3,2], bias [2]: pre-activations are all well away from 0 (for relu FD).
const X: Mat = [[1, 2, 3], [-1, 0.5, 2]];
const K: Mat = [[0.5, -1], [0.25, 0.75], [-0.5, 0.2]];
const B = [0.1, -0.3];

function matmulRef(x: Mat, k: Mat, b: number[] | null): Mat {
  return x.map((row) => k[0]!.map((_, j) => row.reduce((s, v, i) => s + v * k[i]![j]!, 0) + (b ? b[j]! : 0)));
}
const sigmoidRef = (v: number) => 1 / (1 + Math.exp(-v));
const softmaxRef = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, c) => a + c, 0);
  return e.map((v) => v / s);
};

function denseWith(args: ConstructorParameters<typeof Dense>[0], kernel: Mat, bias: number[] | null): Dense {
  const layer = tf.layers.dense(args);
  layer.apply(tf.zeros([1, kernel.length]));
  layer.setWeights(bias ? [tf.tensor(kernel), tf.tensor(bias)] : [tf.tensor(kernel)]);
  return layer;
}

describe('Dense forward against hand-computed values', () => {
  const z = matmulRef(X, K, B);

  it('linear (fused GEMM path) computes x @ kernel + bias', () => {
    const layer = denseWith({ units: 2 }, K, B);
    const y = layer.apply(tf.tensor(X));
    expect(y.shape).toEqual([2, 2]);
    // Hand values: row 0 = [0.5+0.5-1.5+0.1, -1+1.5+0.6-0.3].
    expectArrayClose(values(y), [-0.4, 0.8, -1.275, 1.475], 1e-6, 1e-6, 'linear');
    expectArrayClose(values(y), z.flat(), 1e-6, 1e-6, 'linear ref');
  });

  it("relu (fused GEMM path) clamps negatives to 0", () => {
    const layer = denseWith({ units: 2, activation: 'relu' }, K, B);
    expectArrayClose(values(layer.apply(tf.tensor(X))), z.flat().map((v) => Math.max(v, 0)), 1e-6, 1e-6, 'relu');
  });

  it('sigmoid (unfused path) applies the activation after the affine map', () => {
    const layer = denseWith({ units: 2, activation: 'sigmoid' }, K, B);
    expectArrayClose(values(layer.apply(tf.tensor(X))), z.flat().map(sigmoidRef), 1e-6, 1e-6, 'sigmoid');
  });

  it('softmax (unfused path) normalizes each row', () => {
    const layer = denseWith({ units: 2, activation: 'softmax' }, K, B);
    expectArrayClose(values(layer.apply(tf.tensor(X))), z.flatMap(softmaxRef), 1e-6, 1e-6, 'softmax');
  });

  it('tanh (unfused path)', () => {
    const layer = denseWith({ units: 2, activation: 'tanh' }, K, B);
    expectArrayClose(values(layer.apply(tf.tensor(X))), z.flat().map(Math.tanh), 1e-6, 1e-6, 'tanh');
  });

  it('useBias: false has a single kernel weight and no bias term', () => {
    const layer = denseWith({ units: 2, useBias: false }, K, null);
    expect(layer.weights).toHaveLength(1);
    expect(layer.bias).toBeNull();
    expect(layer.countParams()).toBe(6);
    expectArrayClose(values(layer.apply(tf.tensor(X))), matmulRef(X, K, null).flat(), 1e-6, 1e-6, 'no bias');
    const relu = denseWith({ units: 2, useBias: false, activation: 'relu' }, K, null);
    expectArrayClose(values(relu.apply(tf.tensor(X))), matmulRef(X, K, null).flat().map((v) => Math.max(v, 0)), 1e-6, 1e-6, 'no bias relu');
  });

  it('rank-3 input [2,2,3] maps the last axis and keeps the leading ones', () => {
    const x3 = [X, [[0.5, -0.5, 1], [2, 1, -1]]];
    const layer = denseWith({ units: 2, activation: 'relu' }, K, B);
    const y = layer.apply(tf.tensor(x3));
    expect(y.shape).toEqual([2, 2, 2]);
    const expected = x3.flatMap((m) => matmulRef(m, K, B).flat().map((v) => Math.max(v, 0)));
    expectArrayClose(values(y), expected, 1e-6, 1e-6, 'rank 3');
  });

  it('weights have shapes [in, units] and [units], bias initialized to zeros', () => {
    const layer = tf.layers.dense({ units: 4 });
    layer.apply(tf.ones([2, 3]));
    expect(layer.kernel!.shape).toEqual([3, 4]);
    expect(layer.bias!.shape).toEqual([4]);
    expect(values(layer.bias!)).toEqual([0, 0, 0, 0]);
    expect(layer.countParams()).toBe(16);
    expect(layer.weightsInfo.map((w) => w.name)).toEqual(['kernel', 'bias']);
  });
});

describe('Dense gradients by central finite differences (js backend)', () => {
  const x = () => tf.tensor(X);

  for (const activation of ['linear', 'relu', 'sigmoid', 'softmax', 'tanh'] as const) {
    it(`activation ${activation}: d/dx, d/dkernel, d/dbias`, () => {
      checkLayerGradients(denseWith({ units: 2, activation }, K, B), x());
    });
  }

  it('no bias: d/dx and d/dkernel', () => {
    checkLayerGradients(denseWith({ units: 2, useBias: false }, K, null), x());
  });

  it('rank-3 input: d/dx, d/dkernel, d/dbias', () => {
    const layer = denseWith({ units: 3, activation: 'sigmoid' }, [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6], [-0.7, 0.2, 0.1]], [0.05, -0.1, 0.2]);
    checkLayerGradients(layer, tf.tensor(seededValues(12, 3), [2, 2, 3]));
  });

  it('kernel regularizer penalty gradient is 2 * l2 * kernel', () => {
    const layer = denseWith({ units: 2, kernelRegularizer: tf.regularizers.l2({ l2: 0.5 }) }, K, B);
    const g = tf.grad((k: Tensor) => {
      void k;
      return layer.regularizationLosses()[0]!;
    })(layer.kernel!);
    expectArrayClose(values(g), K.flat().map((v) => 2 * 0.5 * v), 1e-6, 1e-6, 'penalty grad');
  });
});

describe('Dense on the native backend matches the js backend', () => {
  for (const activation of ['linear', 'relu', 'sigmoid', 'softmax'] as const) {
    it(`activation ${activation}, with and without bias, rank 2 and 3`, () => {
      const k = [0, 1, 2, 3, 4].map((i) => seededValues(7, 10 + i));
      const b = seededValues(7, 20);
      const withBias = denseWith({ units: 7, activation }, k, b);
      const noBias = denseWith({ units: 7, activation, useBias: false }, k, null);
      for (const layer of [withBias, noBias]) {
        expectBackendsAgree(layer, tf.tensor(seededValues(4 * 5, 30), [4, 5]));
        expectBackendsAgree(layer, tf.tensor(seededValues(2 * 3 * 5, 31), [2, 3, 5]));
      }
    });
  }
});

describe('Dense regularization, validation and serialization', () => {
  it('kernelRegularizer l2 penalty is l2 * sum(kernel^2); l1l2 adds l1 * sum|kernel|', () => {
    const sumSq = K.flat().reduce((s, v) => s + v * v, 0);
    const sumAbs = K.flat().reduce((s, v) => s + Math.abs(v), 0);
    const l2 = denseWith({ units: 2, kernelRegularizer: tf.regularizers.l2({ l2: 0.1 }) }, K, B);
    const losses = l2.regularizationLosses();
    expect(losses).toHaveLength(1);
    expect(losses[0]!.item()).toBeCloseTo(0.1 * sumSq, 6);
    const both = denseWith({ units: 2, kernelRegularizer: tf.regularizers.l1l2({ l1: 0.2, l2: 0.3 }), biasRegularizer: 'l1' }, K, B);
    const [kPen, bPen] = both.regularizationLosses();
    expect(kPen!.item()).toBeCloseTo(0.2 * sumAbs + 0.3 * sumSq, 6);
    expect(bPen!.item()).toBeCloseTo(0.01 * (0.1 + 0.3), 6);
  });

  it("the string 'l2' uses Keras's default strength 0.01", () => {
    const layer = denseWith({ units: 2, kernelRegularizer: 'l2' }, K, B);
    expect(layer.regularizationLosses()[0]!.item()).toBeCloseTo(0.01 * K.flat().reduce((s, v) => s + v * v, 0), 6);
  });

  it('a frozen layer contributes no weight penalty', () => {
    const layer = denseWith({ units: 2, kernelRegularizer: 'l2' }, K, B);
    layer.trainable = false;
    expect(layer.regularizationLosses()).toHaveLength(0);
  });

  it('activityRegularizer pushes l1 * sum|output| into ctx.losses', () => {
    const layer = denseWith({ units: 2, activityRegularizer: tf.regularizers.l1({ l1: 0.5 }) }, K, B);
    const losses: Tensor[] = [];
    layer.apply(tf.tensor(X), { losses });
    expect(losses).toHaveLength(1);
    const expected = 0.5 * matmulRef(X, K, B).flat().reduce((s, v) => s + Math.abs(v), 0);
    expect(losses[0]!.item()).toBeCloseTo(expected, 5);
  });

  it('input whose last dimension differs from the built kernel throws a clear error', () => {
    const layer = denseWith({ units: 2 }, K, B);
    expect(() => layer.apply(tf.ones([2, 4]))).toThrow(/expected input with last dimension 3, got shape \[2,4\]/);
  });

  it('rejects non-positive or non-integer units', () => {
    expect(() => tf.layers.dense({ units: 0 })).toThrow(/units/);
    expect(() => tf.layers.dense({ units: 2.5 })).toThrow(/positive integer/);
  });

  it('rejects an unknown activation, listing the valid names', () => {
    expect(() => tf.layers.dense({ units: 2, activation: 'relu7' as never })).toThrow(/one of linear, relu/);
  });

  it('computeOutputShape replaces the last dimension (symbolic rank-2 and rank-3 inputs)', () => {
    const s2 = tf.layers.dense({ units: 3 }).apply(tf.input({ shape: [5] }));
    expect(s2).toBeInstanceOf(tf.SymbolicTensor);
    expect(s2.shape).toEqual([null, 3]);
    const s3 = tf.layers.dense({ units: 3 }).apply(tf.input({ shape: [4, 5] }));
    expect(s3.shape).toEqual([null, 4, 3]);
  });

  it('config round trip through deserializeLayer rebuilds an equivalent layer', () => {
    const original = tf.layers.dense({
      units: 3,
      activation: 'sigmoid',
      useBias: false,
      inputShape: [4],
      kernelInitializer: tf.initializers.heNormal({ seed: 7 }),
      kernelRegularizer: tf.regularizers.l1l2({ l1: 0.1, l2: 0.2 }),
      name: 'my_dense',
    });
    const config = original.getConfig();
    const json = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    const rebuilt = deserializeLayer('Dense', json) as Dense;
    expect(rebuilt).toBeInstanceOf(Dense);
    expect(rebuilt.getConfig()).toEqual(config);
    expect(rebuilt.units).toBe(3);
    expect(rebuilt.activation.name).toBe('sigmoid');
    expect(rebuilt.useBias).toBe(false);
    expect(rebuilt.batchInputShape).toEqual([null, 4]);
    // The seeded initializer survives, so both build identical kernels.
    original.apply(tf.ones([1, 4]));
    rebuilt.apply(tf.ones([1, 4]));
    expect(values(rebuilt.kernel!)).toEqual(values(original.kernel!));
    expect(rebuilt.regularizationLosses()[0]!.item()).toBeCloseTo(original.regularizationLosses()[0]!.item(), 6);
  });

  it('config round trip keeps the activity regularizer', () => {
    const original = tf.layers.dense({ units: 2, activityRegularizer: tf.regularizers.l2({ l2: 0.5 }) });
    const rebuilt = deserializeLayer('Dense', JSON.parse(JSON.stringify(original.getConfig())) as Record<string, unknown>);
    const x = tf.tensor(X);
    original.apply(x);
    rebuilt.apply(x);
    rebuilt.setWeights(original.getWeights());
    const a: Tensor[] = [];
    const b: Tensor[] = [];
    original.apply(x, { losses: a });
    rebuilt.apply(x, { losses: b });
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(b[0]!.item()).toBeCloseTo(a[0]!.item(), 6);
  });

  it('deserializeLayer rejects an unknown className, listing the known ones', () => {
    expect(() => deserializeLayer('Conv9D', {})).toThrow(/expected one of Activation, .*\bDense\b.*, got "Conv9D"/);
  });
});
