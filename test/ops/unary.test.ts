// The unary ops added as kernels for issue 9 at landmark values from their definitions, and the
// parameter errors every unary op shares. Native == reference and gradients: the registry test.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectArrayClose, values } from '../helpers/layer-check';
import { simdLevels } from '../helpers/simd-levels';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.log1p(Math.exp(v));
const X = [-8, -3.5, -3, -1, -0.25, 0, 0.5, 2, 3, 4, 9];

const definitions: [string, (x: tf.Tensor) => tf.Tensor, (v: number) => number][] = [
  ['hardSwish', tf.hardSwish, (v) => (v * Math.min(6, Math.max(0, v + 3))) / 6],
  ['mish', tf.mish, (v) => v * Math.tanh(softplus(v))],
  ['softsign', tf.softsign, (v) => v / (1 + Math.abs(v))],
  ['hardSigmoid', (x) => tf.hardSigmoid(x), (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5))],
  ['hardSigmoid(0.3, 0.4)', (x) => tf.hardSigmoid(x, 0.3, 0.4), (v) => Math.min(1, Math.max(0, 0.3 * v + 0.4))],
  ['selu', tf.selu, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
  ['silu', tf.silu, (v) => v * sigmoid(v)],
];

describe('new unary ops match their definitions', () => {
  for (const [name, op, ref] of definitions) {
    it(`${name}, NaN passing through`, () => {
      expectArrayClose(values(op(tf.tensor(X))), X.map(ref), 1e-6, 1e-7, name);
      expect(Number.isNaN(values(op(tf.tensor([NaN])))[0]!)).toBe(true);
    });
  }

  it.runIf(tf.backendInfo().nativeAvailable)('silu over |x| up to 1000 at every SIMD level: relative accuracy down to the subnormals, -0 below -120', () => {
    // Vectors mixing moderate lanes with |x| > 80 take the kernel's one-exp path, the others the
    // plain one; every lane must match x / (1 + e^-x) either way.
    const xs: number[] = [];
    for (let k = 0; k < 4000; k++) xs.push(Math.fround(((k * 7919) % 4001 - 2000) * (k % 3 === 0 ? 0.5 : 0.005)));
    xs.push(-79.5, -80, -80.5, -86.9, -87.1, -103.9, -104.1, -118, -121, -1e6, 87.5, 100, 1e6);
    const want = xs.map((v) => (v < -120 ? -0 : v / (1 + Math.exp(-v))));
    const { hardware, levels } = simdLevels();
    const prev = tf.getBackend();
    try {
      tf.setBackend('native');
      for (const level of levels) {
        tf.setSimdLevel(level);
        const got = values(tf.silu(tf.tensor(xs)));
        got.forEach((g, k) => {
          const w = want[k]!;
          // Relative to the float32 result, with float32's smallest subnormal as the floor.
          if (Math.abs(g - w) > 2e-6 * Math.abs(w) + 1.5e-45) throw new Error(`silu(${xs[k]}) at ${level}: ${g}, want ${w}`);
          if (xs[k]! < -120) expect(Object.is(g, -0), `silu(${xs[k]}) sign at ${level}`).toBe(true);
        });
      }
    } finally {
      tf.setSimdLevel(hardware);
      tf.setBackend(prev);
    }
  });

  it('landmarks: hardSwish(3) = 3, hardSwish(-3) = 0, selu(1) = gamma, softsign(1) = 1/2, mish(0) = silu(0) = 0', () => {
    expectArrayClose(values(tf.hardSwish(tf.tensor([3, -3, 1]))), [3, 0, 4 / 6], 1e-7, 1e-7, 'hardSwish');
    expectArrayClose(values(tf.selu(tf.tensor([1, -40]))), [1.0507009873554805, -1.0507009873554805 * 1.6732632423543772], 1e-7, 1e-7, 'selu');
    expectArrayClose(values(tf.softsign(tf.tensor([1, -3]))), [0.5, -0.75], 1e-7, 1e-7, 'softsign');
    expectArrayClose(values(tf.mish(tf.tensor([0]))).concat(values(tf.silu(tf.tensor([0])))), [0, 0], 0, 0, 'zero');
  });
});

describe('unary op parameters', () => {
  it('are checked by name: finite numbers (clip bounds may be infinite, min <= max)', () => {
    const x = tf.tensor([1, 2]);
    expect(() => tf.hardSigmoid(x, NaN)).toThrow("hardSigmoid: argument 'alpha' expected a finite number, got NaN");
    expect(() => tf.hardSigmoid(x, 0.2, Infinity)).toThrow("hardSigmoid: argument 'beta' expected a finite number, got Infinity");
    expect(() => tf.leakyRelu(x, '0.1' as unknown as number)).toThrow("leakyRelu: argument 'alpha' expected a finite number, got \"0.1\"");
    expect(() => tf.clip(x, 1, 0)).toThrow("clip: argument 'min' expected a value <= max (0), got 1");
    expect(() => tf.clip(x, undefined as unknown as number, 1)).toThrow("clip: argument 'min' expected a number, got undefined");
    expect(values(tf.clip(x, -Infinity, 1.5))).toEqual([1, 1.5]);
  });

  it('default where not given (leakyRelu 0.2, elu 1, hardSigmoid 0.2 / 0.5)', () => {
    const x = tf.tensor([-1]);
    expectArrayClose(values(tf.leakyRelu(x)), [-0.2], 1e-7, 1e-7, 'leakyRelu');
    expectArrayClose(values(tf.elu(x)), [Math.expm1(-1)], 1e-6, 1e-7, 'elu');
    expectArrayClose(values(tf.hardSigmoid(x)), [0.3], 1e-6, 1e-7, 'hardSigmoid');
  });
});
