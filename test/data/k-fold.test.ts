import { describe, expect, it } from 'vitest';
import { manualSeed } from '../../src';
import { kFold } from '../../src/data';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: Iterable<number>) => Array.from(a).sort((x, y) => x - y);

describe('kFold', () => {
  it('cuts consecutive folds whose sizes differ by at most one, the first n % k larger', () => {
    const folds = kFold(10, 3);
    expect(folds.map((f) => Array.from(f.testIndices))).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(Array.from(folds[1]!.trainIndices)).toEqual([0, 1, 2, 3, 7, 8, 9]);
    expect(folds[0]!.testIndices).toBeInstanceOf(Int32Array);
  });

  it('tests every index exactly once and trains on the complement, shuffled or not', () => {
    for (const [n, k] of [[10, 3], [7, 7], [23, 5], [100, 10]] as const) {
      for (const shuffle of [false, true]) {
        const folds = kFold(n, k, { shuffle, seed: n * k });
        expect(folds.length).toBe(k);
        expect(sorted(folds.flatMap((f) => Array.from(f.testIndices)))).toEqual(all(n));
        const sizes = folds.map((f) => f.testIndices.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const f of folds) {
          expect(sorted([...f.trainIndices, ...f.testIndices])).toEqual(all(n));
          expect(Array.from(f.trainIndices)).toEqual(sorted(f.trainIndices));
        }
      }
    }
  });

  it('shuffles repeatably by seed or manualSeed', () => {
    const a = kFold(12, 4, { shuffle: true, seed: 1 }).map((f) => Array.from(f.testIndices));
    expect(kFold(12, 4, { shuffle: true, seed: 1 }).map((f) => Array.from(f.testIndices))).toEqual(a);
    expect(a).not.toEqual(kFold(12, 4).map((f) => Array.from(f.testIndices)));
    manualSeed(3);
    const b = kFold(12, 4, { shuffle: true }).map((f) => Array.from(f.testIndices));
    manualSeed(3);
    expect(kFold(12, 4, { shuffle: true }).map((f) => Array.from(f.testIndices))).toEqual(b);
  });

  it('rejects impossible fold counts', () => {
    expect(() => kFold(3, 4)).toThrow(/kFold: argument 'k' expected at most n \(3\) folds/);
    expect(() => kFold(10, 1)).toThrow(/argument 'k' expected an integer >= 2, got 1/);
    expect(() => kFold(2.5, 2)).toThrow(/argument 'n' expected a non-negative integer row count/);
  });
});
