// PNG and JPEG files to pixels, with pure-JS decoders (pngjs, jpeg-js): no native image library.
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Decoded pixels: RGBA bytes, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** How many channels an image is read with: grayscale 1, rgb 3, rgba 4 (Keras `color_mode`). */
export type ColorMode = 'grayscale' | 'rgb' | 'rgba';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export const CHANNELS: Record<ColorMode, number> = { grayscale: 1, rgb: 3, rgba: 4 };

/** Decodes PNG or JPEG bytes (told apart by their signature, not the file name). */
export function decodeImage(fn: string, where: string, bytes: Uint8Array): RgbaImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (err) {
    throw new Error(`${fn}: cannot decode ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${fn}: ${where} is neither PNG nor JPEG (starts with bytes ${head})`);
}

/**
 * Writes the image's pixels as float32 0..255 into `out` at `offset`, channels-last with the
 * channels of `mode` (grayscale by TensorFlow's luma weights 0.2989, 0.5870, 0.1140).
 */
export function writePixels(img: RgbaImage, mode: ColorMode, out: Float32Array, offset: number): void {
  const n = img.width * img.height;
  const d = img.data;
  let o = offset;
  for (let i = 0; i < n; i++) {
    const r = d[4 * i]!;
    const g = d[4 * i + 1]!;
    const b = d[4 * i + 2]!;
    if (mode === 'grayscale') out[o++] = 0.2989 * r + 0.587 * g + 0.114 * b;
    else {
      out[o++] = r;
      out[o++] = g;
      out[o++] = b;
      if (mode === 'rgba') out[o++] = d[4 * i + 3]!;
    }
  }
}
