// Shared by the pruning tests: a small MLP and a learnable classification problem for it.
import * as tf from '../../src';

export function mlp(): tf.Sequential {
  return tf.sequential([
    tf.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }),
    tf.layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

export function data(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randn([n, 20]);
  const labels = tf.argmax(tf.matmul(x, tf.randn([20, 4])), -1);
  return { x, y: tf.oneHot(labels, 4) };
}

export const zeros = (t: tf.Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;

