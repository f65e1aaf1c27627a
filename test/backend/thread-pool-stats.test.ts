// threadPoolStats: the thread pool's own account of where parallel kernel time went.
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';

const native = tf.backendInfo().nativeAvailable;

describe('threadPoolStats', () => {
  const threads = tf.getNumThreads();
  afterEach(() => {
    tf.threadPoolStats(false);
    tf.setNumThreads(threads);
  });

  it.runIf(native)('counts split kernels and their chunks on each thread; one thread splits nothing', () => {
    const a = tf.randn([256, 256]);
    const b = tf.randn([256, 256]);
    tf.setNumThreads(2);
    tf.threadPoolStats(true);
    for (let i = 0; i < 5; i++) tf.matmul(a, b).dispose();
    const s = tf.threadPoolStats(true)!;
    expect(s.splitCalls).toBeGreaterThanOrEqual(5);
    expect(s.callerChunks + s.workerChunks).toBeGreaterThanOrEqual(2 * s.splitCalls);
    expect(s.splitNs).toBeGreaterThan(0);
    // The caller's chunk time lies inside the splits' wall time.
    expect(s.callerNs).toBeLessThanOrEqual(s.splitNs);
    tf.setNumThreads(1);
    tf.threadPoolStats(true);
    tf.matmul(a, b).dispose();
    const one = tf.threadPoolStats(false)!;
    expect(one.splitCalls).toBe(0);
    expect(one.workerChunks).toBe(0);
  });

  it.runIf(native)('stops counting when asked, and each call starts from zero', () => {
    tf.setNumThreads(2);
    tf.threadPoolStats(false);
    tf.matmul(tf.randn([256, 256]), tf.randn([256, 256])).dispose();
    const s = tf.threadPoolStats(false)!;
    expect(s.splitCalls + s.serialCalls).toBe(0);
  });

  it('rejects a keepCounting that is not a boolean, naming it', () => {
    expect(() => tf.threadPoolStats('yes' as unknown as boolean)).toThrow(/threadPoolStats.*keepCounting/);
  });
});
