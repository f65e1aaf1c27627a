// Plain-JS (float64) versions of each loss, written from the formulas, for hand-checked values and
// finite differences. Rows are samples; each returns one number per row.
import { expect } from 'vitest';
import type { Tensor } from '../../src';

export type Rows = number[][];

const EPS = 1e-7;
const clip = (v: number) => Math.min(Math.max(v, EPS), 1 - EPS);
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const logSumExp = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(total(xs.map((x) => Math.exp(x - m))));
};

export const mseRef = (t: Rows, p: Rows) => p.map((row, i) => avg(row.map((v, j) => (v - t[i]![j]!) ** 2)));
export const maeRef = (t: Rows, p: Rows) => p.map((row, i) => avg(row.map((v, j) => Math.abs(v - t[i]![j]!))));
export const huberRef = (t: Rows, p: Rows, delta = 1) =>
  p.map((row, i) =>
    avg(row.map((v, j) => {
      const e = Math.abs(v - t[i]![j]!);
      return e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta);
    })),
  );

export const bceRef = (t: Rows, p: Rows, smoothing = 0) =>
  p.map((row, i) =>
    avg(row.map((v, j) => {
      const y = t[i]![j]! * (1 - smoothing) + 0.5 * smoothing;
      const q = clip(v);
      return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
    })),
  );
/** -y log sigmoid(x) - (1-y) log(1 - sigmoid(x)), with log sigmoid(x) = -log(1 + e^-x) kept finite. */
export const bceLogitsRef = (t: Rows, x: Rows, smoothing = 0) =>
  x.map((row, i) =>
    avg(row.map((v, j) => {
      const y = t[i]![j]! * (1 - smoothing) + 0.5 * smoothing;
      const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      return y * softplus(-v) + (1 - y) * softplus(v);
    })),
  );

export const cceRef = (t: Rows, p: Rows, smoothing = 0) =>
  p.map((row, i) => {
    const s = total(row);
    const c = row.length;
    return -total(row.map((v, j) => (t[i]![j]! * (1 - smoothing) + smoothing / c) * Math.log(clip(v / s))));
  });
export const cceLogitsRef = (t: Rows, x: Rows, smoothing = 0) =>
  x.map((row, i) => {
    const lse = logSumExp(row);
    const c = row.length;
    return -total(row.map((v, j) => (t[i]![j]! * (1 - smoothing) + smoothing / c) * (v - lse)));
  });

export const oneHotRows = (labels: number[], c: number): Rows => labels.map((l) => Array.from({ length: c }, (_, j) => (j === l ? 1 : 0)));
export const sparseRef = (labels: number[], p: Rows) => cceRef(oneHotRows(labels, p[0]!.length), p);
export const sparseLogitsRef = (labels: number[], x: Rows) => cceLogitsRef(oneHotRows(labels, x[0]!.length), x);

/** Elementwise |a - e| <= tol * max(1, |e|), with a message naming the element. */
export function expectValues(actual: Tensor | ArrayLike<number>, expected: number[], tol = 2e-6): void {
  const a = Array.from('dataSync' in actual ? actual.dataSync() : actual);
  expect(a.length, 'length').toBe(expected.length);
  a.forEach((v, i) => {
    const e = expected[i]!;
    if (!(Math.abs(v - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`element ${i}: got ${v}, expected ${e}`);
  });
}

/** Central differences of `f` (a float64 function of the flattened input) at `x`. */
export function numericGrad(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const up = x.slice();
    const down = x.slice();
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

/** Reshapes a flat list into rows of `cols`. */
export const toRows = (flat: number[], cols: number): Rows =>
  Array.from({ length: flat.length / cols }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
