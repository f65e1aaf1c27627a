import type { Tensor } from '../tensor/tensor';

// Keras's trick (TF backend): when a softmax or sigmoid output feeds a crossentropy loss, the loss is
// computed from the pre-activation logits instead, which is both exact (no clipping at 1e-7) and
// cheaper to differentiate. Layers record the logits behind their probability outputs here.
const table = new WeakMap<Tensor, { kind: 'softmax' | 'sigmoid'; logits: Tensor }>();

/** @internal records that `probabilities = kind(logits)` */
export function attachLogits(probabilities: Tensor, kind: 'softmax' | 'sigmoid', logits: Tensor): Tensor {
  table.set(probabilities, { kind, logits });
  return probabilities;
}

/**
 * @internal the logits behind a softmax/sigmoid output, when a layer recorded them and they are
 * still alive: predict() and tidy scopes release the logits while handing out the probabilities, and
 * a loss computed later on those probabilities then falls back to them (clipped), as Keras does for
 * tensors without logits.
 */
export function logitsOf(probabilities: Tensor, kind: 'softmax' | 'sigmoid'): Tensor | null {
  const entry = table.get(probabilities);
  if (!entry || entry.kind !== kind || entry.logits.isDisposed) return null;
  return entry.logits;
}

const warned = new Set<string>();

/**
 * @internal warns once per loss when `fromLogits: true` is given a softmax/sigmoid layer's output:
 * probabilities taken for logits give a wrong loss and slow training (Keras warns the same way).
 */
export function warnIfNotLogits(loss: string, yPred: Tensor, kind: 'softmax' | 'sigmoid'): void {
  const entry = table.get(yPred);
  if (!entry || entry.kind !== kind || warned.has(loss)) return;
  warned.add(loss);
  process.emitWarning(
    `${loss} received fromLogits: true, but yPred was produced by a ${kind} activation and thus holds probabilities, not logits. `
      + `Was this intended? Drop the ${kind} from the last layer or use fromLogits: false.`,
    { code: 'TENSORFORGE_FROM_LOGITS' },
  );
}
