// Float32 scratch for per-row statistics a kernel writes but nobody keeps (attention's log-sum-exp,
// layer norm's mean and rstd in inference): one growing array per slot instead of a fresh typed
// array per call, whose backing store V8 tracks as external memory and collects with extra GCs.
// Only for values read before the op returns; anything a backward pass keeps gets its own array.
const slots = new Map<string, Float32Array>();

/** A Float32Array of length n, reused by the next call with the same slot name. */
export function scratchF32(slot: string, n: number): Float32Array {
  let a = slots.get(slot);
  if (!a || a.length < n) {
    a = new Float32Array(Math.max(n, 2 * (a?.length ?? 0)));
    slots.set(slot, a);
  }
  return a.length === n ? a : a.subarray(0, n);
}
