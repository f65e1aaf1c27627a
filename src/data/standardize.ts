import { argError, describe } from '../errors';
import { div, mul, add, sub } from '../ops/binary';
import { shapesEqual } from '../tensor/shape';
import { Tensor, tidy } from '../tensor/tensor';
import { type DataLike, floatInput } from './float-input';
import { valuesOf } from './label-values';

/**
 * Z-score scaling per feature, like sklearn's StandardScaler: `fit` learns each feature's mean and
 * population standard deviation over the rows (axis 0); `transform` maps x to (x - mean) / std.
 * Fit on the training data only and transform both train and test with it, so the test set is
 * scaled by statistics the model could have known. A feature with zero spread gets std 1 (it maps
 * to 0 instead of dividing by zero).
 *
 * Statistics are accumulated in float64, so a constant column comes out with exactly zero spread.
 * Rows may be vectors or any shape (images [n, h, w, c] standardize per pixel position).
 *
 * @example
 * const scaler = standardScaler().fit(xTrain);
 * const a = scaler.transform(xTrain), b = scaler.transform(xTest);
 */
export class Standardizer {
  private meanValues: Float64Array | null = null;
  private stdValues: Float64Array | null = null;
  private rowShape: number[] = [];

  /** Whether `fit` has run. */
  get isFitted(): boolean {
    return this.meanValues !== null;
  }

  /** Per-feature means (float32, shape of one row). */
  get mean(): Tensor {
    return this.stat('mean', this.meanValues);
  }

  /** Per-feature standard deviations as used for scaling (zeros replaced by 1). */
  get std(): Tensor {
    return this.stat('std', this.stdValues);
  }

  /** Learns per-feature mean and standard deviation from `x` (rows first). Returns this, so calls chain. */
  fit(x: DataLike): this {
    const t = floatInput('Standardizer.fit', 'x', x);
    const n = t.shape[0]!;
    if (n === 0) argError('Standardizer.fit', 'x', 'at least one row', describe(t));
    const f = t.size / n;
    const v = valuesOf(t);
    const mean = new Float64Array(f);
    for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) mean[j] = mean[j]! + v[r * f + j]!;
    for (let j = 0; j < f; j++) mean[j] = mean[j]! / n;
    // Two passes (mean, then squared deviations) rather than sum of squares, which cancels badly.
    const std = new Float64Array(f);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < f; j++) {
        const d = v[r * f + j]! - mean[j]!;
        std[j] = std[j]! + d * d;
      }
    }
    for (let j = 0; j < f; j++) {
      const s = Math.sqrt(std[j]! / n);
      std[j] = s === 0 ? 1 : s;
    }
    this.meanValues = mean;
    this.stdValues = std;
    this.rowShape = t.shape.slice(1);
    return this;
  }

  /** (x - mean) / std with the fitted statistics; `x` rows must have the shape the fit saw. */
  transform(x: DataLike): Tensor {
    const t = this.checked('transform', x);
    return tidy(() => div(sub(t, this.mean), this.std));
  }

  /** `fit(x)` then `transform(x)`. */
  fitTransform(x: DataLike): Tensor {
    return this.fit(x).transform(x);
  }

  /** Undoes {@link transform}: x * std + mean. */
  inverseTransform(x: DataLike): Tensor {
    const t = this.checked('inverseTransform', x);
    return tidy(() => add(mul(t, this.std), this.mean));
  }

  private checked(method: string, x: DataLike): Tensor {
    const fn = `Standardizer.${method}`;
    if (!this.meanValues) throw new Error(`${fn}: the scaler is not fitted yet; call fit(xTrain) first`);
    const t = floatInput(fn, 'x', x);
    if (!shapesEqual(t.shape.slice(1), this.rowShape)) {
      argError(fn, 'x', `rows of shape [${this.rowShape.join(',')}] as seen by fit`, `shape [${t.shape.join(',')}]`);
    }
    return t;
  }

  private stat(name: string, values: Float64Array | null): Tensor {
    if (!values) throw new Error(`Standardizer.${name}: the scaler is not fitted yet; call fit(xTrain) first`);
    return Tensor.fromArray(Float32Array.from(values), this.rowShape.slice());
  }
}

/** A new, unfitted {@link Standardizer} (sklearn's `StandardScaler()`). */
export function standardScaler(): Standardizer {
  return new Standardizer();
}

/** Standardizes `x` by its own per-feature mean and standard deviation: `standardScaler().fitTransform(x)`. */
export function standardize(x: DataLike): Tensor {
  return new Standardizer().fitTransform(x);
}
