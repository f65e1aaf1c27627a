import { meanAbsoluteError } from '../losses/mean-absolute-error';
import { meanSquaredError } from '../losses/mean-squared-error';
import { MeanMetricWrapper } from './mean-metric-wrapper';

/** Epoch mean of {@link meanSquaredError} (Keras `metrics.MeanSquaredError`). */
export class MeanSquaredError extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(meanSquaredError, options.name ?? 'meanSquaredError');
  }
}

/** Epoch mean of {@link meanAbsoluteError} (Keras `metrics.MeanAbsoluteError`). */
export class MeanAbsoluteError extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(meanAbsoluteError, options.name ?? 'meanAbsoluteError');
  }
}
