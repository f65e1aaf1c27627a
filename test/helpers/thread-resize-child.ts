// Child process for the thread-pool lifetime test: resizes the native pool again and again while
// async matmuls run on libuv workers, checks every result, then calls process.exit(5) with kernels
// still in flight. A use-after-free crashes it, a hang never reaches the exit code.
import * as tf from '../../src';

async function main(): Promise<void> {
  if (tf.getBackend() !== 'native') {
    process.stdout.write('no native addon\n');
    process.exit(5);
  }
  tf.manualSeed(3);
  const a = tf.randn([256, 256]);
  const b = tf.randn([256, 256]);
  const expected = tf.matmul(a, b).dataSync().slice();
  let bad = 0;
  for (let round = 0; round < 40; round++) {
    const pending = [0, 1, 2, 3].map(() => tf.matmulAsync(a, b));
    tf.setNumThreads(1 + (round % 3));
    for (const p of pending) {
      const c = (await p).dataSync();
      for (let i = 0; i < c.length; i += 997) if (Math.abs(c[i]! - expected[i]!) > 1e-3) bad++;
    }
  }
  process.stdout.write(`mismatches ${bad}\n`);
  const big = tf.randn([1024, 1024]);
  for (let i = 0; i < 4; i++) void tf.matmulAsync(big, big);
  tf.setNumThreads(2);
  process.exit(5);
}
void main();
