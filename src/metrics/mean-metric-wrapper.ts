import { argError, describe } from '../errors';
import { mul } from '../ops/binary';
import { sum } from '../ops/reduce';
import { Tensor } from '../tensor/tensor';
import { alignWeights } from '../losses/validate';
import { type Metric, type MetricFunction, divideNoNan, measure } from './metric';

/**
 * A metric that averages a per-sample function over the epoch (Keras `MeanMetricWrapper`):
 * accuracies, mse, mae and losses used as metrics. Each batch costs the function, one `sum`
 * (two with weights) and reading one number.
 */
export class MeanMetricWrapper implements Metric {
  readonly name: string;
  private readonly fn: MetricFunction;
  protected total = 0;
  protected count = 0;

  constructor(fn: MetricFunction, name: string = fn.name) {
    if (typeof fn !== 'function') argError('MeanMetricWrapper', 'fn', 'a function (yTrue, yPred) => Tensor', describe(fn));
    this.fn = fn;
    this.name = name || 'metric';
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    const [total, count] = measure(() => {
      const values = this.fn(yTrue, yPred);
      if (!(values instanceof Tensor)) argError(this.name, 'return value', 'a Tensor of per-sample values', describe(values));
      if (sampleWeight === undefined || sampleWeight === null) return [sum(values).item(), values.size];
      const w = alignWeights(this.name, sampleWeight, values.shape);
      // A [batch] weight over [batch, time] values counts once per value it covers.
      return [sum(mul(values, w)).item(), sum(w).item() * (values.size / Math.max(w.size, 1))];
    });
    this.total += total;
    this.count += count;
  }

  result(): number {
    return divideNoNan(this.total, this.count);
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}
