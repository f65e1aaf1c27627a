// Deterministic randomness for fuzz cases: every case is reproducible from its seed alone.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  /** A dimension: mostly small, sometimes 0, sometimes huge (past any memory budget). */
  dim(): number {
    const u = this.next();
    if (u < 0.05) return 0;
    if (u < 0.85) return this.int(1, 7);
    if (u < 0.95) return this.int(7, 40);
    // Huge means past the budget on its own (2^20 and up times the other dims), not a size in
    // between that fits and merely takes minutes of arithmetic.
    return 2 ** this.int(20, 40);
  }
  /** A float: mostly moderate, sometimes an IEEE edge value. */
  float(): number {
    if (this.chance(0.03)) return this.pick([NaN, Infinity, -Infinity, -0, 0, 3e38, -3e38, 1e-45]);
    return (this.next() * 4 - 2) * (this.chance(0.1) ? 1000 : 1);
  }
  /** An integer an attacker might write into a file field. */
  nasty(): number {
    return this.pick([-1, -2, 0, 1, 2, 3, 7, 255, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 1e7, 1e300, 0.5, NaN, Infinity]);
  }
}

/** A 32-bit seed for case `index` of `target` under `base`. */
export function caseSeed(base: number, target: string, index: number): number {
  let h = 2166136261 ^ base;
  for (const c of `${target}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}
