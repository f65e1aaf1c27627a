// Pooling and upsampling: hand-computed cases on both backends, NHWC == NCHW, 'same' padding,
// gradient routing, argument errors, and the binding's refusal of bad geometry.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { type LayoutArgs, nativeAddon, pack } from '../../src/backend/binding';
import {
  avgPool2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  maxPool2d,
  upSampling2d,
  type Pool2dOptions,
} from '../../src/ops/pool';
import { Generator } from '../../src/random/generator';
import { expectClose } from '../helpers/compare';
import { simdLevels } from '../helpers/simd-levels';

const info = tf.backendInfo();
const backends = info.nativeAvailable ? (['js', 'native'] as const) : (['js'] as const);

function withBackend<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

/** The 4x4 image 1..16, row-major, as NHWC [1, 4, 4, 1]. */
const x16 = (): Tensor => tf.tensor(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function random(shape: number[], seed: number): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => g.uniform() * 4 - 2), shape);
}

/** d sum(f(x) * w) / dx for a fixed random w. */
function gradOf(f: (x: Tensor) => Tensor, x: Tensor, w?: Tensor): Tensor {
  return tf.grads((xi: Tensor) => {
    const y = f(xi);
    return tf.sum(w ? tf.mul(y, w) : y);
  })([x])[0]!;
}

it.runIf(info.nativeAvailable)('the pool ops are listed as native', () => {
  for (const name of ['maxPool2d', 'avgPool2d', 'upSampling2d']) {
    expect(tf.listOps().some((o) => o.name === name && o.native)).toBe(true);
  }
});

for (const backend of backends) {
  describe(`pooling on the ${backend} backend`, () => {
    const run = <T>(fn: () => T): T => withBackend(backend, fn);

    it('max/avg 2x2 valid on a 4x4 input', () => {
      run(() => {
        // windows {1,2,5,6} {3,4,7,8} {9,10,13,14} {11,12,15,16}
        const mp = maxPool2d(x16(), { poolSize: 2 });
        expect(mp.shape).toEqual([1, 2, 2, 1]);
        expect(values(mp)).toEqual([6, 8, 14, 16]);
        expect(values(avgPool2d(x16(), { poolSize: 2 }))).toEqual([3.5, 5.5, 11.5, 13.5]);
        // 3x3 windows with stride 1: bottom-right corners 11 12 15 16
        expect(values(maxPool2d(x16(), { poolSize: 3, strides: 1 }))).toEqual([11, 12, 15, 16]);
        // rectangular window 1x4, stride [2,1]: rows 0 and 2
        expect(values(maxPool2d(x16(), { poolSize: [1, 4], strides: [2, 1] }))).toEqual([4, 12]);
      });
    });

    it("'same' padding leaves padded cells out of the average", () => {
      run(() => {
        // 3x3 stride 2 on 4x4: output 2x2, one row/column of padding at the bottom/right.
        const y = avgPool2d(x16(), { poolSize: 3, strides: 2, padding: 'same' });
        expect(y.shape).toEqual([1, 2, 2, 1]);
        // {1,2,3,5,6,7,9,10,11} = 54/9; {3,4,7,8,11,12} = 45/6; {9,10,11,13,14,15} = 72/6; {11,12,15,16} = 54/4
        expect(values(y)).toEqual([6, 7.5, 12, 13.5]);
        expect(values(maxPool2d(x16(), { poolSize: 3, strides: 2, padding: 'same' }))).toEqual([11, 12, 15, 16]);
        // 2x2 stride 1: output 4x4; the last column averages {4,8} and the corner is 16 alone.
        const z = values(avgPool2d(x16(), { poolSize: 2, strides: 1, padding: 'same' }));
        expect(z.length).toBe(16);
        expect(z[0]).toBe(3.5);
        expect(z[3]).toBe(6);
        expect(z[12]).toBe(13.5);
        expect(z[15]).toBe(16);
        // odd padding total puts the extra cell after: 2x2 stride 2 on 5x5 pads bottom/right only.
        const five = tf.tensor(Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
        expect(values(avgPool2d(five, { poolSize: 2, padding: 'same' }))).toEqual([3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24]);
      });
    });

    it('max pool routes the gradient to the arg-max', () => {
      run(() => {
        const gx = gradOf((x) => maxPool2d(x, { poolSize: 2 }), x16());
        const expected = new Array<number>(16).fill(0);
        for (const i of [5, 7, 13, 15]) expected[i] = 1;
        expect(values(gx)).toEqual(expected);
        // overlapping windows that share one maximum accumulate there
        const v = Array.from({ length: 16 }, (_, i) => i + 1);
        v[10] = 100;
        const w = tf.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
        const g2 = values(gradOf((x) => maxPool2d(x, { poolSize: 3, strides: 1 }), tf.tensor(v, [1, 4, 4, 1]), w));
        expect(g2[10]).toBe(10);
        expect(g2.reduce((a, b) => a + b, 0)).toBe(10);
        // 'same' padding: the max of a window clipped by padding is found among its valid cells
        const g3 = values(gradOf((x) => maxPool2d(x, { poolSize: 3, strides: 2, padding: 'same' }), x16()));
        const e3 = new Array<number>(16).fill(0);
        for (const i of [10, 11, 14, 15]) e3[i] = 1;
        expect(g3).toEqual(e3);
      });
    });

    it('avg pool spreads the gradient over the valid cells', () => {
      run(() => {
        const g = values(gradOf((x) => avgPool2d(x, { poolSize: 3, strides: 2, padding: 'same' }), x16()));
        expect(g[0]).toBeCloseTo(1 / 9, 6);
        expect(g[3]).toBeCloseTo(1 / 6, 6);
        expect(g[10]).toBeCloseTo(1 / 9 + 1 / 6 + 1 / 6 + 1 / 4, 6); // (2,2) lies in all four windows
        expect(g[15]).toBeCloseTo(1 / 4, 6);
        const g2 = values(gradOf((x) => avgPool2d(x, { poolSize: 2 }), x16()));
        expect(g2).toEqual(new Array<number>(16).fill(0.25));
      });
    });

    it('global pooling is mean / max over height and width', () => {
      run(() => {
        const ga = globalAveragePooling2d(x16());
        expect(ga.shape).toEqual([1, 1]);
        expect(values(ga)).toEqual([8.5]);
        expect(values(globalMaxPooling2d(x16()))).toEqual([16]);
        const nchw = tf.tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
        const k = globalAveragePooling2d(nchw, { dataFormat: 'NCHW', keepDims: true });
        expect(k.shape).toEqual([1, 2, 1, 1]);
        expect(values(k)).toEqual([2.5, 25]);
        expect(values(globalMaxPooling2d(nchw, { dataFormat: 'NCHW' }))).toEqual([4, 40]);
      });
    });

    it('upSampling2d nearest and bilinear on a 2x2 input', () => {
      run(() => {
        const x = tf.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
        const n = upSampling2d(x);
        expect(n.shape).toEqual([1, 4, 4, 1]);
        expect(values(n)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
        expect(values(upSampling2d(x, { size: [1, 3] }))).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
        // half-pixel centres: source coordinates -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
        const b = values(upSampling2d(x, { interpolation: 'bilinear' }));
        const e = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
        b.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(e[i]!, 6));
        // gradients: nearest sums each block; bilinear weights sum to the factor product per output
        expect(values(gradOf((t) => upSampling2d(t, { size: [2, 3] }), x))).toEqual([6, 6, 6, 6]);
        const gb = values(gradOf((t) => upSampling2d(t, { interpolation: 'bilinear' }), x));
        expect(gb.reduce((a, c) => a + c, 0)).toBeCloseTo(16, 5);
        gb.forEach((v) => expect(v).toBeCloseTo(4, 5)); // symmetric 2x2 -> each input gets a quarter
      });
    });

    it('upSampling2d of an empty batch with a huge dim returns at once (no walk over 2^28 rows)', () => {
      run(() => {
        const t0 = performance.now();
        for (const interpolation of ['nearest', 'bilinear'] as const) {
          const y = upSampling2d(tf.zeros([2 ** 28, 3, 0, 2]), { interpolation });
          expect(y.shape).toEqual([2 ** 28, 6, 0, 2]);
          expect(gradOf((t) => upSampling2d(t, { interpolation }), tf.zeros([2 ** 28, 3, 0, 2])).shape).toEqual([2 ** 28, 3, 0, 2]);
        }
        expect(performance.now() - t0).toBeLessThan(1000);
      });
    });

    it('NHWC results equal NCHW results after transposes (forward and backward)', () => {
      run(() => {
        const x = random([2, 7, 5, 3], 7);
        const toNchw = (t: Tensor) => tf.transpose(t, [0, 3, 1, 2]);
        const toNhwc = (t: Tensor) => tf.transpose(t, [0, 2, 3, 1]);
        const cases: ((t: Tensor, f: 'NHWC' | 'NCHW') => Tensor)[] = [];
        const opts: Pool2dOptions[] = [
          { poolSize: 3, strides: 2, padding: 'same' },
          { poolSize: [2, 3], strides: [1, 2] },
          { poolSize: 3, strides: 3, padding: 'same' },
        ];
        for (const o of opts) {
          cases.push((t, f) => maxPool2d(t, { ...o, dataFormat: f }));
          cases.push((t, f) => avgPool2d(t, { ...o, dataFormat: f }));
        }
        cases.push((t, f) => upSampling2d(t, { size: [2, 3], dataFormat: f }));
        cases.push((t, f) => upSampling2d(t, { size: [3, 2], interpolation: 'bilinear', dataFormat: f }));
        cases.push((t, f) => globalAveragePooling2d(t, { dataFormat: f }));
        cases.push((t, f) => globalMaxPooling2d(t, { dataFormat: f }));
        cases.forEach((op, k) => {
          const a = op(x, 'NHWC');
          const b = op(toNchw(x), 'NCHW');
          expectClose(a.rank === 4 ? toNchw(a) : a, b, 1e-6, 1e-6, `case ${k} forward`);
          const w = random(a.shape.slice(), 100 + k);
          const ga = gradOf((t) => op(t, 'NHWC'), x, w);
          const gb = gradOf((t) => op(toNchw(t), 'NCHW'), x, w.rank === 4 ? toNchw(w) : w);
          expectClose(ga, gb, 1e-5, 1e-6, `case ${k} backward`);
        });
      });
    });

    it('pools non-contiguous inputs (a transposed view) like their contiguous copy', () => {
      run(() => {
        const base = random([2, 5, 6, 4], 3);
        const view = tf.transpose(tf.contiguous(tf.transpose(base, [0, 2, 1, 3])), [0, 2, 1, 3]);
        expectClose(maxPool2d(view, { poolSize: 2, strides: 1 }), maxPool2d(base, { poolSize: 2, strides: 1 }));
        expectClose(upSampling2d(view, { interpolation: 'bilinear' }), upSampling2d(base, { interpolation: 'bilinear' }));
      });
    });
  });
}

describe('explicit pool padding', () => {
  for (const b of backends) {
    it(`clips windows to the input as -Infinity padding (max) and uncounted padding (avg) do [${b}]`, () => withBackend(b, () => {
      const x = random([2, 7, 6, 3], 5);
      const padding = [[1, 2], [2, 0]] as const;
      const opts = { poolSize: [3, 3] as [number, number], strides: [2, 2] as [number, number] };
      const yMax = maxPool2d(x, { ...opts, padding });
      const padded = tf.pad(x, [[0, 0], [1, 2], [2, 0], [0, 0]], -Infinity);
      expect(yMax.shape).toEqual([2, 4, 3, 3]);
      expect(values(yMax)).toEqual(values(maxPool2d(padded, opts)));
      // Average over in-bounds cells: window sums over zero padding divided by the in-bounds counts.
      const sums = avgPool2d(tf.pad(x, [[0, 0], [1, 2], [2, 0], [0, 0]], 0), opts);
      const counts = avgPool2d(tf.pad(tf.ones([1, 7, 6, 1]), [[0, 0], [1, 2], [2, 0], [0, 0]], 0), opts);
      expectClose(avgPool2d(x, { ...opts, padding }), tf.div(sums, counts), 1e-6);
      // NCHW gives the same numbers.
      const nchw = maxPool2d(tf.transpose(x, [0, 3, 1, 2]).contiguousCopy(), { ...opts, padding, dataFormat: 'NCHW' });
      expect(values(tf.transpose(nchw, [0, 2, 3, 1]).contiguousCopy())).toEqual(values(yMax));
    }));
    it(`routes the gradient of an explicitly padded max pool to each window's maximum [${b}]`, () => withBackend(b, () => {
      const g = tf.grad((v: Tensor) => tf.sum(maxPool2d(v, { poolSize: 3, strides: 2, padding: [[1, 1], [1, 1]] })))(x16());
      // Windows of the 4x4 image 1..16 padded by one: maxima 6, 8, 14, 16.
      expect(values(g)).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
    }));
  }
  it('rejects pads as large as the window, negative pads and windows entirely in padding', () => {
    const x = tf.zeros([1, 4, 4, 1]);
    expect(() => maxPool2d(x, { poolSize: 2, padding: [[2, 0], [0, 0]] })).toThrow(/maxPool2d: argument 'padding' expected \[\[top, bottom\], \[left, right\]\] of integers >= 0 and below the window \(2x2\)/);
    expect(() => maxPool2d(x, { poolSize: 3, padding: [[-1, 0], [0, 0]] })).toThrow(/argument 'padding'/);
    expect(() => maxPool2d(x, { poolSize: 3, padding: [[0, 0], [0]] as unknown as [[number, number], [number, number]] })).toThrow(/argument 'padding'/);
    expect(() => avgPool2d(tf.zeros([1, 1, 1, 1]), { poolSize: 3, strides: 1, padding: [[2, 2], [0, 0]] })).toThrow(/windows all overlap/);
  });
});

describe('max pool backward with windows that do not overlap', () => {
  // The native kernel writes such gradients cell by cell; cells outside every window (a remainder
  // row and column, gaps of a stride wider than the window, padding) must come out 0.
  const cases: [string, number[], Pool2dOptions][] = [
    ['2x2/2 with a remainder row and column', [2, 7, 9, 5], { poolSize: 2 }],
    ['2x2 stride 3 (gaps)', [1, 8, 10, 70], { poolSize: 2, strides: 3 }],
    ['3x2 stride [3, 4], same padding', [2, 7, 9, 3], { poolSize: [3, 2], strides: [3, 4], padding: 'same' }],
    ['channels first', [2, 3, 6, 7], { poolSize: 2, dataFormat: 'NCHW' }],
  ];
  for (const [label, shape, opts] of cases) {
    it.runIf(info.nativeAvailable)(`${label}: native == js, ties included`, () => {
      // Rounded values so that windows hold equal maxima (the first one in window order wins).
      const r = random(shape, 17);
      const x = tf.tensor(Array.from(r.dataSync(), (v) => Math.round(v * 2)), shape);
      const y = withBackend('js', () => maxPool2d(x, opts));
      const w = random(y.shape.slice(), 18);
      const ref = withBackend('js', () => gradOf((v) => maxPool2d(v, opts), x, w));
      const nat = withBackend('native', () => gradOf((v) => maxPool2d(v, opts), x, w));
      expect(values(nat)).toEqual(values(ref));
    });
  }
  it.runIf(info.nativeAvailable)('a NaN takes the gradient (the last NaN of a window) and a -0 gradient arrives as +0', () => {
    // 2x2/2 over 9 channels (a vector block and a scalar tail): window 0 holds two NaNs, window 1 a
    // NaN after a larger number; every gradient is -0 or 1.
    const v = Array.from({ length: 4 * 4 * 9 }, (_, i) => (i * 7) % 5);
    for (const c of [0, 8]) {
      v[(0 * 4 + 0) * 9 + c] = NaN;
      v[(1 * 4 + 1) * 9 + c] = NaN;
      v[(0 * 4 + 3) * 9 + c] = 100;
      v[(1 * 4 + 2) * 9 + c] = NaN;
    }
    const x = tf.tensor(v, [1, 4, 4, 9]);
    const w = tf.tensor(Array.from({ length: 2 * 2 * 9 }, (_, i) => (i % 3 === 0 ? -0 : 1)), [1, 2, 2, 9]);
    const ref = values(withBackend('js', () => gradOf((t) => maxPool2d(t, { poolSize: 2 }), x, w)));
    const nat = values(withBackend('native', () => gradOf((t) => maxPool2d(t, { poolSize: 2 }), x, w)));
    expect(nat).toEqual(ref);
    expect(ref[(1 * 4 + 1) * 9]).toBe(0);
    expect(Object.is(ref[(1 * 4 + 1) * 9], -0)).toBe(false);
    expect(ref[(1 * 4 + 2) * 9 + 8]).toBe(1);
  });
});

describe('2x2 max pool (the native tree of maxima), forward and input gradient', () => {
  // Windows inside the image take max(max(a, b), max(c, d)) in plain maxima, checked for NaN once
  // per row span; a span holding a NaN (or infinities of both signs) is redone by the NaN-winning
  // chain. Either way every value, -0 against +0 and which NaN wins included, equals the js chain;
  // the input gradient (the chain's arg-max, windows apart) goes to the same cell, -0 as +0.
  const exact = (t: Tensor): string[] => Array.from(t.dataSync(), (v) => (Object.is(v, -0) ? '-0' : String(v)));
  const cases: [string, number[], Pool2dOptions][] = [
    ['2x2/2, 36 channels (vector blocks and 8- and 4-wide tails)', [2, 6, 9, 36], { poolSize: 2 }],
    ['2x2/2, 16 channels, a remainder row and column', [1, 7, 9, 16], { poolSize: 2 }],
    ['2x2/2, 12 channels, same padding on odd sizes (edge windows)', [1, 7, 9, 12], { poolSize: 2, padding: 'same' }],
    ['2x2 stride 1, 20 channels', [1, 5, 6, 20], { poolSize: 2, strides: 1 }],
    ['2x2/2, 6 channels (no tree: channels not a multiple of 4)', [1, 4, 6, 6], { poolSize: 2 }],
  ];
  for (const [label, shape, opts] of cases) {
    it.runIf(info.nativeAvailable)(`${label}: native == js at every SIMD level, gradients too`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const g = new Generator(23);
      // Small integers and signed zeros: ties everywhere; a NaN in some rows, -inf and +inf together
      // (a NaN sum without a NaN cell) in another.
      const v = Array.from({ length: n }, () => {
        const u = Math.floor(g.uniform() * 7) - 3;
        return u === 0 && g.uniform() < 0.5 ? -0 : u;
      });
      const c = shape[3]!, w = shape[2]!;
      v[(1 * w + 2) * c + 1] = NaN;
      v[(1 * w + 3) * c + 1] = NaN;
      v[(w + 3) * c + (c - 1)] = NaN;
      v[(3 * w + 1) * c + 2] = Infinity;
      v[(3 * w + 0) * c + 2] = -Infinity;
      const x = tf.tensor(v, shape);
      const want = exact(withBackend('js', () => maxPool2d(x, opts)));
      const ys = withBackend('js', () => maxPool2d(x, opts)).shape.slice();
      const gy = tf.tensor(Array.from({ length: ys.reduce((a, b) => a * b, 1) }, (_, i) => (i % 3 === 0 ? -0 : 1 + (i % 5))), ys);
      const grad = (): string[] => exact(gradOf((t) => maxPool2d(t, opts), x, gy));
      const wantGrad = withBackend('js', grad);
      const { hardware, levels } = simdLevels();
      try {
        for (const level of levels) {
          tf.setSimdLevel(level);
          expect(exact(withBackend('native', () => maxPool2d(x, opts))), level).toEqual(want);
          expect(withBackend('native', grad), `${level} gradient`).toEqual(wantGrad);
        }
      } finally {
        tf.setSimdLevel(hardware);
      }
    });
  }
});

describe('pooling argument errors', () => {
  const x = tf.zeros([1, 4, 4, 2]);
  it('rejects a window larger than the input with valid padding', () => {
    expect(() => maxPool2d(x, { poolSize: 5 })).toThrow(/maxPool2d: argument 'poolSize' expected a window no larger than the input/);
    expect(() => avgPool2d(x, { poolSize: [2, 5] })).toThrow(/avgPool2d: argument 'poolSize'/);
    expect(() => avgPool2d(tf.zeros([1, 2, 4, 4]), { poolSize: 3, dataFormat: 'NCHW' })).not.toThrow();
    expect(() => maxPool2d(x, { poolSize: 5, padding: 'same' })).not.toThrow();
  });
  it('rejects bad poolSize, strides, padding and dataFormat', () => {
    expect(() => maxPool2d(x, { poolSize: 0 })).toThrow(/argument 'poolSize' expected a positive integer/);
    expect(() => maxPool2d(x, { poolSize: 1.5 })).toThrow(/poolSize/);
    expect(() => maxPool2d(x, { poolSize: [2] as unknown as [number, number] })).toThrow(/poolSize/);
    expect(() => maxPool2d(x, { poolSize: 2, strides: -1 })).toThrow(/argument 'strides'/);
    expect(() => maxPool2d(x, { poolSize: 2, strides: [1, 0] })).toThrow(/argument 'strides'/);
    expect(() => maxPool2d(x, { poolSize: 2, padding: 'full' as 'same' })).toThrow(/argument 'padding'/);
    expect(() => maxPool2d(x, { poolSize: 2, dataFormat: 'NWHC' as 'NHWC' })).toThrow(/argument 'dataFormat'/);
    expect(() => upSampling2d(x, { size: 0 })).toThrow(/upSampling2d: argument 'size'/);
    expect(() => upSampling2d(x, { interpolation: 'bicubic' as 'nearest' })).toThrow(/argument 'interpolation'/);
  });
  it('rejects inputs that are not rank 4', () => {
    expect(() => maxPool2d(tf.zeros([4, 4, 2]), { poolSize: 2 })).toThrow(/maxPool2d: argument 'x' expected a rank-4 tensor/);
    expect(() => upSampling2d(tf.zeros([4, 4]))).toThrow(/rank-4/);
    expect(() => globalAveragePooling2d(tf.zeros([2, 3]))).toThrow(/rank-4/);
  });
});

describe.runIf(info.nativeAvailable)('pool binding', () => {
  it('throws a RangeError on bad geometry instead of touching memory', () => {
    const addon = nativeAddon()!;
    const x = new Float32Array(16);
    const y = new Float32Array(4);
    const ok: LayoutArgs<'pool2d'> = { xOffset: 0, batch: 1, h: 4, w: 4, c: 1, oh: 2, ow: 2, kh: 2, kw: 2, sh: 2, sw: 2, padTop: 0, padLeft: 0 };
    expect(() => addon.pool2d(0, x, y, pack.pool2d(ok))).not.toThrow();
    const bad = (change: Partial<LayoutArgs<'pool2d'>>) => pack.pool2d({ ...ok, ...change });
    expect(() => addon.pool2d(0, x, y, bad({ xOffset: 1 }))).toThrow(RangeError); // offset pushes x past its end
    expect(() => addon.pool2d(0, x, y, bad({ oh: 3 }))).toThrow(RangeError); // output larger than y / input
    expect(() => addon.pool2d(0, x, y, bad({ kh: 0 }))).toThrow(/pool2d\.kh must be an integer in \[1, \d+\], got 0/);
    expect(() => addon.pool2d(0, x, y, bad({ padTop: 2 }))).toThrow(RangeError); // padding >= window
    expect(() => addon.pool2d(0, x, y, bad({ batch: 1e15 }))).toThrow(RangeError); // overflowing volume
    expect(() => addon.pool2d(2, x, y, pack.pool2d(ok))).toThrow(RangeError);
    expect(() => addon.pool2d(0, x, y, Float64Array.of(0, 1, 4, 4, 1) as never)).toThrow(RangeError);
    expect(() => addon.pool2dBackward(0, x, y, new Float32Array(8), pack.pool2dBackward({ ...ok, gyOffset: 0 }))).toThrow(RangeError);
    const up = { xOffset: 0, batch: 1, h: 4, w: 4, c: 1, fh: 2, fw: 2 };
    expect(() => addon.upsample2d(0, x, new Float32Array(63), pack.upsample2d(up))).toThrow(RangeError);
    expect(() => addon.upsample2dBackward(1, new Float32Array(63), x, pack.upsample2dBackward({ ...up, gyOffset: 0 }))).toThrow(RangeError);
  });
});
