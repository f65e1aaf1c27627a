import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { initializers, type Initializer } from '../../src';
import { fans, getInitializer, serializeInitializer } from '../../src/initializers/initializers';
import { values } from '../helpers/layer-check';

function stats(xs: number[]): { mean: number; variance: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { mean, variance, min, max };
}

describe('fans', () => {
  it('dense kernels [in, out]', () => {
    expect(fans([784, 128])).toEqual({ fanIn: 784, fanOut: 128 });
  });

  it('conv kernels [...kernel, in, out] multiply by the receptive field', () => {
    expect(fans([3, 3, 16, 32])).toEqual({ fanIn: 3 * 3 * 16, fanOut: 3 * 3 * 32 });
    expect(fans([5, 4, 8])).toEqual({ fanIn: 5 * 4, fanOut: 5 * 8 });
  });

  it('vectors and scalars', () => {
    expect(fans([10])).toEqual({ fanIn: 10, fanOut: 10 });
    expect(fans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });
});

describe('variance-scaling initializers', () => {
  const SHAPE = [300, 200];

  it('glorotUniform stays within +-sqrt(6 / (fanIn + fanOut)) with variance limit^2 / 3', () => {
    const limit = Math.sqrt(6 / (300 + 200));
    const t = initializers.glorotUniform({ seed: 1 }).apply(SHAPE);
    expect(t.shape).toEqual(SHAPE);
    expect(t.dtype).toBe('float32');
    const s = stats(values(t));
    expect(s.min).toBeGreaterThanOrEqual(-limit);
    expect(s.max).toBeLessThanOrEqual(limit);
    // Range is filled to near the limit on both sides.
    expect(s.max).toBeGreaterThan(0.99 * limit);
    expect(s.min).toBeLessThan(-0.99 * limit);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * limit);
    expect(s.variance / (limit * limit / 3)).toBeCloseTo(1, 1);
  });

  it('heNormal has std sqrt(2 / fanIn) and is truncated at 2 (scaled) standard deviations', () => {
    const t = initializers.heNormal({ seed: 2 }).apply(SHAPE);
    const std = Math.sqrt(2 / 300);
    const s = stats(values(t));
    expect(Math.sqrt(s.variance) / std).toBeCloseTo(1, 1);
    expect(Math.abs(s.mean)).toBeLessThan(0.02 * std);
    // Keras draws from N(0, (std / 0.8796)^2) truncated to +-2 of that scale.
    const bound = (2 * std) / 0.87962566103423978;
    expect(Math.max(Math.abs(s.min), Math.abs(s.max))).toBeLessThanOrEqual(bound * (1 + 1e-6));
    expect(s.max).toBeGreaterThan(0.95 * bound);
  });

  it('heUniform: limit sqrt(6 / fanIn); lecunUniform: limit sqrt(3 / fanIn)', () => {
    const he = stats(values(initializers.heUniform({ seed: 3 }).apply(SHAPE)));
    expect(he.max).toBeLessThanOrEqual(Math.sqrt(6 / 300));
    expect(he.max).toBeGreaterThan(0.99 * Math.sqrt(6 / 300));
    const lecun = stats(values(initializers.lecunUniform({ seed: 3 }).apply(SHAPE)));
    expect(lecun.max).toBeLessThanOrEqual(Math.sqrt(3 / 300));
    expect(lecun.variance / (1 / 300)).toBeCloseTo(1, 1);
  });

  it('glorotNormal and lecunNormal have the right standard deviation', () => {
    const g = stats(values(initializers.glorotNormal({ seed: 4 }).apply(SHAPE)));
    expect(g.variance / (2 / 500)).toBeCloseTo(1, 1);
    const l = stats(values(initializers.lecunNormal({ seed: 4 }).apply(SHAPE)));
    expect(l.variance / (1 / 300)).toBeCloseTo(1, 1);
  });

  it('conv-shaped kernels use the receptive-field fans', () => {
    // fanIn = 3*3*8 = 72: heUniform limit sqrt(6/72).
    const s = stats(values(initializers.heUniform({ seed: 5 }).apply([3, 3, 8, 64])));
    expect(s.max).toBeLessThanOrEqual(Math.sqrt(6 / 72));
    expect(s.max).toBeGreaterThan(0.99 * Math.sqrt(6 / 72));
  });
});

describe('constant and random initializers', () => {
  it('zeros, ones and constant fill the shape', () => {
    expect(values(initializers.zeros().apply([2, 3]))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(values(initializers.ones().apply([4]))).toEqual([1, 1, 1, 1]);
    const c = initializers.constant({ value: 0.25 }).apply([2, 2]);
    expect(c.shape).toEqual([2, 2]);
    expect(values(c)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const i = initializers.constant({ value: 3 }).apply([2], 'int32');
    expect(i.dtype).toBe('int32');
    expect(values(i)).toEqual([3, 3]);
  });

  it('randomUniform, randomNormal and truncatedNormal use their arguments', () => {
    const u = stats(values(initializers.randomUniform({ minval: 2, maxval: 3, seed: 1 }).apply([10000])));
    expect(u.min).toBeGreaterThanOrEqual(2);
    expect(u.max).toBeLessThanOrEqual(3);
    expect(u.mean).toBeCloseTo(2.5, 1);
    const n = stats(values(initializers.randomNormal({ mean: 1, stddev: 0.5, seed: 1 }).apply([20000])));
    expect(n.mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(n.variance)).toBeCloseTo(0.5, 1);
    const t = stats(values(initializers.truncatedNormal({ mean: -1, stddev: 0.1, seed: 1 }).apply([20000])));
    expect(t.min).toBeGreaterThanOrEqual(-1.2 - 1e-6);
    expect(t.max).toBeLessThanOrEqual(-0.8 + 1e-6);
    expect(t.mean).toBeCloseTo(-1, 2);
  });

  it('default ranges: randomUniform [-0.05, 0.05], randomNormal std 0.05', () => {
    const u = stats(values(initializers.randomUniform({ seed: 9 }).apply([5000])));
    expect(u.min).toBeGreaterThanOrEqual(-0.05);
    expect(u.max).toBeLessThanOrEqual(0.05);
    const n = stats(values(initializers.randomNormal({ seed: 9 }).apply([20000])));
    expect(Math.sqrt(n.variance)).toBeCloseTo(0.05, 2);
  });
});

describe('seeding', () => {
  const seededFactories: [string, (seed: number) => Initializer][] = [
    ['glorotUniform', (seed) => initializers.glorotUniform({ seed })],
    ['glorotNormal', (seed) => initializers.glorotNormal({ seed })],
    ['heNormal', (seed) => initializers.heNormal({ seed })],
    ['heUniform', (seed) => initializers.heUniform({ seed })],
    ['lecunNormal', (seed) => initializers.lecunNormal({ seed })],
    ['lecunUniform', (seed) => initializers.lecunUniform({ seed })],
    ['randomNormal', (seed) => initializers.randomNormal({ seed })],
    ['randomUniform', (seed) => initializers.randomUniform({ seed })],
    ['truncatedNormal', (seed) => initializers.truncatedNormal({ seed })],
  ];

  for (const [name, make] of seededFactories) {
    it(`${name}: the same seed repeats, a different seed differs`, () => {
      const a = values(make(42).apply([8, 6]));
      expect(values(make(42).apply([8, 6]))).toEqual(a);
      expect(values(make(42).apply([8, 6]))).toEqual(values(make(42).apply([8, 6])));
      expect(values(make(43).apply([8, 6]))).not.toEqual(a);
    });
  }

  it('unseeded initializers follow manualSeed', () => {
    tf.manualSeed(5);
    const a = values(initializers.glorotUniform().apply([4, 4]));
    const b = values(initializers.glorotUniform().apply([4, 4]));
    tf.manualSeed(5);
    expect(values(initializers.glorotUniform().apply([4, 4]))).toEqual(a);
    expect(b).not.toEqual(a);
  });
});

describe('getInitializer', () => {
  it('resolves tfjs camelCase and Keras snake_case names', () => {
    const cases: [string, string][] = [
      ['glorotUniform', 'GlorotUniform'], ['glorot_uniform', 'GlorotUniform'], ['glorot_normal', 'GlorotNormal'],
      ['he_normal', 'HeNormal'], ['he_uniform', 'HeUniform'], ['lecun_normal', 'LeCunNormal'], ['lecun_uniform', 'LeCunUniform'],
      ['zeros', 'Zeros'], ['ones', 'Ones'], ['random_normal', 'RandomNormal'], ['random_uniform', 'RandomUniform'],
      ['truncated_normal', 'TruncatedNormal'],
    ];
    for (const [name, className] of cases) {
      expect(getInitializer('t', 'init', name as never).className, name).toBe(className);
    }
  });

  it('passes initializer objects through', () => {
    const init = initializers.ones();
    expect(getInitializer('t', 'init', init)).toBe(init);
  });

  it('rebuilds {className, config} including seeds and constants', () => {
    const seeded = initializers.heNormal({ seed: 11 });
    const rebuilt = getInitializer('t', 'init', JSON.parse(JSON.stringify(serializeInitializer(seeded))) as { className: string; config: Record<string, unknown> });
    expect(rebuilt.className).toBe('HeNormal');
    expect(values(rebuilt.apply([5, 5]))).toEqual(values(seeded.apply([5, 5])));
    const constant = getInitializer('t', 'init', { className: 'Constant', config: { value: 1.5 } });
    expect(values(constant.apply([2]))).toEqual([1.5, 1.5]);
    const ru = getInitializer('t', 'init', { className: 'RandomUniform', config: { minval: 5, maxval: 6, seed: null } });
    const s = stats(values(ru.apply([100])));
    expect(s.min).toBeGreaterThanOrEqual(5);
    expect(s.max).toBeLessThanOrEqual(6);
    expect(getInitializer('t', 'init', { className: 'Zeros' }).className).toBe('Zeros');
  });

  it('serializeInitializer gives className and config', () => {
    expect(serializeInitializer(initializers.constant({ value: 2 }))).toEqual({ className: 'Constant', config: { value: 2 } });
    expect(serializeInitializer(initializers.zeros())).toEqual({ className: 'Zeros', config: {} });
    expect(serializeInitializer(initializers.randomNormal({ mean: 1, stddev: 2, seed: 3 }))).toEqual({
      className: 'RandomNormal', config: { mean: 1, stddev: 2, seed: 3 },
    });
    expect(serializeInitializer(initializers.glorotUniform())).toEqual({ className: 'GlorotUniform', config: { seed: null } });
  });

  it('unknown names and classes are rejected with the valid choices', () => {
    expect(() => getInitializer('dense', 'kernelInitializer', 'orthogonalish' as never)).toThrow(
      /dense: argument 'kernelInitializer' expected one of glorotUniform, .*heNormal.* or an initializer, got "orthogonalish"/,
    );
    expect(() => getInitializer('dense', 'kernelInitializer', { className: 'Orthogonal' })).toThrow(/a known initializer class \(GlorotUniform/);
    expect(() => tf.layers.dense({ units: 1, kernelInitializer: 'nope' as never })).toThrow(/kernelInitializer/);
  });

  it('layers accept initializer names', () => {
    const layer = tf.layers.dense({ units: 3, kernelInitializer: 'ones', biasInitializer: 'ones' });
    expect(values(layer.apply(tf.tensor([[1, 2]])))).toEqual([4, 4, 4]);
  });
});
