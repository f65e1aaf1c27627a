// The native integer kernels against the TypeScript reference of src/ops/quant-kernels.ts: the same
// bits (float and uint8 outputs, quantization parameters) at every SIMD level the CPU runs (and the
// AVX-512 VNNI copy where the CPU has it), on 1 and 2 threads, for GEMM shapes around the tile and
// panel edges and every convolution route (1x1 GEMM, im2col tiles, depthwise).
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { nativeAddon } from '../../src/backend/binding';
import {
  type QuantActivation, quantKernelIsa, qconv2d, qconv2dDirect, qconvPackWeights, qgemm, qgemmPackWeights, qmaxPool2d, quantizeDynamic,
  quantizeLinear,
} from '../../src/ops/quant-kernels';
import { Generator } from '../../src/random/generator';

const info = tf.backendInfo();
const order = ['scalar', 'avx2', 'avx512'] as const;
const levels = order.filter((l) => order.indexOf(l) <= order.indexOf(info.hardwareSimd as 'avx512'));
const initialLevel = info.simd as (typeof order)[number];
const initialThreads = info.threads;

afterAll(() => {
  if (info.nativeAvailable) {
    tf.setBackend('native');
    tf.setSimdLevel(initialLevel);
    tf.setNumThreads(initialThreads);
  }
});

function on<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

/** Runs fn on the js reference and natively at each level; expects the same bytes each time. */
function expectSameEverywhere(label: string, fn: () => ArrayBufferView[], threads: readonly number[] = [1, 2]): void {
  const ref = on('js', fn);
  for (const level of levels) {
    tf.setSimdLevel(level);
    for (const t of threads) {
      tf.setNumThreads(t);
      const got = on('native', fn);
      for (let o = 0; o < ref.length; o++) {
        const a = new Uint8Array(ref[o]!.buffer, ref[o]!.byteOffset, ref[o]!.byteLength);
        const b = new Uint8Array(got[o]!.buffer, got[o]!.byteOffset, got[o]!.byteLength);
        let first = -1;
        for (let i = 0; i < a.length && first < 0; i++) if (a[i] !== b[i]) first = i;
        const where = `${label}, output ${o}, level ${level} (${nativeAddon()!.quantIsa()}), ${t} thread(s), first differing byte ${first}`;
        expect(first, where).toBe(-1);
      }
    }
  }
  tf.setNumThreads(initialThreads);
}

function bytes(g: Generator, n: number, signed: boolean): Uint8Array | Int8Array {
  const a = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = signed ? g.int(-128, 128) : g.int(0, 256);
  return a;
}

function weights(g: Generator, n: number, lo = -128, hi = 127): Int8Array {
  const w = new Int8Array(n);
  for (let i = 0; i < n; i++) w[i] = g.int(lo, hi + 1);
  return w;
}

function floats(g: Generator, n: number, lo: number, hi: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * g.uniform();
  return x;
}

describe('native integer kernels == reference', () => {
  it('the native backend runs them (and the VNNI copy where the CPU has it)', () => {
    expect(info.nativeAvailable, info.nativeError ?? '').toBe(true);
    const names: string[] = [];
    for (const level of levels) {
      tf.setSimdLevel(level);
      names.push(quantKernelIsa());
    }
    tf.setSimdLevel(initialLevel);
    expect(on('js', quantKernelIsa)).toBe('js');
    expect(names[0]).toBe('scalar');
    if (levels.length > 1) expect(names[1]).toBe('avx2');
    if (levels.length > 2) expect(['avx2', 'avx512vnni']).toContain(names[2]);
  });

  const gemmShapes: [number, number, number][] = [
    [1, 1, 1], [1, 3, 17], [5, 4, 16], [7, 13, 37], [6, 64, 64], [13, 129, 65], [25, 100, 10], [64, 784, 128],
  ];
  for (const [m, k, n] of gemmShapes) {
    it(`qgemm ${m}x${k}x${n}: float and uint8 outputs, uint8 and int8 activations, each activation`, () => {
      const g = new Generator(m * 1000003 + k * 1009 + n);
      const b = qgemmPackWeights(weights(g, k * n), k, n);
      const scaleB = floats(g, n, 0.001, 0.02);
      const bias = floats(g, n, -2, 2);
      const au = bytes(g, m * k, false);
      const ai = bytes(g, m * k, true);
      const acts: QuantActivation[] = ['none', 'relu', 'relu6'];
      expectSameEverywhere(`qgemm ${m}x${k}x${n}`, () => acts.flatMap((activation, i) => {
        const f = new Float32Array(m * n);
        const q = new Uint8Array(m * n);
        const fi = new Float32Array(m * n);
        qgemm({ m, a: au, aZeroPoint: 17 + 50 * i, scaleA: 0.05, b, scaleB, bias: i === 1 ? null : bias, activation, out: f });
        qgemm({ m, a: au, aZeroPoint: 128, scaleA: 0.05, b, scaleB, bias, activation, out: q, outScale: 0.03 * (i + 1), outZeroPoint: 40 * i });
        qgemm({ m, a: ai, aZeroPoint: -3 - i, scaleA: 0.01, b, scaleB: scaleB.subarray(0, 1), bias, activation, out: fi });
        return [f, q, fi];
      }));
    });
  }

  it('qgemm at the int32 limit: depth 65536 of 255 x -128 and a zero point far from the data', () => {
    const k = 65536;
    const m = 2, n = 3;
    const a = new Uint8Array(m * k).fill(255);
    a.fill(0, k);
    const b = qgemmPackWeights(new Int8Array(k * n).fill(-128), k, n);
    const run = () => {
      const f = new Float32Array(m * n);
      qgemm({ m, a, aZeroPoint: 0, scaleA: 1, b, scaleB: new Float32Array([1]), out: f });
      const g = new Float32Array(m * n);
      qgemm({ m, a, aZeroPoint: 255, scaleA: 1, b, scaleB: new Float32Array([1]), out: g });
      return [f, g];
    };
    expectSameEverywhere('qgemm k=65536', run, [1]);
    const [f, g] = on('native', run);
    // Exact sums: 65536 * 255 * -128 (and 0), then with the zero point 255: 0 and 65536 * -255 * -128.
    expect(f![0]).toBe(Math.fround(k * 255 * -128));
    expect(f![3]).toBe(0);
    expect(g![0]).toBe(0);
    expect(g![3]).toBe(Math.fround(k * 255 * 128));
  });

  it('qgemm splits big problems over 2 threads with the same result (rows and weight panels)', () => {
    const g = new Generator(77);
    for (const [m, k, n] of [[96, 256, 256], [4, 512, 1024], [50, 257, 300]] as const) {
      const b = qgemmPackWeights(weights(g, k * n), k, n);
      const scaleB = floats(g, n, 0.001, 0.01);
      const a = bytes(g, m * k, false);
      expectSameEverywhere(`qgemm ${m}x${k}x${n}`, () => {
        const f = new Float32Array(m * n);
        qgemm({ m, a, aZeroPoint: 99, scaleA: 0.02, b, scaleB, activation: 'relu', out: f });
        return [f];
      });
    }
  });

  interface ConvCase {
    label: string;
    shape: [number, number, number, number];
    kh: number; kw: number; cout: number; groups?: number;
    strides?: [number, number]; dilations?: [number, number]; pads?: [number, number]; outSize?: [number, number];
  }
  const convCases: ConvCase[] = [
    { label: '3x3 same', shape: [2, 7, 6, 5], kh: 3, kw: 3, cout: 11, pads: [1, 1], outSize: [7, 6] },
    { label: '3x3 stride 2, asymmetric', shape: [1, 9, 8, 3], kh: 3, kw: 2, cout: 17, strides: [2, 2], pads: [1, 0] },
    { label: 'dilated 3x3', shape: [1, 10, 10, 4], kh: 3, kw: 3, cout: 8, dilations: [2, 2], pads: [2, 2], outSize: [10, 10] },
    { label: 'grouped 3x3', shape: [2, 6, 6, 8], kh: 3, kw: 3, cout: 12, groups: 2, pads: [1, 1], outSize: [6, 6] },
    { label: '1x1 (GEMM on x)', shape: [2, 5, 7, 19], kh: 1, kw: 1, cout: 33 },
    { label: '1x1 grouped', shape: [1, 4, 4, 8], kh: 1, kw: 1, cout: 6, groups: 2 },
    { label: '1x1 stride 2', shape: [1, 7, 7, 6], kh: 1, kw: 1, cout: 9, strides: [2, 2] },
    { label: 'depthwise 3x3', shape: [2, 8, 7, 24], kh: 3, kw: 3, cout: 24, groups: 24, pads: [1, 1], outSize: [8, 7] },
    { label: 'depthwise 3x3 stride 2, multiplier 2', shape: [1, 9, 9, 5], kh: 3, kw: 3, cout: 10, groups: 5, strides: [2, 2], pads: [1, 1] },
    { label: 'depthwise 3x3, big enough to split over threads', shape: [2, 48, 48, 64], kh: 3, kw: 3, cout: 64, groups: 64, pads: [1, 1], outSize: [48, 48] },
    { label: 'tutorial CNN layer', shape: [4, 28, 28, 1], kh: 3, kw: 3, cout: 32 },
    { label: 'bigger 3x3 (threads split tiles)', shape: [2, 20, 20, 32], kh: 3, kw: 3, cout: 64, pads: [1, 1], outSize: [20, 20] },
  ];
  for (const c of convCases) {
    it(`qconv2d ${c.label}`, () => {
      const g = new Generator(c.label.length * 7919 + c.cout);
      const groups = c.groups ?? 1;
      const cg = c.shape[3] / groups;
      const w = weights(g, c.cout * cg * c.kh * c.kw);
      const packed = qconvPackWeights(w, 'OIHW', { cout: c.cout, cinPerGroup: cg, kh: c.kh, kw: c.kw, groups });
      const scaleW = floats(g, c.cout, 0.002, 0.02);
      const bias = floats(g, c.cout, -1, 1);
      const size = c.shape.reduce((p, v) => p * v, 1);
      const xu = bytes(g, size, false);
      const xi = bytes(g, size, true);
      const geometry = { strides: c.strides, dilations: c.dilations, pads: c.pads, outSize: c.outSize };
      const outLen = () => {
        const [n, h, wd] = c.shape;
        const s = c.strides ?? [1, 1], d = c.dilations ?? [1, 1], p = c.pads ?? [0, 0];
        const [oh, ow] = c.outSize ?? [Math.floor((h + 2 * p[0] - d[0] * (c.kh - 1) - 1) / s[0]) + 1,
          Math.floor((wd + 2 * p[1] - d[1] * (c.kw - 1) - 1) / s[1]) + 1];
        return n * oh * ow * c.cout;
      };
      const len = outLen();
      expectSameEverywhere(`qconv2d ${c.label}`, () => {
        const f = new Float32Array(len);
        const q = new Uint8Array(len);
        const fi = new Float32Array(len);
        qconv2d({ x: xu, shape: c.shape, xZeroPoint: 113, scaleX: 0.03, weights: packed, scaleW, bias, activation: 'relu6', out: f, ...geometry });
        qconv2d({ x: xu, shape: c.shape, xZeroPoint: 0, scaleX: 0.03, weights: packed, scaleW, bias, out: q, outScale: 0.05, outZeroPoint: 128, ...geometry });
        qconv2d({ x: xi, shape: c.shape, xZeroPoint: -20, scaleX: 0.01, weights: packed, scaleW, activation: 'relu', out: fi, ...geometry });
        return [f, q, fi];
      });
    });
  }

  const directCases: ConvCase[] = [
    { label: 'tutorial CNN first layer', shape: [5, 28, 28, 1], kh: 3, kw: 3, cout: 32 },
    { label: 'RGB 3x3 same, stride 2, 20 channels', shape: [2, 11, 9, 3], kh: 3, kw: 3, cout: 20, strides: [2, 2], pads: [1, 1], outSize: [6, 5] },
    { label: '5x5 same on 1 channel, 48 channels', shape: [3, 9, 10, 1], kh: 5, kw: 5, cout: 48, pads: [2, 2], outSize: [9, 10] },
    { label: 'dilated along w, asymmetric pads', shape: [2, 8, 9, 2], kh: 2, kw: 3, cout: 7, dilations: [2, 2], pads: [1, 2], outSize: [7, 8] },
    { label: '1x7 (a 1-D layer), 17 channels', shape: [3, 1, 30, 2], kh: 1, kw: 7, cout: 17, strides: [1, 3] },
    { label: 'padding wider than the filter (windows of padding only)', shape: [2, 4, 5, 1], kh: 3, kw: 3, cout: 5, pads: [3, 3] },
    { label: 'big enough to split over threads', shape: [16, 32, 32, 1], kh: 3, kw: 3, cout: 64, pads: [1, 1], outSize: [32, 32] },
  ];
  const pooledDirect: (ConvCase & { pool: { size: [number, number]; strides?: [number, number]; outSize: [number, number] } })[] = [
    { label: 'tutorial CNN first layer + 2x2 max pool', shape: [5, 28, 28, 1], kh: 3, kw: 3, cout: 32, pool: { size: [2, 2], outSize: [13, 13] } },
    { label: 'RGB 3x3 same + 3x3 stride 2 pool, 20 channels', shape: [2, 11, 9, 3], kh: 3, kw: 3, cout: 20, pads: [1, 1], outSize: [11, 9], pool: { size: [3, 3], strides: [2, 2], outSize: [5, 4] } },
    { label: 'stride 2 + 2x1 pool, 5 channels, odd output dropped', shape: [3, 13, 12, 2], kh: 2, kw: 2, cout: 5, strides: [2, 2], pool: { size: [2, 1], outSize: [3, 6] } },
    { label: 'pooled, big enough to split over threads', shape: [16, 32, 32, 1], kh: 3, kw: 3, cout: 40, pool: { size: [2, 2], outSize: [15, 15] } },
  ];
  for (const c of pooledDirect) {
    it(`qconv2dDirect ${c.label}: the fused pool gives the bytes of pooling the convolution`, () => {
      const g = new Generator(c.label.length * 7 + c.cout);
      const cin = c.shape[3];
      const packed = qconvPackWeights(weights(g, c.cout * cin * c.kh * c.kw, -127, 127), 'HWIO', { cout: c.cout, cinPerGroup: cin, kh: c.kh, kw: c.kw });
      const scaleW = floats(g, c.cout, 0.002, 0.02);
      const bias = floats(g, c.cout, -1, 1);
      const size = c.shape.reduce((p, v) => p * v, 1);
      const xu = bytes(g, size, false);
      const [n, h, wd] = c.shape;
      const s = c.strides ?? [1, 1], p = c.pads ?? [0, 0];
      const [oh, ow] = c.outSize ?? [Math.floor((h + 2 * p[0] - c.kh) / s[0]) + 1, Math.floor((wd + 2 * p[1] - c.kw) / s[1]) + 1];
      const len = n * c.pool.outSize[0] * c.pool.outSize[1] * c.cout;
      const geometry = { strides: c.strides, pads: c.pads, outSize: c.outSize };
      const acts: QuantActivation[] = ['none', 'relu', 'relu6'];
      const run = (pooled: boolean) => acts.map((activation, i) => {
        const args = { x: xu, shape: c.shape, xZeroPoint: 50 + 20 * i, scaleX: 0.02, weights: packed, scaleW, bias, activation, outScale: 0.05 * (i + 1), outZeroPoint: 40 * i + 1, ...geometry };
        const q = new Uint8Array(len);
        if (pooled) {
          qconv2dDirect({ ...args, out: q, pool: c.pool });
        } else {
          const full = new Uint8Array(n * oh * ow * c.cout);
          qconv2dDirect({ ...args, out: full });
          qmaxPool2d({ x: full, shape: [n, oh, ow, c.cout], poolSize: c.pool.size, strides: c.pool.strides, outSize: c.pool.outSize, out: q });
        }
        return q;
      });
      expectSameEverywhere(`qconv2dDirect ${c.label}`, () => run(true));
      const fused = on('native', () => run(true));
      const separate = on('native', () => run(false));
      fused.forEach((q, i) => expect(Buffer.from(q).equals(Buffer.from(separate[i]!)), `activation ${acts[i]}`).toBe(true));
    });
  }
  for (const c of directCases) {
    it(`qconv2dDirect ${c.label}: uint8 and int8 inputs, each activation`, () => {
      const g = new Generator(c.label.length * 104729 + c.cout);
      const cin = c.shape[3];
      const packed = qconvPackWeights(weights(g, c.cout * cin * c.kh * c.kw, -127, 127), 'HWIO', { cout: c.cout, cinPerGroup: cin, kh: c.kh, kw: c.kw });
      const scaleW = floats(g, c.cout, 0.002, 0.02);
      const bias = floats(g, c.cout, -1, 1);
      const size = c.shape.reduce((p, v) => p * v, 1);
      const xu = bytes(g, size, false);
      const xi = bytes(g, size, true);
      const [n, h, wd] = c.shape;
      const s = c.strides ?? [1, 1], d = c.dilations ?? [1, 1], p = c.pads ?? [0, 0];
      const [oh, ow] = c.outSize ?? [Math.floor((h + 2 * p[0] - d[0] * (c.kh - 1) - 1) / s[0]) + 1,
        Math.floor((wd + 2 * p[1] - d[1] * (c.kw - 1) - 1) / s[1]) + 1];
      const len = n * oh * ow * c.cout;
      const geometry = { strides: c.strides, dilations: c.dilations, pads: c.pads, outSize: c.outSize };
      const acts: QuantActivation[] = ['none', 'relu', 'relu6'];
      expectSameEverywhere(`qconv2dDirect ${c.label}`, () => acts.flatMap((activation, i) => {
        const q = new Uint8Array(len);
        const qi = new Uint8Array(len);
        qconv2dDirect({ x: xu, shape: c.shape, xZeroPoint: 31 + 40 * i, scaleX: 0.02, weights: packed, scaleW, bias: i === 1 ? null : bias, activation, out: q, outScale: 0.04 * (i + 1), outZeroPoint: 60 * i + 3, ...geometry });
        qconv2dDirect({ x: xi, shape: c.shape, xZeroPoint: -9 * i, scaleX: 0.01, weights: packed, scaleW, bias, activation, out: qi, outScale: 0.02, outZeroPoint: 128, ...geometry });
        return [q, qi];
      }));
    });
  }

  it('qconv2dDirect on a float32 input quantizes it on the fly: the bytes of quantizeLinear first', () => {
    const g = new Generator(11);
    const shape = [6, 14, 13, 2] as [number, number, number, number];
    const packed = qconvPackWeights(weights(g, 9 * 2 * 24, -127, 127), 'HWIO', { cout: 24, cinPerGroup: 2, kh: 3, kw: 3 });
    const scaleW = floats(g, 24, 0.002, 0.02);
    const xf = floats(g, 6 * 14 * 13 * 2, -1, 3);
    xf[5] = 1e30;
    xf[6] = -1e30;
    const len = 6 * 7 * 6 * 24;
    const args = { shape, scaleX: 0.015, xZeroPoint: 60, weights: packed, scaleW, activation: 'relu' as const, pads: [1, 1] as [number, number], outSize: [14, 13] as [number, number], outScale: 0.1, outZeroPoint: 7, pool: { size: [2, 2] as [number, number], outSize: [7, 6] as [number, number] } };
    expectSameEverywhere('qconv2dDirect float input', () => {
      const a = new Uint8Array(len);
      const b = new Uint8Array(len);
      const xq = new Uint8Array(xf.length);
      quantizeLinear(xf, xf.length, 0.015, 60, xq);
      qconv2dDirect({ ...args, x: xf, out: a });
      qconv2dDirect({ ...args, x: xq, out: b });
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      return [a];
    });
  });

  it('qconv2dDirect agrees with qconv2d requantizing the same convolution to within one step', () => {
    const g = new Generator(3);
    const shape = [4, 12, 12, 1] as [number, number, number, number];
    const packed = qconvPackWeights(weights(g, 9 * 16, -127, 127), 'HWIO', { cout: 16, cinPerGroup: 1, kh: 3, kw: 3 });
    const scaleW = floats(g, 16, 0.002, 0.02);
    const bias = floats(g, 16, -0.5, 0.5);
    const x = bytes(g, 4 * 144, false);
    const a = new Uint8Array(4 * 100 * 16);
    const b = new Uint8Array(4 * 100 * 16);
    const common = { x, shape, xZeroPoint: 20, scaleX: 0.01, weights: packed, scaleW, bias, activation: 'relu' as const, outScale: 0.01, outZeroPoint: 5 };
    qconv2dDirect({ ...common, out: a });
    qconv2d({ ...common, out: b });
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    expect(Math.min(...a)).toBe(5);
  });

  const poolCases: { label: string; shape: [number, number, number, number]; pool: [number, number]; strides?: [number, number]; pads?: [number, number]; out: [number, number] }[] = [
    { label: '2x2 of 32 channels (the tutorial CNN)', shape: [3, 26, 26, 32], pool: [2, 2], out: [13, 13] },
    { label: '3x3 stride 2 same on 70 channels', shape: [2, 9, 8, 70], pool: [3, 3], strides: [2, 2], pads: [1, 1], out: [5, 4] },
    { label: '2x2 of 3 channels, odd size (last row dropped)', shape: [2, 7, 5, 3], pool: [2, 2], out: [3, 2] },
    { label: 'big enough to split over threads', shape: [32, 64, 64, 16], pool: [2, 2], out: [32, 32] },
  ];
  for (const c of poolCases) {
    it(`qmaxPool2d ${c.label}, uint8 and int8`, () => {
      const g = new Generator(c.label.length * 31 + c.shape[3]);
      const size = c.shape.reduce((p, v) => p * v, 1);
      const xu = bytes(g, size, false) as Uint8Array;
      const xi = bytes(g, size, true) as Int8Array;
      const len = c.shape[0] * c.out[0] * c.out[1] * c.shape[3];
      expectSameEverywhere(`qmaxPool2d ${c.label}`, () => {
        const u = new Uint8Array(len);
        const i8 = new Int8Array(len);
        qmaxPool2d({ x: xu, shape: c.shape, poolSize: c.pool, strides: c.strides, pads: c.pads, outSize: c.out, out: u });
        qmaxPool2d({ x: xi, shape: c.shape, poolSize: c.pool, strides: c.strides, pads: c.pads, outSize: c.out, out: i8 });
        return [u, i8];
      });
    });
  }

  it('qmaxPool2d is the max of the window (spot check against the definition)', () => {
    const x = new Int8Array([-5, 3, -128, 7, 1, 2, -1, -2, 127]);
    const out = new Int8Array(4);
    on('native', () => qmaxPool2d({ x, shape: [1, 3, 3, 1], poolSize: [2, 2], strides: [1, 1], outSize: [2, 2], out }));
    expect([...out]).toEqual([7, 3, 7, 127]);
  });

  it('quantizeDynamic (per tensor and per row) and quantizeLinear, ties and out-of-range values included', () => {
    const g = new Generator(5);
    const rows = 37, cols = 301;
    const x = floats(g, rows * cols, -3, 5);
    // Exact ties of the static quantization (x / 0.5 = k + 0.5) and values far outside its range.
    for (let i = 0; i < 64; i++) x[i * 7] = (i - 32 + 0.5) * 0.5;
    x[1] = 1e30;
    x[2] = -1e30;
    const allPositive = floats(g, 1000, 1, 2);
    expectSameEverywhere('quantize', () => {
      const t = new Uint8Array(rows * cols);
      const r = new Uint8Array(rows * cols);
      const s = new Uint8Array(rows * cols);
      const p = new Uint8Array(1000);
      const dt = quantizeDynamic(x.subarray(64 * 7), rows - 2, cols, t, false);
      const dr = quantizeDynamic(x, rows, cols, r, true);
      const dp = quantizeDynamic(allPositive, 10, 100, p, true);
      quantizeLinear(x, rows * cols, 0.5, 131, s);
      return [t, r, s, p, dt.scales, dt.zeroPoints, dr.scales, dr.zeroPoints, dp.scales, dp.zeroPoints];
    });
  });

  it('rejects bad arguments naming them', () => {
    const b = qgemmPackWeights(new Int8Array(6), 2, 3);
    const base = { m: 1, a: new Uint8Array(2), aZeroPoint: 0, scaleA: 1, b, scaleB: new Float32Array([1, 1, 1]), out: new Float32Array(3) };
    expect(() => qgemm({ ...base, aZeroPoint: 256 })).toThrow(/qgemm: argument 'aZeroPoint' expected an integer in \[0, 255\], got 256/);
    expect(() => qgemm({ ...base, a: new Int8Array(2), aZeroPoint: 128 })).toThrow(/\[-128, 127\]/);
    expect(() => qgemm({ ...base, scaleB: new Float32Array([1, 0, 1]) })).toThrow(/scaleB\[1\]/);
    expect(() => qgemm({ ...base, out: new Uint8Array(3) })).toThrow(/outScale/);
    expect(() => qgemm({ ...base, a: new Uint8Array(1) })).toThrow(/argument 'a' expected 1 \* 2 elements/);
    expect(() => qgemmPackWeights(new Int8Array(4), 2, 3)).toThrow(/argument 'b' expected an Int8Array of 2 \* 3 elements, got Int8Array\(4\)/);
    const w = qconvPackWeights(new Int8Array(9), 'HWIO', { cout: 1, cinPerGroup: 1, kh: 3, kw: 3 });
    const conv = { x: new Uint8Array(16), shape: [1, 4, 4, 1] as [number, number, number, number], xZeroPoint: 0, scaleX: 1, weights: w, scaleW: new Float32Array([1]), out: new Uint8Array(4), outScale: 1, outZeroPoint: 0 };
    expect(() => qconv2dDirect({ ...conv, outZeroPoint: 300 })).toThrow(/qconv2dDirect: argument 'outZeroPoint' expected an integer in \[0, 255\], got 300/);
    expect(() => qconv2dDirect({ ...conv, out: new Float32Array(4) as unknown as Uint8Array })).toThrow(/argument 'out' expected a Uint8Array/);
    const grouped = qconvPackWeights(new Int8Array(18), 'HWIO', { cout: 2, cinPerGroup: 1, kh: 3, kw: 3, groups: 2 });
    expect(() => qconv2dDirect({ ...conv, weights: grouped })).toThrow(/groups 1/);
    expect(() => qmaxPool2d({ x: new Uint8Array(16), shape: [1, 4, 4, 1], poolSize: [2, 2], outSize: [2, 2], out: new Int8Array(4) })).toThrow(/qmaxPool2d: argument 'out' expected an array of x's kind \(Uint8Array\)/);
  });
});
