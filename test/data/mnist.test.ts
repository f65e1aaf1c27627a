import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

  it('holds the package\'s own pixels under the right labels', () => {
    const dir = join(dirname(require.resolve('mnist')), 'digits');
    const label = test.labels.dataSync()[0]!;
    const raw = (JSON.parse(readFileSync(join(dir, `${label}.json`), 'utf8')) as { data: number[] }).data;
    const first = Array.from(test.images.dataSync().subarray(0, 784));
    let found = false;
    for (let s = 0; s < raw.length / 784 && !found; s++) {
      found = first.every((v, i) => v === Math.fround(raw[s * 784 + i]!));
    }
    expect(found).toBe(true);
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
