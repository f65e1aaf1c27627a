import { ConfusionCounts, type ThresholdMetricOptions } from './confusion-counts';
import { divideNoNan } from './metric';

/**
 * Recall TP / (TP + FN) over the epoch (Keras `Recall`, threshold 0.5); 0 when there were no
 * positives. Multi-class one-hot labels are micro-averaged (see {@link ConfusionCounts}).
 */
export class Recall extends ConfusionCounts {
  constructor(options: ThresholdMetricOptions = {}) {
    super('recall', options);
  }

  result(): number {
    return divideNoNan(this.truePositives, this.actualPositives);
  }
}
