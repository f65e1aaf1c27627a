import { argError, describe } from '../errors';
import { greater, mul, notEqual } from '../ops/binary';
import { sum } from '../ops/reduce';
import type { Tensor } from '../tensor/tensor';
import { alignWeights, checkPair } from '../losses/validate';
import { type Metric, measure } from './metric';

/** Options of {@link Precision}, {@link Recall} and {@link F1Score}. */
export interface ThresholdMetricOptions {
  name?: string;
  /** A prediction counts as positive when `yPred > threshold`. Default 0.5 (probabilities). */
  threshold?: number;
}

/**
 * @internal the base of precision, recall and F1: weighted counts of true positives, predicted
 * positives and actual positives, summed over every element of every batch since the last reset.
 *
 * Every element is one binary decision (`yPred > threshold` vs `yTrue != 0`), as Keras's Precision
 * and Recall do. For multi-class one-hot labels that is MICRO-averaging: all classes' decisions are
 * pooled before dividing, so frequent classes weigh more (with softmax outputs, a row whose top
 * probability is <= threshold predicts no class at all).
 */
export abstract class ConfusionCounts implements Metric {
  readonly name: string;
  readonly threshold: number;
  protected truePositives = 0;
  protected predictedPositives = 0;
  protected actualPositives = 0;

  constructor(defaultName: string, options: ThresholdMetricOptions) {
    const threshold = options.threshold ?? 0.5;
    if (typeof threshold !== 'number' || Number.isNaN(threshold)) argError(defaultName, 'threshold', 'a number', describe(threshold));
    this.name = options.name ?? defaultName;
    this.threshold = threshold;
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    const [tp, pp, ap] = measure(() => {
      const p = checkPair(this.name, yTrue, yPred);
      const actual = notEqual(p.yTrue, 0);
      let predicted = greater(p.yPred, this.threshold);
      let actualWeighted = actual;
      if (sampleWeight !== undefined && sampleWeight !== null) {
        // One weight per sample, spread over that sample's decisions.
        const w = alignWeights(this.name, sampleWeight, p.yPred.shape);
        predicted = mul(predicted, w);
        actualWeighted = mul(actual, w);
      }
      return [sum(mul(predicted, actual)).item(), sum(predicted).item(), sum(actualWeighted).item()];
    });
    this.truePositives += tp;
    this.predictedPositives += pp;
    this.actualPositives += ap;
  }

  abstract result(): number;

  reset(): void {
    this.truePositives = 0;
    this.predictedPositives = 0;
    this.actualPositives = 0;
  }
}
