import { describe, expect, it } from 'vitest';
import { histogramBuckets } from '../../src/summary/histogram';

const rows = (flat: number[]) => Array.from({ length: flat.length / 3 }, (_, i) => flat.slice(3 * i, 3 * i + 3));

describe('histogramBuckets', () => {
  it('spans min..max in equal buckets whose counts sum to the number of values', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 + 1);
    const r = rows(histogramBuckets(values, 30));
    expect(r).toHaveLength(30);
    expect(r[0]![0]).toBe(Math.min(...values));
    expect(r[29]![1]).toBe(Math.max(...values));
    for (let i = 1; i < 30; i++) expect(r[i]![0]).toBeCloseTo(r[i - 1]![1]!, 12);
    expect(r.reduce((s, x) => s + x[2]!, 0)).toBe(1000);
    // Every value lands in the bucket whose edges hold it.
    for (const v of values.slice(0, 50)) expect(r.some(([l, h, c]) => c! > 0 && v >= l! && v <= h!)).toBe(true);
  });

  it('puts the maximum in the last bucket and counts exactly', () => {
    expect(rows(histogramBuckets([0, 1, 2, 3, 4], 2))).toEqual([[0, 2, 2], [2, 4, 3]]);
  });

  it('gives one unit-wide bucket for equal values and none for no finite values', () => {
    expect(histogramBuckets([2, 2, 2], 30)).toEqual([1.5, 2.5, 3]);
    expect(histogramBuckets([], 30)).toEqual([]);
    expect(histogramBuckets([NaN, Infinity], 30)).toEqual([]);
    expect(rows(histogramBuckets([NaN, 0, 1], 1))).toEqual([[0, 1, 2]]);
  });
});
