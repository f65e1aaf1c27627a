// Shared checks for layer tests: deterministic values, float64 reference arithmetic, central finite
// differences against autograd, and native-vs-js forward parity.
import { expect } from 'vitest';
import * as tf from '../../src';
import type { Layer, Tensor } from '../../src';

/** Deterministic pseudo-random values in [lo, hi) (a small LCG, independent of the library's RNG). */
export function seededValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((hi - lo) * s) / 2 ** 32);
  }
  return out;
}

/** Element-wise closeness of plain arrays: |a - e| <= atol + rtol |e|. */
export function expectArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
}

/** Flattened values of a tensor as plain numbers. */
export function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Runs `fn` on the given backend and restores the previous one. */
export function onBackend<T>(name: tf.BackendName, fn: () => T): T {
  const previous = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(previous);
  }
}

export interface GradCheckOptions {
  /** Passed to layer.apply (training mode for dropout/batch norm). */
  training?: boolean;
  /** Also differentiate with respect to the input (float inputs only). */
  wrtInput?: boolean;
  eps?: number;
  rtol?: number;
  atol?: number;
}

/**
 * Checks d loss / d input and d loss / d (each trainable weight) of `layer` at `x` against central
 * finite differences, with loss = sum(layer(x) * R) for fixed pseudo-random R. The finite
 * differences evaluate the loss in float64 from the float32 outputs. Runs on the js backend.
 * The layer's weights are restored afterwards.
 */
export function checkLayerGradients(layer: Layer, x: Tensor, opts: GradCheckOptions = {}): void {
  const { training = false, wrtInput = true, eps = 1e-3, rtol = 2e-2, atol = 2e-3 } = opts;
  onBackend('js', () => {
    // Build outside any gradient scope and learn the output size.
    const out0 = tf.noGrad(() => layer.apply(x, { training }));
    const r = seededValues(out0.size, 97);
    const rT = tf.tensor(r, out0.shape.slice());
    const saved = layer.getWeights();
    const weights = layer.trainableWeights;
    const weightIndex = weights.map((w) => layer.weights.indexOf(w));

    const lossOf = (input: Tensor): number => {
      const out = tf.noGrad(() => layer.apply(input, { training }));
      const d = out.dataSync();
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * r[i]!;
      return s;
    };

    const f = (...args: Tensor[]): Tensor => tf.sum(tf.mul(layer.apply(wrtInput ? args[0]! : x, { training }), rT));
    const targets = wrtInput ? [x, ...weights] : weights;
    const analytic = tf.grads(f)(targets).map(values);

    try {
      let k = 0;
      if (wrtInput) {
        const base = values(x);
        const numeric = base.map((_, i) => {
          const plus = base.slice();
          const minus = base.slice();
          plus[i]! += eps;
          minus[i]! -= eps;
          return (lossOf(tf.tensor(plus, x.shape.slice())) - lossOf(tf.tensor(minus, x.shape.slice()))) / (2 * eps);
        });
        expectArrayClose(analytic[k++]!, numeric, rtol, atol, `${layer.name} d/d input`);
      }
      weights.forEach((w, wi) => {
        const current = saved.map(values);
        const base = current[weightIndex[wi]!]!;
        const set = (vals: number[]) => {
          const all = current.map((c, j) => tf.tensor(j === weightIndex[wi] ? vals : c, saved[j]!.shape.slice()));
          layer.setWeights(all);
        };
        const numeric = base.map((_, i) => {
          const plus = base.slice();
          const minus = base.slice();
          plus[i]! += eps;
          minus[i]! -= eps;
          set(plus);
          const lp = lossOf(x);
          set(minus);
          const lm = lossOf(x);
          return (lp - lm) / (2 * eps);
        });
        set(base);
        expectArrayClose(analytic[k++]!, numeric, rtol, atol, `${layer.name} d/d ${layer.weightsInfo[weightIndex[wi]!]!.name}`);
      });
    } finally {
      layer.setWeights(saved);
    }
  });
}

/** The layer's inference output on the native and js backends agree. */
export function expectBackendsAgree(layer: Layer, x: Tensor, rtol = 1e-5, atol = 1e-5): void {
  const nat = onBackend('native', () => values(layer.apply(x)));
  const js = onBackend('js', () => values(layer.apply(x)));
  expectArrayClose(nat, js, rtol, atol, `${layer.name} native vs js`);
}
