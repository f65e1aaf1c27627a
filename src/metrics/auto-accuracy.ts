import { Tensor } from '../tensor/tensor';
import { canonicalLossName } from '../losses/registry';
import { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from './accuracy';
import type { Metric, MetricContext } from './metric';

type AccuracyKind = 'binary' | 'sparse' | 'categorical';

/**
 * The accuracy that 'accuracy' / 'acc' means for this model, or null when the context does not
 * tell: binary for binary crossentropy or a 1-unit output (tfjs-layers' rule), sparse for sparse
 * categorical crossentropy, categorical for categorical crossentropy.
 */
export function accuracyKindFromContext(context: MetricContext): AccuracyKind | null {
  const loss = context.lossName === undefined ? undefined : canonicalLossName(context.lossName);
  const shape = context.outputShape;
  const units = shape && shape.length > 0 ? shape[shape.length - 1] : undefined;
  if (loss === 'binaryCrossentropy' || units === 1) return 'binary';
  if (loss === 'sparseCategoricalCrossentropy') return 'sparse';
  if (loss === 'categoricalCrossentropy') return 'categorical';
  return null;
}

/** Keras's rule from the first batch's shapes (used when the loss does not decide). */
function accuracyKindFromShapes(yTrue: Tensor, yPred: Tensor): AccuracyKind {
  const predLast = yPred.shape[yPred.rank - 1];
  const trueLast = yTrue.shape[yTrue.rank - 1];
  if (predLast === 1) return 'binary';
  if (yTrue.rank < yPred.rank || (trueLast === 1 && predLast !== undefined && predLast > 1)) return 'sparse';
  return 'categorical';
}

function build(kind: AccuracyKind, name: string): Metric {
  if (kind === 'binary') return new BinaryAccuracy({ name });
  if (kind === 'sparse') return new SparseCategoricalAccuracy({ name });
  return new CategoricalAccuracy({ name });
}

/**
 * 'accuracy' / 'acc': the binary, sparse categorical or categorical accuracy picked from the
 * context (see {@link accuracyKindFromContext}) or else from the first batch's shapes as Keras
 * does, then kept for the metric's lifetime. Its name is the identifier the user passed.
 */
export class Accuracy implements Metric {
  readonly name: string;
  private inner: Metric | null;

  constructor(name = 'accuracy', context: MetricContext = {}) {
    this.name = name;
    const kind = accuracyKindFromContext(context);
    this.inner = kind ? build(kind, name) : null;
  }

  /** Which accuracy was picked, or null until the first update decides. */
  get kind(): AccuracyKind | null {
    if (this.inner instanceof BinaryAccuracy) return 'binary';
    if (this.inner instanceof SparseCategoricalAccuracy) return 'sparse';
    if (this.inner instanceof CategoricalAccuracy) return 'categorical';
    return null;
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null): void {
    if (!this.inner) {
      if (!(yTrue instanceof Tensor) || !(yPred instanceof Tensor) || yPred.rank === 0) {
        // Not shapes to decide from: let a throwaway accuracy report the bad input, choosing nothing.
        build('categorical', this.name).update(yTrue, yPred, sampleWeight);
        return;
      }
      this.inner = build(accuracyKindFromShapes(yTrue, yPred), this.name);
    }
    this.inner.update(yTrue, yPred, sampleWeight);
  }

  result(): number {
    return this.inner ? this.inner.result() : 0;
  }

  reset(): void {
    this.inner?.reset();
  }
}
