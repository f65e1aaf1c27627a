import { argError, describe } from '../errors';
import { broadcastTo } from '../ops/views';
import type { Tensor } from '../tensor/tensor';
import { alignWeights, checkPair } from '../losses/validate';
import { ConfusionCounts, type ThresholdMetricOptions } from './confusion-counts';
import { divideNoNan, measure } from './metric';

/** Options of {@link F1Score}. */
export interface F1ScoreOptions extends Omit<ThresholdMetricOptions, 'threshold'> {
  /**
   * A score counts as a positive prediction when `yPred > threshold` (default 0.5); `null` predicts
   * each row's largest score instead (Keras `threshold=None`, for softmax outputs).
   */
  threshold?: number | null;
  /**
   * How classes (the last axis) combine: `'micro'` (default) pools every decision before dividing;
   * `'macro'` averages the per-class F1 scores; `'weighted'` averages them weighted by each class's
   * number of true samples.
   */
  average?: 'micro' | 'macro' | 'weighted';
}

const AVERAGES = ['micro', 'macro', 'weighted'];

/**
 * F1 = 2 precision recall / (precision + recall) = 2 TP / (2 TP + FP + FN) over the epoch (Keras
 * `F1Score`); 0 when there are neither predicted nor actual positives. One-hot multi-class labels are
 * micro-averaged by default (see {@link ConfusionCounts}); `average: 'macro' | 'weighted'` scores
 * each class (last axis) separately and averages those.
 */
export class F1Score extends ConfusionCounts {
  readonly average: 'micro' | 'macro' | 'weighted';
  readonly argmax: boolean;
  // Per-class counts, for macro/weighted averages and argmax predictions.
  private classTp: number[] = [];
  private classPredicted: number[] = [];
  private classActual: number[] = [];

  constructor(options: F1ScoreOptions = {}) {
    const average = options.average ?? 'micro';
    if (!AVERAGES.includes(average)) argError('f1Score', 'average', "'micro', 'macro' or 'weighted'", describe(options.average));
    super('f1Score', { name: options.name, threshold: options.threshold ?? 0.5 });
    this.average = average;
    this.argmax = options.threshold === null;
  }

  override update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    if (this.average === 'micro' && !this.argmax) return super.update(yTrue, yPred, sampleWeight);
    measure(() => {
      const p = checkPair(this.name, yTrue, yPred);
      const k = p.yPred.rank === 0 ? 1 : p.yPred.shape[p.yPred.rank - 1]!;
      const rows = p.yPred.size / Math.max(k, 1);
      const pred = p.yPred.dataSync();
      const truth = p.yTrue.dataSync();
      const w = sampleWeight === undefined || sampleWeight === null ? null : broadcastTo(alignWeights(this.name, sampleWeight, p.yPred.shape), p.yPred.shape).dataSync();
      while (this.classTp.length < k) {
        this.classTp.push(0);
        this.classPredicted.push(0);
        this.classActual.push(0);
      }
      for (let r = 0; r < rows; r++) {
        let best = 0;
        if (this.argmax) for (let j = 1; j < k; j++) if (pred[r * k + j]! > pred[r * k + best]!) best = j;
        for (let j = 0; j < k; j++) {
          const i = r * k + j;
          const weight = w ? w[i]! : 1;
          const predicted = this.argmax ? (j === best ? 1 : 0) : pred[i]! > this.threshold ? 1 : 0;
          const actual = truth[i] !== 0 ? 1 : 0;
          this.classTp[j]! += predicted * actual * weight;
          this.classPredicted[j]! += predicted * weight;
          this.classActual[j]! += actual * weight;
        }
      }
    });
  }

  result(): number {
    if (this.average === 'micro' && !this.argmax) return divideNoNan(2 * this.truePositives, this.predictedPositives + this.actualPositives);
    const f1 = this.classTp.map((tp, j) => divideNoNan(2 * tp, this.classPredicted[j]! + this.classActual[j]!));
    if (f1.length === 0) return 0;
    if (this.average === 'micro') {
      const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
      return divideNoNan(2 * sum(this.classTp), sum(this.classPredicted) + sum(this.classActual));
    }
    if (this.average === 'macro') return f1.reduce((s, v) => s + v, 0) / f1.length;
    const total = this.classActual.reduce((s, v) => s + v, 0);
    return divideNoNan(f1.reduce((s, v, j) => s + v * this.classActual[j]!, 0), total);
  }

  override reset(): void {
    super.reset();
    this.classTp = [];
    this.classPredicted = [];
    this.classActual = [];
  }
}
