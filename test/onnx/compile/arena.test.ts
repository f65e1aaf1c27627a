// The arena of inference plans: a region taken by anything but its planned output is given up safely.
import { describe, expect, it } from 'vitest';
import { PlanArena } from '../../../src/onnx/compile/arena';
import { Storage } from '../../../src/tensor/storage';
import { Tensor } from '../../../src/tensor/tensor';

describe('PlanArena', () => {
  const view = (st: Storage): Tensor => new Tensor(st, [st.data!.length], [1], 0, 'float32');

  it('lets the planned output keep its region, and moves anything else that outlives the step out of the arena', () => {
    const arena = new PlanArena(3, [
      { first: 0, last: 1, bytes: 4000, out: 0 },
      { first: 1, last: 2, bytes: 4000, out: 0 },
    ]);
    expect(arena.inUse).toBe(true);
    arena.before(0);
    const out0 = Storage.allocate('float32', 1000);
    arena.withdraw();
    arena.check(0, [view(out0)]);
    expect(arena.inUse).toBe(true);
    expect(out0.data!.buffer.byteLength).toBeGreaterThanOrEqual(8000);

    // Step 1: a value of the planned size that the step keeps (a cache) but does not return.
    arena.before(1);
    const cached = Storage.allocate('float32', 1000);
    cached.data!.fill(7);
    const out1 = Storage.allocate('float32', 1000);
    arena.withdraw();
    const arenaBuffer = cached.data!.buffer;
    arena.check(1, [view(out1)]);
    expect(arena.inUse).toBe(false);
    expect(cached.data!.buffer).not.toBe(arenaBuffer);
    expect(Array.from(cached.data!.subarray(0, 3))).toEqual([7, 7, 7]);
    // No more offers: allocations come from the pool again.
    arena.before(0);
    const later = Storage.allocate('float32', 1000);
    arena.withdraw();
    expect(later.data!.buffer).not.toBe(arenaBuffer);
  });

  it('moves a storage still held after its planned last step out of the arena before its region is reused', () => {
    const arena = new PlanArena(3, [
      { first: 0, last: 1, bytes: 4000, out: 0 },
      { first: 2, last: 2, bytes: 4000, out: 0 },
    ]);
    arena.before(0);
    const out0 = Storage.allocate('float32', 1000);
    arena.withdraw();
    arena.check(0, [view(out0)]);
    out0.data!.fill(3);
    const inArena = out0.data!.buffer;
    arena.released(0);
    expect(arena.inUse).toBe(true);
    // Step 1 was its last reader, but something still holds it.
    arena.released(1);
    expect(arena.inUse).toBe(false);
    expect(out0.data!.buffer).not.toBe(inArena);
    expect(out0.data![999]).toBe(3);
  });

  it('accepts a region a temporary took and released within its step', () => {
    const arena = new PlanArena(1, [{ first: 0, last: 0, bytes: 4000, out: 0 }]);
    arena.before(0);
    const tmp = Storage.allocate('float32', 1000);
    const out = Storage.allocate('float32', 1000);
    arena.withdraw();
    tmp.release();
    arena.check(0, [view(out)]);
    expect(arena.inUse).toBe(true);
  });
});
