// Bad input gets a clear Error naming the argument, what was expected and what came; nothing a
// user can pass (or a buggy caller can send to the addon) takes the process down.
import { describe, expect, it } from 'vitest';
import * as tf from '../src';
import { tensor } from '../src';
import { type LayoutArgs, nativeAddon, pack } from '../src/backend/binding';

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
    // An (empty) axis longer than int32: a negative index cannot be rewritten, on either backend.
    for (const backend of ['js', 'native'] as const) {
      if (backend === 'native' && !tf.backendInfo().nativeAvailable) continue;
      const prev = tf.getBackend();
      tf.setBackend(backend);
      try {
        expect(() => tf.gather(tf.zeros([2 ** 35, 0]), [-2]), backend).toThrow(/gather: argument 'indices' expected non-negative values for axis 0 .*index -2/);
        expect(tf.gather(tf.zeros([2 ** 35, 0]), [5]).shape, backend).toEqual([1, 0]);
      } finally {
        tf.setBackend(prev);
      }
    }
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

  it('never embeds a large input: a plain array to fit is described by its shape and first elements', async () => {
    const m = tf.sequential([tf.layers.dense({ units: 1, inputShape: [4] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const big = Array.from({ length: 1000 }, (_, i) => [i, i, i, i]);
    const err = await m.fit(big as never, tf.zeros([1000, 1]), { verbose: 0 }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^fit: argument 'x' expected a Tensor or an array of Tensors, got a plain array of shape \[1000,4\] starting \[\[0,0,0,0\],\[1,1,1,1\],.*…\] \(make it a Tensor with tf.tensor\(\.\.\.\)\)$/);
    expect((err as Error).message.length).toBeLessThan(250);
    expect(() => tf.layers.dense({ units: 2, name: 'x'.repeat(5000) as never, inputShape: [-1] })).toThrow(/got \[-1\]/);
    expect(() => tf.matmul(tf.zeros([2, 2]), 'y'.repeat(10000) as never)).toThrow(/a string of 10000 characters starting "y{40}"…/);
    expect(() => tf.sequential().add({ units: 3, input_shape: [4] } as never)).toThrow(
      /sequential.add: argument 'layer' expected a Layer or a model, got an object with keys \{units, input_shape\}/);
    expect(() => tf.sequential().add(new Map() as never)).toThrow(/got an instance of Map/);
    const small = await m.fit([[1, 2]] as never, tf.zeros([1, 1])).catch((e: Error) => e);
    expect((small as Error).message).toContain('got [[1,2]] (make it a Tensor');
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
  const unary = (n: number) => pack.unary({ xOffset: 0, yOffset: 0, n, p0: 0, p1: 0 });
  // A 3x3 by 3x3 product: too large for arrays of 4 floats.
  const gemm = (change: Partial<LayoutArgs<'gemm'>> = {}) => pack.gemm({
    transA: 0, transB: 0, m: 3, n: 3, k: 3, lda: 3, ldb: 3, ldc: 3, alpha: 1, beta: 0, activation: 0, batch: 1,
    aOffsets: [0], bOffsets: [0], cOffsets: [0], ...change,
  });
  // What pack never sends: a block too short for its layout, or a binary block with ndim 9.
  const raw = (...v: number[]) => Float64Array.from(v) as never;

  it('checks types, ranges and views', () => {
    expect(() => addon.unary(0, f, f, unary(5))).toThrow(RangeError);
    expect(() => addon.unary(0, f, f, unary(2.5))).toThrow(/unary\.n must be an integer, got 2\.5/);
    expect(() => addon.unary(99, f, f, unary(1))).toThrow(/unknown op code/);
    expect(() => (addon.unary as (...a: unknown[]) => void)(0, [1, 2], f, unary(1))).toThrow(TypeError);
    expect(() => addon.unary(0, f, f, f as never)).toThrow(/unary arguments must be a Float64Array/);
    const view = { ndim: 1, aOffset: 0, bOffset: 2, shape: [4], aStrides: [1], bStrides: [1] };
    expect(() => addon.binary(0, f, f, f, pack.binary(view))).toThrow(/view reaches/);
    expect(() => addon.binary(0, f, f, f, pack.binary({ ...view, bStrides: [0.5] }))).toThrow(/binary\.bStrides\[0\] must be an integer/);
    expect(() => addon.binary(0, f, f, f, raw(9, 0, 0))).toThrow(/binary\.ndim must be an integer in \[0, 8\], got 9/);
    expect(() => addon.binary(0, f, f, f, raw(1))).toThrow(/binary arguments are too short: 1 values for 3 fields/);
    expect(() => addon.binary(0, f, f, f, raw(1, 0, 0, 4))).toThrow(/too short: 4 values for 6 with ndim = 1/);
    expect(() => addon.stridedCopy(f, f, pack.stridedCopy({
      ndim: 1, srcOffset: -1, dstOffset: 0, shape: [4], srcStrides: [1], dstStrides: [1],
    }))).toThrow(RangeError);
    expect(() => addon.gather(f, Int32Array.of(7), f, pack.gather({ xOffset: 0, outer: 1, len: 4, inner: 1, indicesOffset: 0, nidx: 1 })))
      .toThrow(/out of range/);
    expect(() => addon.gemm(f, f, f, gemm(), null)).toThrow(/exceeds/);
    expect(() => addon.gemm(f, f, f, gemm({ m: 2, n: 2, k: 2, lda: 1, ldb: 2, ldc: 2 }), null)).toThrow(/leading dimension/);
    expect(() => addon.gemm(f, f, f, gemm({ batch: 2 }), null)).toThrow(/gemm\.aOffsets\[1\] must be an integer/);
    expect(() => addon.softmax(f, f, pack.softmax({ xOffset: 0, outer: 2, len: 3, inner: 1, log: 0 }))).toThrow(RangeError);
    expect(() => addon.setNumThreads(0)).toThrow(RangeError);
  });

  it('rejects an async call with bad arguments synchronously, before any work is queued', () => {
    expect(() => addon.gemmAsync(f, f, f, gemm(), null)).toThrow(/exceeds/);
  });
});
