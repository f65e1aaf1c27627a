// One buffer for an inference plan's intermediates, planned once per input shape as onnxruntime's
// memory pattern does: each storage a step makes gets a fixed region, and storages whose lifetimes
// overlap get disjoint ones. The buffer pool kept one buffer per size class per live value, so a
// batch-1 efficientnet_b0 pass touched 43 buffers (20 MB) of activations besides its 21 MB of
// weights: more than the 32 MB L3, so every layer found its input and weights evicted. onnxruntime
// with its arena and memory pattern off slows down the same way (kernel sum 16.5 -> 20.4-22.1 ms).
import { type Lifetime, assignOffsets } from '../../tensor/arena-offsets';
import { type ArenaOffer, type Storage, allocateArena, offerArena } from '../../tensor/storage';
import type { Tensor } from '../../tensor/tensor';

/** A storage made by step `first` as its output `out`, last read by step `last`, of `bytes` bytes. */
export interface StorageLife extends Lifetime {
  readonly out: number;
}

/**
 * The arena of one plan and the regions offered to each step. A region is checked after its step:
 * if something other than the step's planned output took it and is still alive (a value an op
 * caches across calls), that storage is moved to memory of its own and the plan stops using the
 * arena, so nothing the arena holds is ever shared.
 */
export class PlanArena {
  /** Bytes of the arena. */
  readonly bytes: number;
  private readonly offers: (ArenaOffer | null)[];
  /** Per step: the output index each offered region is planned for. */
  private readonly expect: (Int32Array | null)[];
  /** Per step: the regions (step, index in its offer) whose storage must be released after it. */
  private readonly ending: (number[] | null)[];
  private active = true;

  constructor(stepCount: number, lives: readonly StorageLife[]) {
    const { offsets, size } = assignOffsets(lives);
    this.bytes = size;
    const { buffer, base } = allocateArena(size);
    const at: { offsets: number[]; bytes: number[]; outs: number[] }[] = Array.from({ length: stepCount }, () => ({ offsets: [], bytes: [], outs: [] }));
    this.ending = Array.from({ length: stepCount }, () => null);
    lives.forEach((l, i) => {
      const s = at[l.first]!;
      (this.ending[l.last] ??= []).push(l.first, s.bytes.length);
      s.offsets.push(base + offsets[i]!);
      s.bytes.push(l.bytes);
      s.outs.push(l.out);
    });
    this.offers = at.map((s) => (s.bytes.length ? { buffer, offsets: s.offsets, bytes: s.bytes, taken: s.bytes.map(() => null) } : null));
    this.expect = at.map((s) => (s.outs.length ? Int32Array.from(s.outs) : null));
  }

  /** Whether the plan still runs on the arena. */
  get inUse(): boolean {
    return this.active;
  }

  /** Offers step `j`'s regions to the allocations it is about to make. */
  before(j: number): void {
    const o = this.active ? this.offers[j] : null;
    if (!o) return;
    o.taken.fill(null);
    offerArena(o);
  }

  /** Withdraws any offer (after a step, whether it ran or threw). */
  withdraw(): void {
    offerArena(null);
  }

  /** Checks who took step `j`'s regions, once its temporaries are disposed. */
  check(j: number, outs: readonly (Tensor | undefined)[]): void {
    const o = this.offers[j];
    if (!o || !this.active) return;
    const expect = this.expect[j]!;
    for (let i = 0; i < o.taken.length; i++) {
      const st = o.taken[i];
      if (!st || st.data === null || outs[expect[i]!]?.storage === st) continue;
      this.evict(st);
    }
  }

  /**
   * After step `j` has freed its dead values: the storages planned to end here must be released.
   * One still held (by a tensor an op kept) is moved out before its region is reused.
   */
  released(j: number): void {
    const e = this.ending[j];
    if (!e || !this.active) return;
    for (let k = 0; k < e.length; k += 2) {
      const st = this.offers[e[k]!]!.taken[e[k + 1]!];
      if (st && st.data !== null) this.evict(st);
    }
  }

  private evict(st: Storage): void {
    st.data = st.data!.slice();
    this.active = false;
  }
}
