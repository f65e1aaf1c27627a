import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Tensor, tensor } from '../../src';

describe('factories', () => {
  it('builds tensors from nested arrays, flat arrays with a shape, and typed arrays', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.size).toBe(6);
    expect(Array.from(a.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    const i = tensor(new Int32Array([3, 1, 2]));
    expect(i.dtype).toBe('int32');
    expect(tensor([1.7, -2.2], [2], 'int32').toArray()).toEqual([1, -2]);
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
  });

  it('copies typed arrays, so later writes by the caller do not leak in', () => {
    const src = new Float32Array([1, 2]);
    const t = tensor(src);
    src[0] = 99;
    expect(t.toArray()).toEqual([1, 2]);
  });

  it('makes zeros, ones, full, arange, eye', () => {
    expect(tf.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(tf.ones([3], 'int32').toArray()).toEqual([1, 1, 1]);
    expect(tf.ones([3], 'int32').dtype).toBe('int32');
    expect(tf.full([2], 7).toArray()).toEqual([7, 7]);
    expect(tf.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(tf.arange(4).dtype).toBe('int32');
    expect(tf.arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(tf.arange(5, 1, -2).toArray()).toEqual([5, 3]);
    expect(tf.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(tf.zeros([0, 3]).size).toBe(0);
  });

  it('accepts { requiresGrad } in place of a dtype', () => {
    expect(tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(tf.zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(tf.randn([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('random numbers', () => {
  it('gives the same numbers for the same seed on both backends', () => {
    const draw = () => [tf.rand([5]).dataSync(), tf.randn([5]).dataSync(), tf.randint(0, 10, [5]).dataSync()].map((a) => Array.from(a));
    tf.manualSeed(42);
    const first = draw();
    const prev = tf.getBackend();
    tf.setBackend('js');
    tf.manualSeed(42);
    const second = draw();
    tf.setBackend(prev);
    expect(second).toEqual(first);
    tf.manualSeed(43);
    expect(draw()).not.toEqual(first);
  });

  it('has the right distributions', () => {
    tf.manualSeed(1);
    const u = tf.rand([20000], { min: -1, max: 3 }).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(tf.mean(tf.tensor(u)).item()).toBeCloseTo(1, 1);
    const n = tf.randn([20000], { mean: 2, std: 0.5 });
    expect(tf.mean(n).item()).toBeCloseTo(2, 1);
    const sd = Math.sqrt(tf.mean(tf.square(tf.sub(n, 2))).item());
    expect(sd).toBeCloseTo(0.5, 1);
    const ints = tf.randint(-2, 3, [1000]).dataSync();
    expect(new Set(ints)).toEqual(new Set([-2, -1, 0, 1, 2]));
  });
});

describe('views', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);

  it('reshape, transpose, slice and broadcastTo share storage', () => {
    for (const v of [a.reshape([3, 2]), a.transpose(), a.slice([0, 1], [2, 2]), tensor([1, 2, 3]).broadcastTo([2, 3])]) {
      expect(v).toBeInstanceOf(Tensor);
    }
    expect(a.reshape([3, 2]).storage).toBe(a.storage);
    expect(a.transpose().storage).toBe(a.storage);
    expect(a.slice([1, 0], [1, 3]).storage).toBe(a.storage);
    expect(a.transpose().toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(a.slice([0, 1], [2, -1]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(tensor([1, 2, 3]).broadcastTo([2, 3]).toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
  });

  it('reshapes a non-contiguous view by copying only when it must', () => {
    const t = a.transpose(); // [3,2] with strides [1,3]
    expect(t.isContiguous).toBe(false);
    const r = t.reshape([6]);
    expect(r.toArray()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(r.storage).not.toBe(a.storage);
    const sliced = tf.arange(24).reshape([2, 3, 4]).slice([0, 0, 0], [2, 3, 2]);
    expect(sliced.reshape([6, 2]).toArray()).toEqual([[0, 1], [4, 5], [8, 9], [12, 13], [16, 17], [20, 21]]);
    const expanded = tf.arange(2, 4).reshape([2, 1]).broadcastTo([2, 3]);
    expect(expanded.reshape([2, 3, 1]).storage).toBe(expanded.storage);
  });

  it('contiguous() materializes and dataSync reads views in logical order', () => {
    const t = a.transpose();
    expect(Array.from(t.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    const c = t.contiguous();
    expect(c.isContiguous).toBe(true);
    expect(c.toArray()).toEqual(t.toArray());
  });

  it('squeeze, expandDims, flatten', () => {
    expect(tf.zeros([1, 3, 1]).squeeze().shape).toEqual([3]);
    expect(tf.zeros([3]).expandDims(0).shape).toEqual([1, 3]);
    expect(tf.unsqueeze(tf.zeros([3]), 1).shape).toEqual([3, 1]);
    expect(a.flatten().shape).toEqual([6]);
  });
});

describe('reading values', () => {
  it('toArray, item, data()', async () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
    expect(tensor([3]).item()).toBe(3);
    expect(() => t.item()).toThrow(/exactly one element.*\[2,2\]/);
    expect(tensor([1, 2]).toString()).toContain('[1,2]');
  });
});

describe('lifetime', () => {
  it('throws a clear error when a disposed tensor is used', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(() => t.dataSync()).toThrow(/disposed/);
    expect(() => tf.add(t, 1)).toThrow(/disposed/);
    t.dispose(); // twice is harmless
  });

  it('supports Symbol.dispose (using declarations)', () => {
    const t = tf.ones([2]);
    t[Symbol.dispose]();
    expect(t.isDisposed).toBe(true);
  });

  it('keeps storage alive while another view still uses it', () => {
    const t = tf.arange(6).reshape([2, 3]);
    const v = t.transpose();
    t.dispose();
    expect(v.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  it('recycles large buffers on dispose without handing out memory that user code holds', () => {
    const before = tf.pooledBufferBytes();
    const big = tf.zeros([64, 1024]);
    big.dispose();
    expect(tf.pooledBufferBytes()).toBeGreaterThan(before);
    const reused = tf.zeros([64, 1024]);
    expect(tf.pooledBufferBytes()).toBe(before);
    const held = reused.dataSync(); // escapes to user code
    reused.dispose();
    expect(tf.pooledBufferBytes()).toBe(before);
    const next = tf.full([64, 1024], 5);
    expect(held[0]).toBe(0);
    expect(next.dataSync()[0]).toBe(5);
  });

  it('frees memory through garbage collection without dispose()', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'tests run with --expose-gc').toBeTypeOf('function');
    const before = tf.pooledBufferBytes();
    (() => {
      for (let i = 0; i < 8; i++) tf.zeros([256, 256]);
    })();
    for (let i = 0; i < 10 && tf.pooledBufferBytes() === before; i++) {
      gc!();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(tf.pooledBufferBytes()).toBeGreaterThan(before);
  });
});

describe('tidy', () => {
  it('disposes what the function created except what it returns', () => {
    const outside = tf.ones([3]);
    let inner: Tensor | null = null;
    const result = tf.tidy(() => {
      inner = tf.mul(outside, 2);
      return { sum: tf.add(inner, 1), list: [tf.neg(outside)] };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(outside.isDisposed).toBe(false);
    expect(result.sum.toArray()).toEqual([3, 3, 3]);
    expect(result.list[0]!.toArray()).toEqual([-1, -1, -1]);
  });

  it('keeps memory alive for returned views of disposed intermediates', () => {
    const r = tf.tidy(() => tf.arange(6, undefined, 1, 'float32').reshape([2, 3]).transpose());
    expect(r.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  it('disposes everything when the function throws', () => {
    let inner: Tensor | null = null;
    expect(() => tf.tidy(() => {
      inner = tf.ones([2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(inner!.isDisposed).toBe(true);
  });
});
