// The arena planner: regions of values whose lifetimes overlap never overlap.
import { describe, expect, it } from 'vitest';
import { type Lifetime, assignOffsets } from '../../src/tensor/arena-offsets';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const aligned = (b: number): number => Math.ceil(b / 64) * 64;

describe('assignOffsets', () => {
  it('gives storages alive at the same step disjoint 64-byte-aligned regions, for random lifetimes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const lives: Lifetime[] = Array.from({ length: 60 }, () => {
        const first = Math.floor(r() * 40);
        return { first, last: first + Math.floor(r() * 8), bytes: 68 + Math.floor(r() * 100000) };
      });
      const { offsets, size } = assignOffsets(lives);
      let peak = 0;
      for (let step = 0; step < 50; step++) {
        peak = Math.max(peak, lives.reduce((s, l) => s + (l.first <= step && step <= l.last ? aligned(l.bytes) : 0), 0));
      }
      for (let i = 0; i < lives.length; i++) {
        expect(offsets[i]! % 64).toBe(0);
        expect(offsets[i]! + lives[i]!.bytes).toBeLessThanOrEqual(size);
        for (let j = i + 1; j < lives.length; j++) {
          const a = lives[i]!, b = lives[j]!;
          if (a.first > b.last || b.first > a.last) continue;
          const apart = offsets[i]! + a.bytes <= offsets[j]! || offsets[j]! + b.bytes <= offsets[i]!;
          expect(apart, `seed ${seed}: lives ${i} and ${j} overlap in time and memory`).toBe(true);
        }
      }
      // Never more than the sum of everything, never less than what is alive at once.
      expect(size).toBeGreaterThanOrEqual(peak);
      expect(size).toBeLessThanOrEqual(lives.reduce((s, l) => s + aligned(l.bytes), 0));
    }
  });

  it('reuses one region along a chain of storages that never live at the same time', () => {
    // Each step reads the previous step's output and is its last reader: [j, j + 1].
    const lives = Array.from({ length: 10 }, (_, j) => ({ first: j, last: j + 1, bytes: 4096 }));
    const { offsets, size } = assignOffsets(lives);
    expect(size).toBe(2 * 4096);
    expect(new Set(offsets).size).toBe(2);
  });
});
