import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { alignWeights, checkPair } from '../losses/validate';
import { type Metric, divideNoNan, measure } from './metric';

/** Options of {@link AUC}. */
export interface AUCOptions {
  name?: string;
  /** Number of thresholds of the ROC curve, >= 3 (default 200, as Keras). */
  numThresholds?: number;
  /** yPred holds logits: a sigmoid is applied first. Default false (probabilities in [0, 1]). */
  fromLogits?: boolean;
}

/**
 * Area under the ROC curve over the epoch, approximated as Keras `AUC()` does: true/false positive
 * counts at `numThresholds` thresholds (-1e-7, 1/(n-1), ..., (n-2)/(n-1), 1+1e-7), then the
 * trapezoidal rule over (FPR, TPR). It is exact up to predictions that fall between two thresholds
 * (resolution 1/(n-1)); an exact AUC would have to keep every prediction of the epoch.
 *
 * Every element is one decision (yTrue != 0 is positive), so multi-label outputs are micro-averaged.
 * Predictions must lie in [0, 1] unless `fromLogits` is set.
 */
export class AUC implements Metric {
  readonly name: string;
  readonly numThresholds: number;
  readonly fromLogits: boolean;
  private readonly thresholds: Float32Array;
  /** Weighted counts of positives / negatives whose prediction exceeds exactly k thresholds. */
  private readonly positives: Float64Array;
  private readonly negatives: Float64Array;

  constructor(options: AUCOptions = {}) {
    const n = options.numThresholds ?? 200;
    if (!Number.isInteger(n) || n < 3) argError('AUC', 'numThresholds', 'an integer >= 3', describe(n));
    this.name = options.name ?? 'auc';
    this.numThresholds = n;
    this.fromLogits = options.fromLogits === true;
    // float32 like Keras's threshold tensor, so borderline predictions land on the same side.
    this.thresholds = new Float32Array(n);
    this.thresholds[0] = -1e-7;
    for (let i = 1; i < n - 1; i++) this.thresholds[i] = i / (n - 1);
    this.thresholds[n - 1] = 1 + 1e-7;
    this.positives = new Float64Array(n + 1);
    this.negatives = new Float64Array(n + 1);
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    // No op builds a histogram, so this reads predictions once and buckets them in JS: O(elements)
    // with no per-threshold work, where comparing against every threshold with ops would cost
    // numThresholds times more.
    measure(() => {
      const p = checkPair(this.name, yTrue, yPred);
      const w = sampleWeight === undefined || sampleWeight === null ? null : alignWeights(this.name, sampleWeight, p.yPred.shape);
      this.accumulate(p.yTrue, p.yPred, w);
    });
  }

  /** Buckets every prediction; runs inside `measure`, so the tensors are alive while it reads them. */
  private accumulate(yTrue: Tensor, yPred: Tensor, weight: Tensor | null): void {
    // Storage reads, not dataSync(), which would keep the model's output buffers out of the pool.
    const truthT = yTrue.contiguousCopy();
    const predT = yPred.contiguousCopy();
    const weightT = weight ? weight.contiguousCopy() : null;
    const truth = truthT.buffer;
    const pred = predT.buffer;
    const weights = weightT ? weightT.buffer : null;
    const weightOffset = weightT ? weightT.offset : 0;
    const perWeight = weightT ? yPred.size / Math.max(weightT.size, 1) : 1;
    const t = this.thresholds;
    const n = this.numThresholds;
    // Counted apart and merged at the end, so a bad value leaves the epoch's state untouched.
    const positives = new Float64Array(n + 1);
    const negatives = new Float64Array(n + 1);
    for (let i = 0; i < yPred.size; i++) {
      let v = pred[predT.offset + i]!;
      if (this.fromLogits) v = Math.fround(v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
      else if (!(v >= 0 && v <= 1)) {
        argError(this.name, 'yPred', 'probabilities in [0, 1] (set fromLogits: true for logits)', `${v} at index ${i}`);
      }
      // k = number of thresholds strictly below v; start from the uniform-grid guess and correct it.
      let k = Math.min(n, Math.max(0, Math.floor(v * (n - 1))));
      while (k < n && t[k]! < v) k++;
      while (k > 0 && t[k - 1]! >= v) k--;
      const w = weights ? weights[weightOffset + Math.floor(i / perWeight)]! : 1;
      if (truth[truthT.offset + i] !== 0) positives[k]! += w;
      else negatives[k]! += w;
    }
    for (let k = 0; k <= n; k++) {
      this.positives[k]! += positives[k]!;
      this.negatives[k]! += negatives[k]!;
    }
  }

  result(): number {
    const n = this.numThresholds;
    // Counts above threshold i are the suffix sums over k > i.
    const tp = new Float64Array(n);
    const fp = new Float64Array(n);
    let accP = this.positives[n]!;
    let accN = this.negatives[n]!;
    for (let i = n - 1; i >= 0; i--) {
      tp[i] = accP;
      fp[i] = accN;
      accP += this.positives[i]!;
      accN += this.negatives[i]!;
    }
    const totalP = accP;
    const totalN = accN;
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const fpr0 = divideNoNan(fp[i]!, totalN);
      const fpr1 = divideNoNan(fp[i + 1]!, totalN);
      const tpr0 = divideNoNan(tp[i]!, totalP);
      const tpr1 = divideNoNan(tp[i + 1]!, totalP);
      area += (fpr0 - fpr1) * (tpr0 + tpr1) * 0.5;
    }
    return area;
  }

  reset(): void {
    this.positives.fill(0);
    this.negatives.fill(0);
  }
}
