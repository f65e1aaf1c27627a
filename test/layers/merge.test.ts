import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../../src/layers/merge';
import { deserializeLayer } from '../../src/layers/registry';
import { expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

const A = [[1, -2, 3], [4, 5, -6]];
const B = [[0.5, 2, -1], [-4, 1, 2]];
const C = [[2, 2, 2], [1, 1, 1]];
const t = (x: number[][]) => tf.tensor(x);
const flat = (x: number[][]) => x.flat();
const zip = (f: (...v: number[]) => number, ...xs: number[][][]) => flat(xs[0]!).map((_, i) => f(...xs.map((x) => flat(x)[i]!)));

describe('element-wise merge layers', () => {
  const cases: [string, tf.Layer, (...v: number[]) => number][] = [
    ['add', new Add(), (...v) => v.reduce((a, b) => a + b)],
    ['multiply', new Multiply(), (...v) => v.reduce((a, b) => a * b)],
    ['average', new Average(), (...v) => v.reduce((a, b) => a + b) / v.length],
    ['maximum', new Maximum(), (...v) => Math.max(...v)],
    ['minimum', new Minimum(), (...v) => Math.min(...v)],
  ];
  for (const [name, layer, f] of cases) {
    it(`${name} of three inputs matches a plain-JS reference`, () => {
      const y = layer.apply([t(A), t(B), t(C)]) as tf.Tensor;
      expect(y.shape).toEqual([2, 3]);
      expectArrayClose(values(y), zip(f, A, B, C), 1e-6, 1e-6, name);
    });
  }

  it('subtract takes exactly two inputs', () => {
    const s = new Subtract();
    expectArrayClose(values(s.apply([t(A), t(B)]) as tf.Tensor), zip((a, b) => a - b, A, B), 1e-6, 1e-6, 'subtract');
    expect(() => new Subtract().apply([t(A), t(B), t(C)])).toThrow(/exactly 2 inputs, got 3/);
  });

  it('broadcasts size-1 axes like Keras and infers symbolic shapes', () => {
    const y = new Add().apply([tf.tensor(A), tf.tensor([[10, 20, 30]])]) as tf.Tensor;
    expectArrayClose(values(y), [11, 18, 33, 14, 25, 24], 1e-6, 1e-6, 'broadcast');
    const a = tf.input({ shape: [4, 3] });
    const b = tf.input({ shape: [1, 3] });
    expect((tf.layers.dense({ units: 3 }).apply(a) as tf.SymbolicTensor).shape).toEqual([null, 4, 3]);
    expect((new Multiply().apply([a, b]) as tf.SymbolicTensor).shape).toEqual([null, 4, 3]);
    const u = tf.input({ batchShape: [null, null, 3] });
    expect((new Add().apply([u, a]) as tf.SymbolicTensor).shape).toEqual([null, 4, 3]);
  });

  it('rejects mismatched shapes, wrong ranks and single inputs with clear errors', () => {
    const a = tf.input({ shape: [3] });
    const b = tf.input({ shape: [4] });
    expect(() => new Add({ name: 'res' }).apply([a, b])).toThrow("res: argument 'inputs[1]' expected a shape compatible with [null,3]");
    expect(() => new Add().apply([a, tf.input({ shape: [3, 1] })])).toThrow(/rank 2 like inputs\[0\]/);
    expect(() => new Add().apply(a)).toThrow(/a list of at least 2 inputs, got one input of shape \[null,3\]/);
    expect(() => new Add().apply([a])).toThrow(/at least 2 inputs, got 1 input/);
    // Eager tensors are checked too, not just left to the broadcasting op.
    expect(() => new Multiply().apply([tf.zeros([2, 3]), tf.zeros([2, 4])])).toThrow(/axis 1: 4 vs 3/);
  });

  it('gradients flow to every input (js backend)', () => {
    onBackend('js', () => {
      const x = tf.tensor(A);
      const y = tf.tensor(B);
      const [gx, gy] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(new Maximum().apply([p, q]) as tf.Tensor))([x, y]);
      expect(values(gx!)).toEqual(zip((a, b) => (a > b ? 1 : 0), A, B));
      expect(values(gy!)).toEqual(zip((a, b) => (a > b ? 0 : 1), A, B));
      const [ga] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(new Average().apply([p, q]) as tf.Tensor))([x, y]);
      expect(values(ga!)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    });
  });

  it('config round trip through the registry', () => {
    for (const layer of [new Add({ name: 'a1' }), new Subtract({ name: 's1' }), new Average({ name: 'v1' })]) {
      const copy = deserializeLayer(layer.className, layer.getConfig());
      expect(copy.className).toBe(layer.className);
      expect(copy.getConfig()).toEqual(layer.getConfig());
    }
  });
});

describe('Concatenate', () => {
  it('joins along the last axis by default', () => {
    const y = new Concatenate().apply([t(A), tf.tensor([[7], [8]])]) as tf.Tensor;
    expect(y.shape).toEqual([2, 4]);
    expect(values(y)).toEqual([1, -2, 3, 7, 4, 5, -6, 8]);
  });

  it('joins along a given axis, with symbolic shape inference', () => {
    const a = tf.input({ shape: [2, 3] });
    const b = tf.input({ shape: [5, 3] });
    const c = tf.input({ batchShape: [null, null, 3] });
    expect((new Concatenate({ axis: 1 }).apply([a, b]) as tf.SymbolicTensor).shape).toEqual([null, 7, 3]);
    expect((new Concatenate({ axis: -2 }).apply([a, c]) as tf.SymbolicTensor).shape).toEqual([null, null, 3]);
    expect((new Concatenate().apply([a, a, a]) as tf.SymbolicTensor).shape).toEqual([null, 2, 9]);
    const x = tf.tensor(seededValues(12, 1), [2, 2, 3]);
    const z = tf.tensor(seededValues(6, 2), [2, 1, 3]);
    const y = new Concatenate({ axis: 1 }).apply([x, z]) as tf.Tensor;
    expect(y.shape).toEqual([2, 3, 3]);
    expectArrayClose(values(y), values(tf.concat([x, z], 1)), 0, 0, 'axis 1');
  });

  it('rejects mismatched shapes, the batch axis and single inputs', () => {
    const a = tf.input({ shape: [2, 3] });
    const b = tf.input({ shape: [4, 5] });
    expect(() => new Concatenate({ name: 'cat' }).apply([a, b])).toThrow("cat: argument 'inputs[1]' expected a shape matching [null,2,3] except on axis 2, got shape [null,4,5]");
    expect(() => new Concatenate({ axis: 0 }).apply([a, a])).toThrow(/a non-batch axis/);
    expect(() => new Concatenate({ axis: 3 }).apply([a, a])).toThrow(/axis/);
    expect(() => new Concatenate().apply(a)).toThrow(/at least 2 inputs/);
    expect(() => new Concatenate({ axis: 1.5 })).toThrow(/an integer/);
  });

  it('config round trip keeps the axis', () => {
    const layer = new Concatenate({ axis: 1, name: 'cat2' });
    const copy = deserializeLayer('Concatenate', layer.getConfig()) as Concatenate;
    expect(copy.axis).toBe(1);
    expect(copy.getConfig()).toEqual(layer.getConfig());
  });
});

describe('residual functional model', () => {
  it('x -> dense -> add([x, dense(x)]) -> dense trains with fit, and saves/loads with identical predictions', async () => {
    tf.manualSeed(7);
    const n = 64;
    const xs = seededValues(n * 4, 3, -1, 1);
    // Target: a nonlinear function of the inputs, easy for a residual MLP.
    const ys = Array.from({ length: n }, (_, i) => {
      const r = xs.slice(4 * i, 4 * i + 4);
      return [r[0]! + 0.5 * Math.max(0, r[1]!) - r[2]! * 0.3, r[3]! - r[0]!];
    });
    const x = tf.tensor(xs, [n, 4]);
    const y = tf.tensor(ys);

    const inp = tf.input({ shape: [4] });
    const h = tf.layers.dense({ units: 4, activation: 'relu' }).apply(inp) as tf.SymbolicTensor;
    const res = new Add({ name: 'residual' }).apply([inp, h]) as tf.SymbolicTensor;
    const cat = new Concatenate({ name: 'skip_cat' }).apply([res, inp]) as tf.SymbolicTensor;
    expect(cat.shape).toEqual([null, 8]);
    const out = tf.layers.dense({ units: 2 }).apply(cat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    model.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.03 }), loss: 'meanSquaredError' });
    const hist = await model.fit(x, y, { epochs: 60, batchSize: 16, verbose: 0 });
    const losses = hist.history['loss']!;
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 5);
    expect(losses.at(-1)!).toBeLessThan(0.02);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-merge-test-'));
    try {
      await model.save(dir);
      const loaded = await tf.loadModel(dir);
      expect(loaded.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Add', 'Concatenate', 'Dense']);
      const p1 = values(model.predictOnBatch(x) as tf.Tensor);
      const p2 = values(loaded.predictOnBatch(x) as tf.Tensor);
      expectArrayClose(p2, p1, 0, 0, 'loaded predictions');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
