import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as losses from '../../src/losses';
import { bceLogitsRef, bceRef, cceLogitsRef, cceRef, expectValues, huberRef, maeRef, mseRef, sparseLogitsRef, sparseRef } from './reference';

// 2 samples x 3 outputs.
const T = [[1, 2, 3], [0, -1, 0.5]];
const P = [[1.5, 1, 3], [2, -1, -1]];

describe('regression losses (per-sample, mean over the last axis)', () => {
  it('meanSquaredError: ((0.5^2 + 1^2 + 0) / 3, (2^2 + 0 + 1.5^2) / 3)', () => {
    const expected = [(0.25 + 1 + 0) / 3, (4 + 0 + 2.25) / 3];
    expect(mseRef(T, P)).toEqual(expected);
    const out = losses.meanSquaredError(tensor(T), tensor(P));
    expect(out.shape).toEqual([2]);
    expectValues(out, expected);
    expectValues(losses.mse(tensor(T), tensor(P)), expected);
    expectValues(losses.MSE(tensor(T), tensor(P)), expected);
  });

  it('meanAbsoluteError: ((0.5 + 1 + 0) / 3, (2 + 0 + 1.5) / 3)', () => {
    const expected = [1.5 / 3, 3.5 / 3];
    expectValues(maeRef(T, P), expected, 1e-12);
    expectValues(losses.meanAbsoluteError(tensor(T), tensor(P)), expected);
    expectValues(losses.mae(tensor(T), tensor(P)), expected);
  });

  it('huber (delta 1): quadratic 0.5 e^2 inside the band, linear e - 0.5 outside', () => {
    // errors row 0: 0.5, 1, 0 -> 0.125, 0.5, 0; row 1: 2, 0, 1.5 -> 1.5, 0, 1.
    const expected = [(0.125 + 0.5 + 0) / 3, (1.5 + 0 + 1) / 3];
    expectValues(huberRef(T, P), expected, 1e-12);
    expectValues(losses.huber(tensor(T), tensor(P)), expected);
  });

  it('huber with delta 2: the error 2 is still quadratic, so row 1 is (2 + 0 + 1.125) / 3', () => {
    const expected = [(0.125 + 0.5) / 3, (2 + 0 + 1.125) / 3];
    expectValues(huberRef(T, P, 2), expected, 1e-12);
    expectValues(losses.huber({ delta: 2 })(tensor(T), tensor(P)), expected);
  });

  it('int32 labels are cast; higher-rank outputs keep every axis but the last', () => {
    const yt = tensor([[[1, 2], [3, 4]], [[0, 0], [1, 1]]], 'int32');
    const yp = tensor([[[1, 3], [3, 2]], [[1, 0], [1, 2]]]);
    const out = losses.meanSquaredError(yt, yp);
    expect(out.shape).toEqual([2, 2]);
    expectValues(out, [0.5, 2, 0.5, 0.5]);
  });

  it('labels of shape [batch] meet outputs of shape [batch, 1] (and the other way round)', () => {
    const out = losses.meanSquaredError(tensor([1, 2, 3]), tensor([[1], [4], [0]]));
    expect(out.shape).toEqual([3]);
    expectValues(out, [0, 4, 9]);
    expectValues(losses.meanAbsoluteError(tensor([[1], [2]]), tensor([0, 0])), [1.5]);
  });
});

describe('binaryCrossentropy', () => {
  const yt = [[0, 1, 1], [1, 0, 0]];
  const probs = [[0.1, 0.8, 0.6], [0.3, 0.2, 0.9]];
  const logits = [[-2, 1.5, 0.3], [0.5, -1, 3]];

  it('from probabilities: -mean(y log p + (1-y) log(1-p))', () => {
    const expected = [-(Math.log(0.9) + Math.log(0.8) + Math.log(0.6)) / 3, -(Math.log(0.3) + Math.log(0.8) + Math.log(0.1)) / 3];
    expectValues(bceRef(yt, probs), expected, 1e-12);
    const out = losses.binaryCrossentropy(tensor(yt), tensor(probs));
    expect(out.shape).toEqual([2]);
    expectValues(out, expected);
  });

  it('from logits: softplus(x) - y x', () => {
    const softplus = (x: number) => Math.log(1 + Math.exp(x));
    const expected = [
      (softplus(-2) + softplus(1.5) - 1.5 + softplus(0.3) - 0.3) / 3,
      (softplus(0.5) - 0.5 + softplus(-1) + softplus(3)) / 3,
    ];
    expectValues(bceLogitsRef(yt, logits), expected, 1e-12);
    expectValues(losses.binaryCrossentropy({ fromLogits: true })(tensor(yt), tensor(logits)), expected);
  });

  it('label smoothing 0.2 turns labels 0/1 into 0.1/0.9', () => {
    const y = [[0.1, 0.9, 0.9], [0.9, 0.1, 0.1]];
    expectValues(losses.binaryCrossentropy({ labelSmoothing: 0.2 })(tensor(yt), tensor(probs)), bceRef(y, probs));
    expectValues(losses.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.2 })(tensor(yt), tensor(logits)), bceLogitsRef(y, logits));
  });

  it('probabilities 0 and 1 are clipped to [1e-7, 1 - 1e-7]: a sure wrong answer costs -log(1e-7)', () => {
    const out = losses.binaryCrossentropy(tensor([[1, 0]]), tensor([[0, 1]]));
    // 1 - 1e-7 rounds to 1 - 2^-23 in float32, so log(1 - p) there is log(2^-23) ~ 15.94, not 16.12.
    expectValues(out, [(-Math.log(1e-7) + -Math.log(1 - Math.fround(1 - 1e-7))) / 2], 1e-4);
  });
});

describe('categoricalCrossentropy', () => {
  const yt = [[0, 1, 0], [0, 0, 1]];
  const probs = [[0.2, 0.7, 0.1], [0.25, 0.25, 0.5]];
  const logits = [[1, 2, 3], [-1, 0, 4]];

  it('from probabilities: -log p[true class]', () => {
    const expected = [-Math.log(0.7), -Math.log(0.5)];
    expectValues(cceRef(yt, probs), expected, 1e-12);
    const out = losses.categoricalCrossentropy(tensor(yt), tensor(probs));
    expect(out.shape).toEqual([2]);
    expectValues(out, expected);
  });

  it('rescales rows that do not sum to 1, as Keras does', () => {
    // [1, 2, 1] is read as [0.25, 0.5, 0.25].
    expectValues(losses.categoricalCrossentropy(tensor([[0, 1, 0]]), tensor([[1, 2, 1]])), [-Math.log(0.5)]);
  });

  it('from logits: logsumexp(x) - x[true class]', () => {
    const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const expected = [lse([1, 2, 3]) - 2, lse([-1, 0, 4]) - 4];
    expectValues(cceLogitsRef(yt, logits), expected, 1e-12);
    expectValues(losses.categoricalCrossentropy({ fromLogits: true })(tensor(yt), tensor(logits)), expected);
  });

  it('soft labels and label smoothing 0.3 (labels become y * 0.7 + 0.1)', () => {
    const soft = [[0.1, 0.9, 0], [0.5, 0, 0.5]];
    expectValues(losses.categoricalCrossentropy(tensor(soft), tensor(probs)), cceRef(soft, probs));
    const smoothed = [[0.1, 0.8, 0.1], [0.1, 0.1, 0.8]];
    const expected = cceRef(smoothed, probs);
    expectValues(cceRef(yt, probs, 0.3), expected, 1e-12);
    expectValues(losses.categoricalCrossentropy({ labelSmoothing: 0.3 })(tensor(yt), tensor(probs)), expected);
    expectValues(losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.3 })(tensor(yt), tensor(logits)), cceLogitsRef(smoothed, logits));
  });
});

describe('sparseCategoricalCrossentropy', () => {
  const probs = [[0.2, 0.7, 0.1], [0.25, 0.25, 0.5]];
  const logits = [[1, 2, 3], [-1, 0, 4]];

  it('int32 labels equal categorical crossentropy on the one-hot labels', () => {
    const expected = [-Math.log(0.7), -Math.log(0.5)];
    expectValues(sparseRef([1, 2], probs), expected, 1e-12);
    const out = losses.sparseCategoricalCrossentropy(tensor([1, 2], 'int32'), tensor(probs));
    expect(out.shape).toEqual([2]);
    expectValues(out, expected);
  });

  it('float labels holding integers, and labels of shape [batch, 1]', () => {
    const expected = sparseRef([1, 2], probs);
    expectValues(losses.sparseCategoricalCrossentropy(tensor([1, 2]), tensor(probs)), expected);
    const out = losses.sparseCategoricalCrossentropy(tensor([[1], [2]], 'int32'), tensor(probs));
    expect(out.shape).toEqual([2]);
    expectValues(out, expected);
  });

  it('from logits', () => {
    const lse = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const expected = [lse([1, 2, 3]) - 1, lse([-1, 0, 4]) - 0];
    expectValues(sparseLogitsRef([0, 1], logits), expected, 1e-12);
    expectValues(losses.sparseCategoricalCrossentropy({ fromLogits: true })(tensor([0, 1], 'int32'), tensor(logits)), expected);
  });

  it('rank-3 outputs (per time step labels)', () => {
    const yp = tensor([[[0.5, 0.5], [0.9, 0.1]], [[0.2, 0.8], [0.6, 0.4]]]);
    const out = losses.sparseCategoricalCrossentropy(tensor([[0, 1], [1, 0]], 'int32'), yp);
    expect(out.shape).toEqual([2, 2]);
    expectValues(out, [-Math.log(0.5), -Math.log(0.1), -Math.log(0.8), -Math.log(0.6)]);
  });
});

describe('the configured and direct forms', () => {
  it('a factory with no options is the same loss as the function itself', () => {
    const yt = tensor([[0, 1]]);
    const yp = tensor([[0.3, 0.7]]);
    expectValues(losses.categoricalCrossentropy()(yt, yp), Array.from(losses.categoricalCrossentropy(yt, yp).dataSync()));
  });

  it('configured losses carry their name and options', () => {
    const loss = losses.categoricalCrossentropy({ fromLogits: true, name: 'cce' });
    expect(loss.name).toBe('cce');
    expect(loss.className).toBe('CategoricalCrossentropy');
    expect(loss.getConfig()).toEqual({ name: 'cce', fromLogits: true, labelSmoothing: 0 });
    expect(losses.meanSquaredError.name).toBe('meanSquaredError');
    expect(losses.mse.className).toBe('MeanSquaredError');
    expect(losses.huber.getConfig()).toEqual({ name: 'huber', delta: 1 });
  });
});
