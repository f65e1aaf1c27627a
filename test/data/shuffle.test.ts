import { describe, expect, it } from 'vitest';
import { manualSeed, tensor } from '../../src';
import { permutation, shuffle } from '../../src/data';

describe('shuffle and permutation', () => {
  it('permutation holds each index once and repeats by seed', () => {
    const p = permutation(50, { seed: 4 });
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(permutation(50, { seed: 4 }))).toEqual(Array.from(p));
    expect(Array.from(permutation(50, { seed: 5 }))).not.toEqual(Array.from(p));
  });

  it('shuffles several tensors by one permutation, keeping rows paired', () => {
    const x = tensor([[0, 0], [1, 10], [2, 20], [3, 30], [4, 40]]);
    const y = tensor([0, 1, 2, 3, 4], [5], 'int32');
    const [xs, ys] = shuffle([x, y], { seed: 8 });
    const rows = xs!.toArray() as number[][];
    expect(rows.map((r) => r[0])).toEqual(ys!.toArray());
    expect(rows.every((r) => r[1] === 10 * r[0]!)).toBe(true);
    expect((ys!.toArray() as number[]).slice().sort()).toEqual([0, 1, 2, 3, 4]);
    expect(ys!.dtype).toBe('int32');
    expect(x.toArray()).toEqual([[0, 0], [1, 10], [2, 20], [3, 30], [4, 40]]);
  });

  it('shuffles one tensor, repeatably under manualSeed', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    manualSeed(1);
    const a = shuffle(x).toArray();
    manualSeed(1);
    expect(shuffle(x).toArray()).toEqual(a);
    expect((a as number[]).slice().sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => shuffle([x, tensor([1, 2])])).toThrow(/shuffle: argument 'tensors\[1\]' expected 8 rows like tensors\[0\]/);
  });
});
