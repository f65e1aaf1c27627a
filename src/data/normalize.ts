import { argError, describe } from '../errors';
import { add, div, equal, mul, sub } from '../ops/binary';
import { max, min } from '../ops/reduce';
import { where } from '../ops/where';
import { normalizeAxes } from '../tensor/shape';
import { type Tensor, tidy } from '../tensor/tensor';
import { type DataLike, floatInput } from './float-input';

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Lower end of the output range; default 0. */
  min?: number;
  /** Upper end of the output range; default 1. */
  max?: number;
  /**
   * Axes the minimum and maximum are taken over; default 0, so each feature (column, or pixel
   * position for images) is scaled on its own, as sklearn's MinMaxScaler does. `null` scales by the
   * global minimum and maximum.
   */
  axis?: number | readonly number[] | null;
}

/**
 * Min-max scaling: maps each feature's [min, max] over `axis` onto [options.min, options.max]
 * (default [0, 1]). A constant feature has no range to divide by; it maps to options.min, as in
 * sklearn. Returns float32 (int32 input is cast). The statistics come from `x` itself; to scale test
 * data with the training data's range, use the same formula with the training min/max, or
 * {@link Standardizer} for z-scores.
 *
 * @example
 * normalize([[1, 10], [2, 20], [3, 40]]).toArray(); // [[0, 0], [0.5, 1/3], [1, 1]]
 */
export function normalize(x: DataLike, options: NormalizeOptions = {}): Tensor {
  const fn = 'normalize';
  const t = floatInput(fn, 'x', x);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an options object', describe(options));
  const lo = options.min ?? 0;
  const hi = options.max ?? 1;
  if (typeof lo !== 'number' || !Number.isFinite(lo)) argError(fn, 'options.min', 'a finite number', describe(lo));
  if (typeof hi !== 'number' || !Number.isFinite(hi) || !(hi > lo)) argError(fn, 'options.max', `a finite number greater than min (${lo})`, describe(hi));
  const axes = normalizeAxes(fn, options.axis === undefined ? 0 : options.axis, t.rank);
  if (axes.some((a) => t.shape[a] === 0)) argError(fn, 'x', 'at least one value along the scaled axes', describe(t));
  return tidy(() => {
    const dataMin = min(t, axes, true);
    const range = sub(max(t, axes, true), dataMin);
    // Constant features: x - min is 0 there, so dividing by 1 keeps them at the lower end.
    const safeRange = where(equal(range, 0), 1, range);
    return add(mul(div(sub(t, dataMin), safeRange), hi - lo), lo);
  });
}
