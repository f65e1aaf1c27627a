import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { manualSeed } from '../../src';
import { datasets } from '../../src/data';

// Class sizes of the package's 10,000 digits and the default 2,000-image test split they imply
// (largest-remainder shares of 20%: 200.2 -> 200, 225.4 -> 225, ..., the four largest remainders round up).
const CLASS_SIZES = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const TEST_PER_CLASS = [200, 225, 198, 206, 196, 173, 203, 214, 189, 196];

function histogram(labels: ArrayLike<number>): number[] {
  const h = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]!]!++;
  return h;
}

describe('datasets.mnist', () => {
  const { train, test } = datasets.mnist();

  it('returns float32 images [n, 28, 28, 1] in 0..1 and int32 labels 0..9, 8,000 / 2,000', () => {
    expect(train.images.shape).toEqual([8000, 28, 28, 1]);
    expect(test.images.shape).toEqual([2000, 28, 28, 1]);
    expect(train.images.dtype).toBe('float32');
    expect(train.labels.shape).toEqual([8000]);
    expect(test.labels.dtype).toBe('int32');
    let lo = Infinity;
    let hi = -Infinity;
    let total = 0;
    for (const v of train.images.dataSync()) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      total += v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // MNIST digits are mostly background: the mean pixel is about 0.13.
    expect(total / train.images.size).toBeGreaterThan(0.1);
    expect(total / train.images.size).toBeLessThan(0.16);
  });

  it('uses all 10,000 digits with the same class mix in both sets', () => {
    const testCounts = histogram(test.labels.dataSync());
    const trainCounts = histogram(train.labels.dataSync());
    expect(testCounts).toEqual(TEST_PER_CLASS);
    expect(trainCounts).toEqual(CLASS_SIZES.map((c, i) => c - TEST_PER_CLASS[i]!));
    // Mixed order, not sorted by class: the first 50 test labels hold several digits.
    expect(new Set(Array.from(test.labels.dataSync()).slice(0, 50)).size).toBeGreaterThan(5);
  });

  it('holds the bundled IDX pixels (byte/255 to 3 decimals) under the right labels', () => {
    const dir = join(__dirname, '..', '..', 'data', 'digits');
    const images = gunzipSync(readFileSync(join(dir, 'images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(join(dir, 'labels-idx1-ubyte.gz')));
    expect(images.readUInt32BE(0)).toBe(0x803);
    expect(images.readUInt32BE(4)).toBe(10000);
    const first = Array.from(test.images.dataSync().subarray(0, 784));
    const label = test.labels.dataSync()[0]!;
    let found = -1;
    for (let s = 0; s < 10000 && found < 0; s++) {
      const at = 16 + s * 784;
      if (first.every((v, i) => v === Math.fround(Math.round((images[at + i]! * 1000) / 255) / 1000))) found = s;
    }
    expect(found).toBeGreaterThanOrEqual(0);
    expect(labels[8 + found]).toBe(label);
  });

  it('gives the split and pixels the mnist-package loader gave (pinned from that version)', () => {
    expect(Array.from(test.labels.dataSync().subarray(0, 20))).toEqual([5, 5, 5, 2, 6, 6, 2, 7, 2, 1, 5, 3, 9, 8, 6, 1, 2, 0, 3, 7]);
    const weighted = (d: Float32Array, m: number): number => {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * ((i % m) + 1);
      return s;
    };
    expect(weighted(test.images.dataSync() as Float32Array, 97)).toBeCloseTo(10082527.990745256, 3);
    expect(weighted(train.images.dataSync() as Float32Array, 89)).toBeCloseTo(36999268.303320155, 3);
  });

  it('gives the same split on every call whatever manualSeed says, and new tensors each time', () => {
    manualSeed(123);
    const again = datasets.mnist();
    expect(again.test.images === test.images).toBe(false);
    expect(Array.from(again.test.labels.dataSync())).toEqual(Array.from(test.labels.dataSync()));
    expect(Array.from(again.train.labels.dataSync().subarray(0, 500))).toEqual(Array.from(train.labels.dataSync().subarray(0, 500)));
    expect(Array.from(again.test.images.dataSync().subarray(0, 5000))).toEqual(Array.from(test.images.dataSync().subarray(0, 5000)));
    // Writing into one call's tensors does not touch the cache.
    again.test.images.dataSync()[200] = 42;
    expect(datasets.mnist({ trainSize: 0 }).test.images.dataSync()[200]).toBe(test.images.dataSync()[200]);
  });

  it('takes trainSize / testSize / testFraction; the test set depends only on its own size', () => {
    const small = datasets.mnist({ trainSize: 1000, testSize: 2000 });
    expect(small.train.images.shape).toEqual([1000, 28, 28, 1]);
    expect(Array.from(small.test.labels.dataSync())).toEqual(Array.from(test.labels.dataSync()));
    expect(histogram(small.train.labels.dataSync())).toEqual([100, 113, 99, 103, 98, 86, 102, 107, 94, 98]);
    const frac = datasets.mnist({ testFraction: 0.1 });
    expect(frac.test.labels.shape).toEqual([1000]);
    expect(frac.train.labels.shape).toEqual([9000]);
    expect(datasets.mnist({ testSize: 0 }).test.images.shape).toEqual([0, 28, 28, 1]);
  });

  it('explains impossible sizes', () => {
    expect(() => datasets.mnist({ testSize: 100, testFraction: 0.1 })).toThrow(/datasets.mnist: argument 'options' expected at most one of testSize and testFraction/);
    expect(() => datasets.mnist({ trainSize: 9000 })).toThrow(/argument 'options.trainSize' expected an integer in \[0, 8000\], got 9000/);
    expect(() => datasets.mnist({ testFraction: 1 })).toThrow(/options.testFraction' expected a number in \[0, 1\)/);
  });

  it('gives identical data from the cache and after clearCache (tests never assert timings)', () => {
    const first = datasets.mnist({ trainSize: 10, testSize: 10 });
    const cached = datasets.mnist({ trainSize: 10, testSize: 10 });
    datasets.clearCache();
    const reloaded = datasets.mnist({ trainSize: 10, testSize: 10 });
    for (const other of [cached, reloaded]) {
      expect(Array.from(other.train.images.dataSync())).toEqual(Array.from(first.train.images.dataSync()));
      expect(Array.from(other.test.labels.dataSync())).toEqual(Array.from(first.test.labels.dataSync()));
    }
    expect(cached.train.images).not.toBe(first.train.images);
  });
});
