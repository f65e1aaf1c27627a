import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import type { Tensor } from '../tensor/tensor';

/** B of a GEMM packed into the native kernels' panels at `width` columns (see gemmPackB). */
export interface PackedPanels {
  readonly data: Float32Array;
  readonly width: number;
}

interface Entry {
  version: number;
  panels: PackedPanels | null;
}

// Keyed by the weight tensor: a layer's kernel and an imported initializer keep theirs across
// calls, and the entry goes with it.
const cache = new WeakMap<Tensor, Entry>();

/**
 * @internal The panels of a weight w (k x n, row stride ld, untransposed) for inference GEMMs,
 * packed on its second use at the same storage version and reused until the next in-place write
 * (optimizer steps, setWeights and friends bump the version). Without this every call packs the
 * whole weight again, a pass over it that costs a batch-64 784x512 dense layer ~12% of its time,
 * and a convolution one pass per output tile (onnxruntime packs its constant weights once too).
 * `when: 'now'` packs on the first use (an inference plan's weights). A first use only records
 * the version, so a
 * product with a tensor seen once (or a weight updated between calls, as in training) costs
 * nothing and holds no copy. Memory handed to user code (dataSync, or wrapped user arrays) can
 * change without a version bump, so it is never packed. Null when the addon is absent or w does
 * not qualify.
 */
export function packedWeight(w: Tensor, k: number, n: number, ld: number, when: 'now' | 'second use' = 'second use'): PackedPanels | null {
  const addon = activeAddon();
  if (!addon || w.dtype !== 'float32' || k < 1 || n < 1 || w.storage.escaped) return null;
  const version = w.storage.version;
  let hit = cache.get(w);
  if (hit && hit.version === version) {
    if (hit.panels && hit.panels.width === addon.gemmPackWidth()) return hit.panels;
  } else {
    hit = { version, panels: null };
    cache.set(w, hit);
    if (when !== 'now') return null;
  }
  const width = addon.gemmPackWidth();
  const data = new Float32Array(Math.ceil(n / width) * width * k);
  addon.gemmPackB(w.buffer as Float32Array, data, pack.gemmPackB({ k, n, ldb: ld, bOffset: w.offset }));
  hit.panels = { data, width };
  return hit.panels;
}
