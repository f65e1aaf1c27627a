// Async kernels borrow JS memory: while one is in flight, its inputs and output must stay alive and
// must not be recycled, even if the caller drops or disposes them and the collector runs.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectClose } from '../helpers/compare';

const gc = (globalThis as { gc?: () => void }).gc;

function churn(): void {
  // Allocate same-sized buffers so anything wrongly freed would be reused and overwritten.
  for (let i = 0; i < 6; i++) tf.full([384, 384], 12345).dispose();
  gc?.();
}

describe('async kernels and garbage collection', () => {
  it('has gc exposed for these tests', () => {
    expect(gc).toBeTypeOf('function');
  });

  it('matmulAsync gives the right result when inputs are dropped and GC runs mid-flight', async () => {
    tf.manualSeed(7);
    for (let trial = 0; trial < 4; trial++) {
      let a: tf.Tensor | null = tf.randn([384, 384]);
      let b: tf.Tensor | null = tf.randn([384, 384]);
      const aCopy = tf.tensor(a.dataSync().slice(), [384, 384]);
      const bCopy = tf.tensor(b.dataSync().slice(), [384, 384]);
      const pending = tf.matmulAsync(a, b);
      a = null;
      b = null;
      churn();
      await new Promise((r) => setImmediate(r));
      churn();
      const c = await pending;
      churn();
      expectClose(c, tf.matmul(aCopy, bCopy), 1e-5, 1e-5, `trial ${trial}`);
    }
  });

  it('matmulAsync is safe when the inputs are disposed while it runs', async () => {
    const a = tf.randn([384, 384]);
    const b = tf.randn([384, 384]);
    const expected = tf.matmul(a, b).dataSync().slice();
    const pending = tf.matmulAsync(a, b);
    a.dispose();
    b.dispose();
    churn();
    const c = await pending;
    expectClose(c, tf.tensor(expected, [384, 384]), 1e-5, 1e-5, 'disposed inputs');
  });

  it('runs off the JS thread: timers fire while a large matmul is in flight', async () => {
    if (tf.getBackend() !== 'native') return;
    const a = tf.randn([1024, 1024]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const pending = Promise.all([0, 1, 2, 3].map(() => tf.matmulAsync(a, a)));
    await pending;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
