// The training step's memory plan: recorded once, then every step's intermediates take fixed
// regions of one buffer; values that outlive their planned lifetime are moved out, never shared.
import { describe, expect, it } from 'vitest';
import { add, mul } from '../../src/ops/binary';
import { scoped } from '../../src/tensor/scope';
import { StepArena } from '../../src/tensor/step-arena';
import { tensor } from '../../src/ops/creation';
import type { Tensor } from '../../src/tensor/tensor';

const N = 1000;
const ramp = (k: number): Tensor => tensor(Float32Array.from({ length: N }, (_, i) => i * k), [N]);

/** A step: a chain of values, all alive until the step ends, and a sum read out as a number. */
function chain(x: Tensor, seen: Float32Array[] = []): number {
  return scoped(() => {
    const a = add(x, x);
    const b = mul(a, a);
    const c = add(a, b);
    const d = add(c, x);
    for (const t of [a, b, c, d]) seen.push(t.buffer as Float32Array);
    let sum = 0;
    for (const v of d.buffer) sum += v;
    return sum;
  }, () => []);
}

describe('StepArena', () => {
  it('gives a repeated step regions of one buffer, never overlapping for values alive at once, with unchanged results', () => {
    const x = ramp(0.001);
    const arena = new StepArena();
    const expected = chain(x);
    let offsets: number[] = [];
    for (let step = 0; step < 4; step++) {
      const seen: Float32Array[] = [];
      expect(arena.run('k', () => chain(x, seen))).toBe(expected);
      // The first step runs on the pool, the second is recorded.
      if (step < 2) continue;
      // After the recorded step every intermediate lives in the same arena, at the same place each step.
      expect(arena.planned('k')).toBe(true);
      expect(arena.bytes).toBeGreaterThanOrEqual(4 * N * 4);
      expect(new Set(seen.map((v) => v.buffer)).size).toBe(1);
      const at = seen.map((v) => v.byteOffset).sort((p, q) => p - q);
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(N * 4);
      if (step > 2) expect(at).toEqual(offsets);
      offsets = at;
    }
  });

  it('packs values whose lifetimes do not overlap into less memory than the sum of them', () => {
    const x = ramp(0.002);
    const arena = new StepArena();
    const step = (): number => scoped(() => {
      let v = x;
      // Ten values, each dead once the next exists: two regions suffice.
      for (let i = 0; i < 10; i++) {
        const next = add(v, x);
        if (v !== x) v.dispose();
        v = next;
      }
      return v.buffer[N - 1]!;
    }, () => []);
    arena.run('k', step);
    arena.run('k', step);
    expect(arena.bytes).toBeLessThan(3 * (N * 4 + 64));
    expect(arena.run('k', step)).toBeCloseTo(11 * (N - 1) * 0.002, 3);
    expect(arena.planned('k')).toBe(true);
  });

  it('moves a value kept past the step out of the arena before the next step reuses its region', () => {
    const x = ramp(0.003);
    const arena = new StepArena();
    let kept: Tensor | null = null;
    let arenaBuffer: ArrayBufferLike | null = null;
    const keepOne = (keep: boolean) => (): number => scoped(() => {
      const a = add(x, x);
      const b = mul(a, x);
      const c = add(b, x);
      if (keep) {
        kept = c;
        arenaBuffer = c.buffer.buffer;
      }
      return b.buffer[5]!;
    }, () => (keep && kept ? [kept] : []));
    arena.run('k', keepOne(false));
    arena.run('k', keepOne(false));
    expect(arena.planned('k')).toBe(true);
    const planBytes = arena.bytes;
    // The kept value takes a region planned for a value that dies within the step.
    arena.run('k', keepOne(true));
    expect((arenaBuffer as ArrayBufferLike | null)?.byteLength).toBe(planBytes + 64);
    const before = Array.from(kept!.buffer);
    expect(kept!.storage.onArena).toBe(false);
    expect(kept!.buffer.buffer).not.toBe(arenaBuffer);
    // The plan broke (a value outlived its region): the next step records afresh.
    expect(arena.planned('k')).toBe(false);
    arena.run('k', keepOne(false));
    arena.run('k', keepOne(false));
    expect(Array.from(kept!.buffer)).toEqual(before);
    expect(kept!.buffer[7]).toBeCloseTo(2 * 7 * 0.003 * 7 * 0.003 + 7 * 0.003, 6);
  });

  it('hands dataSync a copy of its own, and sends a step that allocates otherwise to the pool', () => {
    const x = ramp(0.004);
    const arena = new StepArena();
    const synced: Float32Array[] = [];
    const step = (extra: boolean) => (): number => scoped(() => {
      const a = add(x, x);
      const e = extra ? add(tensor(new Float32Array(3 * N).fill(0.5), [3 * N]), tensor(new Float32Array(3 * N).fill(0.5), [3 * N])) : null;
      const b = mul(a, a);
      synced.push(b.dataSync() as Float32Array);
      return (e ? e.buffer[0]! : 0) + b.buffer[1]!;
    }, () => []);
    arena.run('k', step(false));
    arena.run('k', step(false));
    expect(arena.planned('k')).toBe(true);
    const r = arena.run('k', step(true));
    expect(r).toBeCloseTo(1 + (2 * 0.004) ** 2, 6);
    arena.run('k', step(false));
    // Every array handed out still holds its own step's values.
    for (const s of synced) expect(s[1]).toBeCloseTo((2 * 0.004) ** 2, 6);
    for (const s of synced) expect(s[N - 1]).toBeCloseTo((2 * (N - 1) * 0.004) ** 2, 2);
  });

  it('keeps the plan through a step of another shape, and replaces it once the new shape repeats', () => {
    const arena = new StepArena();
    const x = ramp(0.001);
    const y = tensor(new Float32Array(2 * N).fill(1), [2 * N]);
    arena.run('small', () => chain(x));
    expect(arena.planned('small')).toBe(false);
    arena.run('small', () => chain(x));
    expect(arena.planned('small')).toBe(true);
    expect(arena.run('big', () => chain(y))).toBe(chain(y));
    expect(arena.planned('small')).toBe(true);
    arena.run('big', () => chain(y));
    expect(arena.planned('big')).toBe(true);
  });
});
