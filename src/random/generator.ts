/**
 * xoshiro128** in 32-bit integer arithmetic: fast, small state, and identical on every backend
 * because random tensors are always generated here, never by a kernel.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Resets the state from a seed (expanded with splitmix32 so nearby seeds are unrelated). */
  seed(seed: number): void {
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = null;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits: every value is exactly representable in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal by Box-Muller (the pair's second value is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  int(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let global = new Generator(Date.now() ^ (process.pid << 16));

/** The generator behind rand/randn/randint and initializers. */
export function globalGenerator(): Generator {
  return global;
}

/** Seeds the global generator: the same seed gives the same numbers on every backend. */
export function manualSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new Error(`manualSeed: argument 'seed' expected a finite number, got ${String(seed)}`);
  }
  global = new Generator(seed);
}

/**
 * @internal runs `fn` with `g` as the global generator (restored after): fit() gives each training
 * step its own stream, derived from the model's seed and the step number, so a run resumed from a
 * checkpoint draws the same dropout masks and shuffles as an uninterrupted one.
 */
export function withGenerator<T>(g: Generator, fn: () => T): T {
  const prev = global;
  global = g;
  try {
    return fn();
  } finally {
    global = prev;
  }
}
