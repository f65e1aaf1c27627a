// 2-d pooling (max, average, global) and upsampling, NHWC (Keras/tfjs) or NCHW (PyTorch/ONNX).
// The kernels see every input as channels-last [batch, h, w, c]: NCHW data is passed as
// batch = N * C planes of one channel each, so one kernel serves both layouts without a transpose.
import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { cast } from './cast';
import { max, mean } from './reduce';
import { registerOp } from './registry';
import { toTensor } from './util';
import { transpose } from './views';

type F32 = Float32Array;

const hasNative = nativeAddon() !== null;

/** 'NHWC' (channels last, the Keras/tfjs default) or 'NCHW' (channels first, PyTorch/ONNX). */
export type DataFormat = 'NHWC' | 'NCHW' | 'channelsLast' | 'channelsFirst';

export interface Pool2dOptions {
  /** Window [height, width], or one number for both. */
  poolSize: number | readonly [number, number];
  /** Step between windows [height, width]; defaults to poolSize. */
  strides?: number | readonly [number, number];
  /**
   * 'valid' (no padding, the default), 'same' (output = ceil(input / stride), padded as TensorFlow)
   * or explicit `[[top, bottom], [left, right]]` (as ONNX/PyTorch pads; each smaller than the window,
   * so every window holds input). Padded cells never count: max ignores them and average divides by
   * the cells inside the input (ONNX's count_include_pad = 0).
   */
  padding?: 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];
  dataFormat?: DataFormat;
}

export interface UpSampling2dOptions {
  /** Integer factors [height, width], or one number for both (default 2). */
  size?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear' (half-pixel centres, as Keras). */
  interpolation?: 'nearest' | 'bilinear';
  dataFormat?: DataFormat;
}

export interface GlobalPooling2dOptions {
  dataFormat?: DataFormat;
  /** Keep H and W as size-1 axes (ONNX GlobalAveragePool shape); default false ([N, C], as Keras). */
  keepDims?: boolean;
}

function isNchw(fn: string, format: unknown): boolean {
  if (format === undefined || format === 'NHWC' || format === 'channelsLast') return false;
  if (format === 'NCHW' || format === 'channelsFirst') return true;
  return argError(fn, 'dataFormat', "'NHWC' or 'NCHW'", describe(format));
}

function pair(fn: string, arg: string, v: unknown): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  return argError(fn, arg, 'a positive integer or a pair of positive integers', describe(v));
}

function floatInput(fn: string, xIn: Tensor): Tensor {
  let x = toTensor(fn, 'x', xIn);
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  if (x.rank !== 4) {
    argError(fn, 'x', 'a rank-4 tensor [batch, height, width, channels] (or [batch, channels, height, width] for NCHW)', `shape [${x.shape.join(',')}]`);
  }
  return x;
}

/** The channels-last geometry the kernels see, plus the user-facing output shape. */
interface PoolGeom {
  batch: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  outShape: number[];
}

function poolGeom(fn: string, x: Tensor, opts: Pool2dOptions): PoolGeom {
  if (typeof opts !== 'object' || opts === null) argError(fn, 'options', '{ poolSize, strides?, padding?, dataFormat? }', describe(opts));
  const nchw = isNchw(fn, opts.dataFormat);
  const [kh, kw] = pair(fn, 'poolSize', opts.poolSize);
  const [sh, sw] = opts.strides === undefined ? [kh, kw] : pair(fn, 'strides', opts.strides);
  const padding = opts.padding ?? 'valid';
  const explicit = Array.isArray(padding) ? explicitPads(fn, padding, kh, kw) : null;
  if (!explicit && padding !== 'valid' && padding !== 'same') {
    argError(fn, 'padding', "'valid', 'same' or [[top, bottom], [left, right]]", describe(padding));
  }
  const [n, c, h, w] = nchw ? x.shape : [x.shape[0]!, x.shape[3]!, x.shape[1]!, x.shape[2]!];
  // The native kernels index one image's pixels in 32 bits; refused on both backends alike (an
  // empty batch could otherwise pass on one and not the other).
  if (h! * w! > 2 ** 31 - 1) argError(fn, 'x', 'images of at most 2^31 - 1 pixels', describe(x));
  let oh: number, ow: number, pt = 0, pl = 0;
  if (explicit) {
    const [[top, bottom], [left, right]] = explicit;
    oh = Math.floor((h! + top + bottom - kh) / sh) + 1;
    ow = Math.floor((w! + left + right - kw) / sw) + 1;
    // A last window starting past the input would hold only padding (no maximum, no average).
    if (oh < 1 || ow < 1 || (oh - 1) * sh - top >= h! || (ow - 1) * sw - left >= w!) {
      argError(fn, 'padding', `pads whose windows all overlap the ${h}x${w} input`, describe(padding));
    }
    pt = top;
    pl = left;
  } else if (padding === 'valid') {
    if (h! < kh || w! < kw) {
      argError(fn, 'poolSize', `a window no larger than the input (${h}x${w}) with 'valid' padding`, `[${kh},${kw}]`);
    }
    oh = Math.floor((h! - kh) / sh) + 1;
    ow = Math.floor((w! - kw) / sw) + 1;
  } else {
    oh = Math.ceil(h! / sh);
    ow = Math.ceil(w! / sw);
    pt = Math.floor(Math.max((oh - 1) * sh + kh - h!, 0) / 2);
    pl = Math.floor(Math.max((ow - 1) * sw + kw - w!, 0) / 2);
  }
  return {
    batch: nchw ? n! * c! : n!,
    h: h!,
    w: w!,
    c: nchw ? 1 : c!,
    oh,
    ow,
    kh,
    kw,
    sh,
    sw,
    pt,
    pl,
    outShape: nchw ? [n!, c!, oh, ow] : [n!, oh, ow, c!],
  };
}

function explicitPads(fn: string, v: readonly unknown[], kh: number, kw: number): [[number, number], [number, number]] {
  const ok = (p: unknown, k: number): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < k;
  const [a, b] = v as unknown[];
  if (v.length === 2 && Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2 &&
    ok(a[0], kh) && ok(a[1], kh) && ok(b[0], kw) && ok(b[1], kw)) {
    return [[a[0], a[1]], [b[0], b[1]]];
  }
  return argError(fn, 'padding', `[[top, bottom], [left, right]] of integers >= 0 and below the window (${kh}x${kw})`, describe(v));
}

/** The window fields of the pool2d layouts. */
function windowFields(g: PoolGeom) {
  return { batch: g.batch, h: g.h, w: g.w, c: g.c, oh: g.oh, ow: g.ow, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, padTop: g.pt, padLeft: g.pl };
}

type PoolKind = 'max' | 'avg';
const poolCode = { max: 0, avg: 1 } as const;

/** Reference kernel: channels-last pooling, mirroring native/kernels/pool/pool.cpp. */
function refPool(kind: PoolKind, x: F32, xOff: number, g: PoolGeom, y: F32): void {
  const C = g.c;
  for (let b = 0; b < g.batch; b++) {
    const xb = xOff + b * g.h * g.w * C;
    for (let i = 0; i < g.oh; i++) {
      const h0 = i * g.sh - g.pt;
      const hLo = Math.max(h0, 0);
      const hHi = Math.min(h0 + g.kh, g.h);
      for (let j = 0; j < g.ow; j++) {
        const w0 = j * g.sw - g.pl;
        const wLo = Math.max(w0, 0);
        const wHi = Math.min(w0 + g.kw, g.w);
        const yp = ((b * g.oh + i) * g.ow + j) * C;
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? x[xb + (hLo * g.w + wLo) * C + c]! : 0;
          for (let hh = hLo; hh < hHi; hh++) {
            for (let ww = wLo; ww < wHi; ww++) {
              const v = x[xb + (hh * g.w + ww) * C + c]!;
              if (kind === 'avg') acc += v;
              else if (v > acc || v !== v) acc = v;
            }
          }
          y[yp + c] = kind === 'max' ? acc : acc / ((hHi - hLo) * (wHi - wLo));
        }
      }
    }
  }
}

/** Reference backward: routes gy to each window's arg-max (max) or spreads it evenly (avg). */
function refPoolBackward(kind: PoolKind, x: F32, xOff: number, gy: F32, gOff: number, g: PoolGeom, gx: F32): void {
  const C = g.c;
  gx.fill(0, 0, g.batch * g.h * g.w * C);
  for (let b = 0; b < g.batch; b++) {
    const base = b * g.h * g.w * C;
    for (let i = 0; i < g.oh; i++) {
      const h0 = i * g.sh - g.pt;
      const hLo = Math.max(h0, 0);
      const hHi = Math.min(h0 + g.kh, g.h);
      for (let j = 0; j < g.ow; j++) {
        const w0 = j * g.sw - g.pl;
        const wLo = Math.max(w0, 0);
        const wHi = Math.min(w0 + g.kw, g.w);
        const gp = gOff + ((b * g.oh + i) * g.ow + j) * C;
        for (let c = 0; c < C; c++) {
          if (kind === 'max') {
            let arg = hLo * g.w + wLo;
            let best = x[xOff + base + arg * C + c]!;
            for (let hh = hLo; hh < hHi; hh++) {
              for (let ww = wLo; ww < wHi; ww++) {
                const v = x[xOff + base + (hh * g.w + ww) * C + c]!;
                if (v > best || v !== v) {
                  best = v;
                  arg = hh * g.w + ww;
                }
              }
            }
            gx[base + arg * C + c]! += gy[gp + c]!;
          } else {
            const share = gy[gp + c]! / ((hHi - hLo) * (wHi - wLo));
            for (let hh = hLo; hh < hHi; hh++) {
              for (let ww = wLo; ww < wHi; ww++) gx[base + (hh * g.w + ww) * C + c]! += share;
            }
          }
        }
      }
    }
  }
}

function poolBackward(kind: PoolKind, x: Tensor, gyIn: Tensor, g: PoolGeom): Tensor {
  const gy = (gyIn.dtype === 'float32' ? gyIn : cast(gyIn, 'float32')).contiguousCopy();
  const gx = Tensor.empty(x.shape, 'float32');
  const addon = activeAddon();
  const xb = x.buffer as F32;
  const gb = gy.buffer as F32;
  if (addon) {
    addon.pool2dBackward(poolCode[kind], xb, gb, gx.buffer as F32,
      pack.pool2dBackward({ xOffset: x.offset, gyOffset: gy.offset, ...windowFields(g) }));
  } else {
    refPoolBackward(kind, xb, x.offset, gb, gy.offset, g, gx.buffer as F32);
  }
  return gx;
}

function pool2d(kind: PoolKind, fn: string, xIn: Tensor, opts: Pool2dOptions): Tensor {
  const x = floatInput(fn, xIn);
  if (x.shape[1]! > 1 && isNchw(fn, opts?.dataFormat)) {
    // Channels-first data that is really channels-last in memory (a conv output viewed NCHW) runs
    // the channels-last kernel, vectorized over channels, instead of one channel at a time.
    const nhwc = transpose(x, [0, 2, 3, 1]);
    if (nhwc.isContiguous) {
      const y = pool2d(kind, fn, nhwc, { ...opts, dataFormat: 'NHWC' });
      const out = transpose(y, [0, 3, 1, 2]);
      // As conv2d's channels-first result: only the view refers to y, so its buffer follows the view.
      if (!y.requiresGrad) y.dispose();
      return out;
    }
  }
  const g = poolGeom(fn, x, opts);
  const xc = x.contiguousCopy();
  const out = Tensor.empty(g.outShape, 'float32');
  const addon = activeAddon();
  if (addon) {
    addon.pool2d(poolCode[kind], xc.buffer as F32, out.buffer as F32, pack.pool2d({ xOffset: xc.offset, ...windowFields(g) }));
  } else {
    refPool(kind, xc.buffer as F32, xc.offset, g, out.buffer as F32);
  }
  return record(out, fn, [x], (gy) => [poolBackward(kind, xc, gy, g)]);
}

/**
 * Max pooling over windows of `poolSize` (Keras MaxPooling2D, tf.maxPool, ONNX MaxPool). NaN in a
 * window gives NaN. The gradient goes to each window's maximum (the first one on ties).
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool2d('max', 'maxPool2d', x, options);
}

/**
 * Average pooling (Keras AveragePooling2D, tf.avgPool, ONNX AveragePool). With 'same' padding the
 * padded cells are left out of the average, as TensorFlow does (count_include_pad = 0 in ONNX).
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool2d('avg', 'avgPool2d', x, options);
}

function globalPool(fn: string, reducer: typeof mean, xIn: Tensor, opts: GlobalPooling2dOptions = {}): Tensor {
  const x = floatInput(fn, xIn);
  const nchw = isNchw(fn, opts.dataFormat);
  return reducer(x, nchw ? [2, 3] : [1, 2], opts.keepDims ?? false);
}

/** Mean over height and width: [N, C] (or [N, 1, 1, C] / [N, C, 1, 1] with keepDims). */
export function globalAveragePooling2d(x: Tensor, options?: GlobalPooling2dOptions): Tensor {
  return globalPool('globalAveragePooling2d', mean, x, options);
}

/** Maximum over height and width: [N, C] (or [N, 1, 1, C] / [N, C, 1, 1] with keepDims). */
export function globalMaxPooling2d(x: Tensor, options?: GlobalPooling2dOptions): Tensor {
  return globalPool('globalMaxPooling2d', max, x, options);
}

// ---- upsampling ----

type Interp = 'nearest' | 'bilinear';
const interpCode = { nearest: 0, bilinear: 1 } as const;

interface UpGeom {
  batch: number;
  h: number;
  w: number;
  c: number;
  fh: number;
  fw: number;
}

/** Source rows of output row i (half-pixel centres, clamped), as tf.image.resize computes them. */
function lerpAt(i: number, f: number, size: number): { lo: number; hi: number; t: number } {
  const src = (i + 0.5) / f - 0.5;
  const fl = Math.floor(src);
  return { lo: Math.max(fl, 0), hi: Math.min(Math.ceil(src), size - 1), t: Math.fround(src - fl) };
}

function refUpsample(mode: Interp, x: F32, xOff: number, g: UpGeom, y: F32): void {
  const C = g.c;
  const OH = g.h * g.fh;
  const OW = g.w * g.fw;
  for (let b = 0; b < g.batch; b++) {
    const xb = xOff + b * g.h * g.w * C;
    for (let i = 0; i < OH; i++) {
      const ly = lerpAt(i, g.fh, g.h);
      for (let j = 0; j < OW; j++) {
        const yp = ((b * OH + i) * OW + j) * C;
        if (mode === 'nearest') {
          const xp = xb + (Math.floor(i / g.fh) * g.w + Math.floor(j / g.fw)) * C;
          for (let c = 0; c < C; c++) y[yp + c] = x[xp + c]!;
          continue;
        }
        const lx = lerpAt(j, g.fw, g.w);
        const tl = xb + (ly.lo * g.w + lx.lo) * C;
        const tr = xb + (ly.lo * g.w + lx.hi) * C;
        const bl = xb + (ly.hi * g.w + lx.lo) * C;
        const br = xb + (ly.hi * g.w + lx.hi) * C;
        for (let c = 0; c < C; c++) {
          const t = x[tl + c]! + (x[tr + c]! - x[tl + c]!) * lx.t;
          const u = x[bl + c]! + (x[br + c]! - x[bl + c]!) * lx.t;
          y[yp + c] = t + (u - t) * ly.t;
        }
      }
    }
  }
}

function refUpsampleBackward(mode: Interp, gy: F32, gOff: number, g: UpGeom, gx: F32): void {
  const C = g.c;
  const OH = g.h * g.fh;
  const OW = g.w * g.fw;
  gx.fill(0, 0, g.batch * g.h * g.w * C);
  for (let b = 0; b < g.batch; b++) {
    const xb = b * g.h * g.w * C;
    for (let i = 0; i < OH; i++) {
      const ly = lerpAt(i, g.fh, g.h);
      for (let j = 0; j < OW; j++) {
        const gp = gOff + ((b * OH + i) * OW + j) * C;
        if (mode === 'nearest') {
          const xp = xb + (Math.floor(i / g.fh) * g.w + Math.floor(j / g.fw)) * C;
          for (let c = 0; c < C; c++) gx[xp + c]! += gy[gp + c]!;
          continue;
        }
        const lx = lerpAt(j, g.fw, g.w);
        const cells = [
          [ly.lo, lx.lo, (1 - ly.t) * (1 - lx.t)],
          [ly.lo, lx.hi, (1 - ly.t) * lx.t],
          [ly.hi, lx.lo, ly.t * (1 - lx.t)],
          [ly.hi, lx.hi, ly.t * lx.t],
        ] as const;
        for (const [r, s, wgt] of cells) {
          const xp = xb + (r * g.w + s) * C;
          for (let c = 0; c < C; c++) gx[xp + c]! += gy[gp + c]! * wgt;
        }
      }
    }
  }
}

/**
 * Repeats rows and columns by integer factors (Keras UpSampling2D, ONNX Resize). 'bilinear'
 * interpolates with half-pixel centres and clamped edges, as Keras (tf.image.resize) does.
 */
export function upSampling2d(xIn: Tensor, options: UpSampling2dOptions = {}): Tensor {
  const fn = 'upSampling2d';
  const x = floatInput(fn, xIn);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', '{ size?, interpolation?, dataFormat? }', describe(options));
  const nchw = isNchw(fn, options.dataFormat);
  const [fh, fw] = pair(fn, 'size', options.size ?? 2);
  const mode = options.interpolation ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') argError(fn, 'interpolation', "'nearest' or 'bilinear'", describe(mode));
  const [n, c, h, w] = nchw ? x.shape : [x.shape[0]!, x.shape[3]!, x.shape[1]!, x.shape[2]!];
  const g: UpGeom = { batch: nchw ? n! * c! : n!, h: h!, w: w!, c: nchw ? 1 : c!, fh, fw };
  const outShape = nchw ? [n!, c!, h! * fh, w! * fw] : [n!, h! * fh, w! * fw, c!];
  const xc = x.contiguousCopy();
  const out = Tensor.empty(outShape, 'float32');
  const addon = activeAddon();
  // An empty output has nothing to compute, but both kernels would still walk every (batch, row)
  // of it: [2^28, 3, 0, 2] took 23 s.
  if (out.size === 0) {
    // (nothing to fill)
  } else if (addon) {
    addon.upsample2d(interpCode[mode], xc.buffer as F32, out.buffer as F32, pack.upsample2d({ xOffset: xc.offset, ...g }));
  } else {
    refUpsample(mode, xc.buffer as F32, xc.offset, g, out.buffer as F32);
  }
  return record(out, fn, [x], (gyIn) => {
    const gy = (gyIn.dtype === 'float32' ? gyIn : cast(gyIn, 'float32')).contiguousCopy();
    const gx = Tensor.empty(x.shape, 'float32');
    const ad = activeAddon();
    if (gx.size === 0) {
      // Empty input, empty output (sizes are positive): nothing to walk, as in the forward pass.
    } else if (ad) {
      ad.upsample2dBackward(interpCode[mode], gy.buffer as F32, gx.buffer as F32,
        pack.upsample2dBackward({ gyOffset: gy.offset, ...g }));
    } else {
      refUpsampleBackward(mode, gy.buffer as F32, gy.offset, g, gx.buffer as F32);
    }
    return [gx];
  });
}

// ---- registry ----

const poolChecks = (f: (x: Tensor, o: Pool2dOptions) => Tensor) => [
  { label: 'valid 3x3 stride 1 NHWC', shapes: [[2, 5, 7, 3]], run: (x: Tensor) => f(x, { poolSize: 3, strides: 1 }) },
  { label: 'valid 2x2 NHWC (default strides)', shapes: [[2, 7, 5, 2]], run: (x: Tensor) => f(x, { poolSize: 2 }) },
  { label: 'same 3x3 stride 2 NHWC', shapes: [[2, 7, 5, 3]], run: (x: Tensor) => f(x, { poolSize: 3, strides: 2, padding: 'same' }) },
  {
    label: 'same 2x3 strides [3,2] NCHW',
    shapes: [[2, 3, 7, 5]],
    run: (x: Tensor) => f(x, { poolSize: [2, 3], strides: [3, 2], padding: 'same', dataFormat: 'NCHW' }),
  },
  {
    label: 'valid 3x2 strides [1,3] NCHW',
    shapes: [[2, 2, 5, 7]],
    run: (x: Tensor) => f(x, { poolSize: [3, 2], strides: [1, 3], dataFormat: 'NCHW' }),
  },
  {
    label: 'same 3x3 stride 1 NCHW',
    shapes: [[2, 2, 5, 5]],
    run: (x: Tensor) => f(x, { poolSize: 3, strides: 1, padding: 'same', dataFormat: 'NCHW' }),
  },
  {
    label: 'large NHWC',
    shapes: [[2, 33, 31, 70]],
    run: (x: Tensor) => f(x, { poolSize: 3, strides: 2, padding: 'same' }),
    grad: false,
  },
  // Channel counts that fill vector registers at every SIMD level, windows overlapping along w: the
  // max kernel's separable route (column maxima, then maxima across them), padded and not.
  {
    label: 'overlapping windows, 32 channels, 3x3 stride 2 with an end pad (ceil mode)',
    shapes: [[2, 13, 15, 32]],
    run: (x: Tensor) => f(x, { poolSize: 3, strides: 2, padding: [[0, 1], [0, 1]] }),
    grad: false,
  },
  {
    label: 'overlapping windows, 16 channels, [3,2] stride [2,1] same',
    shapes: [[1, 9, 10, 16]],
    run: (x: Tensor) => f(x, { poolSize: [3, 2], strides: [2, 1], padding: 'same' }),
    grad: false,
  },
  // Planes wider than a vector register (the channels-first max kernel vectorizes along w).
  {
    label: 'wide NCHW planes, same 3x3 stride 2',
    shapes: [[1, 3, 37, 41]],
    run: (x: Tensor) => f(x, { poolSize: 3, strides: 2, padding: 'same', dataFormat: 'NCHW' }),
    // The backward is the one the small planes above check; with ~1,500 windows of random values
    // some pair sits within the finite-difference step, where max has a kink.
    grad: false,
  },
  {
    label: 'wide NCHW planes, same 5x5 stride 1',
    shapes: [[1, 2, 11, 35]],
    run: (x: Tensor) => f(x, { poolSize: 5, strides: 1, padding: 'same', dataFormat: 'NCHW' }),
    grad: false,
  },
  {
    label: 'wide NCHW planes, valid 2x2 stride [2,3]',
    shapes: [[2, 2, 9, 50]],
    run: (x: Tensor) => f(x, { poolSize: 2, strides: [2, 3], dataFormat: 'NCHW' }),
    grad: false,
  },
  {
    label: 'large NCHW',
    shapes: [[2, 16, 31, 29]],
    run: (x: Tensor) => f(x, { poolSize: 2, strides: 1, dataFormat: 'NCHW' }),
    grad: false,
  },
];

registerOp({
  name: 'maxPool2d',
  onnx: 'MaxPool',
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: poolChecks(maxPool2d),
});
registerOp({
  name: 'avgPool2d',
  onnx: 'AveragePool',
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: poolChecks(avgPool2d),
});

const reduceNative = (k: string): boolean => nativeAddon()?.reduceOps.includes(k) ?? false;
registerOp({
  name: 'globalAveragePooling2d',
  onnx: 'GlobalAveragePool',
  kind: 'kernel',
  native: reduceNative('mean'),
  differentiable: true,
  checks: [
    { label: 'NHWC', shapes: [[2, 3, 5, 4]], run: (x) => globalAveragePooling2d(x) },
    { label: 'NCHW keepDims', shapes: [[2, 4, 3, 5]], run: (x) => globalAveragePooling2d(x, { dataFormat: 'NCHW', keepDims: true }) },
  ],
});
registerOp({
  name: 'globalMaxPooling2d',
  onnx: 'GlobalMaxPool',
  kind: 'kernel',
  native: reduceNative('max'),
  differentiable: true,
  checks: [
    { label: 'NHWC', shapes: [[2, 3, 5, 4]], run: (x) => globalMaxPooling2d(x) },
    { label: 'NCHW keepDims', shapes: [[2, 4, 3, 5]], run: (x) => globalMaxPooling2d(x, { dataFormat: 'NCHW', keepDims: true }) },
  ],
});

registerOp({
  name: 'upSampling2d',
  onnx: 'Resize',
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: [
    { label: 'nearest 2x NHWC', shapes: [[2, 3, 5, 2]], run: (x) => upSampling2d(x) },
    { label: 'nearest [3,2] NCHW', shapes: [[2, 2, 3, 5]], run: (x) => upSampling2d(x, { size: [3, 2], dataFormat: 'NCHW' }) },
    { label: 'bilinear 2x NHWC', shapes: [[2, 3, 5, 2]], run: (x) => upSampling2d(x, { interpolation: 'bilinear' }) },
    {
      label: 'bilinear [3,2] NCHW',
      shapes: [[2, 2, 3, 5]],
      run: (x) => upSampling2d(x, { size: [3, 2], interpolation: 'bilinear', dataFormat: 'NCHW' }),
    },
    { label: 'large nearest NHWC', shapes: [[2, 17, 19, 33]], run: (x) => upSampling2d(x, { size: 3 }), grad: false },
    {
      label: 'large bilinear NCHW',
      shapes: [[2, 9, 17, 19]],
      run: (x) => upSampling2d(x, { interpolation: 'bilinear', dataFormat: 'NCHW' }),
      grad: false,
    },
  ],
});
