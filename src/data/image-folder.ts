import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { argError, describe } from '../errors';
import { resizeImages } from '../layers/preprocessing/resizing';
import { noGrad } from '../autograd/tape';
import { Tensor } from '../tensor/tensor';
import { Dataset, type DataElement } from './dataset';
import { CHANNELS, type ColorMode, IMAGE_EXTENSIONS, decodeImage, writePixels } from './image-decode';
import { generatorFor, randomPermutation } from './random';

/** Options of {@link imageFolder} (Keras `image_dataset_from_directory`, camelCase). */
export interface ImageFolderOptions {
  /** [height, width] every image is resized to (default [256, 256]). */
  imageSize?: readonly [number, number];
  /** Images per batch (default 32). */
  batchSize?: number;
  /**
   * Labels: `'int'` (default; int32 class indices), `'categorical'` (one-hot float32), `'binary'`
   * (float32 0/1 of shape [batch, 1]; exactly two classes), or `null` (images only).
   */
  labelMode?: 'int' | 'categorical' | 'binary' | null;
  /** Channels: 'rgb' (default, 3), 'grayscale' (1) or 'rgba' (4). */
  colorMode?: ColorMode;
  /** Class sub-folder names to use, in label order (default: every sub-folder, sorted). */
  classNames?: readonly string[];
  /** Shuffle the files each pass (default true). */
  shuffle?: boolean;
  /** Seed of the shuffles and of the validation split (required with `validationSplit`, as Keras). */
  seed?: number;
  /** Fraction of the files held out for validation, in (0, 1). */
  validationSplit?: number;
  /** Which part to return with `validationSplit`: 'training', 'validation', or 'both' ([training, validation]). */
  subset?: 'training' | 'validation' | 'both';
  /** Resize interpolation (default 'bilinear'). */
  interpolation?: 'bilinear' | 'nearest';
  /** Resize the largest centred crop with the target aspect ratio instead of stretching (default false). */
  cropToAspectRatio?: boolean;
}

/** A dataset of image batches with the classes and files it reads. */
export type ImageFolderDataset = Dataset<DataElement> & {
  /** Class names in label order (the sub-folder names). */
  readonly classNames: string[];
  /** The image files of this subset, in their unshuffled order. */
  readonly filePaths: string[];
};

interface Item {
  path: string;
  label: number;
}

function listImages(fn: string, dir: string, options: ImageFolderOptions): { classNames: string[]; items: Item[] } {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new Error(`${fn}: cannot read directory '${dir}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const folders = entries.filter((e) => statSync(join(dir, e)).isDirectory());
  let classNames = folders;
  if (options.classNames !== undefined) {
    if (!Array.isArray(options.classNames) || !options.classNames.every((c) => typeof c === 'string')) {
      argError(fn, 'options.classNames', 'an array of sub-folder names', describe(options.classNames));
    }
    const missing = options.classNames.find((c) => !folders.includes(c));
    if (missing !== undefined) argError(fn, 'options.classNames', `sub-folders of '${dir}' (${folders.join(', ')})`, JSON.stringify(missing));
    classNames = options.classNames.slice();
  }
  if (classNames.length === 0) argError(fn, 'dir', 'a directory with one sub-folder per class', `'${dir}' with no sub-folders`);
  const items: Item[] = [];
  const walk = (folder: string, label: number): void => {
    for (const e of readdirSync(folder).sort()) {
      const p = join(folder, e);
      if (statSync(p).isDirectory()) walk(p, label);
      else if (IMAGE_EXTENSIONS.includes(extname(e).toLowerCase())) items.push({ path: p, label });
    }
  };
  classNames.forEach((c, label) => walk(join(dir, c), label));
  if (items.length === 0) argError(fn, 'dir', `image files (${IMAGE_EXTENSIONS.join(', ')}) in the class sub-folders`, `none under '${dir}'`);
  return { classNames, items };
}

function checkOptions(fn: string, o: ImageFolderOptions): void {
  if (typeof o !== 'object' || o === null) argError(fn, 'options', 'an options object', describe(o));
  const size = o.imageSize;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((d) => Number.isInteger(d) && d > 0))) {
    argError(fn, 'options.imageSize', '[height, width] of positive integers', describe(size));
  }
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) argError(fn, 'options.batchSize', 'a positive integer', describe(o.batchSize));
  if (o.labelMode !== undefined && o.labelMode !== null && !['int', 'categorical', 'binary'].includes(o.labelMode)) {
    argError(fn, 'options.labelMode', "'int', 'categorical', 'binary' or null", describe(o.labelMode));
  }
  if (o.colorMode !== undefined && !(o.colorMode in CHANNELS)) argError(fn, 'options.colorMode', "'rgb', 'grayscale' or 'rgba'", describe(o.colorMode));
  if (o.validationSplit !== undefined) {
    if (typeof o.validationSplit !== 'number' || !(o.validationSplit > 0 && o.validationSplit < 1)) argError(fn, 'options.validationSplit', 'a number in (0, 1)', describe(o.validationSplit));
    if (!['training', 'validation', 'both'].includes(o.subset as string)) argError(fn, 'options.subset', "'training', 'validation' or 'both' (with validationSplit)", describe(o.subset));
    if (o.shuffle !== false && o.seed === undefined) argError(fn, 'options.seed', 'a seed with validationSplit and shuffling (so both subsets split the files alike)', 'undefined');
  } else if (o.subset !== undefined) {
    argError(fn, 'options.subset', 'no subset without validationSplit', describe(o.subset));
  }
}

/**
 * A dataset of labelled image batches from a folder with one sub-folder per class (Keras
 * `image_dataset_from_directory`): `dir/cat/*.jpg`, `dir/dog/*.png` give classes ['cat', 'dog'].
 * PNG and JPEG files (found in sub-folders at any depth) are decoded with pure-JS decoders and
 * resized to `imageSize`; pixels stay float32 in 0..255 (add a `rescaling` layer). Each element is
 * `{ x: [batch, height, width, channels], y: labels }`, ready for `model.fit`; images are read and
 * decoded one batch at a time, so folders larger than memory are fine (chain `.prefetch()` to decode
 * the next batch while a step runs).
 *
 * @example
 * const [train, val] = tf.data.imageFolder('photos', { imageSize: [64, 64], validationSplit: 0.2, subset: 'both', seed: 1 });
 * console.log(train.classNames); // ['cat', 'dog']
 * await model.fit(train.prefetch(2), { epochs: 5, validationData: val });
 */
export function imageFolder(dir: string, options: ImageFolderOptions & { subset: 'both' }): [ImageFolderDataset, ImageFolderDataset];
export function imageFolder(dir: string, options?: ImageFolderOptions): ImageFolderDataset;
export function imageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolderDataset | [ImageFolderDataset, ImageFolderDataset] {
  const fn = 'imageFolder';
  if (typeof dir !== 'string' || dir === '') argError(fn, 'dir', 'a directory path', describe(dir));
  checkOptions(fn, options);
  const { classNames, items } = listImages(fn, dir, options);
  const labelMode = options.labelMode === undefined ? 'int' : options.labelMode;
  if (labelMode === 'binary' && classNames.length !== 2) argError(fn, 'options.labelMode', `'binary' only for 2 classes`, `'binary' with ${classNames.length} classes (${classNames.join(', ')})`);
  const shuffle = options.shuffle ?? true;
  const seed = options.seed;
  let train = items;
  let val: Item[] = [];
  if (options.validationSplit !== undefined) {
    // One seeded shuffle decides the split, the same for every call with the same seed (Keras).
    const order = shuffle ? Array.from(randomPermutation(items.length, generatorFor(fn, seed)), (i) => items[i]!) : items;
    const nVal = Math.floor(order.length * options.validationSplit);
    train = order.slice(0, order.length - nVal);
    val = order.slice(order.length - nVal);
  }
  const make = (subset: Item[], shuffleEach: boolean, seedOffset: number): ImageFolderDataset =>
    Object.assign(batches(fn, subset, classNames.length, labelMode, options, shuffleEach, seed === undefined ? undefined : seed + seedOffset), {
      classNames: classNames.slice(),
      filePaths: subset.map((i) => i.path),
    });
  if (options.subset === 'both') return [make(train, shuffle, 1), make(val, false, 2)];
  if (options.subset === 'validation') return make(val, false, 2);
  return make(train, shuffle, 1);
}

function batches(fn: string, items: Item[], numClasses: number, labelMode: 'int' | 'categorical' | 'binary' | null, options: ImageFolderOptions, shuffle: boolean, seed: number | undefined): Dataset<DataElement> {
  const [height, width] = options.imageSize ?? [256, 256];
  const batchSize = options.batchSize ?? 32;
  const mode = options.colorMode ?? 'rgb';
  const c = CHANNELS[mode];
  const fixed = seed === undefined ? null : generatorFor(fn, seed);
  const count = Math.ceil(items.length / batchSize);
  const decodeOne = async (item: Item): Promise<Float32Array> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(item.path);
    } catch (err) {
      throw new Error(`${fn}: cannot read '${item.path}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const img = decodeImage(fn, `'${item.path}'`, bytes);
    const pixels = new Float32Array(img.width * img.height * c);
    writePixels(img, mode, pixels, 0);
    if (img.height === height && img.width === width) return pixels;
    const image = Tensor.fromArray(pixels, [1, img.height, img.width, c]);
    return noGrad(() => resizeImages(fn, image, height, width, options.interpolation ?? 'bilinear', options.cropToAspectRatio ?? false).dataSync() as Float32Array);
  };
  return Dataset.fromIterable(async function* (): AsyncGenerator<DataElement> {
    const order = shuffle ? randomPermutation(items.length, fixed ?? generatorFor(fn, undefined)) : Int32Array.from(items.keys());
    for (let start = 0; start < items.length; start += batchSize) {
      const batch = Array.from(order.subarray(start, start + batchSize), (i) => items[i]!);
      // Reads of the batch's files overlap; decoding then runs in turn.
      const images = await Promise.all(batch.map(decodeOne));
      const per = height * width * c;
      const x = new Float32Array(batch.length * per);
      images.forEach((img, k) => x.set(img, k * per));
      const element: DataElement = { x: Tensor.fromArray(x, [batch.length, height, width, c]) };
      if (labelMode === 'int') element.y = Tensor.fromArray(Int32Array.from(batch, (b) => b.label), [batch.length]);
      else if (labelMode === 'binary') element.y = Tensor.fromArray(Float32Array.from(batch, (b) => b.label), [batch.length, 1]);
      else if (labelMode === 'categorical') {
        const y = new Float32Array(batch.length * numClasses);
        batch.forEach((b, k) => (y[k * numClasses + b.label] = 1));
        element.y = Tensor.fromArray(y, [batch.length, numClasses]);
      }
      yield element;
    }
  }, count);
}
