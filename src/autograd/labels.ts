import type { Tensor } from '../tensor/tensor';

// Names for tensors that users differentiate by reference (layer weights), so a gradient error can
// say which one went wrong ("weight 'dense_1/kernel'") instead of only its shape.
const labels = new WeakMap<Tensor, string>();

/** @internal records a human name for `t` (layers label their weights `<layer>/<weight>`) */
export function labelTensor(t: Tensor, label: string): void {
  labels.set(t, label);
}

/** @internal the name recorded for `t`, or null */
export function tensorLabel(t: Tensor): string | null {
  return labels.get(t) ?? null;
}
