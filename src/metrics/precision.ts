import { ConfusionCounts, type ThresholdMetricOptions } from './confusion-counts';
import { divideNoNan } from './metric';

/**
 * Precision TP / (TP + FP) over the epoch (Keras `Precision`, threshold 0.5); 0 when nothing was
 * predicted positive. Multi-class one-hot labels are micro-averaged (see {@link ConfusionCounts}).
 */
export class Precision extends ConfusionCounts {
  constructor(options: ThresholdMetricOptions = {}) {
    super('precision', options);
  }

  result(): number {
    return divideNoNan(this.truePositives, this.predictedPositives);
  }
}
