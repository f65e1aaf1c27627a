// The binding checks every extent product itself (overflow-safe, against the lengths of the arrays
// it borrows) instead of trusting its callers: extents whose int64 product wraps must be a thrown
// RangeError, never a kernel run over a buffer too small for them.
import { describe, expect, it } from 'vitest';
import { nativeAddon, pack } from '../../src/backend/binding';

const addon = nativeAddon();
const BIG = 2 ** 32; // 2^32 * 2^32 wraps int64 to 0
const HUGE = 2 ** 52;

describe.runIf(addon !== null)('binding extent overflow', () => {
  const a = addon!;
  const x = new Float32Array(16);
  const y = new Float32Array(16);

  const cases: [string, () => unknown][] = [
    ['softmax', () => a.softmax(x, y, pack.softmax({ xOffset: 0, outer: BIG, len: BIG, inner: 1, log: 0 }))],
    ['softmax (3 factors)', () => a.softmax(x, y, pack.softmax({ xOffset: 0, outer: 2 ** 22, len: 2 ** 21, inner: 2 ** 21, log: 0 }))],
    ['reduce', () => a.reduce(0, x, y, pack.reduce({ xOffset: 0, outer: BIG, len: BIG, inner: 1 }))],
    ['argReduce', () => a.argReduce(0, x, new Int32Array(16), pack.argReduce({ xOffset: 0, outer: BIG, len: BIG, inner: 1 }))],
    ['unary offset + n', () => a.unary(0, x, y, pack.unary({ xOffset: HUGE, yOffset: 0, n: HUGE, p0: 0, p1: 0 }))],
    ['fill', () => a.fill(y, pack.fill({ yOffset: 8, n: 2 ** 53, value: 1 }))],
    ['oneHot', () => a.oneHot(new Int32Array(4), y, pack.oneHot({ indicesOffset: 0, n: 4, depth: HUGE, onValue: 1, offValue: 0 }))],
    ['gemm', () => a.gemm(x, x, y, pack.gemm({ transA: 0, transB: 0, m: BIG, n: BIG, k: 1, lda: 1, ldb: BIG, ldc: BIG, alpha: 1, beta: 0, activation: 0, batch: 1, aOffsets: [0], bOffsets: [0], cOffsets: [0] }), null)],
    ['binary broadcast', () => a.binary(0, x, x, y, pack.binary({ ndim: 2, aOffset: 0, bOffset: 0, shape: [BIG, BIG], aStrides: [0, 0], bStrides: [0, 0] }))],
    ['binary strides', () => a.binary(0, x, x, y, pack.binary({ ndim: 1, aOffset: 0, bOffset: 0, shape: [2], aStrides: [2 ** 53], bStrides: [0] }))],
  ];

  for (const [name, call] of cases) {
    it(`${name}: wrapping extents are a RangeError`, () => {
      expect(call).toThrow(RangeError);
    });
  }

  it('the async form checks before queuing: it throws instead of returning a Promise', () => {
    expect(() => a.softmaxAsync(x, y, pack.softmax({ xOffset: 0, outer: BIG, len: BIG, inner: 1, log: 0 }))).toThrow(RangeError);
  });

  it('still accepts the in-range call right next to the failing ones', () => {
    const xs = new Float32Array([1, 2, 3, 4]);
    const ys = new Float32Array(4);
    a.softmax(xs, ys, pack.softmax({ xOffset: 0, outer: 2, len: 2, inner: 1, log: 0 }));
    expect(ys[0]! + ys[1]!).toBeCloseTo(1, 6);
    expect(ys[2]! + ys[3]!).toBeCloseTo(1, 6);
  });
});
