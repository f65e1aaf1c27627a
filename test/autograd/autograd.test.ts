import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { tensor } from '../../src';

describe('backward()', () => {
  it('fills .grad of leaves and accumulates across calls', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = tf.sum(tf.mul(x, x));
    y.backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    tf.sum(tf.mul(x, 3)).backward();
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
  });

  it('reduces gradients of broadcast inputs back to their shapes', () => {
    const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = tensor([10, 20, 30], { requiresGrad: true });
    const s = tensor(2, { requiresGrad: true });
    tf.sum(tf.mul(tf.add(w, b), s)).backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(b.grad!.toArray()).toEqual([4, 4, 4]);
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(21 + 120);
    expect(w.grad!.toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
  });

  it('handles a value used along several paths (diamond graph)', () => {
    const x = tensor(3, { requiresGrad: true });
    const a = tf.mul(x, x);
    const y = tf.add(tf.mul(a, x), a); // x^3 + x^2
    y.backward();
    expect(x.grad!.item()).toBeCloseTo(3 * 9 + 2 * 3, 5);
  });

  it('takes an explicit output gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tf.mul(x, x).backward(tensor([1, 10]));
    expect(x.grad!.toArray()).toEqual([2, 40]);
  });

  it('trains through matmul + softmax cross-entropy written with ops', () => {
    tf.manualSeed(0);
    const x = tf.randn([8, 4]);
    const labels = tf.oneHot(tensor([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    let w = tf.randn([4, 3], { std: 0.1 });
    const loss = (wt: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(tf.matmul(x, wt))), -1)));
    const first = loss(w).item();
    for (let i = 0; i < 100; i++) {
      const { grad } = tf.valueAndGrad(loss)(w);
      w = tf.noGrad(() => tf.sub(w, tf.mul(grad, 0.5)));
    }
    expect(first).toBeCloseTo(Math.log(3), 0);
    expect(loss(w).item()).toBeLessThan(first * 0.5);
  });

  it('does not record under noGrad and refuses backward without requiresGrad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tf.noGrad(() => tf.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(tf.isGradEnabled()).toBe(true);
    expect(() => y.backward()).toThrow(/does not require gradients/);
  });

  it('only float32 tensors can require gradients', () => {
    expect(() => {
      tensor([1], 'int32').requiresGrad = true;
    }).toThrow(/float32/);
  });

  it('passes gradients through views (slice, transpose, reshape, broadcast)', () => {
    const x = tf.arange(6, undefined, 1, 'float32').reshape([2, 3]);
    x.requiresGrad = true;
    tf.sum(tf.mul(x.transpose().slice([1, 0], [2, 2]).reshape([4]), tensor([1, 2, 3, 4]))).backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 3], [0, 2, 4]]);
  });
});

describe('functional gradients', () => {
  const f = (x: tf.Tensor) => tf.sum(tf.mul(x, x));

  it('grad(f)(x) returns one tensor; grad(f)([x, y]) and grad(f)(x, y) return a list', () => {
    const g = tf.grad(f)(tensor([1, 2, 3]));
    expect(g.toArray()).toEqual([2, 4, 6]);
    const h = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b));
    const [ga, gb] = tf.grad(h)([tensor([1, 2]), tensor([3, 4])]);
    expect(ga!.toArray()).toEqual([3, 4]);
    expect(gb!.toArray()).toEqual([1, 2]);
    const [ga2] = tf.grad(h)(tensor([1, 2]), tensor([3, 4]));
    expect(ga2!.toArray()).toEqual([3, 4]);
  });

  it('valueAndGrad gives the value and gradients, and leaves the arguments untouched', () => {
    const x = tensor([1, 2, 3]);
    const { value, grad, grads } = tf.valueAndGrad(f)(x);
    expect(value.item()).toBe(14);
    expect(grad.toArray()).toEqual([2, 4, 6]);
    expect(grads).toHaveLength(1);
    expect(x.grad).toBeNull();
    expect(x.requiresGrad).toBe(false);
    const both = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b)))([tensor([2]), tensor([5])]);
    expect(both.value.item()).toBe(10);
    expect(both.grads.map((t) => t.item())).toEqual([5, 2]);
  });

  it('throws, naming the argument, for an argument the function does not use (as tfjs does)', () => {
    expect(() => tf.grads((a: tf.Tensor) => tf.sum(a))([tensor([1, 2]), tensor([3])])).toThrow(
      /grads: f's result does not depend on argument 1 \(Tensor\(float32, shape \[1\]\)\)/);
    const x = tf.randn([3]);
    expect(() => tf.grad((_a: tf.Tensor) => tf.sum(x))(tf.randn([3]))).toThrow(/grad: f's result does not depend on its argument/);
  });

  it('gives zeros for an argument used only through ops without a gradient, and [] for no arguments', () => {
    const cond = tensor([1, 0, 1]);
    const [gc, ga] = tf.grads((c: tf.Tensor, a: tf.Tensor) => tf.sum(tf.where(c, a, 0)))([cond, tensor([5, 6, 7])]);
    expect(gc!.toArray()).toEqual([0, 0, 0]);
    expect(ga!.toArray()).toEqual([1, 0, 1]);
    expect(tf.grads(() => tf.sum(tensor([1, 2])))([])).toEqual([]);
  });

  it('throws for a value computed under noGrad instead of returning zero gradients', () => {
    const w = tf.randn([2, 2]);
    expect(() => tf.valueAndGrad((a: tf.Tensor) => tf.noGrad(() => tf.sum(tf.mul(a, a))))(w)).toThrow(/without recording gradients \(inside noGrad/);
  });

  it('names a layer weight the function does not use', () => {
    const used = tf.layers.dense({ units: 2, name: 'used' });
    const unused = tf.layers.dense({ units: 2, name: 'unused' });
    const x = tf.randn([3, 4]);
    used.apply(x);
    unused.apply(x);
    expect(() => tf.valueAndGrad(() => tf.sum(used.apply(x)))([...used.trainableWeights, ...unused.trainableWeights])).toThrow(
      /does not depend on argument 2 \(weight 'unused\/kernel', Tensor\(float32, shape \[4,2\]\)\)/);
  });
});

describe('buffer reuse in training loops', () => {
  it('valueAndGrad releases the intermediates it created, so the next step reuses their buffers', () => {
    const x = tf.randn([128, 256]);
    const w = tf.randn([256, 64]);
    let stashed: tf.Tensor | null = null;
    const f = (wt: tf.Tensor) => {
      stashed = tf.relu(tf.matmul(x, wt));
      return tf.mean(stashed);
    };
    const before = tf.pooledBufferBytes();
    const { value, grad } = tf.valueAndGrad(f)(w);
    expect(tf.pooledBufferBytes()).toBeGreaterThan(before);
    expect(stashed!.isDisposed).toBe(true);
    expect(() => stashed!.dataSync()).toThrow(/disposed/);
    expect(Number.isFinite(value.item())).toBe(true);
    expect(grad.shape).toEqual([256, 64]);
    expect(w.isDisposed).toBe(false);
  });

  it('backward() frees gradient temporaries but keeps leaf gradients and forward tensors', () => {
    const w = tf.randn([64, 64], { requiresGrad: true });
    const h = tf.tanh(tf.matmul(w, w));
    const loss = tf.sum(tf.mul(h, h));
    loss.backward();
    expect(w.grad!.isDisposed).toBe(false);
    expect(h.isDisposed).toBe(false);
    expect(w.grad!.shape).toEqual([64, 64]);
  });
});

describe('grad and grads release the forward value', () => {
  it('hand the forward output buffer back to the pool (a loop would otherwise page-fault each call)', () => {
    const x = tf.randn([256, 256]);
    const g = tf.grads((a: tf.Tensor) => tf.mul(a, 2));
    g([x]).forEach((t) => t.dispose());
    const before = tf.pooledBufferBytes();
    const [gx] = g([x]);
    // The 256 KiB product is released; only the returned gradient stays out of the pool. Its size
    // class is at most 1.25x the 256 KiB (the class also keeps 64 bytes of alignment slack), so one
    // buffer out is less than 2 x 256 KiB, and two (the product kept) would be more.
    expect(tf.pooledBufferBytes()).toBeGreaterThan(before - 2 * 256 * 256 * 4);
    expect(gx!.shape).toEqual([256, 256]);
    const { value } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(tf.mul(a, 2)))(x);
    expect(Number.isFinite(value.item())).toBe(true);
  });
});
