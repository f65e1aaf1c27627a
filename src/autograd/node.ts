import type { Tensor } from '../tensor/tensor';

/**
 * One recorded operation on the tape: its inputs and how to turn the gradient of its output into
 * gradients of its inputs (null for inputs that need none). Backward rules are written with ops.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
}
