import { Generator, globalGenerator } from '../random/generator';
import { argError, describe } from '../errors';

/**
 * The generator a data utility draws from: a private one when the caller pins a seed (so the
 * result ignores, and does not disturb, the global stream), else the global one (so `manualSeed`
 * makes the run repeat).
 */
export function generatorFor(fn: string, seed: number | undefined): Generator {
  if (seed === undefined) return globalGenerator();
  if (typeof seed !== 'number' || !Number.isFinite(seed)) argError(fn, 'seed', 'a finite number', describe(seed));
  return new Generator(seed);
}

/** Uniform integer in [0, n). Uses 32 bits, not uniform()'s 24, so datasets past 2^24 rows stay reachable. */
export function randomBelow(g: Generator, n: number): number {
  return Math.floor((g.nextUint32() / 4294967296) * n);
}

/** Shuffles `a` in place (Fisher-Yates) and returns it. */
export function shuffleInPlace<T extends { [i: number]: number; length: number }>(a: T, g: Generator): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomBelow(g, i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** 0..n-1 in random order. */
export function randomPermutation(n: number, g: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, g);
}
