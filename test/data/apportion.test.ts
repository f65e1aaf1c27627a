import { describe, expect, it } from 'vitest';
import { apportion } from '../../src/data/apportion';

describe('apportion (largest remainder)', () => {
  it('gives exact totals with proportional shares', () => {
    // 2,000 of the mnist package's class sizes: quotas 200.2, 225.4, ..., remainders decide the last 4.
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    expect(apportion(2000, counts, counts)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(apportion(10, [1, 1, 1], [10, 10, 10])).toEqual([4, 3, 3]);
    expect(apportion(0, [5, 5], [5, 5])).toEqual([0, 0]);
  });

  it('respects caps, moving units to groups with room', () => {
    expect(apportion(6, [1, 1], [2, 10])).toEqual([2, 4]);
    expect(apportion(4, [0, 0], [1, 5])).toEqual([1, 3]);
    expect(() => apportion(5, [1, 1], [1, 1])).toThrow(/cannot place 5 units/);
  });
});
