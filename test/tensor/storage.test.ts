// The buffer pool: a full pool gives up least-recently-used size classes for the sizes in use now;
// unless TENSORFORGE_POOL_MB fixes it, the pool holds as much as the process once had in use.
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('buffer pool', () => {
  it('evicts the least recently used size classes when full instead of refusing the buffers in use', async () => {
    vi.stubEnv('TENSORFORGE_POOL_MB', '1');
    vi.resetModules();
    const { Storage, pooledBufferBytes } = await import('../../src/tensor/storage');
    // Fill the 1 MiB pool with buffers of one size (an earlier workload).
    const old = Array.from({ length: 4 }, () => Storage.allocate('float32', 60_000));
    old.forEach((s) => s.release());
    expect(pooledBufferBytes()).toBeGreaterThan(700_000);
    // A new workload's buffer must still be pooled and reused.
    const a = Storage.allocate('float32', 100_000);
    const buffer = a.data!.buffer;
    a.release();
    const b = Storage.allocate('float32', 100_000);
    expect(b.data!.buffer).toBe(buffer);
    b.release();
    expect(pooledBufferBytes()).toBeLessThanOrEqual(1024 * 1024);
  });

  it('evicts the buffers parked longest ago, so spare buffers of a class in use go before a step\'s own', async () => {
    vi.stubEnv('TENSORFORGE_POOL_MB', '1');
    vi.resetModules();
    const { Storage } = await import('../../src/tensor/storage');
    // An earlier pass (a cross-check predict) leaves three buffers of class A parked.
    Array.from({ length: 3 }, () => Storage.allocate('float32', 40_000)).forEach((s) => s.release());
    // A step uses one A and three Bs: with the spares, more than the 1 MiB cap comes back.
    const step = () => [Storage.allocate('float32', 40_000), ...Array.from({ length: 3 }, () => Storage.allocate('float32', 50_000))];
    const first = step();
    const mine = new Set(first.map((s) => s.data!.buffer));
    // Released last to first (as a backward pass frees activations): class A is touched last.
    first.reverse().forEach((s) => s.release());
    // The next step gets every one of its buffers back: the spare As were evicted, not the Bs.
    const second = step();
    expect(second.every((s) => mine.has(s.data!.buffer))).toBe(true);
    second.forEach((s) => s.release());
  });

  it('keeps a workload bigger than 256 MB pooled: the cap follows the most bytes in use at once', async () => {
    vi.stubEnv('TENSORFORGE_POOL_MB', undefined);
    vi.resetModules();
    const { Storage, pooledBufferBytes } = await import('../../src/tensor/storage');
    // 10 x 32 MiB in use together (a training step's activations), released together.
    const n = 8 * 1024 * 1024;
    const first = Array.from({ length: 10 }, () => Storage.allocate('float32', n));
    const buffers = new Set(first.map((st) => st.data!.buffer));
    const cls = first[0]!.data!.buffer.byteLength;
    const before = pooledBufferBytes();
    first.forEach((st) => st.release());
    expect(pooledBufferBytes() - before).toBe(10 * cls);
    // The next step gets the same memory back, not fresh pages.
    const second = Array.from({ length: 10 }, () => Storage.allocate('float32', n));
    expect(second.every((st) => buffers.has(st.data!.buffer))).toBe(true);
    // Memory handed to user code leaves the pool for good.
    second[0]!.markEscaped();
    second.forEach((st) => st.release());
    expect(pooledBufferBytes() - before).toBe(9 * cls);
  });
});
