// The one-pass relu backward shared by dense and conv layers with a fused relu: gy where the relu's
// output is positive, 0 elsewhere (including y = 0 and non-finite gy there), on both backends, and
// differentiable in gy (its own gradient is the same mask).
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { clipGradFromInput, reluGradFromOutput } from '../../src/ops/relu-grad';
import { linear } from '../../src/ops/linear';

const backends = (tf.backendInfo().nativeAvailable ? ['js', 'native'] : ['js']) as ('js' | 'native')[];

function on<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

describe('reluGradFromOutput', () => {
  for (const b of backends) {
    it(`${b}: passes gy where y > 0 and zeroes the rest`, () => {
      const y = tf.tensor([0.5, 0, 2, 0, 3, 0], [2, 3]);
      const gy = tf.tensor([1, -2, 3, Infinity, -5, NaN], [2, 3]);
      const out = on(b, () => reluGradFromOutput(gy, y));
      expect(out.shape).toEqual([2, 3]);
      expect(Array.from(out.dataSync())).toEqual([1, 0, 3, 0, -5, 0]);
    });

    it(`${b}: reads strided views of gy and y`, () => {
      const y = tf.transpose(tf.tensor([1, 0, -1, 2, 3, 0], [2, 3]));
      const gy = tf.transpose(tf.tensor([10, 20, 30, 40, 50, 60], [2, 3]));
      const out = on(b, () => reluGradFromOutput(gy, y));
      expect(Array.from(out.dataSync())).toEqual([10, 40, 0, 50, 0, 0]);
    });

    it(`${b}: a dense relu's kernel gradient equals x^T (gy * (y > 0))`, () => {
      const x = tf.tensor([1, -2, 0.5, 3, 1, -1], [3, 2]);
      const w = tf.tensor([0.5, -1, 2, 1], [2, 2]);
      const gw = on(b, () => tf.grad((wv: tf.Tensor) => tf.sum(tf.mul(linear(x, wv, null, 'relu'), tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]))))(w));
      // z = x @ w = [[-3.5,-3],[6.25,2.5],[-1.5,-2]]: only the second row is active, so gw = x[1]^T * g[1].
      expect(Array.from(gw.dataSync())).toEqual([0.5 * 3, 0.5 * 4, 3 * 3, 3 * 4]);
    });
  }

  it('is differentiable in gy: its gradient is the same mask', () => {
    const y = tf.tensor([1, 0, 2]);
    const g = tf.grad((gy: tf.Tensor) => tf.sum(tf.mul(reluGradFromOutput(gy, y), tf.tensor([5, 6, 7]))))(tf.tensor([1, 1, 1]));
    expect(Array.from(g.dataSync())).toEqual([5, 0, 7]);
  });
});

describe('clipGradFromInput (the backward of clip)', () => {
  for (const b of backends) {
    it(`${b}: passes gy where lo <= x <= hi (bounds included), zeroes the rest and NaN x`, () => {
      const x = tf.tensor([-1, 0, 3, 6, 6.5, NaN, 2, -0], [2, 4]);
      const gy = tf.tensor([1, 2, 3, 4, 5, 6, NaN, 8], [2, 4]);
      const out = on(b, () => clipGradFromInput(gy, x, 0, 6));
      expect(out.shape).toEqual([2, 4]);
      expect(Array.from(out.dataSync())).toEqual([0, 2, 3, 4, 0, 0, NaN, 8]);
      // Infinite bounds (ONNX Clip's defaults) pass every finite x.
      expect(Array.from(on(b, () => clipGradFromInput(gy, x, -Infinity, Infinity)).dataSync())).toEqual([1, 2, 3, 4, 5, 0, NaN, 8]);
    });

    it(`${b}: tf.clip's gradient is that mask on a transposed view too, and it is differentiable in gy`, () => {
      const base = tf.tensor(Array.from({ length: 24 }, (_, i) => i * 0.5 - 3), [2, 3, 4]);
      const x = tf.transpose(base, [0, 2, 1]);
      const [gx] = on(b, () => tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.clip(a, -1, 4), tf.clip(a, -1, 4))))([x]));
      const xv = x.dataSync();
      const cl = (v: number) => Math.min(4, Math.max(-1, v));
      expect(Array.from(gx!.dataSync())).toEqual(Array.from(xv, (v) => (v >= -1 && v <= 4 ? 2 * cl(v) : 0)));
      // A transposed x with gy contiguous, and with gy transposed alike: the result keeps x's layout.
      const g1 = tf.tensor(Array.from({ length: 24 }, (_, i) => i + 1), [2, 4, 3]);
      const g2 = tf.transpose(tf.tensor(Array.from(tf.transpose(g1, [0, 2, 1]).dataSync()), [2, 3, 4]), [0, 2, 1]);
      const want = Array.from(x.dataSync(), (v, i) => (v >= -1 && v <= 4 ? i + 1 : 0));
      for (const g of [g1, g2]) expect(Array.from(on(b, () => clipGradFromInput(g, x, -1, 4)).dataSync())).toEqual(want);
      const gy = tf.tensor([1, 2, 3, 4], [4]);
      const xs = tf.tensor([0, 5, 2, -2], [4]);
      const [gg] = on(b, () => tf.grads((g: tf.Tensor) => tf.sum(tf.mul(clipGradFromInput(g, xs, -1, 4), 3)))([gy]));
      expect(Array.from(gg!.dataSync())).toEqual([3, 0, 3, 0]);
    });
  }
});
