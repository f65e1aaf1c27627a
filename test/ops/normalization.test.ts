// The functional normalizations against float64 references written from their definitions, and
// their argument errors. Gradients and native == js are covered by the registry test; the native
// backward kernel is compared with the reference (composite) backward here.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

/** Mean and biased variance of the values at `idx`. */
function stats(v: number[], idx: number[]): { m: number; s: number } {
  const m = idx.reduce((a, i) => a + v[i]!, 0) / idx.length;
  const s = idx.reduce((a, i) => a + (v[i]! - m) ** 2, 0) / idx.length;
  return { m, s };
}

/** Row-major flat index of `coords` in `shape`. */
const flat = (shape: number[], coords: number[]) => coords.reduce((a, c, i) => a * shape[i]! + c, 0);

function allCoords(shape: number[]): number[][] {
  return shape.reduce<number[][]>((acc, d) => acc.flatMap((c) => Array.from({ length: d }, (_, i) => [...c, i])), [[]]);
}

/** Reference: normalizes over the elements sharing `key(coords)`, then y = norm * g(coords) + b(coords). */
function reference(x: number[], shape: number[], key: (c: number[]) => string, eps: number,
  g: (c: number[]) => number = () => 1, b: (c: number[]) => number = () => 0): number[] {
  const coords = allCoords(shape);
  const groups = new Map<string, number[]>();
  coords.forEach((c, i) => {
    const k = key(c);
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  const out = new Array<number>(x.length);
  for (const idx of groups.values()) {
    const { m, s } = stats(x, idx);
    for (const i of idx) out[i] = ((x[i]! - m) / Math.sqrt(s + eps)) * g(coords[i]!) + b(coords[i]!);
  }
  return out;
}

describe('layerNorm', () => {
  const shape = [2, 3, 4];
  const x = seededValues(24, 1, -2, 2);
  const gamma = seededValues(4, 2, 0.5, 1.5);
  const beta = seededValues(4, 3, -1, 1);

  it('normalizes each sample over the last axis, then scales and shifts', () => {
    const y = tf.layerNorm(tf.tensor(x, shape), tf.tensor(gamma), tf.tensor(beta));
    const want = reference(x, shape, (c) => `${c[0]},${c[1]}`, 1e-5, (c) => gamma[c[2]!]!, (c) => beta[c[2]!]!);
    expectArrayClose(values(y), want, 1e-5, 1e-6, 'last axis');
  });

  it('several axes, with gamma right-aligned to them (ONNX style) and a custom epsilon', () => {
    const g2 = seededValues(12, 4, 0.5, 1.5);
    const y = tf.layerNorm(tf.tensor(x, shape), tf.tensor(g2, [3, 4]), tf.tensor(beta), { axis: [1, 2], epsilon: 0.1 });
    const want = reference(x, shape, (c) => `${c[0]}`, 0.1, (c) => g2[c[1]! * 4 + c[2]!]!, (c) => beta[c[2]!]!);
    expectArrayClose(values(y), want, 1e-5, 1e-6, 'axes 1, 2');
  });

  it('a middle axis with a per-feature gamma (the Keras layer with axis 1)', () => {
    const g3 = seededValues(3, 5, 0.5, 1.5);
    const y = tf.layerNorm(tf.tensor(x, shape), tf.tensor(g3), null, { axis: 1 });
    const want = reference(x, shape, (c) => `${c[0]},${c[2]}`, 1e-5, (c) => g3[c[1]!]!);
    expectArrayClose(values(y), want, 1e-5, 1e-6, 'axis 1');
  });

  it('rejects gamma of the wrong size and a bad epsilon, naming them', () => {
    const t = tf.tensor(x, shape);
    expect(() => tf.layerNorm(t, tf.tensor([1, 2, 3]))).toThrow("layerNorm: argument 'gamma' expected a shape that broadcasts to [4]");
    expect(() => tf.layerNorm(t, null, null, { epsilon: 0 })).toThrow("layerNorm: argument 'epsilon' expected a positive number, got 0");
    expect(() => tf.layerNorm(t, null, null, { axis: 3 })).toThrow(/layerNorm: argument 'axis'/);
  });
});

describe('batchNorm and batchNormTraining', () => {
  const shape = [3, 2, 4];
  const x = seededValues(24, 6, -2, 2);
  const [m, v, g, b] = [seededValues(4, 7, -1, 1), seededValues(4, 8, 0.5, 2), seededValues(4, 9, 0.5, 1.5), seededValues(4, 10, -1, 1)];

  it('inference form uses the given statistics per feature (last axis by default)', () => {
    const y = tf.batchNorm(tf.tensor(x, shape), tf.tensor(m), tf.tensor(v), tf.tensor(g), tf.tensor(b), { epsilon: 1e-3 });
    const want = x.map((xv, i) => {
      const c = i % 4;
      return ((xv - m[c]!) / Math.sqrt(v[c]! + 1e-3)) * g[c]! + b[c]!;
    });
    expectArrayClose(values(y), want, 1e-5, 1e-5, 'inference');
  });

  it('inference form on channels-first data (axis 1) without gamma and beta', () => {
    const y = tf.batchNorm(tf.tensor(x, [2, 4, 3]), tf.tensor(m), tf.tensor(v), null, null, { axis: 1 });
    const want = x.map((xv, i) => {
      const c = Math.floor(i / 3) % 4;
      return (xv - m[c]!) / Math.sqrt(v[c]! + 1e-5);
    });
    expectArrayClose(values(y), want, 1e-5, 1e-5, 'channels first');
  });

  it('training form normalizes with the batch statistics and returns them', () => {
    const r = tf.batchNormTraining(tf.tensor(x, shape), tf.tensor(g), tf.tensor(b));
    const want = reference(x, shape, (c) => `${c[2]}`, 1e-5, (c) => g[c[2]!]!, (c) => b[c[2]!]!);
    expectArrayClose(values(r.y), want, 1e-5, 1e-5, 'y');
    const perFeature = [0, 1, 2, 3].map((c) => stats(x, allCoords(shape).filter((k) => k[2] === c).map((k) => flat(shape, k))));
    expect(r.mean.shape).toEqual([4]);
    expectArrayClose(values(r.mean), perFeature.map((s) => s.m), 1e-5, 1e-6, 'mean');
    expectArrayClose(values(r.variance), perFeature.map((s) => s.s), 1e-5, 1e-6, 'variance');
  });

  it('rejects statistics of the wrong size, naming them', () => {
    expect(() => tf.batchNorm(tf.tensor(x, shape), tf.tensor([0, 0]), tf.tensor(v))).toThrow("batchNorm: argument 'mean' expected shape [4] (x's size on axis 2), got shape [2]");
    expect(() => tf.batchNormTraining(tf.tensor(x, shape), tf.tensor([1, 1, 1]))).toThrow("batchNormTraining: argument 'gamma' expected shape [4]");
  });
});

describe('groupNorm', () => {
  it('channels-last: consecutive channel groups normalized with every spatial position', () => {
    const shape = [2, 3, 6];
    const x = seededValues(36, 11, -2, 2);
    const g = seededValues(6, 12, 0.5, 1.5);
    const b = seededValues(6, 13, -1, 1);
    const y = tf.groupNorm(tf.tensor(x, shape), 3, tf.tensor(g), tf.tensor(b));
    const want = reference(x, shape, (c) => `${c[0]},${Math.floor(c[2]! / 2)}`, 1e-5, (c) => g[c[2]!]!, (c) => b[c[2]!]!);
    expectArrayClose(values(y), want, 1e-5, 1e-5, 'channels last');
  });

  it('channels-first NCHW (axis 1), as ONNX GroupNormalization', () => {
    const shape = [2, 4, 2, 3];
    const x = seededValues(48, 14, -2, 2);
    const y = tf.groupNorm(tf.tensor(x, shape), 2, null, null, { axis: 1, epsilon: 1e-3 });
    const want = reference(x, shape, (c) => `${c[0]},${Math.floor(c[1]! / 2)}`, 1e-3);
    expectArrayClose(values(y), want, 1e-5, 1e-5, 'NCHW');
  });

  it('one group is layer normalization over all non-batch axes; groups must divide the channels', () => {
    const x = tf.tensor(seededValues(24, 15, -2, 2), [2, 3, 4]);
    expectArrayClose(values(tf.groupNorm(x, 1)), values(tf.layerNorm(x, null, null, { axis: [1, 2] })), 1e-6, 1e-6, 'G = 1');
    expect(() => tf.groupNorm(x, 3)).toThrow("groupNorm: argument 'numGroups' expected a positive integer dividing the 4 channels, got 3");
    expect(() => tf.groupNorm(x, 2, null, null, { axis: 0 })).toThrow(/groupNorm: argument 'axis' expected a channel axis other than the batch axis/);
  });
});

describe('layerNorm native backward', () => {
  const native = tf.backendInfo().nativeAvailable;
  it.runIf(native)('equals the composite backward (trailing axes, with and without gamma and beta)', () => {
    const onBackend = <T>(name: tf.BackendName, fn: () => T): T => {
      const prev = tf.getBackend();
      tf.setBackend(name);
      try {
        return fn();
      } finally {
        tf.setBackend(prev);
      }
    };
    const x = tf.tensor(seededValues(6 * 70, 1, -2, 2), [2, 3, 70]);
    const g = tf.tensor(seededValues(70, 2, 0.5, 1.5), [70]);
    const b = tf.tensor(seededValues(70, 3), [70]);
    const w = tf.tensor(seededValues(6 * 70, 4), [2, 3, 70]);
    const run = (affine: boolean) => () => affine
      ? tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(tf.layerNorm(a, c, d), w)))([x, g, b])
      : tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.layerNorm(a, null, null, { epsilon: 1e-3 }), w)))([x]);
    for (const affine of [true, false]) {
      const nat = onBackend('native', run(affine));
      const ref = onBackend('js', run(affine));
      nat.forEach((t, i) => expectArrayClose(values(t), values(ref[i]!), 1e-4, 1e-5, `affine ${affine} grad ${i}`));
    }
  });
});

describe('batchNormTraining with a fused activation', () => {
  const native = tf.backendInfo().nativeAvailable;
  const acts: [string, tf.BatchNormActivation][] = [['relu', 'relu'], ['relu6', { min: 0, max: 6 }], ['clip', { min: -0.5, max: 0.75 }]];
  // Channels-last rows (inner 1), channels-first planes, and a channels-first view of channels-last storage.
  const layouts: [string, number[], (x: tf.Tensor) => tf.Tensor, number][] = [
    ['channels last', [300, 24], (x) => x, -1],
    ['channels first', [3, 5, 7, 9], (x) => x, 1],
    ['channels-first view', [2, 6, 5, 16], (x) => tf.transpose(x, [0, 3, 1, 2]), 1],
  ];
  for (const [an, act] of acts) {
    for (const [ln, shape, view, axis] of layouts) {
      it(`${an}, ${ln}: values and gradients equal the normalization then the activation`, () => {
        const c = view(tf.zeros(shape)).shape[axis < 0 ? shape.length - 1 : axis]!;
        // Scaled so that the clip bounds cut off a good share of the outputs on both sides.
        const x = tf.tensor(seededValues(shape.reduce((a, d) => a * d, 1), 11, -3, 3), shape);
        const g = tf.tensor(seededValues(c, 12, 0.5, 4), [c]);
        const b = tf.tensor(seededValues(c, 13, -1, 1), [c]);
        const w = tf.tensor(seededValues(x.size, 14, -1, 1), view(x).shape.slice());
        const fused = () => tf.valueAndGrads((a: tf.Tensor, ga: tf.Tensor, be: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNormTraining(view(a), ga, be, { axis, activation: act }).y, w)))([x, g, b]);
        const plain = () => tf.valueAndGrads((a: tf.Tensor, ga: tf.Tensor, be: tf.Tensor) => {
          const y = tf.batchNormTraining(view(a), ga, be, { axis }).y;
          return tf.sum(tf.mul(act === 'relu' ? tf.relu(y) : tf.clip(y, act.min, act.max), w));
        })([x, g, b]);
        const outputs = (name: tf.BackendName) => onBackend(name, () => {
          const y = tf.batchNormTraining(view(x), g, b, { axis, activation: act }).y;
          const yPlain = tf.batchNormTraining(view(x), g, b, { axis }).y;
          return [values(y), values(act === 'relu' ? tf.relu(yPlain) : tf.clip(yPlain, act.min, act.max))];
        });
        const [jsFused, jsPlain] = outputs('js');
        expectArrayClose(jsFused!, jsPlain!, 0, 0, 'js values');
        const cut = jsPlain!.filter((v) => (act === 'relu' ? v === 0 : v === act.min || v === act.max)).length;
        expect(cut, 'outputs the activation cuts off').toBeGreaterThan(jsPlain!.length / 10);
        if (!native) return;
        const [natFused, natPlain] = outputs('native');
        // The fused kernel rounds z exactly as the plain one: bit-identical values and gradients.
        expectArrayClose(natFused!, natPlain!, 0, 0, 'native values');
        expectArrayClose(natFused!, jsPlain!, 1e-5, 1e-5, 'native vs js values');
        const nf = onBackend('native', fused);
        const np = onBackend('native', plain);
        const jf = onBackend('js', plain);
        nf.grads.forEach((t, i) => {
          expectArrayClose(values(t), values(np.grads[i]!), 0, 0, `native grad ${i}`);
          expectArrayClose(values(t), values(jf.grads[i]!), 1e-4, 1e-5, `native vs js grad ${i}`);
        });
      });
    }
  }

  it('rejects a bad activation, naming it', () => {
    const x = tf.ones([4, 3]);
    expect(() => tf.batchNormTraining(x, null, null, { activation: 'gelu' as unknown as 'relu' })).toThrow(/activation.*'relu' or \{ min, max \}/);
    expect(() => tf.batchNormTraining(x, null, null, { activation: { min: 1, max: 0 } })).toThrow(/activation/);
  });
});
