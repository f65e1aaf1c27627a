// Bad input gets a clear Error naming the argument, what was expected and what came; nothing a
// user can pass (or a buggy caller can send to the addon) takes the process down.
import { describe, expect, it } from 'vitest';
import * as tf from '../src';
import { tensor } from '../src';
import { nativeAddon } from '../src/backend/native-addon';

describe('clear errors for bad input', () => {
  const a = tf.zeros([2, 3]);

  it('names both shapes when broadcasting fails', () => {
    expect(() => tf.add(a, tf.zeros([4]))).toThrow(/add: arguments 'a' and 'b' have shapes \[2,3\] and \[4\]/);
    expect(() => tf.where(tf.zeros([2]), tf.zeros([3]), 0)).toThrow(/where:.*\[2\].*\[3\]/);
  });

  it('names the inner dimensions in matmul', () => {
    expect(() => tf.matmul(a, tf.zeros([4, 5]))).toThrow(/matmul: argument 'b' expected inner dimension 3.*\[2,3\].*\[4,5\]/);
    expect(() => tf.matmul(tf.zeros([]), a)).toThrow(/matmul: argument 'a' expected a tensor of rank >= 1/);
  });

  it('rejects bad axes', () => {
    expect(() => tf.sum(a, 2)).toThrow(/sum: argument 'axis' expected integers in \[-2, 1\]/);
    expect(() => tf.softmax(a, 5)).toThrow(/softmax: argument 'axis'/);
    expect(() => tf.sum(a, [0, 0])).toThrow(/distinct axes/);
    expect(() => tf.argmax(a, 1.5)).toThrow(/argmax: argument 'axis'/);
    expect(() => tf.concat([a, tf.zeros([2, 4])], 0)).toThrow(/concat: argument 'tensors\[1\]' expected shape matching \[2,3\] except on axis 0/);
  });

  it('rejects wrong dtypes and shapes', () => {
    expect(() => tf.exp(tensor([1], 'int32'))).toThrow(/exp: argument 'x' expected a float32 tensor, got dtype int32/);
    expect(() => tf.gather(a, tensor([0.5]) as tf.Tensor)).toThrow(/gather: argument 'indices' expected an int32 tensor/);
    expect(() => tf.gather(a, [0, 2])).toThrow(/gather: argument 'indices' expected values in \[-2, 2\).*index 2/);
    expect(tf.gather(tf.tensor([5, 6, 7]), [-1, 0]).toArray()).toEqual([7, 5]);
    expect(() => tf.reshape(a, [4, 2])).toThrow(/reshape: argument 'shape' expected a shape with 6 elements/);
    expect(() => tf.reshape(a, [-1, -1])).toThrow(/at most one -1/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/rectangular/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: argument 'shape' expected a shape with 3 elements/);
    expect(() => tf.zeros([2, -1])).toThrow(/non-negative integers/);
    expect(() => tf.slice(a, [0, 2], [1, 2])).toThrow(/slice: argument 'size'/);
    expect(() => tf.broadcastTo(a, [3, 3])).toThrow(/broadcastTo/);
    expect(() => tf.pad(a, [[1, 1]])).toThrow(/pad: argument 'paddings' expected 2 pairs/);
    expect(() => tf.clip(a, 1, 0)).toThrow(/clip: argument 'min'/);
    expect(() => tf.oneHot(tensor([1], 'int32'), 0)).toThrow(/oneHot: argument 'depth'/);
    expect(() => tf.setBackend('gpu' as 'js')).toThrow(/setBackend: argument 'name'/);
    expect(() => tf.add(a, 'x' as unknown as number)).toThrow(/add: argument 'b' expected a Tensor, a number or an array, got "x"/);
  });

  it('lets NaN and infinities pass through ops as IEEE arithmetic says', () => {
    const x = tensor([NaN, Infinity, -Infinity, 1]);
    expect(Array.from(tf.add(x, 1).dataSync())).toEqual([NaN, Infinity, -Infinity, 2]);
    expect(Array.from(tf.relu(x).dataSync())).toEqual([NaN, Infinity, 0, 1]);
    expect(Array.from(tf.greater(x, 0).dataSync())).toEqual([0, 1, 0, 1]);
    expect(tf.max(x).item()).toBeNaN();
    expect(tf.argmax(x).item()).toBe(0);
    expect(Array.from(tf.softmax(tensor([1, NaN])).dataSync()).every(Number.isNaN)).toBe(true);
    expect(Array.from(tf.sigmoid(tensor([-Infinity, Infinity])).dataSync())).toEqual([0, 1]);
  });
});

describe.runIf(nativeAddon() !== null)('the addon rejects malformed calls instead of crashing', () => {
  const addon = nativeAddon()!;
  const f = new Float32Array(4);

  it('checks types, ranges and views', () => {
    expect(() => addon.unary(0, f, f, Float64Array.of(0, 0, 5, 0, 0))).toThrow(RangeError);
    expect(() => addon.unary(99, f, f, Float64Array.of(0, 0, 1, 0, 0))).toThrow(/unknown op code/);
    expect(() => (addon.unary as (...a: unknown[]) => void)(0, [1, 2], f, Float64Array.of(0, 0, 1, 0, 0))).toThrow(TypeError);
    expect(() => addon.binary(0, f, f, f, Float64Array.of(1, 4, 0, 1, 2, 1))).toThrow(/view reaches/);
    expect(() => addon.binary(0, f, f, f, Float64Array.of(9))).toThrow(/rank/);
    expect(() => addon.binary(0, f, f, f, Float64Array.of(1))).toThrow(/too short/);
    expect(() => addon.stridedCopy(f, f, Float64Array.of(1, 4, -1, 1, 0, 1))).toThrow(RangeError);
    expect(() => addon.gather(f, Int32Array.of(7), f, Float64Array.of(0, 1, 4, 1, 0, 1))).toThrow(/out of range/);
    expect(() => addon.gemm(f, f, f, Float64Array.of(0, 0, 3, 3, 3, 3, 3, 3, 1, 0, 0, 1, 0, 0, 0), null)).toThrow(/exceeds/);
    expect(() => addon.gemm(f, f, f, Float64Array.of(0, 0, 2, 2, 2, 1, 2, 2, 1, 0, 0, 1, 0, 0, 0), null)).toThrow(/leading dimension/);
    expect(() => addon.softmax(f, f, Float64Array.of(0, 2, 3, 1, 0))).toThrow(RangeError);
    expect(() => addon.setNumThreads(0)).toThrow(RangeError);
  });

  it('rejects an async call with bad arguments synchronously, before any work is queued', () => {
    expect(() => addon.gemmAsync(f, f, f, Float64Array.of(0, 0, 3, 3, 3, 3, 3, 3, 1, 0, 0, 1, 0, 0, 0), null)).toThrow(/exceeds/);
  });
});
