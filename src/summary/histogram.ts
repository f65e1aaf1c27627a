// TF2 histogram buckets: a [k, 3] table of (left edge, right edge, count), as TensorBoard's
// histogram plugin computes them (equal-width buckets from min to max).

/** Default bucket count, as in TensorBoard. */
export const DEFAULT_BUCKETS = 30;

/**
 * Buckets the finite values of `values` into `bucketCount` equal-width buckets spanning min..max.
 * No finite values give no buckets; all-equal values give one bucket [v - 0.5, v + 0.5].
 * Returns the rows flattened (left, right, count, left, right, count, ...).
 */
export function histogramBuckets(values: ArrayLike<number>, bucketCount: number): number[] {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return [];
  const range = max - min;
  if (range === 0) return [min - 0.5, min + 0.5, n];
  const counts = new Float64Array(bucketCount);
  const width = range / bucketCount;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(Math.floor((v - min) / width), bucketCount - 1)]!++;
  }
  const out: number[] = [];
  for (let b = 0; b < bucketCount; b++) {
    const left = min + (range * b) / bucketCount;
    const right = b === bucketCount - 1 ? max : min + (range * (b + 1)) / bucketCount;
    out.push(left, right, counts[b]!);
  }
  return out;
}
