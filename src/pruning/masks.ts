// Magnitude masks: which entries of a weight to zero so that it has a given sparsity, and writing
// those zeros into the weight in place (the optimizer and every cache see the same tensor).
import type { Tensor } from '../tensor/tensor';

/** 1 = keep, 0 = pruned; exactly round(sparsity * size) zeros, the smallest magnitudes first. */
export function magnitudeMask(value: Tensor, sparsity: number): Uint8Array {
  const n = value.size;
  const mask = new Uint8Array(n).fill(1);
  const k = Math.min(n, Math.round(sparsity * n));
  if (k === 0) return mask;
  const data = weightData(value);
  const abs = new Float32Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(data[i]!);
  const sorted = abs.slice().sort();
  const threshold = sorted[k - 1]!;
  // Everything below the threshold goes; ties at it go in index order until k are gone, so the
  // count is exact even when many weights are already zero.
  let removed = 0;
  for (let i = 0; i < n; i++) if (abs[i]! < threshold) (mask[i] = 0), removed++;
  for (let i = 0; i < n && removed < k; i++) if (abs[i] === threshold) (mask[i] = 0), removed++;
  return mask;
}

/** The weight's own elements (weights are contiguous: layers create them so). */
export function weightData(value: Tensor): Float32Array {
  if (!value.isContiguous || value.dtype !== 'float32') {
    throw new Error(`pruning: weight Tensor(${value.dtype}, shape [${value.shape.join(',')}]) must be contiguous float32`);
  }
  return (value.buffer as Float32Array).subarray(value.offset, value.offset + value.size);
}

/** Zeros the pruned entries of `value` in place. */
export function applyMask(value: Tensor, mask: Uint8Array): void {
  const data = weightData(value);
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) data[i] = 0;
  // Values derived from weights (pre-packed filters, compiled plans) rebuild on a version change.
  value.storage.version++;
}

/** Number of exact zeros in a tensor's elements. */
export function countZeros(value: Tensor): number {
  const c = value.contiguousCopy();
  const data = c.buffer.subarray(c.offset, c.offset + c.size);
  let z = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) z++;
  return z;
}
