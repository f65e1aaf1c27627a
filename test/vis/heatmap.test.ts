import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { colormapColor, heatmapOverlay } from '../../src/vis/heatmap';
import { readPng, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const rgbAt = (png: ReturnType<typeof readPng>, x: number, y: number): number[] => [...png.pixels.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3)];

describe('vis.heatmapOverlay', () => {
  it('maps heat to colour: jet runs dark blue to dark red, viridis purple to yellow', () => {
    expect(colormapColor('jet', 0)).toEqual([0, 0, 128]);
    expect(colormapColor('jet', 0.5)).toEqual([128, 255, 128]);
    expect(colormapColor('jet', 1)).toEqual([128, 0, 0]);
    expect(colormapColor('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapColor('viridis', 1)).toEqual([253, 231, 37]);
    expect(colormapColor('gray', 0.5)).toEqual([128, 128, 128]);
    expect(colormapColor('hot', 2)).toEqual([255, 255, 255]);
  });

  it('blends (1 - alpha) * image + alpha * colour into an RGB PNG the size of the image', async () => {
    const image = tf.full([2, 2, 1], 0.4); // gray 102
    const heat = tf.tensor([
      [0, 1],
      [0.5, 0],
    ]);
    const path = tmp.file('overlay/one.png');
    const written = await heatmapOverlay(image, heat, path, { alpha: 0.25 });
    expect(Buffer.compare(readFileSync(path), written)).toBe(0);
    const png = readPng(written);
    expect(png).toMatchObject({ width: 2, height: 2, colorType: 2 });
    const blend = (c: number[]): number[] => c.map((v) => Math.round(0.75 * 102 + 0.25 * v));
    expect(rgbAt(png, 0, 0)).toEqual(blend([0, 0, 128]));
    expect(rgbAt(png, 1, 0)).toEqual(blend([128, 0, 0]));
    expect(rgbAt(png, 0, 1)).toEqual(blend([128, 255, 128]));

    const alone = readPng(await heatmapOverlay(image, heat, tmp.file('alone.png'), { alpha: 1, colormap: 'viridis' }));
    expect(rgbAt(alone, 1, 0)).toEqual([253, 231, 37]);
    const none = readPng(await heatmapOverlay(tf.tensor([[[1, 0, 0], [0, 0, 1]]]), tf.tensor([[1, 1]]), tmp.file('none.png'), { alpha: 0 }));
    expect([rgbAt(none, 0, 0), rgbAt(none, 1, 0)]).toEqual([[255, 0, 0], [0, 0, 255]]);
  });

  it('puts a batch side by side, resizes coarse maps and can stretch raw attributions to [0, 1]', async () => {
    const images = tf.zeros([2, 4, 4, 3]);
    // A 2x2 map per image: hot top-left quadrant for the first, hot bottom-right for the second.
    const heat = tf.tensor([1, 0, 0, 0, 0, 0, 0, 1], [2, 2, 2]);
    const png = readPng(await heatmapOverlay(images, heat, tmp.file('batch.png'), { alpha: 1, colormap: 'gray', scale: 2 }));
    expect(png).toMatchObject({ width: 2 * 4 * 2 + 1, height: 8 });
    expect(rgbAt(png, 0, 0)).toEqual([255, 255, 255]);
    expect(rgbAt(png, 7, 7)).toEqual([0, 0, 0]);
    expect(rgbAt(png, 8, 0)).toEqual([255, 255, 255]); // the gap between images
    expect(rgbAt(png, 9, 0)).toEqual([0, 0, 0]);
    expect(rgbAt(png, 16, 7)).toEqual([255, 255, 255]);
    // Bilinear: the middle of the first image is between hot and cold.
    const mid = rgbAt(png, 3, 3)[0]!;
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(255);

    const raw = tf.tensor([[-3, 5]]);
    const stretched = readPng(await heatmapOverlay(tf.zeros([1, 2, 1]), raw, tmp.file('raw.png'), { alpha: 1, colormap: 'gray', normalize: true }));
    expect([rgbAt(stretched, 0, 0), rgbAt(stretched, 1, 0)]).toEqual([[0, 0, 0], [255, 255, 255]]);
  });

  it('names the argument that is wrong', async () => {
    const image = tf.zeros([2, 2, 1]);
    await expect(heatmapOverlay(image, tf.zeros([2, 2]), tmp.file('x.png'), { alpha: 2 })).rejects.toThrow(/vis\.heatmapOverlay: argument 'options.alpha' expected a number in \[0, 1\], got 2/);
    await expect(heatmapOverlay(image, tf.zeros([2, 2, 2]), tmp.file('x.png'))).rejects.toThrow(/argument 'heatmap' expected 1 map\(s\), one per image/);
    await expect(heatmapOverlay(image, tf.zeros([2]), tmp.file('x.png'))).rejects.toThrow(/argument 'heatmap' expected a Tensor \[H,W\] or \[N,H,W\]/);
    await expect(heatmapOverlay(tf.zeros([2, 2]), tf.zeros([2, 2]), tmp.file('x.png'))).rejects.toThrow(/argument 'image' expected a Tensor \[H,W,C\] or \[N,H,W,C\]/);
    await expect(heatmapOverlay(image, tf.zeros([2, 2]), tmp.file('x.svg'))).rejects.toThrow(/argument 'path' expected a file path ending in \.png/);
    await expect(heatmapOverlay(image, tf.zeros([2, 2]), tmp.file('x.png'), { colormap: 'rainbow' as 'jet' })).rejects.toThrow(/argument 'options.colormap' expected one of jet, viridis, hot, gray, got "rainbow"/);
  });
});
