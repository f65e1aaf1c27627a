import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { encodePng } from '../summary/png';
import { checkPath, writeOutput } from './files';
import { readImages, toByte } from './image-data';

/** Colour scales for heat maps (low to high). */
export type Colormap = 'jet' | 'viridis' | 'hot' | 'gray';

/** Options of {@link heatmapOverlay}. */
export interface HeatmapOverlayOptions {
  /** Weight of the heat map colour over the image, in [0, 1] (default 0.5; 1 draws the heat map alone). */
  alpha?: number;
  /** Colour scale (default 'jet'). */
  colormap?: Colormap;
  /** Stretch each map to [0, 1] by its own minimum and maximum first (for raw saliency or integrated gradients; default false). */
  normalize?: boolean;
  /** Integer magnification of every pixel (default 1). */
  scale?: number;
}

/** Control points (position, r, g, b) of each colour scale, linearly interpolated. */
const COLORMAPS: Record<Colormap, readonly (readonly [number, number, number, number])[]> = {
  jet: [[0, 0, 0, 128], [0.125, 0, 0, 255], [0.375, 0, 255, 255], [0.625, 255, 255, 0], [0.875, 255, 0, 0], [1, 128, 0, 0]],
  viridis: [[0, 68, 1, 84], [0.25, 59, 82, 139], [0.5, 33, 145, 140], [0.75, 94, 201, 98], [1, 253, 231, 37]],
  hot: [[0, 0, 0, 0], [0.375, 255, 0, 0], [0.75, 255, 255, 0], [1, 255, 255, 255]],
  gray: [[0, 0, 0, 0], [1, 255, 255, 255]],
};

/** The colour of `t` (clamped to [0, 1]; NaN as 0) on a colour scale, as [r, g, b] bytes. */
export function colormapColor(name: Colormap, t: number): [number, number, number] {
  const stops = COLORMAPS[name];
  const v = t > 0 ? (t < 1 ? t : 1) : 0;
  let i = 1;
  while (i < stops.length - 1 && stops[i]![0] < v) i++;
  const [p0, r0, g0, b0] = stops[i - 1]!;
  const [p1, r1, g1, b1] = stops[i]!;
  const f = p1 === p0 ? 0 : (v - p0) / (p1 - p0);
  return [Math.round(r0 + (r1 - r0) * f), Math.round(g0 + (g1 - g0) * f), Math.round(b0 + (b1 - b0) * f)];
}

/** Bilinear sample of map `m` (h x w, starting at `base`) at fractional pixel (y, x), edges clamped. */
function sample(m: ArrayLike<number>, base: number, h: number, w: number, y: number, x: number): number {
  const y0 = Math.max(0, Math.min(h - 1, Math.floor(y)));
  const x0 = Math.max(0, Math.min(w - 1, Math.floor(x)));
  const y1 = Math.min(h - 1, y0 + 1);
  const x1 = Math.min(w - 1, x0 + 1);
  const fy = Math.max(0, Math.min(1, y - y0));
  const fx = Math.max(0, Math.min(1, x - x0));
  const at = (r: number, c: number): number => m[base + r * w + c]!;
  return (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy;
}

/**
 * Blends heat maps over images and writes one RGB PNG: `image` is `[H, W, C]` or `[N, H, W, C]`
 * (C = 1, 3 or 4, values in [0, 1]), `heatmap` is `[h, w]` or `[N, h, w]` in [0, 1] (as
 * `tf.explain.gradCam` returns; resized bilinearly when its size differs). N images are placed side
 * by side. Each pixel is `(1 - alpha) * image + alpha * colormap(heat)`. Resolves to the PNG bytes.
 */
export async function heatmapOverlay(image: Tensor, heatmap: Tensor, path: string, options: HeatmapOverlayOptions = {}): Promise<Buffer> {
  const fn = 'vis.heatmapOverlay';
  const img = readImages(fn, 'image', image, 'single');
  if (!(heatmap instanceof Tensor) || (heatmap.rank !== 2 && heatmap.rank !== 3)) argError(fn, 'heatmap', 'a Tensor [H,W] or [N,H,W] with values in [0, 1]', describe(heatmap));
  const [n, h, w] = heatmap.rank === 2 ? [1, heatmap.shape[0]!, heatmap.shape[1]!] : (heatmap.shape as [number, number, number]);
  if (n !== img.n) argError(fn, 'heatmap', `${img.n} map(s), one per image`, describe(heatmap));
  if (h < 1 || w < 1) argError(fn, 'heatmap', 'a non-empty map', describe(heatmap));
  checkPath(fn, path, ['.png']);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  const alpha = options.alpha ?? 0.5;
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) argError(fn, 'options.alpha', 'a number in [0, 1]', describe(options.alpha));
  const colormap = options.colormap ?? 'jet';
  if (!Object.hasOwn(COLORMAPS, colormap)) argError(fn, 'options.colormap', `one of ${Object.keys(COLORMAPS).join(', ')}`, describe(options.colormap));
  const scale = options.scale ?? 1;
  if (!(Number.isInteger(scale) && scale >= 1)) argError(fn, 'options.scale', 'an integer >= 1', describe(options.scale));

  const maps = Float32Array.from(heatmap.dataSync());
  if (options.normalize) {
    for (let i = 0; i < n; i++) {
      const m = maps.subarray(i * h * w, (i + 1) * h * w);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of m) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      const span = hi - lo;
      for (let k = 0; k < m.length; k++) m[k] = span > 0 && Number.isFinite(m[k]!) ? (m[k]! - lo) / span : 0;
    }
  }
  const { height, width, channels, data } = img;
  const outW = n * width * scale + (n - 1);
  const outH = height * scale;
  const out = new Uint8Array(outW * outH * 3).fill(255);
  // Heat map pixel centres line up with image pixel centres when the sizes differ.
  const ry = h / height;
  const rx = w / width;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const heat = h === height && w === width ? maps[(i * h + y) * w + x]! : sample(maps, i * h * w, h, w, (y + 0.5) * ry - 0.5, (x + 0.5) * rx - 0.5);
        const [cr, cg, cb] = colormapColor(colormap, heat);
        const src = ((i * height + y) * width + x) * channels;
        const rgb = channels >= 3 ? [data[src]!, data[src + 1]!, data[src + 2]!] : [data[src]!, data[src]!, data[src]!];
        const px = [cr, cg, cb].map((c, k) => Math.round((1 - alpha) * toByte(rgb[k]!) + alpha * c));
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const o = ((y * scale + dy) * outW + i * (width * scale + 1) + x * scale + dx) * 3;
            out[o] = px[0]!;
            out[o + 1] = px[1]!;
            out[o + 2] = px[2]!;
          }
        }
      }
    }
  }
  const png = encodePng(out, outW, outH, 3);
  await writeOutput(path, png);
  return png;
}
