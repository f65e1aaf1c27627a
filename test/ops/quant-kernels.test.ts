// The TypeScript reference of the integer kernels (the js backend's path and what the native kernels
// must equal bit for bit): its float32 helpers, and its results against float64 arithmetic on the
// dequantized values and against each other across weight layouts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import {
  fmaF32, qconv2d, qconvPackWeights, qgemm, qgemmPackWeights, quantizeDynamic, quantizeLinear, quantizeValue, roundHalfEven,
} from '../../src/ops/quant-kernels';
import { Generator } from '../../src/random/generator';

let previous: 'js' | 'native';
beforeAll(() => {
  previous = tf.getBackend();
  tf.setBackend('js');
});
afterAll(() => tf.setBackend(previous));

function ints(g: Generator, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => g.int(lo, hi + 1));
}

describe('float32 helpers', () => {
  it('fmaF32 rounds a * b + c once, where float64 then float32 would round twice', () => {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: exactly halfway between two float32 neighbours, so a tiny
    // c decides the direction; float64 loses c and the tie then goes to the even neighbour.
    const a = 1 + 2 ** -12;
    const tiny = 2 ** -80;
    const down = Math.fround(1 + 2 ** -11);
    const up = Math.fround(1 + 2 ** -11 + 2 ** -23);
    expect(Math.fround(a * a + tiny)).toBe(down);
    expect(fmaF32(a, a, tiny)).toBe(up);
    expect(fmaF32(a, a, -tiny)).toBe(down);
    expect(fmaF32(a, a, 0)).toBe(down);
    expect(fmaF32(-a, a, -tiny)).toBe(-up);
    // Exact cases agree with plain arithmetic.
    expect(fmaF32(3, 0.5, 0.25)).toBe(1.75);
    expect(fmaF32(1e30, 1e30, 1)).toBe(Infinity);
  });

  it('roundHalfEven sends ties to the even integer, both signs', () => {
    const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [-2.5001, -3]];
    for (const [x, want] of cases) expect(roundHalfEven(x) === want, `${x}`).toBe(true);
  });

  it('quantizeValue saturates and follows ONNX QuantizeLinear', () => {
    expect(quantizeValue(1.25, 0.5, 10)).toBe(12); // 2.5 -> 2
    expect(quantizeValue(1.75, 0.5, 10)).toBe(14); // 3.5 -> 4
    expect(quantizeValue(-100, 0.5, 10)).toBe(0);
    expect(quantizeValue(1e30, 0.5, 10)).toBe(255);
    expect(quantizeValue(Number.NaN, 0.5, 10)).toBeNaN(); // a Uint8Array stores it as 0
  });
});

describe('reference qgemm', () => {
  const m = 9, k = 23, n = 19;
  const g = new Generator(11);
  const a = Uint8Array.from(ints(g, m * k, 0, 255));
  const bkn = Int8Array.from(ints(g, k * n, -128, 127));
  const scaleB = Float32Array.from({ length: n }, () => 0.001 + 0.01 * g.uniform());
  const bias = Float32Array.from({ length: n }, () => g.uniform() - 0.5);
  const za = 77;
  const scaleA = Math.fround(0.04);

  function float64Reference(relu6: boolean): Float64Array {
    const y = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (a[i * k + p]! - za) * scaleA * bkn[p * n + j]! * scaleB[j]!;
        s += bias[j]!;
        y[i * n + j] = relu6 ? Math.min(Math.max(s, 0), 6) : s;
      }
    }
    return y;
  }

  it('equals the float64 product of the dequantized operands within float32 rounding', () => {
    for (const activation of ['none', 'relu6'] as const) {
      const out = new Float32Array(m * n);
      qgemm({ m, a, aZeroPoint: za, scaleA, b: qgemmPackWeights(bkn, k, n), scaleB, bias, activation, out });
      const want = float64Reference(activation === 'relu6');
      for (let i = 0; i < out.length; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]!)));
    }
  });

  it("packs 'nk' weights like the transposed 'kn' ones, and int8 activations like uint8 shifted by 128", () => {
    const bnk = new Int8Array(k * n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bnk[j * k + p] = bkn[p * n + j]!;
    const pkn = qgemmPackWeights(bkn, k, n);
    const pnk = qgemmPackWeights(bnk, k, n, 'nk');
    expect(Array.from(pnk.data)).toEqual(Array.from(pkn.data));
    expect(Array.from(pnk.colSums)).toEqual(Array.from(pkn.colSums));
    const ai = Int8Array.from(a, (v) => v - 128);
    const o1 = new Float32Array(m * n);
    const o2 = new Float32Array(m * n);
    qgemm({ m, a, aZeroPoint: za, scaleA, b: pkn, scaleB, bias, out: o1 });
    qgemm({ m, a: ai, aZeroPoint: za - 128, scaleA, b: pkn, scaleB, bias, out: o2 });
    expect(Array.from(o2)).toEqual(Array.from(o1));
  });

  it('requantizes the float output into uint8 with the output scale and zero point', () => {
    const pk = qgemmPackWeights(bkn, k, n);
    const f = new Float32Array(m * n);
    const q = new Uint8Array(m * n);
    qgemm({ m, a, aZeroPoint: za, scaleA, b: pk, scaleB, bias, activation: 'relu', out: f });
    qgemm({ m, a, aZeroPoint: za, scaleA, b: pk, scaleB, bias, activation: 'relu', out: q, outScale: 0.02, outZeroPoint: 3 });
    expect(Array.from(q)).toEqual(Array.from(f, (v) => quantizeValue(v, Math.fround(0.02), 3)));
    expect(Math.min(...f)).toBeGreaterThanOrEqual(0);
  });
});

describe('reference qconv2d', () => {
  const g = new Generator(12);
  const [n, h, w, c] = [2, 6, 5, 4];
  const cout = 6, kh = 3, kw = 2, groups = 2, cg = c / groups;
  const x = Uint8Array.from(ints(g, n * h * w * c, 0, 255));
  const oihw = Int8Array.from(ints(g, cout * cg * kh * kw, -128, 127));
  const scaleW = Float32Array.from({ length: cout }, () => 0.01 + 0.01 * g.uniform());
  const geometry = { strides: [2, 1] as [number, number], dilations: [1, 2] as [number, number], pads: [1, 1] as [number, number] };
  const oh = Math.floor((h + 2 - 3) / 2) + 1;
  const ow = Math.floor((w + 2 - (2 * (kw - 1) + 1)) / 1) + 1;
  const zx = 140;

  it('equals a float64 direct convolution (zero-point padding adds nothing), and HWIO packs like OIHW', () => {
    const hwio = new Int8Array(oihw.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < cg; i++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) {
      hwio[((y * kw + z) * cg + i) * cout + o] = oihw[((o * cg + i) * kh + y) * kw + z]!;
    }
    const shape = { cout, cinPerGroup: cg, kh, kw, groups };
    const p1 = qconvPackWeights(oihw, 'OIHW', shape);
    const p2 = qconvPackWeights(hwio, 'HWIO', shape);
    expect(Array.from(p2.data)).toEqual(Array.from(p1.data));
    const out = new Float32Array(n * oh * ow * cout);
    qconv2d({ x, shape: [n, h, w, c], xZeroPoint: zx, scaleX: 0.5, weights: p1, scaleW, out, ...geometry });
    for (let b = 0; b < n; b++) for (let yy = 0; yy < oh; yy++) for (let xx = 0; xx < ow; xx++) for (let o = 0; o < cout; o++) {
      const grp = Math.floor(o / (cout / groups));
      let s = 0;
      for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) {
        const iy = yy * 2 - 1 + y, ix = xx - 1 + z * 2;
        for (let i = 0; i < cg; i++) {
          const xv = iy < 0 || iy >= h || ix < 0 || ix >= w ? zx : x[((b * h + iy) * w + ix) * c + grp * cg + i]!;
          s += (xv - zx) * 0.5 * oihw[((o * cg + i) * kh + y) * kw + z]! * scaleW[o]!;
        }
      }
      const got = out[((b * oh + yy) * ow + xx) * cout + o]!;
      expect(Math.abs(got - s)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(s)));
    }
  });

  it('depthwise weights (groups == c, multiplier 2) run the direct layout and give the grouped result', () => {
    const dw = Int8Array.from(ints(g, 2 * c * 9, -128, 127));
    const shape = { cout: 2 * c, cinPerGroup: 1, kh: 3, kw: 3, groups: c };
    const packed = qconvPackWeights(dw, 'OIHW', shape);
    expect(packed.depthwise).toBe(true);
    const bias = Float32Array.from({ length: 2 * c }, (_, i) => i - 3);
    const sw = new Float32Array([0.02]);
    const o = new Float32Array(n * h * w * 2 * c);
    qconv2d({ x, shape: [n, h, w, c], xZeroPoint: zx, scaleX: 0.1, weights: packed, scaleW: sw, bias, pads: [1, 1], outSize: [h, w], out: o });
    // x equal to its zero point everywhere: only the bias is left.
    const flat = new Uint8Array(x.length).fill(zx);
    const ob = new Float32Array(o.length);
    qconv2d({ x: flat, shape: [n, h, w, c], xZeroPoint: zx, scaleX: 0.1, weights: packed, scaleW: sw, bias, pads: [1, 1], outSize: [h, w], out: ob });
    expect(Array.from(ob)).toEqual(Array.from({ length: ob.length }, (_, i) => bias[i % (2 * c)]!));
    // Channel co of a multiplier-2 depthwise conv reads input channel floor(co / 2).
    const b0 = 0, y0 = 2, x0 = 3, co = 5;
    let s = 0;
    for (let y = 0; y < 3; y++) for (let z = 0; z < 3; z++) {
      const iy = y0 - 1 + y, ix = x0 - 1 + z;
      s += (x[((b0 * h + iy) * w + ix) * c + Math.floor(co / 2)]! - zx) * dw[co * 9 + y * 3 + z]!;
    }
    expect(o[((b0 * h + y0) * w + x0) * 2 * c + co]).toBeCloseTo(s * Math.fround(Math.fround(0.1) * Math.fround(0.02)) + bias[co]!, 4);
  });
});

describe('reference quantization', () => {
  it('dynamic parameters cover [min(0, x), max(0, x)] with 0 exact, per tensor and per row', () => {
    const g = new Generator(13);
    const rows = 4, cols = 50;
    const x = Float32Array.from({ length: rows * cols }, (_, i) => (g.uniform() * 6 - 2) * (1 + Math.floor(i / cols)));
    const out = new Uint8Array(x.length);
    const { scales, zeroPoints } = quantizeDynamic(x, rows, cols, out, true);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * cols, (r + 1) * cols);
      const lo = Math.min(0, ...row), hi = Math.max(0, ...row);
      expect(scales[r]).toBeCloseTo((hi - lo) / 255, 6);
      expect(zeroPoints[r]).toBe(Math.round(-lo / scales[r]!));
      for (let i = 0; i < cols; i++) {
        const back = (out[r * cols + i]! - zeroPoints[r]!) * scales[r]!;
        expect(Math.abs(back - row[i]!)).toBeLessThanOrEqual(scales[r]! * 0.5 + 1e-6);
      }
    }
    const whole = quantizeDynamic(x, rows, cols, out, false);
    expect(whole.scales.length).toBe(1);
    expect(whole.scales[0]).toBeCloseTo((Math.max(...x) - Math.min(...x)) / 255, 6);
    const zeros = quantizeDynamic(new Float32Array(8), 1, 8, new Uint8Array(8));
    expect([zeros.scales[0], zeros.zeroPoints[0]]).toEqual([1, 0]);
  });

  it('quantizeLinear uses the given scale and zero point', () => {
    const out = new Uint8Array(4);
    quantizeLinear(Float32Array.from([0, 0.25, 0.75, -1]), 4, 0.5, 100, out);
    expect(Array.from(out)).toEqual([100, 100, 102, 98]);
  });
});
