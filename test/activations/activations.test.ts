import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { ACTIVATION_NAMES, type ActivationName } from '../../src';
import { resolveActivation } from '../../src/activations/activations';
import { Activation } from '../../src/layers/basic';
import { deserializeLayer } from '../../src/layers/registry';
import { checkLayerGradients, expectArrayClose, expectBackendsAgree, values } from '../helpers/layer-check';

/** erf by its Maclaurin series, exact to float64 rounding for |x| < 3. */
function erfRef(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Element-wise references, written from the definitions. */
const elementwise: Record<Exclude<ActivationName, 'softmax'>, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(0, v),
  leakyRelu: (v) => (v > 0 ? v : 0.2 * v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  selu: (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * (Math.exp(v) - 1)),
  gelu: (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2)),
  sigmoid,
  hardSigmoid: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  tanh: Math.tanh,
  softplus: (v) => Math.log1p(Math.exp(v)),
  softsign: (v) => v / (1 + Math.abs(v)),
  swish: (v) => v * sigmoid(v),
  hardSwish: (v) => (v * Math.min(6, Math.max(0, v + 3))) / 6,
  mish: (v) => v * Math.tanh(Math.log1p(Math.exp(v))),
};

// Points away from every kink (0, hardSigmoid's +-2.5, hardSwish's +-3), two rows of four for softmax.
const POINTS = [[-3.5, -1, -0.5, 0.25], [0.5, 1, 2, 3.5]];

function applyByName(name: string, rows: number[][]): number[] {
  return values(resolveActivation('test', name).apply(tf.tensor(rows)));
}

describe('activations against hand-computed values', () => {
  it('ACTIVATION_NAMES lists exactly the supported activations', () => {
    expect([...ACTIVATION_NAMES].sort()).toEqual(
      ['elu', 'gelu', 'hardSigmoid', 'hardSwish', 'leakyRelu', 'linear', 'mish', 'relu', 'selu', 'sigmoid', 'softmax', 'softplus', 'softsign', 'swish',
        'tanh'],
    );
  });

  for (const name of Object.keys(elementwise) as (keyof typeof elementwise)[]) {
    it(`${name} matches its definition`, () => {
      expectArrayClose(applyByName(name, POINTS), POINTS.flat().map(elementwise[name]), 1e-5, 1e-6, name);
    });
  }

  it('softmax normalizes over the last axis', () => {
    const expected = POINTS.flatMap((row) => {
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    expectArrayClose(applyByName('softmax', POINTS), expected, 1e-5, 1e-7, 'softmax');
  });

  it('a few exact landmark values', () => {
    // selu(1) = scale; selu(-inf) -> -scale * alpha; hardSigmoid piecewise; softsign(1) = 1/2.
    expectArrayClose(applyByName('selu', [[1, -20]]), [SELU_SCALE, -SELU_SCALE * SELU_ALPHA], 1e-6, 1e-6, 'selu');
    expectArrayClose(applyByName('hardSigmoid', [[-3, -2.5, 0, 1, 2.5, 4]]), [0, 0, 0.5, 0.7, 1, 1], 1e-6, 1e-7, 'hardSigmoid');
    expectArrayClose(applyByName('softsign', [[1, -3, 0]]), [0.5, -0.75, 0], 1e-6, 1e-7, 'softsign');
    // gelu(1) = Phi(1) = 0.841344746..., gelu(-1) = -(1 - Phi(1)).
    expectArrayClose(applyByName('gelu', [[1, -1]]), [0.8413447460685429, -0.15865525393145707], 1e-6, 1e-7, 'gelu');
    expectArrayClose(applyByName('leakyRelu', [[-5, 5]]), [-1, 5], 1e-6, 1e-7, 'leakyRelu');
    expectArrayClose(applyByName('swish', [[0, 1]]), [0, sigmoid(1)], 1e-6, 1e-7, 'swish');
    // hardSwish: 0 below -3, x above 3, x (x + 3) / 6 between; mish(0) = 0.
    expectArrayClose(applyByName('hardSwish', [[-4, -3, 0, 1, 3, 5]]), [0, 0, 0, 4 / 6, 3, 5], 1e-6, 1e-7, 'hardSwish');
    expectArrayClose(applyByName('mish', [[0, -30, 30]]), [0, -30 * Math.tanh(Math.log1p(Math.exp(-30))), 30], 1e-6, 1e-7, 'mish');
  });

  it('softplus and sigmoid stay finite for large |x|', () => {
    expectArrayClose(applyByName('softplus', [[-100, 100]]), [0, 100], 1e-6, 1e-7, 'softplus');
    expectArrayClose(applyByName('sigmoid', [[-100, 100]]), [0, 1], 1e-6, 1e-7, 'sigmoid');
  });
});

describe('activation names', () => {
  it('Keras snake_case aliases resolve to the tfjs names', () => {
    expect(resolveActivation('t', 'leaky_relu').name).toBe('leakyRelu');
    expect(resolveActivation('t', 'hard_sigmoid').name).toBe('hardSigmoid');
    expect(resolveActivation('t', 'silu').name).toBe('swish');
    expect(resolveActivation('t', 'LeakyReLU').name).toBe('leakyRelu');
    expect(resolveActivation('t', 'hard_swish').name).toBe('hardSwish');
    expect(resolveActivation('t', 'hard_silu').name).toBe('hardSwish');
    expect(resolveActivation('t', 'HardSwish').name).toBe('hardSwish');
    expect(resolveActivation('t', 'Mish').name).toBe('mish');
    for (const name of ACTIVATION_NAMES) expect(resolveActivation('t', name).name).toBe(name);
  });

  it('aliases compute the same values as the canonical names', () => {
    expect(applyByName('hard_sigmoid', POINTS)).toEqual(applyByName('hardSigmoid', POINTS));
    expect(applyByName('silu', POINTS)).toEqual(applyByName('swish', POINTS));
    expect(applyByName('leaky_relu', POINTS)).toEqual(applyByName('leakyRelu', POINTS));
    expect(applyByName('hard_swish', POINTS)).toEqual(applyByName('hardSwish', POINTS));
  });

  it('null and undefined mean linear', () => {
    expect(resolveActivation('t', null).name).toBe('linear');
    expect(resolveActivation('t', undefined).name).toBe('linear');
  });

  it('an unknown name throws an error that names the caller and lists every valid name', () => {
    let message = '';
    try {
      resolveActivation('dense', 'relu7');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^dense: argument 'activation'/);
    expect(message).toContain('"relu7"');
    for (const name of ACTIVATION_NAMES) expect(message).toContain(name);
  });

  it('non-string activations are rejected with the same error', () => {
    expect(() => resolveActivation('dense', 3 as unknown as string)).toThrow(/argument 'activation' expected one of linear/);
    expect(() => tf.layers.activation({ activation: 'nope' as ActivationName })).toThrow(/one of linear/);
  });
});

describe('Activation layer', () => {
  const x = () => tf.tensor(POINTS);

  it('applies the named function and keeps the shape (symbolic too)', () => {
    const layer = tf.layers.activation({ activation: 'softsign' });
    expectArrayClose(values(layer.apply(x())), POINTS.flat().map(elementwise.softsign), 1e-6, 1e-7, 'layer');
    const sym = layer.apply(tf.input({ shape: [3, 4] }));
    expect(sym.shape).toEqual([null, 3, 4]);
    expect(layer.countParams()).toBe(0);
  });

  for (const name of ACTIVATION_NAMES) {
    it(`${name}: gradient by finite differences and native == js`, () => {
      const layer = tf.layers.activation({ activation: name });
      checkLayerGradients(layer, x());
      expectBackendsAgree(layer, x());
    });
  }

  it('config round trip', () => {
    const layer = tf.layers.activation({ activation: 'hard_sigmoid' as ActivationName, name: 'act' });
    const rebuilt = deserializeLayer('Activation', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as Activation;
    expect(rebuilt.activation.name).toBe('hardSigmoid');
    expect(rebuilt.name).toBe('act');
    expect(values(rebuilt.apply(x()))).toEqual(values(layer.apply(x())));
  });
});
