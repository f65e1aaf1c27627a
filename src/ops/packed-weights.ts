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

// Keyed by the weight tensor, then by packing: a layer's kernel and an imported initializer keep
// theirs across calls, and the entries go with it.
const cache = new WeakMap<Tensor, Map<string, Entry>>();

/**
 * @internal w packed by `make` (at the addon's panel width) for the packing named `kind`, cached
 * per tensor and kind and valid while w's storage version stands: an in-place write (optimizer
 * steps, setWeights and friends bump the version) makes the next call pack again. `when`:
 * - 'second use' packs on the second call at one version (a first use only records the version,
 *   so a tensor seen once, or a weight updated between calls as in training, costs nothing and
 *   holds no copy);
 * - 'now' packs on the first call (an inference plan's fixed weights);
 * - 'cached' never packs: the panels a 'now' call left, if still valid.
 * Memory handed to user code (dataSync, or wrapped user arrays) can change without a version bump,
 * so it is never packed. Null when the addon is absent or w does not qualify.
 */
export function packedOnce(w: Tensor, kind: string, when: 'now' | 'second use' | 'cached', make: (width: number) => Float32Array): PackedPanels | null {
  const addon = activeAddon();
  if (!addon || w.dtype !== 'float32' || w.storage.escaped) return null;
  const version = w.storage.version;
  const width = addon.gemmPackWidth();
  let kinds = cache.get(w);
  let hit = kinds?.get(kind);
  if (hit && hit.version === version) {
    if (hit.panels && hit.panels.width === width) return hit.panels;
    if (when === 'cached') return null;
  } else {
    if (when === 'cached') return null;
    hit = { version, panels: null };
    if (!kinds) cache.set(w, (kinds = new Map()));
    kinds.set(kind, hit);
    if (when !== 'now') return null;
  }
  hit.panels = { data: make(width), width };
  return hit.panels;
}

/**
 * @internal The panels of a weight w (k x n, row stride ld, untransposed) for inference GEMMs (see
 * packedOnce). Without them every call packs the whole weight again, a pass over it that costs a
 * batch-64 784x512 dense layer ~12% of its time, and a convolution one pass per output tile
 * (onnxruntime packs its constant weights once too).
 */
export function packedWeight(w: Tensor, k: number, n: number, ld: number, when: 'now' | 'second use' = 'second use'): PackedPanels | null {
  if (k < 1 || n < 1) return null;
  return packedOnce(w, 'gemm-b', when, (width) => {
    const data = new Float32Array(Math.ceil(n / width) * width * k);
    activeAddon()!.gemmPackB(w.buffer as Float32Array, data, pack.gemmPackB({ k, n, ldb: ld, bOffset: w.offset }));
    return data;
  });
}
