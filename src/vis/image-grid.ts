import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { encodePng } from '../summary/png';
import { checkPath, writeOutput } from './files';
import { type ImageBatch, imagePng, pngDataUri, readImages, toByte } from './image-data';
import { el, escapeXml, svgRoot, text } from './svg';

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Images per row (default: about the square root of the count, at most 10). */
  columns?: number;
  /** A caption per image (SVG only), e.g. `true 3\npredicted 5` (`\n` starts a new line). */
  labels?: readonly string[];
  /** Integer magnification of every pixel (default: 1 for PNG; enough to make cells about 96 px wide in SVG). */
  scale?: number;
  /** Pixels between images (default 2). */
  padding?: number;
  /** Heading drawn above the grid (SVG only). */
  title?: string;
}

function positiveInt(fn: string, name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) argError(fn, `options.${name}`, `an integer >= ${min}`, describe(v));
  return v;
}

interface Grid {
  columns: number;
  rows: number;
  scale: number;
  padding: number;
}

function gridOf(fn: string, batch: ImageBatch, options: ImageGridOptions, defaultScale: number): Grid {
  const columns = positiveInt(fn, 'columns', options.columns, 1) ?? Math.min(10, Math.ceil(Math.sqrt(batch.n)));
  const scale = positiveInt(fn, 'scale', options.scale, 1) ?? defaultScale;
  const padding = positiveInt(fn, 'padding', options.padding, 0) ?? 2;
  if (options.labels !== undefined && !(Array.isArray(options.labels) && options.labels.length === batch.n && options.labels.every((l) => typeof l === 'string'))) {
    argError(fn, 'options.labels', `${batch.n} strings (one per image)`, describe(options.labels));
  }
  return { columns: Math.min(columns, batch.n), rows: Math.ceil(batch.n / Math.min(columns, batch.n)), scale, padding };
}

/** @internal the images tiled into one PNG (white gaps), each pixel magnified `scale` times. */
export function imageGridPng(fn: string, batch: ImageBatch, options: ImageGridOptions = {}): Buffer {
  const { columns, rows, scale, padding } = gridOf(fn, batch, options, 1);
  const c = batch.channels;
  const cellW = batch.width * scale;
  const cellH = batch.height * scale;
  const width = columns * cellW + (columns + 1) * padding;
  const height = rows * cellH + (rows + 1) * padding;
  const out = new Uint8Array(width * height * c).fill(255);
  const size = batch.height * batch.width * c;
  for (let i = 0; i < batch.n; i++) {
    const ox = padding + (i % columns) * (cellW + padding);
    const oy = padding + Math.floor(i / columns) * (cellH + padding);
    for (let y = 0; y < cellH; y++) {
      const srcRow = i * size + Math.floor(y / scale) * batch.width * c;
      const dstRow = ((oy + y) * width + ox) * c;
      for (let x = 0; x < cellW; x++) {
        const src = srcRow + Math.floor(x / scale) * c;
        for (let k = 0; k < c; k++) out[dstRow + x * c + k] = toByte(batch.data[src + k]!);
      }
    }
  }
  return encodePng(out, width, height, c);
}

/** @internal the images as an SVG document of embedded PNGs (data URIs), with optional captions. */
export function imageGridSvg(fn: string, batch: ImageBatch, options: ImageGridOptions = {}): string {
  const { columns, rows, scale, padding } = gridOf(fn, batch, options, Math.max(1, Math.floor(96 / Math.max(batch.height, batch.width))));
  const cellW = batch.width * scale;
  const cellH = batch.height * scale;
  const lines = (options.labels ?? []).map((l) => l.split('\n'));
  const caption = 14 * lines.reduce((m, l) => Math.max(m, l.length), 0) + (options.labels ? 2 : 0);
  const head = options.title === undefined ? 0 : 30;
  const gap = Math.max(padding, 8);
  const cellTotalW = Math.max(cellW, 6.2 * lines.flat().reduce((m, l) => Math.max(m, l.length), 0));
  const width = columns * cellTotalW + (columns + 1) * gap;
  const height = head + rows * (cellH + caption) + (rows + 1) * gap;
  const body: string[] = [el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' })];
  if (options.title !== undefined) body.push(text(gap, 22, options.title, { 'font-size': 16, 'font-weight': 'bold', fill: '#222' }));
  for (let i = 0; i < batch.n; i++) {
    const x = gap + (i % columns) * (cellTotalW + gap);
    const y = head + gap + Math.floor(i / columns) * (cellH + caption + gap);
    const parts = [
      el('image', { x: x + (cellTotalW - cellW) / 2, y, width: cellW, height: cellH, href: pngDataUri(imagePng(batch, i)), style: 'image-rendering:pixelated', preserveAspectRatio: 'none' }),
    ];
    const label = options.labels?.[i];
    lines[i]?.forEach((line, k) => parts.push(text(x + cellTotalW / 2, y + cellH + 13 + 14 * k, line, { 'text-anchor': 'middle', 'font-size': 11, fill: '#222' })));
    body.push(el('g', { class: 'image', 'data-index': i }, [label === undefined ? '' : el('title', {}, escapeXml(label)), ...parts]));
  }
  return svgRoot(width, height, body, options.title ?? 'Images');
}

/**
 * Tiles images (`[N, H, W]` grayscale or `[N, H, W, C]` with C = 1, 3 or 4, values in [0, 1]) into
 * a grid. A `.png` path gets one PNG; an `.svg` path gets a self-contained SVG of embedded PNGs with
 * optional captions. Resolves to what was written (the PNG bytes or the SVG text).
 */
export async function imageGrid(images: Tensor, path: string, options: ImageGridOptions = {}): Promise<Buffer | string> {
  const fn = 'vis.imageGrid';
  const batch = readImages(fn, 'images', images, 'batch');
  checkPath(fn, path, ['.png', '.svg']);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  const data = path.toLowerCase().endsWith('.png') ? imageGridPng(fn, batch, options) : imageGridSvg(fn, batch, options);
  await writeOutput(path, data);
  return data;
}
