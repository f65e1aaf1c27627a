import { argError, describe } from '../errors';
import { mul } from '../ops/binary';
import { sum } from '../ops/reduce';
import { Tensor } from '../tensor/tensor';
import { alignWeights } from '../losses/validate';
import { divideNoNan, measure } from './metric';

/**
 * The weighted mean of every value given since the last reset (Keras `metrics.Mean`). The model
 * tracks the epoch loss with it: `lossMean.update(batchLoss, batchSize)` weights each batch's mean
 * loss by its size, so the result is the mean per-sample loss over the epoch.
 *
 * Unlike the other metrics it takes values, not (yTrue, yPred): `update(values, sampleWeight?)`.
 */
export class Mean {
  readonly name: string;
  private total = 0;
  private count = 0;

  constructor(name = 'mean') {
    this.name = name;
  }

  /**
   * Adds values: a number (with weight `sampleWeight`, default 1), or every element of a tensor
   * (weighted by a number, or by a tensor whose shape is a prefix of the values' shape).
   */
  update(values: Tensor | number, sampleWeight?: Tensor | number | null): void {
    const w = sampleWeight ?? 1;
    if (typeof values === 'number') {
      if (typeof w !== 'number') argError('Mean.update', 'sampleWeight', 'a number when values is a number', describe(w));
      this.add(values * w, w);
      return;
    }
    if (!(values instanceof Tensor)) argError('Mean.update', 'values', 'a Tensor or a number', describe(values));
    if (typeof w === 'number') {
      const total = measure(() => sum(values).item());
      this.add(total * w, values.size * w);
      return;
    }
    const [total, count] = measure(() => {
      const wb = alignWeights('Mean.update', w, values.shape);
      return [sum(mul(values, wb)).item(), sum(wb).item() * (values.size / Math.max(wb.size, 1))];
    });
    this.add(total, count);
  }

  private add(total: number, count: number): void {
    this.total += total;
    this.count += count;
  }

  /** total / count, or 0 before any update. */
  result(): number {
    return divideNoNan(this.total, this.count);
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}
