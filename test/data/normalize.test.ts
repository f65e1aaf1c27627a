import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import { normalize } from '../../src/data';

const f = Math.fround;

describe('normalize', () => {
  it('scales each column to [0, 1] by default (MinMaxScaler)', () => {
    const x = tensor([[1, 10], [2, 20], [3, 40]]);
    const y = normalize(x);
    expect(y.shape).toEqual([3, 2]);
    expect(y.toArray()).toEqual([[0, 0], [0.5, f(1 / 3)], [1, 1]]);
  });

  it('maps onto another range', () => {
    const y = Array.from(normalize([[1, 10], [2, 20], [3, 40]], { min: -1, max: 1 }).dataSync());
    [-1, -1, 0, -1 / 3, 1, 1].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
  });

  it('sends constant columns to the lower end instead of dividing by zero', () => {
    expect(normalize([[5, 1], [5, 2], [5, 3]]).toArray()).toEqual([[0, 0], [0, 0.5], [0, 1]]);
    expect(normalize([[5, 1], [5, 3]], { min: 2, max: 4 }).toArray()).toEqual([[2, 2], [2, 4]]);
  });

  it('scales over other axes, or globally with axis null', () => {
    expect(normalize([[1, 10], [2, 20], [3, 40]], { axis: null }).toArray()).toEqual([[0, f(9 / 39)], [f(1 / 39), f(19 / 39)], [f(2 / 39), 1]]);
    expect(normalize([[1, 3, 5], [0, 0, 10]], { axis: 1 }).toArray()).toEqual([[0, 0.5, 1], [0, 0, 1]]);
    // Per channel of [n, h, w, c] images: channel 0 spans 0..8, channel 1 spans 10..30.
    const rgb = tensor([0, 10, 2, 20, 4, 30, 8, 10], [2, 2, 1, 2]);
    expect(Array.from(normalize(rgb, { axis: [0, 1, 2] }).dataSync())).toEqual([0, 0, 0.25, 0.5, 0.5, 1, 1, 0]);
  });

  it('casts int32 input and scales per pixel for images', () => {
    const img = tensor([0, 255, 10, 20, 255, 0, 30, 20], [2, 2, 2, 1], 'int32');
    const y = normalize(img);
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([0, 1, 0, 0, 1, 0, 1, 0]);
  });

  it('rejects bad ranges and empty input', () => {
    expect(() => normalize([[1]], { min: 1, max: 1 })).toThrow(/normalize: argument 'options.max' expected a finite number greater than min \(1\), got 1/);
    expect(() => normalize([[1, 2]], { axis: 2 })).toThrow(/normalize: argument 'axis'/);
    expect(() => normalize(tensor([], [0, 2]))).toThrow(/at least one value/);
  });
});
