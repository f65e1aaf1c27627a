import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import { toCategorical } from '../../src/data';

describe('toCategorical', () => {
  it('one-hot encodes int labels, inferring numClasses as max + 1', () => {
    const t = toCategorical(tensor([0, 2, 1, 2], [4], 'int32'));
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([4, 3]);
    expect(t.toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]]);
  });

  it('takes numClasses, arrays, typed arrays and float labels holding whole numbers', () => {
    expect(toCategorical([1, 0], 4).toArray()).toEqual([[0, 1, 0, 0], [1, 0, 0, 0]]);
    expect(toCategorical(new Int32Array([2])).toArray()).toEqual([[0, 0, 1]]);
    expect(toCategorical(tensor([3, 1])).toArray()).toEqual([[0, 0, 0, 1], [0, 1, 0, 0]]);
  });

  it('drops a trailing axis of size 1 (as Keras) and keeps other leading axes', () => {
    expect(toCategorical([[1], [0]]).shape).toEqual([2, 2]);
    expect(toCategorical([[0, 1], [1, 1]]).shape).toEqual([2, 2, 2]);
    expect(toCategorical([[0, 1], [1, 1]]).toArray()).toEqual([[[1, 0], [0, 1]], [[0, 1], [0, 1]]]);
  });

  it('rejects out-of-range, negative and fractional labels with their position', () => {
    expect(() => toCategorical([0, 3, 1], 3)).toThrow(/toCategorical: argument 'labels' expected labels in \[0, 3\) for numClasses 3, got 3 at flat index 1/);
    expect(() => toCategorical([0, -1])).toThrow(/expected non-negative integer class labels, got -1 at flat index 1/);
    expect(() => toCategorical([0.5])).toThrow(/non-negative integer class labels, got 0.5 at flat index 0/);
    expect(() => toCategorical([1], 0)).toThrow(/argument 'numClasses' expected a positive integer, got 0/);
    expect(() => toCategorical([])).toThrow(/numClasses/);
    expect(() => toCategorical('abc' as never)).toThrow(/argument 'labels' expected a Tensor/);
  });
});
