import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import { Standardizer, standardScaler, standardize } from '../../src/data';

function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, digits));
}

// Column 0: mean 3, population variance 8/3. Column 1: mean 5, deviations -3,-1,4, variance 26/3.
const x = [[1, 2], [3, 4], [5, 9]];
const s0 = Math.sqrt(8 / 3);
const s1 = Math.sqrt(26 / 3);

describe('Standardizer', () => {
  it('fits per-feature mean and population std and transforms to z-scores', () => {
    const scaler = standardScaler().fit(x);
    expect(scaler).toBeInstanceOf(Standardizer);
    expect(scaler.isFitted).toBe(true);
    expectClose(Array.from(scaler.mean.dataSync()), [3, 5]);
    expectClose(Array.from(scaler.std.dataSync()), [s0, s1]);
    const z = scaler.transform(x);
    expect(z.shape).toEqual([3, 2]);
    expectClose(Array.from(z.dataSync()), [-2 / s0, -3 / s1, 0, -1 / s1, 2 / s0, 4 / s1]);
  });

  it('applies the training statistics to test data', () => {
    const scaler = new Standardizer().fit(x);
    expectClose(Array.from(scaler.transform([[3, 5], [6, 5 + s1]]).dataSync()), [0, 0, 3 / s0, 1]);
    expectClose(Array.from(scaler.inverseTransform(scaler.transform([[7, -1]])).dataSync()), [7, -1]);
  });

  it('gives a constant feature std 1 (zeros out, no division by zero)', () => {
    const scaler = standardScaler();
    const z = scaler.fitTransform(tensor([[0.1, 1], [0.1, 3]]));
    expect(Array.from(scaler.std.dataSync())).toEqual([1, 1]);
    expect(z.toArray()).toEqual([[0, -1], [0, 1]]);
  });

  it('standardizes images per pixel and has a one-shot standardize()', () => {
    const img = tensor([0, 2, 4, 6, 2, 2, 8, 10], [2, 2, 2, 1]);
    const z = standardize(img);
    expect(z.shape).toEqual([2, 2, 2, 1]);
    // Pixel pairs (0,2) (2,2) (4,8) (6,10): z = -1/+1 except the constant pair (0, 0).
    expect(Array.from(z.dataSync())).toEqual([-1, 0, -1, -1, 1, 0, 1, 1]);
  });

  it('explains misuse', () => {
    expect(() => standardScaler().transform(x)).toThrow(/Standardizer.transform: the scaler is not fitted yet; call fit\(xTrain\) first/);
    expect(() => standardScaler().mean).toThrow(/not fitted/);
    expect(() => standardScaler().fit(x).transform([[1, 2, 3]])).toThrow(
      /Standardizer.transform: argument 'x' expected rows of shape \[2\] as seen by fit, got shape \[1,3\]/,
    );
    expect(() => standardScaler().fit(tensor([], [0, 2]))).toThrow(/Standardizer.fit: argument 'x' expected at least one row/);
  });
});
