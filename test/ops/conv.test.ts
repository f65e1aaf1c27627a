import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { type Conv2DOptions, bindConv2d, conv1d, conv2d, conv2dTranspose, prepackFilter, prepackTransposeFilter } from '../../src/ops/conv';
import { type LayoutArgs, nativeAddon, pack } from '../../src/backend/binding';
import { Generator } from '../../src/random/generator';
import { expectClose } from '../helpers/compare';
import { simdLevels } from '../helpers/simd-levels';
import { type FusedActivation, toFusedActivation } from '../../src/ops/fused-activation';

const info = tf.backendInfo();
const backends = (info.nativeAvailable ? ['js', 'native'] : ['js']) as ('js' | 'native')[];

function on<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

function rand(shape: number[], seed: number): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => g.uniform() * 2 - 1), shape);
}

function dot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

// x = [[1,2,3],[4,5,6],[7,8,9]], filter = [[1,2],[3,4]] (one channel in, one out).
const X = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const F = [1, 2, 3, 4];

describe.each(backends)('conv2d hand-computed (%s)', (backend) => {
  const x = (): Tensor => tf.tensor(X, [1, 3, 3, 1]);
  const f = (): Tensor => tf.tensor(F, [2, 2, 1, 1]);

  it('valid: each output is the 2x2 window dotted with the filter', () => {
    // [1*1+2*2+4*3+5*4, 2*1+3*2+5*3+6*4; 4+10+21+32, 5+12+24+36]
    const y = on(backend, () => conv2d(x(), f()));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([37, 47, 67, 77]);
  });

  it("same: TF pads the extra row/column at the end (bottom/right)", () => {
    // Last column: 3*1 + 6*3 = 21, 6*1 + 9*3 = 33, 9*1 = 9; last row: 7*1 + 8*2 = 23, 8*1 + 9*2 = 26.
    const y = on(backend, () => conv2d(x(), f(), { padding: 'same' }));
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual([37, 47, 21, 67, 77, 33, 23, 26, 9]);
  });

  it('stride 2, explicit padding and bias', () => {
    // Padding 1 on top/left only: windows start at (-1,-1), (-1,1), (1,-1), (1,1).
    // (-1,-1): 1*4 = 4; (-1,1): 2*3 + 3*4 = 18; (1,-1): 4*2 + 7*4 = 36; (1,1): 5+12+24+36 = 77.
    const y = on(backend, () => conv2d(x(), f(), { strides: 2, padding: [[1, 0], [1, 0]], bias: tf.tensor([0.5], [1]) }));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([4.5, 18.5, 36.5, 77.5]);
  });

  it('dilation 2 on a 3x3 input reads the four corners', () => {
    const y = on(backend, () => conv2d(x(), f(), { dilations: 2 }));
    expect(Array.from(y.dataSync())).toEqual([1 * 1 + 3 * 2 + 7 * 3 + 9 * 4]);
  });

  it('NCHW takes the PyTorch filter layout [Cout, Cin, kh, kw]', () => {
    const y = on(backend, () => conv2d(tf.tensor(X, [1, 1, 3, 3]), tf.tensor(F, [1, 1, 2, 2]), { dataFormat: 'NCHW' }));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.dataSync())).toEqual([37, 47, 67, 77]);
  });

  it('depthwise: each channel with its own filter', () => {
    // Channel 0 = X, channel 1 = -X; filters F and [1,1,1,1].
    const xv = X.flatMap((v) => [v, -v]);
    const fv = F.flatMap((v) => [v, 1]);
    const y = on(backend, () => conv2d(tf.tensor(xv, [1, 3, 3, 2]), tf.tensor(fv, [2, 2, 1, 2]), { groups: 2 }));
    expect(Array.from(y.dataSync())).toEqual([37, -12, 47, -16, 67, -24, 77, -28]);
  });

  it('conv1d: [1,2,4,7,11] with [1,-1] gives minus the differences', () => {
    const y = on(backend, () => conv1d(tf.tensor([1, 2, 4, 7, 11], [1, 5, 1]), tf.tensor([1, -1], [2, 1, 1])));
    expect(y.shape).toEqual([1, 4, 1]);
    expect(Array.from(y.dataSync())).toEqual([-1, -2, -3, -4]);
  });

  it('conv2dTranspose scatters each input value times the filter', () => {
    // A single 1 at (0,0) of a 2x2 input, stride 1 valid -> the filter at the top-left of a 3x3 output;
    // a 1 at (1,1) adds the filter at the bottom-right.
    const dy = tf.tensor([1, 0, 0, 1], [1, 2, 2, 1]);
    const y = on(backend, () => conv2dTranspose(dy, f()));
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 0, 3, 5, 2, 0, 3, 4]);
    const y2 = on(backend, () => conv2dTranspose(tf.tensor([1], [1, 1, 1, 1]), f(), { strides: 2, outputShape: [2, 2] }));
    expect(Array.from(y2.dataSync())).toEqual([1, 2, 3, 4]);
  });

  it('gradients of a small case by hand', () => {
    // d sum(conv(x, f)) / d f[i,j] = sum of the window positions it touches.
    const xt = x();
    const ft = f();
    const [gx, gf] = on(backend, () => tf.grads((a: Tensor, b: Tensor) => tf.sum(conv2d(a, b)))([xt, ft]));
    expect(Array.from(gf!.dataSync())).toEqual([1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9]);
    // Each x[r,c] gets the sum of filter taps that cover it.
    expect(Array.from(gx!.dataSync())).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });
});

describe.each(backends)('layouts and adjoints (%s)', (backend) => {
  const cases: { name: string; x: number[]; w: number[]; opts: Conv2DOptions }[] = [
    { name: 'valid', x: [2, 5, 6, 3], w: [3, 3, 3, 4], opts: {} },
    { name: 'same stride 2', x: [2, 7, 6, 2], w: [3, 2, 2, 3], opts: { padding: 'same', strides: 2 } },
    { name: 'explicit, dilation 2, groups 2', x: [1, 8, 7, 4], w: [2, 3, 2, 6], opts: { padding: [[2, 1], [0, 3]], dilations: 2, groups: 2 } },
    { name: 'depthwise stride 3', x: [2, 9, 8, 3], w: [3, 3, 1, 6], opts: { strides: [3, 2], padding: 'same', groups: 3 } },
  ];

  for (const c of cases) {
    it(`NHWC == NCHW after transposes: ${c.name}`, () => {
      const x = rand(c.x, 1);
      const w = rand(c.w, 2);
      const b = rand([c.w[3]!], 3);
      const a = on(backend, () => conv2d(x, w, { ...c.opts, bias: b }));
      const xn = tf.transpose(x, [0, 3, 1, 2]);
      const wn = tf.transpose(w, [3, 2, 0, 1]);
      const yn = on(backend, () => conv2d(xn, wn, { ...c.opts, bias: b, dataFormat: 'NCHW' }));
      expectClose(tf.transpose(yn, [0, 2, 3, 1]).contiguous(), a, 1e-5, 1e-6, c.name);
    });

    it(`<conv2d(x, w), y> == <x, conv2dTranspose(y, w)>: ${c.name}`, () => {
      const x = rand(c.x, 4);
      const w = rand(c.w, 5);
      const cy = on(backend, () => conv2d(x, w, c.opts));
      const y = rand(cy.shape.slice(), 6);
      const ty = on(backend, () => conv2dTranspose(y, w, { ...c.opts, outputShape: c.x }));
      const lhs = dot(cy, y);
      const rhs = dot(x, ty);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
    });
  }

  it('conv2dTranspose in NCHW matches NHWC after transposes', () => {
    const y = rand([2, 4, 4, 4], 7);
    const w = rand([3, 3, 2, 4], 8);
    const a = on(backend, () => conv2dTranspose(y, w, { strides: 2, padding: 'same', groups: 2, outputShape: [2, 8, 7, 4] }));
    const b = on(backend, () => conv2dTranspose(tf.transpose(y, [0, 3, 1, 2]), tf.transpose(w, [3, 2, 0, 1]),
      { strides: 2, padding: 'same', groups: 2, outputShape: [8, 7], dataFormat: 'NCHW' }));
    expectClose(tf.transpose(b, [0, 2, 3, 1]).contiguous(), a, 1e-5, 1e-6, 'transpose NCHW');
  });

  it('rank-3 input (no batch) and conv1d NCW == NWC', () => {
    const x = rand([5, 6, 3], 9);
    const w = rand([2, 2, 3, 2], 10);
    const y = on(backend, () => conv2d(x, w));
    expect(y.shape).toEqual([4, 5, 2]);
    const x1 = rand([2, 9, 4], 11);
    const w1 = rand([3, 2, 6], 12);
    const a = on(backend, () => conv1d(x1, w1, { groups: 2, stride: 2, padding: 'same' }));
    const b = on(backend, () => conv1d(tf.transpose(x1, [0, 2, 1]), tf.transpose(w1, [2, 1, 0]), { groups: 2, stride: 2, padding: 'same', dataFormat: 'NCW' }));
    expectClose(tf.transpose(b, [0, 2, 1]).contiguous(), a, 1e-5, 1e-6, 'conv1d');
  });
});

describe.runIf(info.nativeAvailable)('native kernels == reference', () => {
  it('gradients (input, filter, bias) on several tiles', () => {
    const x = rand([2, 30, 31, 6], 13);
    const w = rand([3, 3, 3, 8], 14);
    const b = rand([8], 15);
    const gy = rand([2, 15, 16, 8], 16);
    const run = (): Tensor[] => tf.grads((a: Tensor, f: Tensor, c: Tensor) =>
      tf.sum(tf.mul(conv2d(a, f, { strides: 2, padding: 'same', groups: 2, bias: c }), gy)))([x, w, b]);
    const ref = on('js', run);
    const nat = on('native', run);
    for (let i = 0; i < 3; i++) expectClose(nat[i]!, ref[i]!, 1e-4, 1e-5, `grad ${i}`);
  });

  it('few-task convolutions (batch 1, a few output tiles) split evenly: 2 threads == 1 thread, and == reference', () => {
    // 14x14 = 196 output pixels: one or a few tiles per image, re-cut into a multiple of the
    // thread count. Forms: im2col 3x3 (deep filter), grouped, pointwise 1x1, small-k direct, depthwise.
    const forms: [string, number[], number[], Conv2DOptions][] = [
      ['3x3 im2col', [1, 14, 14, 96], [3, 3, 96, 40], { padding: 'same', activation: 'relu' }],
      // 4x4 output rows (narrower than any ISA's row strip) against 96 output channels: at 2
      // threads one im2col of all 16 rows, then a GEMM splitting the filter's panels.
      ['3x3 flat, 4x4 map, 96 filters', [1, 4, 4, 64], [3, 3, 64, 96], { padding: 'same', activation: 'relu' }],
      ['3x3 grouped', [1, 14, 14, 32], [3, 3, 8, 24], { padding: 'same', groups: 4 }],
      ['1x1 pointwise', [1, 14, 14, 64], [1, 1, 64, 48], {}],
      // Strided 1x1 with rows as wide as a row strip (implicit GEMM): each band's pixels are packed
      // densely before the GEMM reads them.
      ['1x1 stride 2, batch 2, odd sizes', [2, 9, 29, 64], [1, 1, 64, 48], { strides: 2, activation: 'relu' }],
      ['1x1 strides [3, 2], residual', [1, 7, 45, 64], [1, 1, 64, 40], { strides: [3, 2], residual: rand([1, 3, 23, 40], 43) }],
      ['3x3 direct, Cin 3', [1, 16, 16, 3], [3, 3, 3, 32], { padding: 'valid' }],
      // One tile, direct kernel (pointwise, Cin <= 32): cut in two for the pool, with a fused epilogue.
      ['1x1 direct, Cin 16, one tile', [1, 28, 28, 16], [1, 1, 16, 72], { activation: 'hardSwish' }],
      // Depthwise layers of a few rows (shufflenet's 3x3 over 28x28x24): split only once the
      // workers are polling (a smaller grain then), so each is run several times in a row below.
      ['3x3 depthwise, 24 channels', [1, 28, 28, 24], [3, 3, 1, 24], { padding: 'same', groups: 24 }],
      ['3x3 depthwise s2, 24 channels', [1, 56, 56, 24], [3, 3, 1, 24], { strides: 2, padding: 'same', groups: 24, activation: 'relu' }],
      ['5x5 depthwise, 7x7x576', [1, 7, 7, 576], [5, 5, 1, 576], { padding: 'same', groups: 576, activation: 'hardSwish' }],
    ];
    for (const [label, xs, ws, opts] of forms) {
      const x = rand(xs, 40), w = rand(ws, 41);
      // The last of a few back-to-back calls: the first after a resize finds the workers parked.
      const at = (threads: number): Float32Array => {
        const before = tf.getNumThreads();
        tf.setNumThreads(threads);
        try {
          const runs = Array.from({ length: 4 }, () => on('native', () => Float32Array.from(conv2d(x, w, opts).dataSync())));
          runs.forEach((r, i) => expect(r, `${label}, run ${i}`).toEqual(runs[0]));
          return runs[0]!;
        } finally {
          tf.setNumThreads(before);
        }
      };
      const one = at(1);
      expect(at(2), label).toEqual(one);
      expectClose(on('native', () => conv2d(x, w, opts)), on('js', () => conv2d(x, w, opts)), 1e-4, 1e-5, label);
    }
  });

  it('transposed convolutions whose stride covers the kernel (rows split over the pool): 2 threads == 1 thread == reference', () => {
    // A U-Net decoder's 2x2 stride-2 upsampling (16 output channels: one channel slice, which ran
    // on one thread), a 3x3 stride-3 one, a dilated 2x2 stride-3 one, and a 3x3 stride-2 one whose
    // taps overlap (the channel-slice split) for contrast; batch 2 so rows cross images.
    const forms: [string, number[], number[], { strides: number; dilations?: number; outputShape: number[] }][] = [
      ['2x2 s2, 16 channels', [1, 32, 32, 32], [2, 2, 16, 32], { strides: 2, outputShape: [1, 64, 64, 16] }],
      ['3x3 s3, batch 2', [2, 7, 9, 8], [3, 3, 5, 8], { strides: 3, outputShape: [2, 21, 27, 5] }],
      ['2x2 s3 dilation 2, batch 2', [2, 6, 5, 4], [2, 2, 3, 4], { strides: 3, dilations: 2, outputShape: [2, 18, 15, 3] }],
      ['3x3 s2 (overlapping taps)', [1, 9, 9, 16], [3, 3, 32, 16], { strides: 2, outputShape: [1, 19, 19, 32] }],
    ];
    for (const [label, ys, ws, opts] of forms) {
      const y = rand(ys, 60), w = rand(ws, 61);
      const at = (threads: number): Float32Array => {
        const before = tf.getNumThreads();
        tf.setNumThreads(threads);
        try {
          return on('native', () => Float32Array.from(conv2dTranspose(y, w, opts).dataSync()));
        } finally {
          tf.setNumThreads(before);
        }
      };
      const one = at(1);
      expect(at(2), label).toEqual(one);
      expectClose(on('native', () => conv2dTranspose(y, w, opts)), on('js', () => conv2dTranspose(y, w, opts)), 1e-4, 1e-5, label);
    }
  });

  it('bindConv2d (the inference plan\'s conv steps) == conv2d, also on the inputs it hands to conv2d', () => {
    const w = rand([3, 3, 8, 16], 51), b = rand([16], 52);
    const opts: Conv2DOptions = { padding: 'same', strides: 2, bias: b, activation: 'hardSwish' };
    const conv = bindConv2d(w, opts);
    on('native', () => tf.noGrad(() => {
      for (const [label, x] of [
        ['bound shape', rand([1, 9, 9, 8], 53)],
        ['same shape again', rand([1, 9, 9, 8], 54)],
        ['another shape (re-bound)', rand([2, 6, 7, 8], 55)],
        ['strided view (conv2d)', tf.transpose(rand([1, 8, 9, 9], 56), [0, 2, 3, 1])],
        ['offset view', tf.slice(rand([3, 9, 9, 8], 57), [1, 0, 0, 0], [1, 9, 9, 8])],
      ] as [string, Tensor][]) {
        expectClose(conv(x, null), conv2d(x, w, opts), 0, 0, label);
      }
      const x = rand([1, 9, 9, 8], 58), r = rand([1, 5, 5, 16], 59);
      expectClose(conv(x, r), conv2d(x, w, { ...opts, residual: r }), 0, 0, 'residual');
      const rt = tf.transpose(rand([1, 16, 5, 5], 60), [0, 2, 3, 1]);
      expectClose(conv(x, rt), conv2d(x, w, { ...opts, residual: rt }), 0, 0, 'strided residual');
      expect(() => conv(rand([1, 9, 9, 5], 61), null)).toThrow(/conv2d/);
    }));
    // A recording tape takes conv2d's path: the gradient flows.
    const x = rand([1, 9, 9, 8], 62);
    const g = on('native', () => tf.grads((a: Tensor) => tf.sum(conv(a, null)))([x])[0]!);
    const ref = on('native', () => tf.grads((a: Tensor) => tf.sum(conv2d(a, w, opts)))([x])[0]!);
    expectClose(g, ref, 0, 0, 'gradient');
  });

  it('bindConv2d reads a channel slice in place for pointwise convolutions (pixels wider apart than its channels), == conv2d at every SIMD level', () => {
    const { hardware, levels } = simdLevels();
    // Cin 12 (the direct kernel's range, run as the GEMM when strided), 40 (GEMM), 3 outputs (the transposed GEMM).
    for (const [cin, cout, act] of [[12, 20, 'relu'], [40, 24, 'hardSwish'], [12, 3, 'relu'], [7, 2, 'linear']] as const) {
      const w = rand([1, 1, cin, cout], 70 + cin), b = rand([cout], 71);
      const opts: Conv2DOptions = { bias: b, activation: act };
      const conv = bindConv2d(w, opts);
      const wide = rand([2, 33, 37, cin + 9], 72);
      const x = tf.slice(wide, [0, 0, 0, 5], [2, 33, 37, cin]);
      const r = rand([2, 33, 37, cout], 73);
      try {
        for (const level of levels) {
          tf.setSimdLevel(level);
          on('native', () => tf.noGrad(() => {
            expectClose(conv(x, null), on('js', () => conv2d(tf.contiguous(x), w, opts)), 1e-4, 1e-5, `${cin}->${cout} ${level}`);
            expectClose(conv(x, r), on('js', () => conv2d(tf.contiguous(x), w, { ...opts, residual: r })), 1e-4, 1e-5, `${cin}->${cout} residual ${level}`);
          }));
        }
      } finally {
        tf.setSimdLevel(hardware);
      }
    }
    // Not pointwise: conv2d's copy, same result.
    const w3 = rand([3, 3, 6, 8], 74);
    const conv3 = bindConv2d(w3, { padding: 'same' });
    const xs = tf.slice(rand([1, 7, 8, 10], 75), [0, 0, 0, 2], [1, 7, 8, 6]);
    on('native', () => tf.noGrad(() => expectClose(conv3(xs, null), conv2d(xs, w3, { padding: 'same' }), 0, 0, '3x3 on a slice')));
  });

  it('1x1 pointwise gradients', () => {
    const x = rand([3, 7, 5, 4], 17);
    const w = rand([1, 1, 4, 6], 18);
    const run = (): Tensor[] => tf.grads((a: Tensor, f: Tensor) => tf.sum(tf.mul(conv2d(a, f), conv2d(a, f))))([x, w]);
    const ref = on('js', run);
    const nat = on('native', run);
    for (let i = 0; i < 2; i++) expectClose(nat[i]!, ref[i]!, 1e-4, 1e-5, `grad ${i}`);
  });

  it('filter gradients summed in parts (1x1 split over its depth, depthwise over rows, 3x3 over rows): 2 threads == 1 thread, and == reference', () => {
    // 4 x 40 x 40 = 6400 rows: the 1x1 product splits its depth into 3 parts, the depthwise
    // filter gradient its 160 (image, row) units into 8, the 3x3 its rows into 3 parts of
    // expanded columns, each into its own dw; the parts do not depend on the threads.
    const forms: [string, number[], number[], Conv2DOptions][] = [
      ['1x1 16 -> 24', [4, 40, 40, 16], [1, 1, 16, 24], {}],
      ['3x3 16 -> 24', [4, 40, 40, 16], [3, 3, 16, 24], { padding: 'same' }],
      ['3x3 valid, parts crossing images', [6, 41, 37, 5], [3, 3, 5, 20], { padding: 'valid' }],
      ['depthwise 3x3', [4, 40, 40, 16], [3, 3, 1, 16], { padding: 'same', groups: 16 }],
      ['depthwise 3x3 stride 2', [4, 40, 40, 16], [3, 3, 1, 16], { padding: 'same', strides: 2, groups: 16 }],
      ['depthwise 3x3, multiplier 2', [4, 40, 40, 8], [3, 3, 1, 16], { padding: 'same', groups: 8 }],
    ];
    for (const [label, xs, ws, opts] of forms) {
      const x = rand(xs, 70), w = rand(ws, 71);
      const gy = rand(on('js', () => conv2d(x, w, opts)).shape.slice(), 72);
      const run = (): Tensor[] => tf.grads((a: Tensor, f: Tensor) => tf.sum(tf.mul(conv2d(a, f, opts), gy)))([x, w]);
      const at = (threads: number): Float32Array[] => {
        const before = tf.getNumThreads();
        tf.setNumThreads(threads);
        try {
          return on('native', run).map((g) => Float32Array.from(g.dataSync()));
        } finally {
          tf.setNumThreads(before);
        }
      };
      const one = at(1);
      const two = at(2);
      expect(two[0], `${label} input grad`).toEqual(one[0]);
      expect(two[1], `${label} filter grad`).toEqual(one[1]);
      const ref = on('js', run);
      const nat = on('native', run);
      for (let i = 0; i < 2; i++) expectClose(nat[i]!, ref[i]!, 1e-4, 1e-4, `${label} grad ${i}`);
    }
  });

  // Stride-1 input gradients run as the forward convolution of dy with the turned filter (an
  // implicit GEMM, padding k - 1 - pad): same and valid padding, asymmetric and one-sided pads,
  // a 1x3 kernel, a wide filter, at every SIMD level and on 1 and 2 threads.
  it('7x7 depthwise convolutions (the register-blocked forward) == reference at every SIMD level, 1 == 2 threads', () => {
    // Channel counts with block tails at every width, borders on all sides, a map narrower than the filter.
    const cases: [number[], Conv2DOptions][] = [
      [[2, 11, 13, 20], { padding: 'same' }],
      [[1, 9, 10, 16], { padding: 'valid', activation: 'relu' }],
      [[1, 6, 17, 9], { padding: [[3, 3], [3, 3]] }],
      [[1, 4, 5, 24], { padding: [[3, 2], [1, 3]] }],
    ];
    const { hardware, levels } = simdLevels();
    try {
      cases.forEach(([xs, o], i) => {
        const c = xs[3]!;
        const x = rand(xs, 700 + i), w = rand([7, 7, 1, c], 710 + i), b = rand([c], 720 + i);
        const opts: Conv2DOptions = { ...o, groups: c, bias: b };
        const want = on('js', () => conv2d(x, w, opts));
        for (const level of levels) {
          tf.setSimdLevel(level);
          const at = (threads: number): Tensor => {
            const before = tf.getNumThreads();
            tf.setNumThreads(threads);
            try {
              return on('native', () => conv2d(x, w, opts));
            } finally {
              tf.setNumThreads(before);
            }
          };
          const one = at(1);
          expectClose(one, want, 1e-4, 1e-5, `case ${i} (${level})`);
          expect(Array.from(at(2).dataSync()), `case ${i} (${level}) 2 threads`).toEqual(Array.from(one.dataSync()));
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
    }
  });

  // The 3x3 and 5x5 forward walks pixel blocks outer on images up to ~1.5 MB and channel blocks
  // outer beyond (with 64+ channels); both keep 8 pixels' accumulators (14 in AVX-512's forward)
  // over input columns taken one at a time. Channel tails at every width, borders on all sides,
  // rows narrower than a block, a NaN and an inf in the filter (padded taps count as 0 * w), and
  // stride-1 input gradients (the same blocks over the turned filter).
  it('3x3 and 5x5 depthwise convolutions, both loop orders, == reference at every SIMD level, 1 == 2 threads', () => {
    const cases: [number[], number, Conv2DOptions, string?][] = [
      [[2, 11, 13, 20], 3, { padding: 'same' }],
      [[1, 12, 9, 37], 3, { padding: 'same', strides: 2, activation: 'relu' }],
      [[1, 10, 11, 8], 3, { padding: 'valid', strides: 2 }],
      [[1, 9, 10, 24], 5, { padding: 'same' }],
      [[1, 13, 14, 16], 5, { padding: 'same', strides: 2 }],
      [[1, 5, 3, 12], 5, { padding: 'same' }],
      [[1, 8, 19, 9], 5, { padding: [[1, 2], [2, 0]] }],
      // Strided rows longer than a 14-pixel block, with a tail: 16 and 17 output columns.
      [[1, 7, 31, 40], 3, { padding: 'same', strides: 2 }],
      [[1, 9, 33, 24], 5, { padding: 'same', strides: 2 }],
      [[1, 9, 9, 16], 3, { padding: 'same' }, 'nan'],
      [[1, 9, 9, 16], 5, { padding: 'same', strides: 2 }, 'inf'],
      // Batches beyond 8 MB of images up to 1.5 MB: pixels outer, prefetching each chunk's next rows.
      [[6, 48, 48, 160], 3, { padding: 'same' }],
      // > 1.5 MB per image, 96 channels, batch beyond 8 MB: channel blocks outer over row chunks.
      [[6, 66, 64, 96], 3, { padding: 'same' }],
      [[6, 66, 64, 96], 5, { padding: 'same', strides: 2 }],
      [[6, 66, 64, 96], 3, { padding: 'same' }, 'nan'],
    ];
    const { hardware, levels } = simdLevels();
    const threadsBefore = tf.getNumThreads();
    try {
      cases.forEach(([xs, k, o, bad], i) => {
        const c = xs[3]!;
        const x = rand(xs, 1700 + i), b = rand([c], 1720 + i);
        let w = rand([k, k, 1, c], 1710 + i);
        if (bad) {
          const v = w.dataSync().slice();
          v[(k * k - 1) * c + 5] = bad === 'nan' ? NaN : Infinity;
          w = tf.tensor(v, w.shape.slice());
        }
        const opts: Conv2DOptions = { ...o, groups: c, bias: b };
        const want = on('js', () => conv2d(x, w, opts));
        const grad = (): Tensor => {
          const gy = rand(want.shape.slice(), 1730 + i);
          return tf.grads((a: Tensor) => tf.sum(tf.mul(conv2d(a, w, opts), gy)))([x])[0]!;
        };
        const wantGrad = !bad && xs[1]! < 20 ? on('js', grad) : null;
        for (const level of levels) {
          tf.setSimdLevel(level);
          const got = [1, 2].map((threads) => {
            tf.setNumThreads(threads);
            return on('native', () => conv2d(x, w, opts));
          });
          expectClose(got[0]!, want, 1e-4, 1e-5, `case ${i} (${level})`);
          expect(Array.from(got[1]!.dataSync()), `case ${i} (${level}) 2 threads`).toEqual(Array.from(got[0]!.dataSync()));
          if (wantGrad) {
            tf.setNumThreads(1);
            expectClose(on('native', grad), wantGrad, 1e-4, 1e-5, `case ${i} (${level}) input gradient`);
          }
        }
        if (bad) expect(want.dataSync().some(Number.isNaN) || want.dataSync().some((v) => !Number.isFinite(v))).toBe(true);
      });
    } finally {
      tf.setSimdLevel(hardware);
      tf.setNumThreads(threadsBefore);
    }
  });

  it('stride-1 input gradients (dy convolved with the turned filter) == reference at every SIMD level, 1 == 2 threads', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[2, 9, 10, 16], [3, 3, 16, 24], { padding: 'same' }],
      [[1, 12, 11, 8], [5, 5, 8, 40], { padding: 'same' }],
      [[2, 8, 9, 6], [3, 3, 6, 20], { padding: 'valid' }],
      [[1, 10, 10, 12], [3, 3, 12, 18], { padding: [[2, 0], [0, 1]] }],
      [[3, 6, 14, 9], [1, 3, 9, 33], { padding: 'same' }],
      [[1, 7, 7, 64], [3, 3, 64, 70], { padding: 'same' }],
    ];
    const { hardware, levels } = simdLevels();
    const threadsBefore = tf.getNumThreads();
    try {
      cases.forEach(([xs, ws, o], i) => {
        const x = rand(xs, 900 + i);
        const w = rand(ws, 910 + i);
        const gy = rand(on('js', () => conv2d(x, w, o)).shape.slice(), 920 + i);
        const run = (): Tensor => tf.grads((a: Tensor) => tf.sum(tf.mul(conv2d(a, w, o), gy)))([x])[0]!;
        const want = on('js', run);
        for (const level of levels) {
          tf.setSimdLevel(level);
          const got = [1, 2].map((threads) => {
            tf.setNumThreads(threads);
            return on('native', run);
          });
          expect(Array.from(got[1]!.dataSync()), `case ${i} at ${level}: 2 threads == 1 thread`).toEqual(Array.from(got[0]!.dataSync()));
          expectClose(got[0]!, want, 1e-4, 1e-5, `case ${i} at ${level}`);
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
      tf.setNumThreads(threadsBefore);
    }
  });

  // Ungrouped gradients run as GEMMs over the whole batch's rows in chunks of >= 256 rows: these
  // shapes cross images within a chunk, and the deep one (k = 3 * 3 * 600: 256-row chunks) needs two.
  for (const c of [
    { name: 'deep 3x3, several chunks', x: [3, 9, 10, 600], w: [3, 3, 600, 5], o: { padding: 'same' } as Conv2DOptions },
    { name: '3x3 stride 2, rows across images', x: [5, 11, 9, 7], w: [3, 3, 7, 6], o: { strides: 2, padding: [[1, 1], [0, 2]] } as Conv2DOptions },
    { name: '1x1 stride 1 over the whole batch', x: [4, 9, 8, 12], w: [1, 1, 12, 20], o: {} as Conv2DOptions },
    { name: '1x1 stride 2', x: [3, 9, 8, 12], w: [1, 1, 12, 20], o: { strides: 2 } as Conv2DOptions },
    { name: '7x7 stride 2 dilation 1', x: [2, 20, 19, 5], w: [7, 7, 5, 9], o: { strides: 2, padding: 'same' } as Conv2DOptions },
  ]) {
    it(`gradients over batch-wide chunks: ${c.name}`, () => {
      const x = rand(c.x, 21);
      const w = rand(c.w, 22);
      const yShape = on('js', () => conv2d(x, w, c.o)).shape;
      const gy = rand(yShape.slice(), 23);
      const run = (): Tensor[] => tf.grads((a: Tensor, f: Tensor) => tf.sum(tf.mul(conv2d(a, f, c.o), gy)))([x, w]);
      const ref = on('js', run);
      const nat = on('native', run);
      for (let i = 0; i < 2; i++) expectClose(nat[i]!, ref[i]!, 1e-4, 1e-5, `${c.name} grad ${i}`);
      // The forward of deep or small-image filters also tiles the batch's rows, with bias and relu in the store.
      const b = rand([c.w[3]!], 24);
      const fwd = (): Tensor => conv2d(x, w, { ...c.o, bias: b, activation: 'relu' });
      expectClose(on('native', fwd), on('js', fwd), 1e-4, 1e-5, `${c.name} forward`);
    });
  }

  it('the binding rejects out-of-range calls with a RangeError instead of crashing', () => {
    const addon = nativeAddon()!;
    const x = new Float32Array(9);
    const w = new Float32Array(4);
    const y = new Float32Array(4);
    const ok: LayoutArgs<'conv2d'> = {
      n: 1, h: 3, w: 3, c: 1, kh: 2, kw: 2, cout: 1, oh: 2, ow: 2, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0, groups: 1,
      xOffset: 0, wOffset: 0, yOffset: 0, xPixelStride: 0, yPixelStride: 0,
    };
    addon.conv2d(x, w, y, pack.conv2d(ok), null, -1, 0, 0, null);
    const bad = (change: Partial<LayoutArgs<'conv2d'>>) => pack.conv2d({ ...ok, ...change });
    expect(() => addon.conv2d(x, w, y, bad({ oh: 3 }), null, -1, 0, 0, null)).toThrow(RangeError); // y too small
    expect(() => addon.conv2d(x, w, y, bad({ xOffset: 1 }), null, -1, 0, 0, null)).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, bad({ sh: 0 }), null, -1, 0, 0, null)).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, bad({ groups: 2 }), null, -1, 0, 0, null)).toThrow(RangeError);
    // Spaced pixels: for pointwise ungrouped convolutions only, at least c apart, within x.
    expect(() => addon.conv2d(new Float32Array(32), w, y, bad({ xPixelStride: 2 }), null, -1, 0, 0, null)).toThrow(/pointwise/);
    const pw = { ...ok, h: 2, w: 2, kh: 1, kw: 1, c: 2, cout: 1, xPixelStride: 3 };
    addon.conv2d(new Float32Array(11), new Float32Array(2), y, pack.conv2d(pw), null, -1, 0, 0, null);
    expect(() => addon.conv2d(new Float32Array(10), new Float32Array(2), y, pack.conv2d(pw), null, -1, 0, 0, null)).toThrow(RangeError);
    expect(() => addon.conv2d(new Float32Array(11), new Float32Array(2), y, pack.conv2d({ ...pw, xPixelStride: 1 }), null, -1, 0, 0, null)).toThrow(/at least c/);
    expect(() => addon.conv2dBackpropInput(y, w, new Float32Array(64), pack.conv2dBackpropInput({ ...ok, xPixelStride: 3 }))).toThrow(/xPixelStride/);
    // Spaced output pixels (a channel slice of a wider y): at least cout apart, within y; forward only.
    addon.conv2d(x, w, new Float32Array(10), bad({ yPixelStride: 3 }), null, -1, 0, 0, null);
    expect(() => addon.conv2d(x, w, new Float32Array(9), bad({ yPixelStride: 3 }), null, -1, 0, 0, null)).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, bad({ cout: 2, yPixelStride: 1 }), null, -1, 0, 0, null)).toThrow(/at least cout/);
    expect(() => addon.conv2dBackpropInput(new Float32Array(10), w, new Float32Array(64), pack.conv2dBackpropInput({ ...ok, yPixelStride: 3 }))).toThrow(/yPixelStride must be 0/);
    expect(() => addon.conv2d(x, w, y, bad({ n: -1 }), null, -1, 0, 0, null)).toThrow(/conv2d\.n must be an integer in \[0, 2147483648\], got -1/);
    expect(() => addon.conv2d(x, w, y, Float64Array.of(1, 2) as never, null, -1, 0, 0, null)).toThrow(/conv2d arguments are too short/);
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), new Float32Array(0), -1, 0, 0, null)).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), null, -1, 0, 0, new Float32Array(3))).toThrow(RangeError); // residual
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), null, 9999, 0, 0, null)).toThrow(RangeError); // activation code
    expect(() => (addon.conv2d as (...a: unknown[]) => void)(x, w, y, pack.conv2d(ok), null, false)).toThrow(RangeError);
    // A packed filter shorter than its panels, without its width, or with a width out of range.
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), null, -1, 0, 0, null, new Float32Array(3), 1)).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), null, -1, 0, 0, null, new Float32Array(64))).toThrow(RangeError);
    expect(() => addon.conv2d(x, w, y, pack.conv2d(ok), null, -1, 0, 0, null, new Float32Array(1024), 65)).toThrow(RangeError);
    expect(() => addon.gemmPackB(w, new Float32Array(3), pack.gemmPackB({ k: 4, n: 1, ldb: 1, bOffset: 0 }))).toThrow(RangeError);
    expect(() => addon.gemmPackB(w, new Float32Array(1024), pack.gemmPackB({ k: 4, n: 2, ldb: 2, bOffset: 0 }))).toThrow(RangeError);
    expect(() => addon.conv2dBackpropInput(y, w, new Float32Array(8), pack.conv2dBackpropInput(ok))).toThrow(RangeError);
    expect(() => addon.conv2dBackpropFilter(x, y, new Float32Array(3), pack.conv2dBackpropFilter(ok))).toThrow(RangeError);
  });

  it('small-k direct kernels (Cin 1-3, pointwise Cin <= 32, padding, strides, dilations, cout tails) match the reference', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[3, 28, 28, 1], [3, 3, 1, 32], { activation: 'relu' }],
      [[2, 11, 13, 1], [5, 5, 1, 20], { padding: 'same', strides: [2, 1] }],
      [[2, 12, 10, 3], [3, 3, 3, 48], { padding: 'same', activation: 'relu' }],
      [[1, 9, 9, 2], [2, 3, 2, 7], { dilations: [2, 1], padding: [[1, 0], [2, 1]] }],
      [[2, 9, 11, 2], [3, 2, 2, 16], { strides: [2, 3], dilations: [1, 2], padding: 'same', activation: 'relu' }],
      [[2, 9, 11, 1], [3, 2, 1, 16], { strides: [2, 3], dilations: [1, 2], padding: 'same' }],
      // Channel tails of 8 (half-width registers on AVX-512) with and without a remainder after them.
      [[3, 28, 28, 1], [3, 3, 1, 8], { activation: 'relu' }],
      [[2, 13, 12, 1], [3, 3, 1, 12], { strides: [2, 1] }],
      [[2, 10, 11, 3], [3, 3, 3, 24], { padding: 'same', activation: 'relu' }],
      // The filter gradient's 32-channel blocks (AVX-512) followed by a scalar tail, and by a 16-block.
      [[2, 9, 8, 1], [3, 3, 1, 40], {}],
      [[2, 9, 8, 2], [3, 3, 2, 56], { padding: 'same' }],
      // Pointwise with Cin <= 32 (the forward's direct path; the gradients stay on the GEMM), with a
      // cout tail, and one whose activation is finished chunk by chunk (480 rows, chunks of 170).
      [[2, 7, 9, 16], [1, 1, 16, 40], { activation: 'relu' }],
      [[1, 5, 6, 24], [1, 1, 24, 20], {}],
      [[1, 20, 24, 32], [1, 1, 32, 48], { activation: 'silu' }],
    ];
    cases.forEach(([xs, ws, o], i) => {
      const x = rand(xs, 40 + i);
      const w = rand(ws, 50 + i);
      const b = rand([ws[3]!], 60 + i);
      const run = (): Tensor[] => {
        const [gx, gw, gb] = tf.grads((a: Tensor, f: Tensor, c: Tensor) => {
          const y = conv2d(a, f, { ...o, bias: c });
          return tf.sum(tf.mul(y, y));
        })([x, w, b]);
        return [conv2d(x, w, { ...o, bias: b }), gx!, gw!, gb!];
      };
      const ref = on('js', run);
      const { hardware, levels } = simdLevels();
      try {
        for (const level of levels) {
          tf.setSimdLevel(level);
          const nat = on('native', run);
          for (let j = 0; j < 4; j++) expectClose(nat[j]!, ref[j]!, 1e-4, 1e-5, `case ${i} (${level}) output ${j}`);
        }
      } finally {
        tf.setSimdLevel(hardware);
      }
    });
  });

  it('grouped convolutions with 16-, 8- and 4-wide output groups (direct kernels) match the reference in value and gradients', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[2, 9, 8, 32], [3, 3, 16, 32], { groups: 2, padding: 'same', activation: 'relu' }],
      [[1, 7, 7, 64], [3, 3, 16, 64], { groups: 4, padding: 'same', strides: 2 }],
      [[2, 10, 11, 12], [3, 3, 3, 64], { groups: 4, padding: [[2, 1], [0, 2]], dilations: 2, activation: 'silu' }],
      [[1, 5, 13, 48], [1, 3, 24, 32], { groups: 2, padding: 'valid' }],
      [[1, 6, 6, 40], [3, 3, 8, 80], { groups: 5, padding: 'same', activation: { name: 'clip', min: 0, max: 6 } }],
      // Rows wide enough for blocks whose windows are all inside (the bounds-free path), with
      // 16-channel groups (its unrolled form) and 12-channel ones, at stride 1 and 2.
      [[1, 12, 20, 32], [3, 3, 16, 32], { groups: 2, padding: 'same', activation: 'relu' }],
      [[2, 13, 37, 64], [3, 3, 16, 64], { groups: 4, padding: 'same', strides: 2 }],
      [[1, 9, 27, 36], [3, 3, 12, 48], { groups: 3, padding: [[1, 0], [2, 1]], dilations: [1, 2] }],
      // Row tails of 3 and 5 pixels after full blocks (6 pixels wide at AVX2, 8 at AVX-512, 2 at SSE).
      [[1, 7, 21, 32], [3, 3, 16, 32], { groups: 2, padding: 'same' }],
      [[2, 6, 23, 32], [3, 3, 16, 32], { groups: 2, padding: 'same', activation: 'relu' }],
      // 8-wide output groups (RegNetY's): blocks of 8 channels, 12 pixels (6 at SSE), tails,
      // 8-channel inputs (the unrolled form) and others, stride 2, dilation, 24 = 3 blocks of 8.
      [[1, 11, 29, 48], [3, 3, 8, 48], { groups: 6, padding: 'same', activation: 'relu' }],
      [[2, 12, 26, 48], [3, 3, 8, 48], { groups: 6, padding: 'same', strides: 2 }],
      [[1, 9, 15, 20], [3, 3, 5, 48], { groups: 4, padding: [[2, 1], [0, 2]], dilations: 2 }],
      [[1, 6, 17, 16], [3, 3, 8, 48], { groups: 2, padding: 'same', activation: 'silu' }],
      // 4-wide output groups (ResNeXt-50 32x4d's first stage), 4-channel inputs and others.
      [[1, 10, 27, 32], [3, 3, 4, 32], { groups: 8, padding: 'same', activation: 'relu' }],
      [[2, 9, 14, 24], [3, 3, 3, 32], { groups: 8, padding: 'same', strides: 2 }],
    ];
    const { hardware, levels } = simdLevels();
    try {
      cases.forEach(([xs, ws, o], i) => {
        const x = rand(xs, 110 + i);
        const w = rand(ws, 120 + i);
        const b = rand([ws[3]!], 130 + i);
        const probe = conv2d(x, w, o);
        const residual = o.strides ? undefined : rand(probe.shape.slice(), 140 + i);
        const run = (): Tensor[] => {
          const [gx, gw] = tf.grads((a: Tensor, f: Tensor) => tf.sum(tf.square(conv2d(a, f, { ...o, bias: b, residual }))))([x, w]);
          return [conv2d(x, w, { ...o, bias: b, residual }), gx!, gw!];
        };
        const ref = on('js', run);
        for (const level of levels) {
          tf.setSimdLevel(level);
          const nat = on('native', run);
          for (let j = 0; j < 3; j++) expectClose(nat[j]!, ref[j]!, 1e-4, 1e-5, `case ${i} (${level}) output ${j}`);
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
    }
  });

  it('filters packed once for the GEMM (prepackFilter) give the unpacked result on every route and SIMD level', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      [[2, 9, 7, 24], [1, 1, 24, 40], { activation: 'relu' }], // pointwise: one GEMM over the batch
      [[1, 14, 14, 64], [1, 1, 64, 70], { activation: 'silu' }], // pointwise, a finishing epilogue per block
      // Pointwise over few rows (<= 256 pixels: one-segment panels, rows in strips), a panel tail, relu after the residual.
      [[1, 7, 7, 96], [1, 1, 96, 100], { activation: 'relu' }],
      [[3, 5, 6, 40], [1, 1, 40, 64], {}],
      [[2, 10, 9, 16], [3, 3, 16, 33], { padding: 'same', activation: 'relu' }], // im2col tiles
      [[1, 4, 4, 300], [3, 3, 300, 20], { padding: 'same' }], // deep filter: flat tiles over the batch
      [[2, 11, 11, 8], [1, 1, 8, 48], { strides: 2 }], // strided 1x1 through im2col
    ];
    const { hardware, levels } = simdLevels();
    try {
      cases.forEach(([xs, ws, o], i) => {
        const x = rand(xs, 70 + i);
        const b = rand([ws[3]!], 80 + i);
        const residual = o.strides ? undefined : rand([xs[0]!, xs[1]!, xs[2]!, ws[3]!], 90 + i);
        for (const level of levels) {
          tf.setSimdLevel(level);
          for (const packedAt of levels) {
            // A fresh filter per packing: the packing is made once per tensor, at the level active then.
            const w = rand(ws, 60 + i);
            const want = on('native', () => conv2d(x, w, { ...o, bias: b, residual }));
            tf.setSimdLevel(packedAt);
            prepackFilter(w);
            tf.setSimdLevel(level);
            const got = on('native', () => conv2d(x, w, { ...o, bias: b, residual }));
            expectClose(got, want, 1e-5, 1e-6, `case ${i} at ${level}, packed at ${packedAt}`);
          }
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
    }
  });

  it('transposed convolutions with stride == kernel (one GEMM per filter row, disjoint outputs) match the reference at every SIMD level, packed or not, 1 or 2 threads', () => {
    // x [n, h, w, Cin], filter [kh, kw, Cout, Cin]: the U-Net upsampler's 2x2/2 at its three sizes,
    // channel counts off the 16-float vector, a 3x2 kernel, a batch whose bands cross images.
    const cases: [number[], number[], [number, number]][] = [
      [[1, 8, 8, 128], [2, 2, 64, 128], [2, 2]],
      [[1, 32, 32, 32], [2, 2, 16, 32], [2, 2]],
      [[3, 7, 9, 17], [2, 2, 20, 17], [2, 2]],
      [[2, 5, 11, 40], [3, 2, 33, 40], [3, 2]],
      [[4, 3, 3, 5], [2, 2, 7, 5], [2, 2]],
    ];
    const { hardware, levels } = simdLevels();
    const threadsBefore = tf.getNumThreads();
    try {
      cases.forEach(([xs, ws, strides], i) => {
        const x = rand(xs, 500 + i);
        const w = rand(ws, 510 + i);
        const b = rand([ws[2]!], 520 + i);
        const want = on('js', () => conv2dTranspose(x, w, { strides, bias: b }));
        for (const level of levels) {
          tf.setSimdLevel(level);
          for (const threads of [1, 2]) {
            tf.setNumThreads(threads);
            expectClose(on('native', () => conv2dTranspose(x, w, { strides, bias: b })), want, 1e-4, 1e-5, `case ${i} (${level}, ${threads} threads)`);
          }
          // A filter packed once at this level (and a packing from another level is ignored).
          const wp = rand(ws, 510 + i);
          prepackTransposeFilter(wp);
          for (const threads of [1, 2]) {
            tf.setNumThreads(threads);
            expectClose(on('native', () => conv2dTranspose(x, wp, { strides, bias: b })), want, 1e-4, 1e-5, `case ${i} (${level}, packed, ${threads} threads)`);
          }
        }
        tf.setSimdLevel('scalar');
        const wStale = rand(ws, 510 + i);
        prepackTransposeFilter(wStale);
        tf.setSimdLevel(hardware);
        expectClose(on('native', () => conv2dTranspose(x, wStale, { strides, bias: b })), want, 1e-4, 1e-5, `case ${i} (packed at another level)`);
      });
    } finally {
      tf.setSimdLevel(hardware);
      tf.setNumThreads(threadsBefore);
    }
  });

  it('implicit-GEMM convolutions (ungrouped, k > 32: taps read in place or from a padded band) match the reference at every SIMD level, packed or not, 1 or 2 threads', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      // 16 output channels (one vector on AVX-512), rows of 64 = strips 13+13+13+13+12, relu in the store.
      [[1, 6, 64, 16], [3, 3, 16, 16], { padding: 'same', activation: 'relu' }],
      // Valid padding: every band reads x in place; output rows of 15 and a cout tail past one panel.
      [[2, 9, 17, 12], [3, 3, 12, 40], { padding: 'valid' }],
      // Strides, asymmetric explicit padding, vertical dilation (segments two rows apart).
      [[2, 13, 11, 8], [3, 5, 8, 33], { strides: [2, 3], padding: [[2, 0], [1, 3]], dilations: [2, 1] }],
      // A 7x7 stride-2 stem: seven segments of 21 floats.
      [[1, 30, 29, 3], [7, 7, 3, 64], { strides: 2, padding: [[3, 3], [3, 3]], activation: 'relu' }],
      // 1x1 stride 2 (a ResNet downsample), a residual-free finishing activation.
      [[2, 11, 11, 40], [1, 1, 40, 70], { strides: 2, activation: 'silu' }],
      // Deep filter, short rows (strips of 2 and 3), several bands per image.
      [[1, 5, 5, 300], [3, 3, 300, 20], { padding: 'same' }],
      // A filter of over 1 MB on a small map (bands sized by their padded input; at 2 threads the
      // tasks split B's panels, 5 panels with a tail of 16 columns), a residual finished per group.
      [[1, 7, 7, 256], [3, 3, 256, 144], { padding: 'same', activation: 'relu' }],
      // Output rows shorter than the GEMM's strip (7x7 maps: flat im2col rows on AVX-512, full strips
      // over the pixels, B streamed with prefetches), batch 2 and a stride-2 3x3 from 14x14.
      [[2, 7, 7, 64], [3, 3, 64, 48], { padding: 'same', activation: 'relu' }],
      [[1, 14, 14, 96], [3, 3, 96, 64], { strides: 2, padding: 'same' }],
      // Output wider than one band of 16K floats, with a residual (finished per band).
      [[1, 40, 50, 24], [3, 3, 24, 48], { padding: 'same', activation: { name: 'clip', min: 0, max: 6 } }],
      // Panels deeper than L2 (k x 16 floats over 512 KB on AVX2, k x 32 on AVX-512) run in depth
      // chunks accumulating in C: whole segments per chunk (AVX2), or parts of one segment (a
      // segment of 4500 on AVX2, 3000 on AVX-512); bias, residual and relu after the last chunk.
      [[1, 5, 6, 1000], [3, 3, 1000, 20], { padding: 'same', activation: 'relu' }],
      [[1, 4, 5, 1500], [3, 3, 1500, 20], { padding: 'same', activation: 'relu' }],
    ];
    const { hardware, levels } = simdLevels();
    const threadsBefore = tf.getNumThreads();
    try {
      cases.forEach(([xs, ws, o], i) => {
        const x = rand(xs, 400 + i);
        const b = rand([ws[3]!], 410 + i);
        const probe = on('js', () => conv2d(x, rand(ws, 0), o));
        // The over-1 MB filter, the batch-2 short rows, the wide output and the deepest panels carry a residual.
        const residual = [6, 7, 9, 10, 11].includes(i) ? rand(probe.shape.slice(), 420 + i) : undefined;
        const w = rand(ws, 430 + i);
        const want = on('js', () => conv2d(x, w, { ...o, bias: b, residual }));
        for (const level of levels) {
          tf.setSimdLevel(level);
          for (const threads of [1, 2]) {
            tf.setNumThreads(threads);
            const got = on('native', () => conv2d(x, w, { ...o, bias: b, residual }));
            expectClose(got, want, 1e-4, 1e-5, `case ${i} (${level}, ${threads} threads)`);
          }
          // A filter packed once for the GEMM at this level.
          const wp = rand(ws, 430 + i);
          prepackFilter(wp);
          const packed = on('native', () => conv2d(x, wp, { ...o, bias: b, residual }));
          expectClose(packed, want, 1e-4, 1e-5, `case ${i} (${level}, packed)`);
        }
      });
    } finally {
      tf.setSimdLevel(hardware);
      tf.setNumThreads(threadsBefore);
    }
  });

  it('batch-1 splits over the pool (bands x panel groups of an implicit GEMM, balanced GEMM parts) give the same bits on 1 and 2 threads', () => {
    const cases: [number[], number[], Conv2DOptions][] = [
      // Implicit GEMM, few bands: B's panels split between tasks, padded band reused by a thread.
      [[1, 7, 7, 256], [3, 3, 256, 144], { padding: 'same', activation: 'relu' }],
      [[1, 14, 14, 64], [3, 3, 64, 96], { padding: 'same', strides: 2 }],
      // Pointwise through the prepacked GEMM: few rows (49 and 196) split in parts along M or N.
      [[1, 7, 7, 160], [1, 1, 160, 320], { activation: { name: 'clip', min: 0, max: 6 } }],
      [[1, 14, 14, 96], [1, 1, 96, 80], {}],
      // 49 rows split along M in parts of equal height (12 + 12 + 12 + 13), not strips of 14.
      [[1, 7, 7, 256], [1, 1, 256, 96], { activation: 'relu' }],
      // Fewer packed panels than two per thread (2 of 32, the last one a tail): rows cut into parts
      // too, each part finishing its own residual and activation.
      [[1, 14, 14, 128], [1, 1, 128, 40], { activation: 'relu' }],
    ];
    const threadsBefore = tf.getNumThreads();
    try {
      cases.forEach(([xs, ws, o], i) => {
        const x = rand(xs, 700 + i);
        const w = rand(ws, 710 + i);
        const b = rand([ws[3]!], 720 + i);
        const residual = i === cases.length - 1 ? rand([xs[0]!, xs[1]!, xs[2]!, ws[3]!], 730 + i) : undefined;
        const want = on('js', () => conv2d(x, w, { ...o, bias: b, residual }));
        prepackFilter(w);
        const runs = [1, 2, 2].map((threads) => {
          tf.setNumThreads(threads);
          return on('native', () => conv2d(x, w, { ...o, bias: b, residual })).dataSync().slice();
        });
        expect(runs[1], `case ${i}`).toEqual(runs[0]);
        expect(runs[2], `case ${i}`).toEqual(runs[0]);
        expectClose(tf.tensor(runs[1]!, want.shape.slice()), want, 1e-4, 1e-5, `case ${i} against the reference`);
      });
      // Plain matmuls: split along N with A read in place, and along M packing B per part.
      // And GEMVs (a batch-1 classifier, both forms), split in balanced chunks.
      for (const [m, k, n] of [[49, 512, 640], [300, 200, 100], [61, 300, 72], [1, 1280, 1000], [1000, 512, 1]] as const) {
        const a = rand([m, k], m);
        const b = rand([k, n], n);
        const runs = [1, 2].map((threads) => {
          tf.setNumThreads(threads);
          return on('native', () => tf.matmul(a, b)).dataSync().slice();
        });
        expect(runs[1], `matmul ${m}x${k}x${n}`).toEqual(runs[0]);
      }
    } finally {
      tf.setNumThreads(threadsBefore);
    }
  });

  it('every fused epilogue == its unfused graph (conv + bias + residual, then the unary op) in value and gradients', () => {
    const acts: FusedActivation[] = ['relu', 'sigmoid', 'silu', 'gelu', 'hardSwish', { name: 'clip', min: 0, max: 6 },
      { name: 'clip', min: -0.3, max: 0.4 }, { name: 'leakyRelu', alpha: 0.1 }, { name: 'leakyRelu', alpha: -0.2 },
      { name: 'hardSigmoid', alpha: 0.2, beta: 0.5 }];
    const unfused = (a: FusedActivation, z: Tensor): Tensor => {
      if (typeof a === 'string') return a === 'linear' ? z : (tf[a] as (t: Tensor) => Tensor)(z);
      if (a.name === 'clip') return tf.clip(z, a.min, a.max);
      if (a.name === 'leakyRelu') return tf.leakyRelu(z, a.alpha);
      return tf.hardSigmoid(z, a.alpha, a.beta);
    };
    const paths: { label: string; x: number[]; w: number[]; o: Conv2DOptions }[] = [
      { label: 'depthwise', x: [2, 7, 9, 19], w: [3, 3, 1, 19], o: { groups: 19, padding: 'same' } },
      { label: 'depthwise NCHW s2 m2', x: [1, 5, 8, 9], w: [10, 1, 5, 5], o: { groups: 5, strides: 2, padding: 'same', dataFormat: 'NCHW' } },
      { label: '1x1', x: [2, 6, 5, 24], w: [1, 1, 24, 40], o: {} },
      // The GEMM paths, whose epilogue runs per block inside sgemm: pointwise with Cin > 32, and a
      // filter deep enough (k = 576) for the whole-batch tiles.
      { label: '1x1 GEMM', x: [2, 6, 5, 40], w: [1, 1, 40, 24], o: {} },
      { label: 'deep filter', x: [2, 5, 4, 64], w: [3, 3, 64, 8], o: { padding: 'same' } },
      { label: 'im2col groups 2', x: [2, 7, 6, 12], w: [3, 3, 6, 8], o: { groups: 2, padding: 'same' } },
    ];
    let seed = 300;
    for (const p of paths) {
      const x = rand(p.x, seed++);
      const w = tf.mul(rand(p.w, seed++), 0.3);
      const y0 = conv2d(x, w, p.o);
      const b = rand([y0.shape[p.o.dataFormat === 'NCHW' ? 1 : 3]!], seed++);
      const r = rand(y0.shape.slice(), seed++);
      for (const a of acts) {
        for (const backend of backends) {
          on(backend, () => {
            const what = `${p.label} ${JSON.stringify(a)} ${backend}`;
            const fused = conv2d(x, w, { ...p.o, bias: b, residual: r, activation: a });
            const split = unfused(a, tf.add(conv2d(x, w, { ...p.o, bias: b }), r));
            expectClose(fused, split, 1e-5, 1e-6, what);
            const loss = (useFused: boolean) => (xa: Tensor, wa: Tensor, ba: Tensor, ra: Tensor) => tf.sum(tf.square(useFused
              ? conv2d(xa, wa, { ...p.o, bias: ba, residual: ra, activation: a })
              : unfused(a, tf.add(conv2d(xa, wa, { ...p.o, bias: ba }), ra))));
            const gf = tf.grads(loss(true))([x, w, b, r]);
            const gs = tf.grads(loss(false))([x, w, b, r]);
            for (let i = 0; i < 4; i++) expectClose(gf[i]!, gs[i]!, 1e-5, 1e-5, `${what} grad ${i}`);
          });
        }
      }
    }
  });

  it('under noGrad, trainable filter and bias run the fused epilogue: no tape node, same values as the recorded graph', () => {
    // Inference with a model's own weights (an imported model's plan) must not take the
    // recording path's conv-then-activation split just because the weights require gradients.
    const x = rand([1, 9, 8, 16], 41);
    const w = tf.mul(rand([3, 3, 1, 16], 42), 0.3);
    const b = rand([16], 43);
    w.requiresGrad = true;
    b.requiresGrad = true;
    for (const a of ['silu', 'hardSwish', 'gelu'] as const) {
      const o: Conv2DOptions = { groups: 16, padding: 'same', bias: b, activation: a };
      const recorded = conv2d(x, w, o);
      expect(recorded.requiresGrad).toBe(true);
      const inference = tf.noGrad(() => conv2d(x, w, o));
      expect(inference.requiresGrad).toBe(false);
      expect(inference.node).toBeFalsy();
      expectClose(inference, recorded, 1e-6, 1e-7, a);
    }
  });

  it('toFusedActivation maps the unary ops the epilogues implement, with their parameters', () => {
    expect(toFusedActivation('relu')).toBe('relu');
    expect(toFusedActivation('silu')).toBe('silu');
    expect(toFusedActivation('gelu')).toBe('gelu');
    expect(toFusedActivation('sigmoid')).toBe('sigmoid');
    expect(toFusedActivation('hardSwish')).toBe('hardSwish');
    expect(toFusedActivation('clip', 0, 6)).toEqual({ name: 'clip', min: 0, max: 6 });
    expect(toFusedActivation('clip')).toEqual({ name: 'clip', min: -Infinity, max: Infinity });
    expect(toFusedActivation('clip', 2, 1)).toBeNull();
    expect(toFusedActivation('leakyRelu', 0.01)).toEqual({ name: 'leakyRelu', alpha: 0.01 });
    expect(toFusedActivation('hardSigmoid', 0.2, 0.5)).toEqual({ name: 'hardSigmoid', alpha: 0.2, beta: 0.5 });
    expect(toFusedActivation('tanh')).toBeNull();
    expect(toFusedActivation('elu', 1)).toBeNull();
    // Every name it accepts is a unary op whose descriptor conv2d and linear take.
    const x = rand([1, 3, 3, 2], 5);
    const w = rand([1, 1, 2, 3], 6);
    for (const name of ['relu', 'silu', 'gelu', 'sigmoid', 'hardSwish', 'clip', 'leakyRelu', 'hardSigmoid']) {
      const a = toFusedActivation(name, name === 'clip' ? 0 : undefined, name === 'clip' ? 6 : undefined)!;
      expect(conv2d(x, w, { activation: a }).shape).toEqual([1, 3, 3, 3]);
      expect(tf.linear(tf.reshape(x, [9, 2]), tf.reshape(w, [2, 3]), null, a).shape).toEqual([9, 3]);
    }
  });

  it('fused relu == relu(conv2d) in value and gradients, and its mask entry is range-checked', () => {
    const x = rand([2, 9, 8, 3], 70);
    const w = rand([3, 3, 3, 5], 71);
    const b = rand([5], 72);
    for (const backend of backends) {
      on(backend, () => {
        const fused = tf.grads((a: Tensor, f: Tensor, c: Tensor) => tf.sum(tf.square(conv2d(a, f, { bias: c, activation: 'relu' }))))([x, w, b]);
        const split = tf.grads((a: Tensor, f: Tensor, c: Tensor) => tf.sum(tf.square(tf.relu(conv2d(a, f, { bias: c })))))([x, w, b]);
        for (let i = 0; i < 3; i++) expectClose(fused[i]!, split[i]!, 1e-5, 1e-6, `${backend} grad ${i}`);
        expectClose(conv2d(x, w, { bias: b, activation: 'relu' }), tf.relu(conv2d(x, w, { bias: b })), 0, 0, backend);
        expectClose(conv2d(x, w, { activation: 'linear' }), conv2d(x, w), 0, 0, backend);
      });
    }
    const addon = nativeAddon()!;
    const m = { n: 4, dyOffset: 0, yOffset: 0, outOffset: 0 };
    const out = new Float32Array(4);
    addon.conv2dReluGrad(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, -1, 0, 2), out, pack.conv2dReluGrad(m));
    expect(Array.from(out)).toEqual([1, 0, 0, 4]);
    expect(() => addon.conv2dReluGrad(new Float32Array(3), new Float32Array(4), new Float32Array(4), pack.conv2dReluGrad(m))).toThrow(RangeError);
    expect(() => addon.conv2dReluGrad(new Float32Array(4), new Float32Array(4), new Float32Array(4), pack.conv2dReluGrad({ ...m, yOffset: 1 })))
      .toThrow(RangeError);
  });

  it('async entries give the same result', async () => {
    const addon = nativeAddon()!;
    const x = Float32Array.from(X);
    const w = Float32Array.from(F);
    const y = new Float32Array(4);
    const args = pack.conv2d({
      n: 1, h: 3, w: 3, c: 1, kh: 2, kw: 2, cout: 1, oh: 2, ow: 2, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0, groups: 1,
      xOffset: 0, wOffset: 0, yOffset: 0, xPixelStride: 0, yPixelStride: 0,
    });
    await addon.conv2dAsync(x, w, y, args, null, -1, 0, 0, null);
    expect(Array.from(y)).toEqual([37, 47, 67, 77]);
  });
});

describe('conv errors', () => {
  const x = (): Tensor => tf.zeros([1, 4, 4, 3]);
  it('kernel larger than the input with valid padding', () => {
    expect(() => conv2d(x(), tf.zeros([5, 3, 3, 2]))).toThrow(
      /conv2d: argument 'filter' expected a kernel no larger than the input with valid padding \(height: input 4.*got shape \[5,3,3,2\] with kh = 5/);
    expect(() => conv2d(x(), tf.zeros([3, 3, 3, 2]), { dilations: 2 })).toThrow(/kw = 3 dilated to 5|kh = 3 dilated to 5/);
    expect(() => conv2d(x(), tf.zeros([3, 3, 3, 2]), { dilations: 2, padding: 'same' })).not.toThrow();
  });
  it('channel mismatch names both shapes', () => {
    expect(() => conv2d(x(), tf.zeros([2, 2, 4, 2]))).toThrow(
      "conv2d: argument 'filter' expected filter[2] = input channels / groups = 3/1 = 3 (x has shape [1,4,4,3], NHWC), got shape [2,2,4,2]");
    expect(() => conv2d(tf.zeros([1, 3, 4, 4]), tf.zeros([2, 2, 2, 2]), { dataFormat: 'NCHW' })).toThrow(/filter\[1\].*\[1,3,4,4\].*\[2,2,2,2\]/);
    expect(() => conv2dTranspose(tf.zeros([1, 2, 2, 3]), tf.zeros([2, 2, 1, 4]))).toThrow(/filter\[3\] = the channels of x = 3.*\[2,2,1,4\]/);
  });
  it('groups that do not divide the channels', () => {
    expect(() => conv2d(x(), tf.zeros([2, 2, 1, 4]), { groups: 2 })).toThrow(/argument 'groups' expected a divisor of the input channels 3 and the output channels 4/);
    expect(() => conv2d(tf.zeros([1, 4, 4, 4]), tf.zeros([2, 2, 2, 3]), { groups: 2 })).toThrow(/output channels 3/);
    expect(() => conv2d(x(), tf.zeros([2, 2, 3, 2]), { groups: 0 })).toThrow(/'groups' expected a positive integer, got 0/);
  });
  it('bad strides, dilations, padding, data format and bias', () => {
    const w = tf.zeros([2, 2, 3, 2]);
    expect(() => conv2d(x(), w, { strides: 0 })).toThrow(/'strides' expected a positive integer or a pair/);
    expect(() => conv2d(x(), w, { strides: [1, 1.5] as unknown as [number, number] })).toThrow(/'strides'/);
    expect(() => conv2d(x(), w, { dilations: -1 })).toThrow(/'dilations'/);
    expect(() => conv2d(x(), w, { padding: 'full' as 'same' })).toThrow(/'padding' expected 'valid', 'same' or \[\[top, bottom\], \[left, right\]\]/);
    expect(() => conv2d(x(), w, { padding: [[-1, 0], [0, 0]] })).toThrow(/'padding'/);
    expect(() => conv2d(x(), w, { padding: [[1, 1]] })).toThrow(/'padding'/);
    expect(() => conv2d(x(), w, { dataFormat: 'NWHC' as 'NHWC' })).toThrow(/'dataFormat'/);
    expect(() => conv2d(x(), w, { bias: tf.zeros([3]) })).toThrow(/'bias' expected shape \[2\]/);
    expect(() => conv2d(x(), w, { activation: 'tanh' as 'relu' })).toThrow(/'activation' expected 'linear', 'relu'.*got "tanh"/);
    expect(() => conv2d(x(), w, { activation: { name: 'clip', min: 2, max: 1 } })).toThrow(/'activation' expected .*min <= max/);
    expect(() => conv2d(x(), w, { residual: tf.zeros([1, 4, 4, 3]) })).toThrow(/'residual' expected the output's shape/);
    expect(() => conv2d(tf.zeros([4, 4]), w)).toThrow(/'x' expected a rank-4 tensor/);
    expect(() => conv2d(x(), tf.zeros([2, 3, 2]))).toThrow(/'filter' expected a rank-4 filter/);
    expect(() => conv1d(tf.zeros([1, 4, 3]), tf.zeros([2, 3, 1]), { stride: 0 })).toThrow(/conv1d: argument 'stride'/);
    expect(() => conv1d(tf.zeros([1, 4, 3]), tf.zeros([5, 3, 1]))).toThrow(/conv1d: argument 'filter' expected a kernel no larger/);
  });
  it('tfjs 4-pair explicit padding is accepted', () => {
    const w = tf.ones([2, 2, 3, 1]);
    const a = conv2d(x(), w, { padding: [[0, 0], [1, 0], [0, 1], [0, 0]] });
    const b = conv2d(x(), w, { padding: [[1, 0], [0, 1]] });
    expect(a.shape).toEqual(b.shape);
  });
  it('conv2dTranspose output shape that does not match x', () => {
    expect(() => conv2dTranspose(tf.zeros([1, 3, 3, 2]), tf.zeros([3, 3, 1, 2]), { strides: 2, padding: 'same', outputShape: [8, 8] }))
      .toThrow(/conv2dTranspose: argument 'outputShape' expected a size whose conv2d output is 3x3.*got 8x8, whose conv2d output is 4x4/);
    expect(() => conv2dTranspose(tf.zeros([1, 3, 3, 2]), tf.zeros([3, 3, 1, 2]), { outputShape: [1, 5, 5, 4] })).toThrow(/expected 1 channels/);
  });
});
