// Trains a two-layer network on a synthetic two-spiral problem with the low-level API: tensors,
// matmul, autograd (valueAndGrad) and a hand-written SGD step. The Keras-style MNIST demo replaces
// this once layers and models land.
import * as tf from '../dist/index.mjs';

const info = tf.backendInfo();
console.log(`tensorforge backend=${info.backend} simd=${info.simd} threads=${info.threads}`);

tf.manualSeed(0);
const n = 512;
const xs = [];
const ys = [];
for (let i = 0; i < n; i++) {
  const cls = i % 2;
  const r = (i / n) * 4 + 0.2;
  const angle = r * 2.2 + cls * Math.PI;
  xs.push([r * Math.cos(angle) / 4, r * Math.sin(angle) / 4]);
  ys.push(cls);
}
const x = tf.tensor(xs);
const y = tf.oneHot(tf.tensor(ys, [n], 'int32'), 2);

const hidden = 64;
let params = [
  tf.randn([2, hidden], { std: Math.sqrt(2 / 2) }),
  tf.zeros([hidden]),
  tf.randn([hidden, 2], { std: Math.sqrt(1 / hidden) }),
  tf.zeros([2]),
];

const loss = (w1, b1, w2, b2) => {
  const h = tf.relu(tf.add(tf.matmul(x, w1), b1));
  const logits = tf.add(tf.matmul(h, w2), b2);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), -1)));
};
const accuracy = () =>
  tf.noGrad(() => {
    const h = tf.relu(tf.add(tf.matmul(x, params[0]), params[1]));
    const pred = tf.argmax(tf.add(tf.matmul(h, params[2]), params[3]), 1);
    return tf.mean(tf.equal(pred, tf.tensor(ys, [n], 'int32'))).item();
  });

const step = tf.valueAndGrad(loss);
const lr = 0.5;
const t0 = performance.now();
for (let epoch = 1; epoch <= 2000; epoch++) {
  const { value, grads } = step(params);
  params = tf.noGrad(() => params.map((p, i) => tf.sub(p, tf.mul(grads[i], lr))));
  if (epoch % 400 === 0) console.log(`step ${epoch}: loss ${value.item().toFixed(4)}  accuracy ${(accuracy() * 100).toFixed(1)}%`);
}
console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
