import { describe, expect, it } from 'vitest';
import { manualSeed, tensor } from '../../src';
import { toCategorical, trainTestSplit } from '../../src/data';

// 20 rows: row i is [i, 100 + i]; the first 15 are class 0, the last 5 class 1.
const n = 20;
const x = tensor(Array.from({ length: n }, (_, i) => [i, 100 + i]));
const y = tensor(Array.from({ length: n }, (_, i) => (i < 15 ? 0 : 1)), [n], 'int32');

function rowIds(t: { toArray(): unknown }): number[] {
  return (t.toArray() as number[][]).map((r) => r[0]!);
}

describe('trainTestSplit', () => {
  it('splits 25% off by default, keeping x and y rows paired and covering every row once', () => {
    const s = trainTestSplit(x, y, { seed: 3 });
    expect(s.xTrain.shape).toEqual([15, 2]);
    expect(s.xTest.shape).toEqual([5, 2]);
    expect(s.yTrain.shape).toEqual([15]);
    expect(s.yTest.dtype).toBe('int32');
    const train = rowIds(s.xTrain);
    const test = rowIds(s.xTest);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(s.yTrain.toArray()).toEqual(train.map((i) => (i < 15 ? 0 : 1)));
    expect(s.yTest.toArray()).toEqual(test.map((i) => (i < 15 ? 0 : 1)));
    expect((s.xTest.toArray() as number[][]).every((r) => r[1] === 100 + r[0]!)).toBe(true);
  });

  it('takes a fraction (rounded up) or a row count', () => {
    expect(trainTestSplit(x, y, { testSize: 0.33, seed: 1 }).xTest.shape).toEqual([7, 2]);
    expect(trainTestSplit(x, y, { testSize: 4, seed: 1 }).xTest.shape).toEqual([4, 2]);
  });

  it('repeats with a seed or with manualSeed, and differs between seeds', () => {
    const a = rowIds(trainTestSplit(x, y, { seed: 11 }).xTest);
    expect(rowIds(trainTestSplit(x, y, { seed: 11 }).xTest)).toEqual(a);
    expect(rowIds(trainTestSplit(x, y, { seed: 12 }).xTest)).not.toEqual(a);
    manualSeed(5);
    const b = rowIds(trainTestSplit(x, y).xTest);
    manualSeed(5);
    expect(rowIds(trainTestSplit(x, y).xTest)).toEqual(b);
  });

  it('keeps the rows in order without shuffle: first rows train, last rows test', () => {
    const s = trainTestSplit(x, y, { shuffle: false, testSize: 0.2 });
    expect(rowIds(s.xTrain)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(rowIds(s.xTest)).toEqual([16, 17, 18, 19]);
  });

  it('stratifies: 20% of a 15/5 set is exactly 3 of class 0 and 1 of class 1, for every seed', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = trainTestSplit(x, y, { testSize: 0.2, stratify: true, seed });
      const test = s.yTest.toArray() as number[];
      expect(test.filter((c) => c === 1).length).toBe(1);
      expect(test.filter((c) => c === 0).length).toBe(3);
      const train = s.yTrain.toArray() as number[];
      expect(train.filter((c) => c === 1).length).toBe(4);
      expect(rowIds(s.xTest).map((i) => (i < 15 ? 0 : 1))).toEqual(test);
    }
  });

  it('stratifies on one-hot y or on separate labels', () => {
    const oneHotY = toCategorical(y);
    const s = trainTestSplit(x, oneHotY, { testSize: 10, stratify: true, seed: 2 });
    expect(s.yTest.shape).toEqual([10, 2]);
    const cls = (s.yTest.toArray() as number[][]).map((r) => r.indexOf(1));
    // Quotas 7.5 and 2.5: the tied remainder goes to the first class, so 8 + 2.
    expect(cls.filter((c) => c === 1).length).toBe(2);
    expect(cls.filter((c) => c === 0).length).toBe(8);
    const labels = tensor(Array.from({ length: n }, (_, i) => (i % 2 ? 7 : -3)));
    const t = trainTestSplit(x, y, { testSize: 4, stratify: labels, seed: 9 });
    expect(rowIds(t.xTest).filter((i) => i % 2 === 1).length).toBe(2);
  });

  it('explains bad options', () => {
    expect(() => trainTestSplit(x, tensor([1, 2]), {})).toThrow(/trainTestSplit: argument 'y' expected 20 rows like x/);
    expect(() => trainTestSplit(x, y, { testSize: 20 })).toThrow(/argument 'options.testSize' expected fewer test rows than the 20 rows/);
    expect(() => trainTestSplit(x, y, { testSize: 1.5 })).toThrow(/options.testSize' expected a fraction in \(0, 1\) or a whole number of rows, got 1.5/);
    expect(() => trainTestSplit(x, y, { shuffle: false, stratify: true })).toThrow(/options.shuffle' expected true when stratify is set/);
    expect(() => trainTestSplit(x, y, { stratify: [0, 1] })).toThrow(/options.stratify' expected labels for 20 rows/);
  });
});
