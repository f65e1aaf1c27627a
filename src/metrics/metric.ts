import { noGrad } from '../autograd/tape';
import { type Tensor, tidy } from '../tensor/tensor';

/**
 * A stateful metric accumulated over a whole epoch (not an average of batch values): the model
 * calls `update` after every batch, reads `result()` for logs and calls `reset()` between epochs.
 */
export interface Metric {
  /** Display name in logs and History: the identifier the user passed ('acc' stays 'acc'). */
  readonly name: string;
  /**
   * Adds one batch. `sampleWeight` (optional) holds one weight per sample, shape `[batch]` (or
   * `[batch, 1]`, or any prefix of the per-sample shape).
   */
  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void;
  /** The value over everything since the last reset; 0 before any update (as Keras). */
  result(): number;
  /** Clears the accumulated state. */
  reset(): void;
}

/** What `getMetric` knows about the model output, to pick the right accuracy for 'accuracy'. */
export interface MetricContext {
  /** The compiled loss's name (any alias: 'binary_crossentropy', 'sparseCategoricalCrossentropy'...). */
  lossName?: string;
  /** The output's shape, batch dimension as null or any number: `[null, 10]`. */
  outputShape?: readonly (number | null)[];
}

/** A per-sample metric function `(yTrue, yPred) => Tensor`, averaged over the epoch by the model. */
export type MetricFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * @internal runs a metric's per-batch computation off the tape and frees its tensors at once;
 * `fn` must read what it needs into JS numbers before returning.
 */
export function measure<T>(fn: () => T): T {
  return tidy(() => noGrad(fn));
}

/** @internal `a / b`, or 0 when b is 0 (Keras's divide_no_nan, so empty epochs read 0, not NaN). */
export function divideNoNan(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}
