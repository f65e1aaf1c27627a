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

/** @internal the logits behind a softmax/sigmoid output, when a layer recorded them */
export function logitsOf(probabilities: Tensor, kind: 'softmax' | 'sigmoid'): Tensor | null {
  const entry = table.get(probabilities);
  return entry && entry.kind === kind ? entry.logits : null;
}
