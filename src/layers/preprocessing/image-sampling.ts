// Resampling channels-last images through one affine map per image: the single computation behind
// Resizing, CenterCrop's fallback resize and the random geometric augmentations. Each output pixel
// reads at most four input pixels with fixed weights, so the op is linear in the image and its
// gradient scatters the output gradient back through the same taps.
import { record } from '../../autograd/tape';
import { argError, describe } from '../../errors';
import { cast } from '../../ops/cast';
import { Tensor } from '../../tensor/tensor';

/** How a pixel between input pixels is read. */
export type Interpolation = 'bilinear' | 'nearest';

/**
 * How points outside the image are filled (Keras): `'reflect'` mirrors about the edge (d c b a | a b
 * c d | d c b a), `'wrap'` tiles the image, `'nearest'` repeats the edge pixel, `'constant'` uses
 * `fillValue`.
 */
export type FillMode = 'reflect' | 'wrap' | 'nearest' | 'constant';

export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];
export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'nearest', 'constant'];

/**
 * One image's map from output pixel (x, y) to the input point it reads:
 * `xIn = a0 x + a1 y + a2`, `yIn = b0 x + b1 y + b2` (Keras's transform rows [a0 a1 a2 b0 b1 b2 0 0]).
 */
export type Affine = readonly [number, number, number, number, number, number];

export interface SampleOptions {
  outHeight: number;
  outWidth: number;
  interpolation: Interpolation;
  fillMode: FillMode;
  fillValue: number;
  /**
   * The part of each input that exists for the map (default the whole image): coordinates are
   * relative to its top-left corner and the fill mode acts at its edges, as if it were cropped out.
   */
  region?: { top: number; left: number; height: number; width: number };
}

/** Maps a coordinate outside [0, len - 1] back inside, as TensorFlow's image transforms do. */
function mapCoord(v: number, len: number, mode: FillMode): number {
  if (mode === 'constant') return v;
  if (mode === 'nearest') return Math.min(Math.max(v, 0), len - 1);
  if (len <= 1) return 0;
  if (mode === 'reflect') {
    const period = 2 * len;
    if (v < 0) {
      if (v < -period) v += period * Math.trunc(-v / period);
      v = v < -len ? v + period : -v - 1;
    } else if (v > len - 1) {
      v -= period * Math.trunc(v / period);
      if (v >= len) v = period - v - 1;
    }
    return Math.min(Math.max(v, 0), len - 1);
  }
  // wrap, with TensorFlow's arithmetic (steps of len, counted in units of len - 1)
  const span = len - 1;
  if (v < 0) v += len * (Math.trunc(-v / span) + 1);
  else if (v > span) v -= len * Math.trunc(v / span);
  return Math.min(Math.max(v, 0), len - 1);
}

/** Up to four (input pixel, weight) taps per output pixel; pixel -1 reads the fill value. */
interface Taps {
  pixel: Int32Array;
  weight: Float32Array;
}

function buildTaps(n: number, h: number, w: number, transforms: readonly Affine[], o: SampleOptions): Taps {
  const outPixels = n * o.outHeight * o.outWidth;
  const pixel = new Int32Array(outPixels * 4).fill(-1);
  const weight = new Float32Array(outPixels * 4);
  const r = o.region ?? { top: 0, left: 0, height: h, width: w };
  const at = (img: number, yi: number, xi: number): number =>
    yi < 0 || yi >= r.height || xi < 0 || xi >= r.width ? -1 : (img * h + r.top + yi) * w + r.left + xi;
  let t = 0;
  for (let img = 0; img < n; img++) {
    const [a0, a1, a2, b0, b1, b2] = transforms[img]!;
    for (let y = 0; y < o.outHeight; y++) {
      for (let x = 0; x < o.outWidth; x++, t += 4) {
        const xs = mapCoord(a0 * x + a1 * y + a2, r.width, o.fillMode);
        const ys = mapCoord(b0 * x + b1 * y + b2, r.height, o.fillMode);
        if (o.interpolation === 'nearest') {
          pixel[t] = at(img, Math.round(ys), Math.round(xs));
          weight[t] = 1;
          continue;
        }
        const x0 = Math.floor(xs);
        const y0 = Math.floor(ys);
        const fx = xs - x0;
        const fy = ys - y0;
        pixel[t] = at(img, y0, x0);
        weight[t] = (1 - fx) * (1 - fy);
        pixel[t + 1] = at(img, y0, x0 + 1);
        weight[t + 1] = fx * (1 - fy);
        pixel[t + 2] = at(img, y0 + 1, x0);
        weight[t + 2] = (1 - fx) * fy;
        pixel[t + 3] = at(img, y0 + 1, x0 + 1);
        weight[t + 3] = fx * fy;
      }
    }
  }
  return { pixel, weight };
}

/**
 * Resamples `x` [N, H, W, C] to [N, outHeight, outWidth, C], image i through `transforms[i]`.
 * Differentiable with respect to `x`.
 */
export function sampleImages(fn: string, xIn: Tensor, transforms: readonly Affine[], o: SampleOptions): Tensor {
  if (xIn.rank !== 4) argError(fn, 'inputs', 'images [batch, height, width, channels]', describe(xIn));
  const x = xIn.dtype === 'float32' ? xIn : cast(xIn, 'float32');
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (transforms.length !== n) throw new Error(`${fn}: internal error: ${transforms.length} transforms for ${n} images`);
  const taps = buildTaps(n, h, w, transforms, o);
  const src = x.contiguousCopy();
  const xd = src.buffer;
  const base = src.offset;
  const outPixels = n * o.outHeight * o.outWidth;
  const out = Tensor.empty([n, o.outHeight, o.outWidth, c], 'float32');
  const od = out.buffer;
  for (let p = 0; p < outPixels; p++) {
    for (let ch = 0; ch < c; ch++) {
      let acc = 0;
      for (let k = 0; k < 4; k++) {
        const wt = taps.weight[p * 4 + k]!;
        if (wt === 0) continue;
        const q = taps.pixel[p * 4 + k]!;
        acc += wt * (q < 0 ? o.fillValue : xd[base + q * c + ch]!);
      }
      od[p * c + ch] = acc;
    }
  }
  return record(out, fn, [x], (gIn) => {
    const g = (gIn.dtype === 'float32' ? gIn : cast(gIn, 'float32')).contiguousCopy();
    const gd = g.buffer;
    const gb = g.offset;
    const gx = Tensor.fromArray(new Float32Array(n * h * w * c), [n, h, w, c]);
    const gxd = gx.buffer;
    for (let p = 0; p < outPixels; p++) {
      for (let k = 0; k < 4; k++) {
        const wt = taps.weight[p * 4 + k]!;
        const q = taps.pixel[p * 4 + k]!;
        if (wt === 0 || q < 0) continue;
        for (let ch = 0; ch < c; ch++) gxd[q * c + ch]! += wt * gd[gb + p * c + ch]!;
      }
    }
    return [gx];
  });
}

/** The map that resizes an h x w image (or region) to outH x outW with half-pixel centres (tf.image.resize). */
export function resizeAffine(h: number, w: number, outH: number, outW: number): Affine {
  const sx = w / outW;
  const sy = h / outH;
  return [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5];
}
