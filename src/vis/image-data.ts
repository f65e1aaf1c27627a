import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { encodePng } from '../summary/png';

/** A batch of images read out of a tensor: `data` is `n * height * width * channels` values in [0, 1]. */
export interface ImageBatch {
  n: number;
  height: number;
  width: number;
  channels: number;
  data: ArrayLike<number>;
}

/**
 * Reads images from `value`. Rank 4 is `[N, H, W, C]` (C = 1, 3 or 4); rank 3 is a batch of
 * grayscale images `[N, H, W]` when `rank3` is 'batch', or one image `[H, W, C]` when 'single'.
 */
export function readImages(fn: string, arg: string, value: unknown, rank3: 'batch' | 'single'): ImageBatch {
  const expected = rank3 === 'batch' ? 'a Tensor [N,H,W] or [N,H,W,C] (C = 1, 3 or 4) with values in [0, 1]' : 'a Tensor [H,W,C] or [N,H,W,C] (C = 1, 3 or 4) with values in [0, 1]';
  if (!(value instanceof Tensor)) argError(fn, arg, expected, describe(value));
  const s = value.shape;
  let dims: [number, number, number, number];
  if (s.length === 4) dims = [s[0]!, s[1]!, s[2]!, s[3]!];
  else if (s.length === 3 && rank3 === 'batch') dims = [s[0]!, s[1]!, s[2]!, 1];
  else if (s.length === 3) dims = [1, s[0]!, s[1]!, s[2]!];
  else return argError(fn, arg, expected, describe(value));
  const [n, height, width, channels] = dims;
  if (![1, 3, 4].includes(channels) || n < 1 || height < 1 || width < 1) argError(fn, arg, expected, describe(value));
  return { n, height, width, channels, data: value.dataSync() };
}

/** A value in [0, 1] as a byte (clamped; NaN as 0). */
export function toByte(v: number): number {
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}

/** Image `i` of the batch as 8-bit pixels (same channel count). */
export function imageBytes(batch: ImageBatch, i: number): Uint8Array {
  const size = batch.height * batch.width * batch.channels;
  const out = new Uint8Array(size);
  const base = i * size;
  for (let k = 0; k < size; k++) out[k] = toByte(batch.data[base + k]!);
  return out;
}

/** Image `i` of the batch as a PNG file. */
export function imagePng(batch: ImageBatch, i: number): Buffer {
  return encodePng(imageBytes(batch, i), batch.width, batch.height, batch.channels);
}

/** A PNG as a `data:` URI, for self-contained SVG and HTML. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
