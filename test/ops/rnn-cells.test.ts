// Fused recurrent-cell ops: single steps against the equations written out in plain JS, native
// backward kernels against the reference ones, masking, and the binding's bounds checks.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { gruCell, gruSequence, lstmCell, lstmSequence, simpleRnnCell } from '../../src/ops/rnn-cells';
import { nativeAddon, pack } from '../../src/backend/binding';
import { expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

const native = nativeAddon() !== null;
const backends = (native ? ['native', 'js'] : ['js']) as tf.BackendName[];
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const rand = (shape: number[], seed: number, lo = -1, hi = 1) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);

describe('lstmCell', () => {
  for (const backend of backends) {
    it(`computes one step as the LSTM equations (${backend})`, () => {
      const B = 2, H = 3;
      const z = seededValues(B * 4 * H, 1, -2, 2);
      const hp = seededValues(B * 4 * H, 2);
      const cp = seededValues(B * H, 3);
      const [h, c] = onBackend(backend, () => lstmCell(tf.tensor(z, [B, 4 * H]), tf.tensor(cp, [B, H]), tf.tensor(hp, [B, 4 * H])));
      const eh: number[] = [], ec: number[] = [];
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const pre = (k: number) => z[b * 4 * H + k * H + j]! + hp[b * 4 * H + k * H + j]!;
          const i = sig(pre(0)), f = sig(pre(1)), g = Math.tanh(pre(2)), o = sig(pre(3));
          const cn = f * cp[b * H + j]! + i * g;
          ec.push(cn);
          eh.push(o * Math.tanh(cn));
        }
      }
      expect(h!.shape).toEqual([B, H]);
      expectArrayClose(values(h!), eh, 1e-5, 1e-6, 'h');
      expectArrayClose(values(c!), ec, 1e-5, 1e-6, 'c');
    });
  }
});

describe('gruCell (reset after)', () => {
  for (const backend of backends) {
    it(`computes one step as the GRU equations (${backend})`, () => {
      const B = 3, H = 4;
      const xp = seededValues(B * 3 * H, 4, -2, 2);
      const hp = seededValues(B * 3 * H, 5);
      const hPrev = seededValues(B * H, 6);
      const h = onBackend(backend, () => gruCell(tf.tensor(xp, [B, 3 * H]), tf.tensor(hp, [B, 3 * H]), tf.tensor(hPrev, [B, H])));
      const e: number[] = [];
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const x = (k: number) => xp[b * 3 * H + k * H + j]!;
          const r0 = (k: number) => hp[b * 3 * H + k * H + j]!;
          const zg = sig(x(0) + r0(0));
          const rg = sig(x(1) + r0(1));
          const hh = Math.tanh(x(2) + rg * r0(2));
          e.push(zg * hPrev[b * H + j]! + (1 - zg) * hh);
        }
      }
      expectArrayClose(values(h), e, 1e-5, 1e-6, 'h');
    });
  }
});

describe('simpleRnnCell', () => {
  it('is tanh(x W + b + h U)', () => {
    const x = rand([2, 3], 7), h = rand([2, 2], 8), w = rand([3, 2], 9), u = rand([2, 2], 10), b = rand([2], 11);
    const [X, Hh, W, Uu, Bb] = [x, h, w, u, b].map((t) => t.toArray() as number[][]);
    const e = X!.map((row, i) => [0, 1].map((j) => Math.tanh(row.reduce((s, v, k) => s + v * W![k]![j]!, 0) + (Bb as unknown as number[])[j]!
      + Hh![i]!.reduce((s, v, k) => s + v * Uu![k]![j]!, 0))));
    expectArrayClose(values(simpleRnnCell(x, h, w, u, b)), e.flat(), 1e-5, 1e-6);
  });
});

/** Gradients of sum(f(inputs) * R) with respect to every input. */
function gradsOf(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): number[][] {
  const out = tf.noGrad(() => f(...inputs));
  const r = tf.tensor(seededValues(out.size, 99), out.shape.slice());
  return tf.grads((...xs: Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs).map(values);
}

function maskOf(B: number, T: number): Tensor {
  // Row 0 all real, row 1 padded at the end, row 2 with a hole in the middle; further rows repeat
  // the pattern of four steps.
  const rows = [[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 1]];
  const m = Array.from({ length: B * T }, (_, k) => rows[Math.floor(k / T) % 3]![(k % T) % 4]!);
  return tf.tensor(m, [B, T]);
}

describe.runIf(native)('native forward and backward kernels == reference', () => {
  const cases: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
    ['lstmCell', (z, c, hp) => tf.concat(lstmCell(z!, c!, hp), 1), [[3, 20], [3, 5], [3, 20]]],
    ['gruCell', (xp, hp, h) => gruCell(xp!, hp!, h!), [[3, 15], [3, 15], [3, 5]]],
    ['lstmSequence', (xp, u, h, c) => lstmSequence(xp!, u!, h!, c!), [[3, 4, 20], [5, 20], [3, 5], [3, 5]]],
    ['lstmSequence masked', (xp, u, h, c) => lstmSequence(xp!, u!, h!, c!, maskOf(3, 4)), [[3, 4, 20], [5, 20], [3, 5], [3, 5]]],
    ['gruSequence', (xp, u, b, h) => gruSequence(xp!, u!, b!, h!), [[3, 4, 15], [5, 15], [15], [3, 5]]],
    ['gruSequence masked', (xp, u, b, h) => gruSequence(xp!, u!, b!, h!, maskOf(3, 4)), [[3, 4, 15], [5, 15], [15], [3, 5]]],
    // Enough rows that the whole-sequence kernels split the batch over the pool (8 rows per thread at least).
    ['lstmSequence masked, 40 rows', (xp, u, h, c) => lstmSequence(xp!, u!, h!, c!, maskOf(40, 5)), [[40, 5, 32], [8, 32], [40, 8], [40, 8]]],
    ['gruSequence masked, 40 rows', (xp, u, b, h) => gruSequence(xp!, u!, b!, h!, maskOf(40, 5)), [[40, 5, 24], [8, 24], [24], [40, 8]]],
    ['gruSequence no recurrent bias, 40 rows', (xp, u, h) => gruSequence(xp!, u!, null, h!), [[40, 3, 24], [8, 24], [40, 8]]],
  ];
  for (const [name, f, shapes] of cases) {
    it(name, () => {
      const inputs = shapes.map((s, i) => rand(s, 20 + i));
      const fwdN = onBackend('native', () => values(f(...inputs)));
      const fwdJ = onBackend('js', () => values(f(...inputs)));
      expectArrayClose(fwdN, fwdJ, 1e-5, 1e-6, `${name} forward`);
      const gJ = onBackend('js', () => gradsOf(f, inputs));
      const info = tf.backendInfo();
      for (const level of (['scalar', 'avx2', 'avx512'] as const).slice(0, ['scalar', 'avx2', 'avx512'].indexOf(info.hardwareSimd) + 1)) {
        tf.setSimdLevel(level);
        try {
          const gN = onBackend('native', () => gradsOf(f, inputs));
          gN.forEach((g, i) => expectArrayClose(g, gJ[i]!, 1e-4, 1e-5, `${name} d/d input ${i} (${level})`));
        } finally {
          tf.setSimdLevel(info.hardwareSimd as 'avx512');
        }
      }
    });
  }
});

describe.runIf(native)('native cells split over rows across threads', () => {
  // Big enough (batch * gates * units >= 128K) to split even when the pool is cold; every third
  // row masked at one step. Rows are independent: the split result equals one thread's bit for bit.
  const B = 128, T = 2;
  const mask = () => tf.tensor(Array.from({ length: B * T }, (_, k) => (k % 3 === 1 && k % T === 1 ? 0 : 1)), [B, T]);
  const cases: [string, number, (...xs: Tensor[]) => Tensor][] = [
    ['lstmSequence', 256, (xp, u, h, c) => lstmSequence(xp!, u!, h!, c!, mask())],
    ['gruSequence', 352, (xp, u, h) => gruSequence(xp!, u!, null, h!, mask())],
  ];
  for (const [name, H, f] of cases) {
    it(`${name}: forward and gradients at 2 threads equal 1 thread's`, () => {
      const gates = name === 'lstmSequence' ? 4 : 3;
      const inputs = [rand([B, T, gates * H], 60, -2, 2), rand([H, gates * H], 61, -0.1, 0.1), rand([B, H], 62), rand([B, H], 63)].slice(0, gates === 4 ? 4 : 3);
      const run = (threads: number) => {
        const before = tf.getNumThreads();
        tf.setNumThreads(threads);
        try {
          return onBackend('native', () => [values(f(...inputs)), ...gradsOf(f, inputs)]);
        } finally {
          tf.setNumThreads(before);
        }
      };
      const one = run(1);
      const two = run(2);
      two.forEach((v, i) => expect(Float32Array.from(v)).toEqual(Float32Array.from(one[i]!)));
    });
  }
});

describe('sequence ops', () => {
  for (const backend of backends) {
    it(`masked steps carry h and c over unchanged (${backend})`, () => {
      onBackend(backend, () => {
        const [B, T, H] = [3, 4, 2];
        const Y = lstmSequence(rand([B, T, 4 * H], 40), rand([H, 4 * H], 41), rand([B, H], 42), rand([B, H], 43), maskOf(B, T));
        const y = Y.toArray() as number[][][];
        // row 1: steps 2, 3 masked -> equal to step 1. row 2: step 1 masked -> equal to step 0.
        expect(y[1]![2]).toEqual(y[1]![1]);
        expect(y[1]![3]).toEqual(y[1]![1]);
        expect(y[2]![1]).toEqual(y[2]![0]);
        expect(y[2]![2]).not.toEqual(y[2]![1]);
        const G = gruSequence(rand([B, T, 3 * H], 44), rand([H, 3 * H], 45), null, rand([B, H], 46), maskOf(B, T));
        const g = G.toArray() as number[][][];
        expect(g[1]![3]).toEqual(g[1]![1]);
        expect(g[2]![1]).toEqual(g[2]![0]);
      });
    });

    it(`the sequence ops equal the single-step cells chained (${backend})`, () => {
      onBackend(backend, () => {
        const [B, T, H] = [2, 3, 3];
        const xp = rand([B, T, 4 * H], 50), u = rand([H, 4 * H], 51), h0 = rand([B, H], 52), c0 = rand([B, H], 53);
        const Y = lstmSequence(xp, u, h0, c0);
        let [h, c] = [h0, c0];
        for (let t = 0; t < T; t++) {
          [h, c] = lstmCell(tf.reshape(tf.slice(xp, [0, t, 0], [B, 1, 4 * H]), [B, 4 * H]), c, tf.matmul(h, u));
        }
        expectArrayClose(values(tf.slice(Y, [0, T - 1, 0], [B, 1, H])), values(h), 1e-5, 1e-6, 'h');
        expectArrayClose(values(tf.slice(Y, [0, T - 1, H], [B, 1, H])), values(c), 1e-5, 1e-6, 'c');
      });
    });
  }
});

describe.runIf(native)('binding bounds checks', () => {
  it('throws a RangeError instead of reading past an array', () => {
    const addon = nativeAddon()!;
    const a = new Float32Array(8);
    // batch 2, units 2 needs xp of 2 x 8 = 16 floats.
    const lstm = pack.lstmCellForward({
      batch: 2, units: 2, xpOffset: 0, xpLd: 8, hpOffset: 0, hpLd: 8, cPrevOffset: 0, cPrevLd: 2, hPrevOffset: 0, hPrevLd: 2,
      maskOffset: 0, maskLd: 1, hOffset: 0, hLd: 2, cOffset: 0, cLd: 2, gatesOffset: 0,
    });
    expect(() => addon.lstmCellForward(a, null, a, null, null, a, a, a, lstm)).toThrow(/lstm xp: matrix exceeds its array/);
    const gru = pack.gruCellForward({
      batch: 1, units: 2, xpOffset: -1, xpLd: 6, hpOffset: 0, hpLd: 6, hPrevOffset: 0, hPrevLd: 2, maskOffset: 0, maskLd: 1,
      hOffset: 0, hLd: 2, gatesOffset: 0,
    });
    expect(() => addon.gruCellForward(a, a, a, null, a, a, gru)).toThrow(RangeError);
  });
});

describe('masked sequences: backward == finite differences (js)', () => {
  const cases: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
    ['lstmSequence', (xp, u, h, c) => lstmSequence(xp!, u!, h!, c!, maskOf(3, 4)), [[3, 4, 8], [2, 8], [3, 2], [3, 2]]],
    ['gruSequence', (xp, u, b, h) => gruSequence(xp!, u!, b!, h!, maskOf(3, 4)), [[3, 4, 6], [2, 6], [6], [3, 2]]],
  ];
  for (const [name, f, shapes] of cases) {
    it(name, () => {
      onBackend('js', () => {
        const inputs = shapes.map((s, i) => rand(s, 60 + i, -0.9, 0.9));
        const out = tf.noGrad(() => f(...inputs));
        const r = seededValues(out.size, 99);
        const analytic = gradsOf(f, inputs);
        const loss = (xs: Tensor[]) => {
          const d = tf.noGrad(() => f(...xs)).dataSync();
          let s = 0;
          for (let i = 0; i < d.length; i++) s += d[i]! * r[i]!;
          return s;
        };
        inputs.forEach((inp, k) => {
          const base = values(inp);
          const eps = 1e-3;
          const numeric = base.map((_, e) => {
            const at = (d: number) => {
              const v = base.slice();
              v[e]! += d;
              const xs = inputs.slice();
              xs[k] = tf.tensor(v, inp.shape.slice());
              return loss(xs);
            };
            return (at(eps) - at(-eps)) / (2 * eps);
          });
          expectArrayClose(analytic[k]!, numeric, 2e-2, 2e-3, `${name} d/d input ${k}`);
        });
      });
    });
  }
});
