// Image folders made at test time: PNG and JPEG files encoded with the same libraries that decode them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { imageFolder } from '../../src/data';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-imgfolder-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** An RGBA image whose pixel (x, y) is [r(x,y), g, b, 255], filled by `color`. */
function rgba(w: number, h: number, color: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = color(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  }
  return data;
}

function writePng(file: string, w: number, h: number, color: (x: number, y: number) => [number, number, number]): void {
  const png = new PNG({ width: w, height: h });
  png.data = rgba(w, h, color);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

function writeJpeg(file: string, w: number, h: number, color: (x: number, y: number) => [number, number, number]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba(w, h, color) }, 95).data);
}

// Three classes: red PNGs, green JPEGs (one in a nested folder), blue PNGs of another size.
const dir = path.join(root, 'photos');
for (let i = 0; i < 4; i++) writePng(path.join(dir, 'red', `r${i}.png`), 8, 6, () => [200 + i * 10, 0, 0]);
for (let i = 0; i < 3; i++) writeJpeg(path.join(dir, 'green', i === 2 ? 'nested/g2.jpeg' : `g${i}.jpg`), 16, 16, () => [0, 180, 0]);
for (let i = 0; i < 5; i++) writePng(path.join(dir, 'blue', `b${i}.png`), 5, 9, (x) => [0, 0, 100 + 20 * x]);
fs.writeFileSync(path.join(dir, 'blue', 'notes.txt'), 'not an image');

async function all(ds: tf.Dataset<tf.DataElement>) {
  const batches = await ds.toArray();
  const xs = tf.concat(batches.map((b) => b.x), 0);
  const ys = batches.flatMap((b) => Array.from(b.y!.dataSync()));
  return { batches, xs, ys };
}

describe('imageFolder', () => {
  it('labels sub-folders in sorted order and decodes PNG and JPEG resized to imageSize', async () => {
    const ds = tf.data.imageFolder(dir, { imageSize: [4, 4], batchSize: 5, shuffle: false });
    expect(ds.classNames).toEqual(['blue', 'green', 'red']);
    expect(ds.filePaths).toHaveLength(12);
    expect(ds.size).toBe(3);
    const { batches, xs, ys } = await all(ds);
    expect(batches.map((b) => b.x.shape)).toEqual([[5, 4, 4, 3], [5, 4, 4, 3], [2, 4, 4, 3]]);
    expect(batches[0]!.y!.dtype).toBe('int32');
    expect(ys).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
    const px = xs.arraySync() as number[][][][];
    // Red PNG i (file order r0..r3) is exactly [200 + 10 i, 0, 0] everywhere after resizing.
    expect(px[8]![1]![2]).toEqual([200, 0, 0]);
    expect(px[11]![3]![3]).toEqual([230, 0, 0]);
    // JPEG is lossy: green within a few levels.
    const g = px[5]![2]![2]!;
    expect(Math.abs(g[1]! - 180)).toBeLessThan(4);
    expect(Math.abs(g[0]!)).toBeLessThan(4);
    // Blue grows with x in the source (width 5 -> 4, half-pixel centres): monotone along a row.
    const row = px[0]![0]!.map((p) => p[2]!);
    expect(row).toEqual([...row].sort((a, b) => a - b));
    expect(row[0]).toBeGreaterThanOrEqual(100);
  });

  it('labelMode categorical / binary / null, colorMode grayscale', async () => {
    const cat = await tf.data.imageFolder(dir, { imageSize: [2, 2], labelMode: 'categorical', shuffle: false, batchSize: 12 }).toArray();
    expect(cat[0]!.y!.shape).toEqual([12, 3]);
    expect((cat[0]!.y!.arraySync() as number[][])[6]).toEqual([0, 1, 0]);
    const two = tf.data.imageFolder(dir, { imageSize: [2, 2], labelMode: 'binary', classNames: ['red', 'blue'], shuffle: false, batchSize: 20 });
    const b = (await two.toArray())[0]!;
    expect(b.y!.shape).toEqual([9, 1]);
    expect(Array.from(b.y!.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const none = (await tf.data.imageFolder(dir, { imageSize: [2, 2], labelMode: null, colorMode: 'grayscale' }).toArray())[0]!;
    expect(none.y).toBeUndefined();
    expect(none.x.shape).toEqual([12, 2, 2, 1]);
  });

  it('shuffles each pass (repeatably with a seed) and splits training / validation without overlap', async () => {
    const a = tf.data.imageFolder(dir, { imageSize: [2, 2], batchSize: 12, seed: 5 });
    const pass1 = (await all(a)).ys;
    const pass2 = (await all(a)).ys;
    expect(pass1.slice().sort()).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
    expect(pass1).not.toEqual(pass2);
    expect((await all(tf.data.imageFolder(dir, { imageSize: [2, 2], batchSize: 12, seed: 5 }))).ys).toEqual(pass1);

    const [train, val] = tf.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.25, subset: 'both', seed: 3 });
    expect(train.filePaths).toHaveLength(9);
    expect(val.filePaths).toHaveLength(3);
    expect(train.filePaths.filter((f) => val.filePaths.includes(f))).toEqual([]);
    const again = tf.data.imageFolder(dir, { imageSize: [2, 2], validationSplit: 0.25, subset: 'validation', seed: 3 });
    expect(again.filePaths).toEqual(val.filePaths);
  });

  it('trains a small classifier with fit (the "classify my own photos" path)', async () => {
    tf.manualSeed(4);
    const ds = tf.data.imageFolder(dir, { imageSize: [4, 4], batchSize: 4, seed: 1 });
    const model = tf.sequential([
      tf.layers.rescaling({ scale: 1 / 255, inputShape: [4, 4, 3] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(ds.prefetch(2), { epochs: 15, verbose: 0 });
    expect(h.history['accuracy']!.at(-1)).toBe(1);
  });

  it('errors name the option or file', () => {
    expect(() => tf.data.imageFolder(path.join(root, 'nope'))).toThrow(/imageFolder: cannot read directory '.*nope'/);
    expect(() => tf.data.imageFolder(dir, { validationSplit: 0.2 } as never)).toThrow(/argument 'options.subset'/);
    expect(() => tf.data.imageFolder(dir, { validationSplit: 0.2, subset: 'training' })).toThrow(/argument 'options.seed'/);
    expect(() => tf.data.imageFolder(dir, { labelMode: 'binary' })).toThrow(/'binary' only for 2 classes/);
    expect(() => tf.data.imageFolder(dir, { classNames: ['red', 'purple'] })).toThrow(/argument 'options.classNames' expected sub-folders/);
    expect(() => tf.data.imageFolder(dir, { imageSize: [0, 4] as never })).toThrow(/argument 'options.imageSize'/);
  });

  it('a file that is not PNG or JPEG is named when decoding', async () => {
    const odd = path.join(root, 'odd');
    writePng(path.join(odd, 'a', 'ok.png'), 2, 2, () => [1, 2, 3]);
    fs.writeFileSync(path.join(odd, 'a', 'fake.png'), 'GIF89a....');
    await expect(tf.data.imageFolder(odd, { shuffle: false }).toArray()).rejects.toThrow(/imageFolder: '.*fake.png' is neither PNG nor JPEG \(starts with bytes 47 49 46 38\)/);
  });
});
