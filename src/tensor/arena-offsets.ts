// Offsets in one buffer for values with known lifetimes, as onnxruntime's memory pattern plans them:
// shared by inference plans (lifetimes in plan steps) and training steps (lifetimes in allocations).

/** A value alive from step `first` to step `last` (inclusive), of `bytes` bytes. */
export interface Lifetime {
  readonly first: number;
  readonly last: number;
  readonly bytes: number;
}

const ALIGN = 64;

/**
 * Offsets (multiples of 64) for the lives such that two whose step ranges overlap never overlap in
 * memory: largest first, each at the lowest gap among the placed lives it overlaps in time.
 */
export function assignOffsets(lives: readonly Lifetime[]): { offsets: number[]; size: number } {
  const order = lives.map((_, i) => i).sort((a, b) => lives[b]!.bytes - lives[a]!.bytes || lives[a]!.first - lives[b]!.first);
  const offsets = new Array<number>(lives.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const l = lives[i]!;
    const need = Math.ceil(l.bytes / ALIGN) * ALIGN;
    const busy = placed
      .filter((p) => lives[p]!.first <= l.last && l.first <= lives[p]!.last)
      .map((p) => [offsets[p]!, offsets[p]! + Math.ceil(lives[p]!.bytes / ALIGN) * ALIGN] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [lo, hi] of busy) {
      if (lo - at >= need) break;
      at = Math.max(at, hi);
    }
    offsets[i] = at;
    placed.push(i);
    size = Math.max(size, at + need);
  }
  return { offsets, size };
}
