import { ConfusionCounts, type ThresholdMetricOptions } from './confusion-counts';
import { divideNoNan } from './metric';

/**
 * F1 = 2 precision recall / (precision + recall) = 2 TP / (2 TP + FP + FN) over the epoch,
 * threshold 0.5; 0 when there are neither predicted nor actual positives. Multi-class one-hot labels
 * are micro-averaged (Keras `F1Score(average='micro', threshold=0.5)`; see {@link ConfusionCounts}).
 */
export class F1Score extends ConfusionCounts {
  constructor(options: ThresholdMetricOptions = {}) {
    super('f1Score', options);
  }

  result(): number {
    return divideNoNan(2 * this.truePositives, this.predictedPositives + this.actualPositives);
  }
}
