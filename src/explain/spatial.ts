// Where the spatial positions of an activation or an image are, and resizing heat maps to the
// input's size. Keras layers default to channels-last; ONNX imports keep PyTorch's channels-first.
import { argError, describe } from '../errors';
import type { Layer } from '../layers/layer';
import { OnnxNode } from '../onnx/import/onnx-node-layer';

/** Where the channels of images and feature maps are: `[N, H, W, C]` or `[N, C, H, W]`. */
export type ExplainDataFormat = 'channelsLast' | 'channelsFirst';

/** @internal the format a layer's output uses unless the caller says. */
export function formatOf(fn: string, layer: Layer | null, given: unknown): ExplainDataFormat {
  if (given !== undefined) {
    if (given !== 'channelsLast' && given !== 'channelsFirst') argError(fn, 'dataFormat', "'channelsLast' or 'channelsFirst'", describe(given));
    return given;
  }
  const own = layer ? (layer as unknown as { dataFormat?: unknown }).dataFormat : undefined;
  if (own === 'channelsFirst' || own === 'channelsLast') return own;
  return layer instanceof OnnxNode ? 'channelsFirst' : 'channelsLast';
}

/** @internal [H, W] of a [N, H, W, C] / [N, C, H, W] shape; rank 3 ([N, T, C] / [N, C, T]) gives [1, T]. */
export function spatialSize(shape: readonly number[], format: ExplainDataFormat): [number, number] {
  const inner = format === 'channelsLast' ? shape.slice(1, -1) : shape.slice(2);
  if (inner.length === 1) return [1, inner[0]!];
  return [inner[0]!, inner[1]!];
}

/** @internal bilinear resize of one [h, w] map to [H, W] (align-corners off, as image resizers do). */
export function resizeBilinear(src: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      const top = src[y0 * w + x0]! * (1 - wx) + src[y0 * w + x1]! * wx;
      const bottom = src[y1 * w + x0]! * (1 - wx) + src[y1 * w + x1]! * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}
