// Deterministic inputs, generated once per case and shared by every implementation so all of them
// compute the same thing (and their outputs can be cross-checked).

/** Uniform floats in [-1, 1) from a small xorshift generator: seedable, and fast enough for 1M+ values. */
export function randomFloats(n, seed = 1) {
  let s = (seed * 0x9e3779b9) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** Max |x - ref| relative to max |ref| (floored at 1): a scale-free agreement test across implementations. */
export function relativeError(x, ref) {
  if (x.length !== ref.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(x[i] - ref[i]);
    if (!(d <= maxDiff)) maxDiff = d; // also catches NaN
    const r = Math.abs(ref[i]);
    if (r > maxRef) maxRef = r;
  }
  return maxDiff / maxRef;
}

/**
 * Max |x - ref| relative to max |ref| with no floor: for outputs whose scale is not O(1) (a random
 * network's logits can be 1e-2 or 1e+2), where relativeError's floor of 1 would hide a wrong answer.
 */
export function scaledError(x, ref) {
  if (x.length !== ref.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(x[i] - ref[i]);
    if (!(d <= maxDiff)) maxDiff = d;
    const r = Math.abs(ref[i]);
    if (r > maxRef) maxRef = r;
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff === 0 ? 0 : Infinity;
}
