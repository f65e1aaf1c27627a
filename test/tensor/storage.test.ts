// The buffer pool: a full pool gives up least-recently-used size classes for the sizes in use now.
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
});
