// Ops that keep a dense transposed layout instead of copying into row-major order: unary ops on a
// channels-first view of channels-last data, and channels-first pooling of such a view. Values and
// gradients must equal the row-major computation.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { expectClose } from '../helpers/compare';
import { simdLevels } from '../helpers/simd-levels';
import { copyView } from '../../src/ops/copy';

const nchwViewOfNhwc = (n: number, c: number, h: number, w: number, seed: number): Tensor => {
  tf.manualSeed(seed);
  return tf.transpose(tf.randn([n, h, w, c]), [0, 3, 1, 2]);
};

describe('dense transposed layouts', () => {
  it('unary ops keep the strides of a dense transposed view, with the same values and gradients', () => {
    const x = nchwViewOfNhwc(2, 8, 5, 6, 1);
    for (const f of [tf.relu, tf.sigmoid, tf.tanh, tf.exp, tf.neg]) {
      const y = f(x);
      expect(y.strides).toEqual(x.strides);
      expectClose(tf.contiguous(y), f(tf.contiguous(x)), 0, 0, f.name);
    }
    const k = tf.randn(x.shape.slice());
    const [g] = tf.grads((a: Tensor) => tf.sum(tf.mul(tf.tanh(a), k)))([x]);
    const [ref] = tf.grads((a: Tensor) => tf.sum(tf.mul(tf.tanh(a), k)))([tf.contiguous(x)]);
    expectClose(tf.contiguous(g!), ref!, 1e-6, 1e-7, 'gradient');
    // A sliced view is not dense: it still gets a row-major result.
    const s = tf.slice(x, [0, 1, 0, 0], [2, 4, 5, 6]);
    expect(tf.relu(s).isContiguous).toBe(true);
  });

  it('binary ops keep the layout when the other operand has the same strides or is one element', () => {
    const x = nchwViewOfNhwc(2, 8, 5, 6, 3);
    const z = nchwViewOfNhwc(2, 8, 5, 6, 4);
    const cases: [string, Tensor, Tensor, Tensor][] = [
      ['same strides', tf.add(x, z), tf.add(tf.contiguous(x), tf.contiguous(z)), x],
      ['scalar right', tf.mul(x, 0.5), tf.mul(tf.contiguous(x), 0.5), x],
      ['scalar left', tf.sub(2, z), tf.sub(2, tf.contiguous(z)), z],
      ['comparison', tf.greaterEqual(x, 0.1), tf.greaterEqual(tf.contiguous(x), 0.1), x],
    ];
    for (const [label, y, ref, like] of cases) {
      expect(y.strides, label).toEqual(like.strides);
      expectClose(tf.contiguous(y), ref, 0, 0, label);
    }
    // A contiguous operand with different strides gets the usual row-major result.
    expect(tf.add(x, tf.contiguous(z)).isContiguous).toBe(true);
    const k = tf.randn(x.shape.slice());
    const grads = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.mul(a, b), k)))([x, z]);
    const refs = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.mul(a, b), k)))([tf.contiguous(x), tf.contiguous(z)]);
    for (let i = 0; i < 2; i++) expectClose(tf.contiguous(grads[i]!), refs[i]!, 1e-6, 1e-7, `gradient ${i}`);
  });

  it('batchNormTraining keeps the strides of a channels-last-backed view, values and gradients as its row-major copy', () => {
    const x = nchwViewOfNhwc(3, 5, 4, 6, 5);
    const g = tf.randn([5]);
    const b = tf.randn([5]);
    const r = tf.batchNormTraining(x, g, b, { axis: 1 });
    const ref = tf.batchNormTraining(tf.contiguous(x), g, b, { axis: 1 });
    expect(r.y.strides).toEqual(x.strides);
    expectClose(tf.contiguous(r.y), ref.y, 1e-5, 1e-6, 'y');
    expectClose(r.mean, ref.mean, 1e-6, 1e-7, 'mean');
    expectClose(r.variance, ref.variance, 1e-5, 1e-6, 'variance');
    const k = tf.randn(x.shape.slice());
    const f = (xx: Tensor, gg: Tensor, bb: Tensor): Tensor => tf.sum(tf.mul(tf.batchNormTraining(xx, gg, bb, { axis: 1 }).y, k));
    const got = tf.grads(f)([x, g, b]);
    const want = tf.grads(f)([tf.contiguous(x), g, b]);
    for (let i = 0; i < 3; i++) expectClose(tf.contiguous(got[i]!), want[i]!, 1e-4, 1e-5, `gradient ${i}`);
  });

  it('NCHW pooling of a channels-last-backed view matches pooling its row-major copy, gradients included', () => {
    for (const c of [3, 8, 12, 21]) {
      const x = nchwViewOfNhwc(2, c, 9, 8, c);
      for (const [pool, opts] of [
        [tf.maxPool2d, { poolSize: 2, dataFormat: 'NCHW' }],
        [tf.avgPool2d, { poolSize: 3, strides: 2, padding: 'same', dataFormat: 'NCHW' }],
      ] as const) {
        const fast = pool(x, opts);
        const slow = pool(tf.contiguous(x), opts);
        expectClose(tf.contiguous(fast), slow, 0, 0, `${pool.name} c=${c}`);
        const [gf] = tf.grads((a: Tensor) => tf.sum(tf.square(pool(a, opts))))([x]);
        const [gs] = tf.grads((a: Tensor) => tf.sum(tf.square(pool(a, opts))))([tf.contiguous(x)]);
        expectClose(tf.contiguous(gf!), gs!, 1e-6, 1e-7, `${pool.name} c=${c} gradient`);
      }
    }
  });

  it('a channels-first conv or pool result hands its buffer back to the pool when disposed (no tape)', () => {
    const x = tf.randn([4, 8, 20, 20]);
    const w = tf.randn([16, 8, 3, 3]);
    const v = nchwViewOfNhwc(4, 16, 20, 20, 3);
    const runs = [() => tf.conv2d(x, w, { dataFormat: 'NCHW' }), () => tf.maxPool2d(v, { poolSize: 2, dataFormat: 'NCHW' })];
    for (const run of runs) {
      const y = run();
      expect(y.isContiguous).toBe(false); // a channels-first view of the kernel's channels-last result
      const before = tf.pooledBufferBytes();
      y.dispose();
      expect(tf.pooledBufferBytes()).toBeGreaterThanOrEqual(before + y.size * 4);
    }
  });
});

describe('layout conversions (strided copies that transpose the last two merged dims)', () => {
  it.runIf(tf.backendInfo().nativeAvailable)('native == js, bit for bit, on 1 and 2 threads: RGB planes, many channels, batches, sliced sources', () => {
    const shapes = [[1, 3, 224, 224], [2, 3, 33, 35], [1, 512, 7, 7], [3, 40, 17, 33], [2, 5, 1, 9]];
    const threadsBefore = tf.getNumThreads();
    const backendBefore = tf.getBackend();
    try {
      shapes.forEach((shape, i) => {
        tf.manualSeed(800 + i);
        const x = tf.randn(shape);
        const views = [
          () => tf.transpose(x, [0, 2, 3, 1]),
          () => tf.transpose(tf.contiguous(tf.transpose(x, [0, 2, 3, 1])), [0, 3, 1, 2]),
          () => tf.transpose(tf.slice(x, [0, 0, 0, 0], [shape[0]!, shape[1]!, shape[2]!, Math.max(1, shape[3]! - 1)]), [0, 2, 3, 1]),
        ];
        views.forEach((view, j) => {
          tf.setBackend('js');
          const want = Array.from(tf.contiguous(view()).dataSync());
          tf.setBackend('native');
          for (const threads of [1, 2]) {
            tf.setNumThreads(threads);
            expect(Array.from(tf.contiguous(view()).dataSync()), `shape ${i} view ${j} ${threads} threads`).toEqual(want);
          }
        });
      });
    } finally {
      tf.setBackend(backendBefore);
      tf.setNumThreads(threadsBefore);
    }
  });

  it.runIf(tf.backendInfo().nativeAvailable)('channel planes walked channels-outer ([n, C, HW] into pixels, the plan\'s ToNhwc) == a plain loop, bit for bit, NaN payloads and int32 words included', () => {
    const threadsBefore = tf.getNumThreads();
    const backendBefore = tf.getBackend();
    const { hardware, levels } = simdLevels();
    try {
      tf.setBackend('native');
      // RGB with a tail past the 16-pixel vectors, a full batch, 4 and 1 channels, a one-pixel plane.
      for (const level of levels) for (const [n, C, HW] of [[1, 3, 37], [2, 3, 224 * 224], [2, 4, 50], [3, 1, 17], [2, 3, 1]] as const) {
        tf.setSimdLevel(level);
        const size = n * C * HW;
        const words = new Uint32Array(size);
        for (let i = 0; i < size; i++) words[i] = (Math.imul(i + 1, 2654435761) >>> 0) | (i % 7 === 0 ? 0x7fc00001 : 0);
        const want = new Uint32Array(size);
        for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) want[b * C * HW + p * C + c] = words[b * C * HW + c * HW + p]!;
        for (const threads of [1, 2]) {
          tf.setNumThreads(threads);
          for (const Ctor of [Float32Array, Int32Array] as const) {
            const src = new Ctor(words.buffer.slice(0));
            const dst = new Ctor(size);
            copyView([n, C, HW], src, { offset: 0, strides: [C * HW, HW, 1] }, dst, { offset: 0, strides: [C * HW, 1, C] });
            expect(new Uint32Array(dst.buffer), `[${n}, ${C}, ${HW}] ${Ctor.name} ${threads} threads at ${level}`).toEqual(want);
          }
        }
      }
    } finally {
      tf.setSimdLevel(hardware);
      tf.setBackend(backendBefore);
      tf.setNumThreads(threadsBefore);
    }
  });
});
