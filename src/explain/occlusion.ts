import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import type { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/tape';
import { tensor } from '../ops/creation';
import { type ClassIndex, type ExplainTarget, checkTarget, checkCall, classScores, resolveClasses, yieldToEventLoop } from './target';
import { type ExplainDataFormat, formatOf } from './spatial';

/** Options of {@link occlusion}. */
export interface OcclusionOptions {
  /** Patch size: `[h, w]` (or one number for a square) on images, a width on `[N, features]` inputs (default: a quarter of the shorter image side; 1 feature). */
  window?: number | readonly [number, number];
  /** Step between patches (default: half the window, at least 1). */
  stride?: number | readonly [number, number];
  /** The value a patch is replaced with (default 0). */
  baseline?: number;
  /** Explain the model's output as it is (`'output'`, the default) or the scores before a final softmax / sigmoid (`'logits'`). */
  target?: ExplainTarget;
  /** The output unit to explain (default: each sample's predicted class). */
  classIndex?: ClassIndex;
  /** Channel position of an image `x` (default channels-last). */
  dataFormat?: ExplainDataFormat;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): slides a patch of `baseline` over the input and
 * records how much the class score drops; each position's value is the mean drop over the patches
 * covering it. Images `[N, H, W, C]` (or channels-first) give `[N, H, W]`; `[N, F]` inputs give `[N, F]`.
 */
export async function occlusion(model: LayersModel, x: Tensor, options: OcclusionOptions = {}): Promise<Tensor> {
  const fn = 'explain.occlusion';
  checkCall(fn, model, x, options);
  if (x.rank !== 2 && x.rank !== 4) argError(fn, 'x', 'images [N, H, W, C] / [N, C, H, W] or features [N, F]', `shape [${x.shape.join(',')}]`);
  const baseline = options.baseline ?? 0;
  if (typeof baseline !== 'number' || !Number.isFinite(baseline)) argError(fn, 'baseline', 'a finite number', describe(baseline));
  const format = formatOf(fn, null, options.dataFormat);
  const n = x.shape[0]!;
  // The input as [N, H, W, C] index arithmetic: features are one row of F single-channel pixels.
  const [h, w, c] = x.rank === 2 ? [1, x.shape[1]!, 1] : format === 'channelsLast' ? [x.shape[1]!, x.shape[2]!, x.shape[3]!] : [x.shape[2]!, x.shape[3]!, x.shape[1]!];
  const pair = (arg: string, v: unknown, fallback: [number, number]): [number, number] => {
    if (v === undefined) return fallback;
    let list: unknown[] = [];
    if (typeof v === 'number') list = x.rank === 2 ? [1, v] : [v, v];
    else if (x.rank === 4 && Array.isArray(v) && v.length === 2) list = v;
    else argError(fn, arg, x.rank === 2 ? 'a positive integer' : 'a positive integer or [h, w]', describe(v));
    if (!list.every((k) => typeof k === 'number' && Number.isInteger(k) && k >= 1)) argError(fn, arg, 'positive integers', describe(v));
    return list as [number, number];
  };
  const defaultWindow = x.rank === 2 ? 1 : Math.max(1, Math.round(Math.min(h, w) / 4));
  const [wh, ww] = pair('window', options.window, [x.rank === 2 ? 1 : defaultWindow, defaultWindow]);
  if (wh > h || ww > w) argError(fn, 'window', `a patch within the input's ${h}x${w} positions`, describe(options.window));
  const [sh, sw] = pair('stride', options.stride, [Math.max(1, Math.floor(wh / 2)), Math.max(1, Math.floor(ww / 2))]);
  const classes = resolveClasses(fn, model, x, options.classIndex);
  const target = checkTarget(fn, options.target, 'output');
  const score = (input: Tensor): Float32Array => noGrad(() => Float32Array.from(classScores(fn, model, input, classes, undefined, target).dataSync()));

  const original = Float32Array.from(x.dataSync());
  const base = score(x);
  const drop = new Float64Array(n * h * w);
  const count = new Uint32Array(h * w);
  const index = format === 'channelsLast' || x.rank === 2
    ? (s: number, yy: number, xx: number, ch: number) => ((s * h + yy) * w + xx) * c + ch
    : (s: number, yy: number, xx: number, ch: number) => ((s * c + ch) * h + yy) * w + xx;
  const starts = (size: number, win: number, step: number): number[] => {
    const list: number[] = [];
    for (let p = 0; p + win <= size; p += step) list.push(p);
    // The last patch reaches the edge even when the stride does not divide the size.
    if (list[list.length - 1]! + win < size) list.push(size - win);
    return list;
  };
  const work = new Float32Array(original.length);
  for (const y0 of starts(h, wh, sh)) {
    for (const x0 of starts(w, ww, sw)) {
      work.set(original);
      for (let s = 0; s < n; s++) {
        for (let yy = y0; yy < y0 + wh; yy++) for (let xx = x0; xx < x0 + ww; xx++) for (let ch = 0; ch < c; ch++) work[index(s, yy, xx, ch)] = baseline;
      }
      const occluded = score(tensor(work, x.shape.slice()));
      for (let yy = y0; yy < y0 + wh; yy++) {
        for (let xx = x0; xx < x0 + ww; xx++) {
          count[yy * w + xx]!++;
          for (let s = 0; s < n; s++) drop[(s * h + yy) * w + xx]! += base[s]! - occluded[s]!;
        }
      }
      await yieldToEventLoop();
    }
  }
  const out = new Float32Array(n * h * w);
  for (let s = 0; s < n; s++) for (let p = 0; p < h * w; p++) out[s * h * w + p] = count[p]! > 0 ? drop[s * h * w + p]! / count[p]! : 0;
  return tensor(out, x.rank === 2 ? [n, w] : [n, h, w]);
}
