import type { Tensor } from '../tensor/tensor';
import { sumSquares } from './fused-kernel';

/** The clipping an optimizer applies to gradients before its update (Keras semantics; at most one is set). */
export interface ClipSettings {
  /** Each gradient is scaled so its own L2 norm is at most this. */
  clipNorm: number | null;
  /** All gradients are scaled together so their joint L2 norm is at most this. */
  globalClipNorm: number | null;
  /** Each element is clamped to [-clipValue, clipValue] (done inside the fused kernel). */
  clipValue: number | null;
}

function l2Norm(g: Tensor): number {
  return Math.sqrt(sumSquares(g.buffer as Float32Array, g.offset, g.size));
}

/**
 * The factor each (contiguous) gradient is multiplied by, or null when no norm clipping is set.
 * Like Keras, a non-finite global norm gives NaN (the update is poisoned rather than silently
 * skipped) and a NaN per-tensor norm gives NaN for that tensor.
 */
export function normClipScales(grads: readonly Tensor[], clip: ClipSettings): number[] | null {
  if (clip.clipNorm !== null) {
    const c = clip.clipNorm;
    return grads.map((g) => {
      const norm = l2Norm(g);
      return Number.isNaN(norm) ? NaN : norm > c ? c / norm : 1;
    });
  }
  if (clip.globalClipNorm !== null) {
    const c = clip.globalClipNorm;
    let total = 0;
    for (const g of grads) total += sumSquares(g.buffer as Float32Array, g.offset, g.size);
    const norm = Math.sqrt(total);
    const scale = !Number.isFinite(norm) ? NaN : norm > c ? c / norm : 1;
    return grads.map(() => scale);
  }
  return null;
}
