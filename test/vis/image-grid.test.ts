import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { imageGrid } from '../../src/vis/image-grid';
import { allText, findAll, parseXml, readPng, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Three 2x3 grayscale images: image i has value (i + 1) / 4 everywhere except pixel (0, 0) = 1. */
function images(): tf.Tensor {
  const data: number[] = [];
  for (let i = 0; i < 3; i++) for (let p = 0; p < 6; p++) data.push(p === 0 ? 1 : (i + 1) / 4);
  return tf.tensor(data, [3, 2, 3]);
}

describe('vis.imageGrid', () => {
  it('tiles images into one PNG with white gaps, magnified by scale', async () => {
    const path = tmp.file('grid/images.png');
    const written = await imageGrid(images(), path, { columns: 2, scale: 2, padding: 1 });
    const bytes = readFileSync(path);
    expect(Buffer.compare(bytes, written as Buffer)).toBe(0);
    const png = readPng(bytes);
    // 2 columns of 3*2 px + 3 gaps; 2 rows of 2*2 px + 3 gaps.
    expect(png).toMatchObject({ width: 15, height: 11, colorType: 0 });
    const at = (x: number, y: number): number => png.pixels[y * png.width + x]!;
    expect(at(0, 0)).toBe(255); // gap
    expect([at(1, 1), at(2, 2)]).toEqual([255, 255]); // pixel (0,0) = 1, magnified
    expect(at(3, 1)).toBe(Math.round(0.25 * 255)); // image 0
    expect(at(8 + 2, 1)).toBe(Math.round(0.5 * 255)); // image 1, second column
    expect(at(1 + 2, 6 + 1)).toBe(Math.round(0.75 * 255)); // image 2, second row
    expect(at(8 + 2, 6 + 1)).toBe(255); // empty cell stays white
  });

  it('keeps RGB channels and clamps values outside [0, 1]', async () => {
    const rgb = tf.tensor([[[[2, 0.5, -1]]]]); // [1, 1, 1, 3]
    const png = readPng((await imageGrid(rgb, tmp.file('rgb.png'), { padding: 0 })) as Buffer);
    expect(png).toMatchObject({ width: 1, height: 1, colorType: 2 });
    expect([...png.pixels]).toEqual([255, 128, 0]);
  });

  it('writes SVG with each image as an embedded PNG and its caption', async () => {
    const svg = (await imageGrid(images(), tmp.file('grid.svg'), { labels: ['one', 'two\nlines', 'a<b'], title: 'Digits' })) as string;
    const root = parseXml(svg);
    const imgs = findAll(root, (e) => e.name === 'image');
    expect(imgs).toHaveLength(3);
    for (const img of imgs) {
      const uri = img.attrs.href!;
      expect(uri.startsWith('data:image/png;base64,')).toBe(true);
      expect(readPng(Buffer.from(uri.split(',')[1]!, 'base64'))).toMatchObject({ width: 3, height: 2, colorType: 0 });
    }
    expect(allText(root)).toEqual(expect.arrayContaining(['Digits', 'one', 'two', 'lines', 'a<b']));
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('names the argument that is wrong', async () => {
    await expect(imageGrid(tf.zeros([2, 4]), tmp.file('x.png'))).rejects.toThrow(/vis\.imageGrid: argument 'images' expected a Tensor \[N,H,W\] or \[N,H,W,C\].*got Tensor\(float32, shape \[2,4\]\)/);
    await expect(imageGrid(tf.zeros([1, 2, 2, 2]), tmp.file('x.png'))).rejects.toThrow(/argument 'images'.*C = 1, 3 or 4/);
    await expect(imageGrid(images(), tmp.file('x.jpg'))).rejects.toThrow(/argument 'path' expected a file path ending in \.png or \.svg/);
    await expect(imageGrid(images(), tmp.file('x.svg'), { labels: ['a'] })).rejects.toThrow(/argument 'options.labels' expected 3 strings \(one per image\)/);
    await expect(imageGrid(images(), tmp.file('x.png'), { scale: 0 })).rejects.toThrow(/argument 'options.scale' expected an integer >= 1, got 0/);
  });
});
