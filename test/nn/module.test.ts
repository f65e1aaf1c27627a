import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Module, type Tensor } from '../../src';
import { seededValues, values } from '../helpers/layer-check';

/** A sub-module: dense (given an input shape, so built eagerly) then dropout. */
class Block extends Module {
  fc = tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
  drop = tf.layers.dropout({ rate: 0.5, seed: 9 });
  forward(x: Tensor): Tensor {
    return this.layer(this.drop, this.layer(this.fc, x));
  }
}

/** Layers, a sub-module, a list of layers, a raw parameter and a raw non-trainable buffer. */
class Net extends Module {
  block = new Block();
  heads = [
    tf.layers.dense({ units: 3, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
  ];
  norm = tf.layers.batchNormalization({ inputShape: [2] });
  scale = tf.tensor([1.5, 0.5], { requiresGrad: true });
  counts = tf.tensor([0, 0]);
  label = 'not a tensor';
  forward(x: Tensor): Tensor {
    let h = this.block.apply(x);
    for (const head of this.heads) h = this.layer(head, h);
    return tf.mul(this.layer(this.norm, h), this.scale);
  }
}

/** A Net whose layers (all given input shapes) are built: parameter discovery builds them. */
function builtNet(): Net {
  const net = new Net();
  net.parameters();
  return net;
}

const PARAM_NAMES = [
  'block.fc.kernel', 'block.fc.bias',
  'heads.0.kernel', 'heads.0.bias',
  'heads.1.kernel', 'heads.1.bias',
  'norm.gamma', 'norm.beta',
  'scale',
];
const ALL_NAMES = [
  'block.fc.kernel', 'block.fc.bias',
  'heads.0.kernel', 'heads.0.bias',
  'heads.1.kernel', 'heads.1.bias',
  'norm.gamma', 'norm.beta', 'norm.moving_mean', 'norm.moving_variance',
  'scale', 'counts',
];

describe('Module parameter discovery', () => {
  it('namedParameters finds layer weights, sub-module weights, list entries and raw parameters, with dotted names', () => {
    const net = new Net();
    const named = net.namedParameters();
    expect(named.map(([n]) => n)).toEqual(PARAM_NAMES);
    const byName = new Map(named);
    expect(byName.get('block.fc.kernel')).toBe(net.block.fc.kernel);
    expect(byName.get('heads.1.bias')).toBe(net.heads[1]!.bias);
    expect(byName.get('scale')).toBe(net.scale);
    expect(byName.get('block.fc.kernel')!.shape).toEqual([4, 3]);
  });

  it('parameters() is the trainable tensors in the same order; non-trainable ones are excluded', () => {
    const net = new Net();
    const params = net.parameters();
    expect(params).toEqual(net.namedParameters().map(([, t]) => t));
    expect(params).not.toContain(net.norm.movingMean);
    expect(params).not.toContain(net.counts);
    expect(params.every((p) => p.requiresGrad)).toBe(true);
  });

  it('frozen layers drop out of parameters()', () => {
    const net = new Net();
    net.heads[0]!.trainable = false;
    expect(net.namedParameters().map(([n]) => n)).toEqual(PARAM_NAMES.filter((n) => !n.startsWith('heads.0.')));
  });

  it('layers without an input shape appear once built by a forward pass', () => {
    class Lazy extends Module {
      fc = tf.layers.dense({ units: 2 });
      forward(x: Tensor): Tensor {
        return this.layer(this.fc, x);
      }
    }
    const m = new Lazy();
    expect(m.parameters()).toEqual([]);
    m.apply(tf.ones([1, 5]));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['fc.kernel', 'fc.bias']);
  });
});

describe('Module train/eval', () => {
  it('train() and eval() set the mode here and in every sub-module', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    expect(net.block.training).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.training).toBe(false);
    expect(net.block.training).toBe(false);
    net.train();
    expect(net.block.training).toBe(true);
    net.train(false);
    expect(net.block.training).toBe(false);
  });

  it('modules held in arrays are switched too', () => {
    class Outer extends Module {
      blocks = [new Block(), new Block()];
      forward(x: Tensor): Tensor {
        return this.blocks[1]!.apply(this.blocks[0]!.apply(x));
      }
    }
    const m = new Outer().eval();
    expect(m.blocks.map((b) => b.training)).toEqual([false, false]);
  });

  it('eval() makes dropout the identity; train() makes it drop and scale', () => {
    const block = new Block();
    const x = tf.tensor(seededValues(4 * 8, 1, 0.5, 1.5), [8, 4]);
    block.eval();
    const a = values(block.apply(x));
    const b = values(block.apply(x));
    expect(b).toEqual(a);
    expect(a).toEqual(values(block.fc.apply(x)));
    block.train();
    const t = values(block.apply(x));
    const dense = values(block.fc.apply(x));
    expect(t.some((v) => v === 0)).toBe(true);
    t.forEach((v, i) => {
      if (v !== 0) expect(v).toBeCloseTo(2 * dense[i]!, 5);
    });
  });

  it('eval() makes batch normalization use (and keep) its moving statistics', () => {
    const net = new Net();
    const x = tf.tensor(seededValues(4 * 6, 2), [6, 4]);
    net.eval();
    net.apply(x);
    expect(values(net.norm.movingMean!)).toEqual([0, 0]);
    net.train();
    net.apply(x);
    expect(values(net.norm.movingMean!)).not.toEqual([0, 0]);
  });
});

describe('Module state dicts', () => {
  it('stateDict has every weight by name, including non-trainable ones and raw buffers', () => {
    const net = new Net();
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(ALL_NAMES);
    expect(values(sd['block.fc.kernel']!)).toEqual(values(net.block.fc.kernel!));
    expect(sd['norm.moving_variance']!.shape).toEqual([2]);
    expect(sd['block.fc.kernel']!.requiresGrad).toBe(false);
  });

  it('stateDict entries are copies: later weight changes do not alter a saved state', () => {
    const net = new Net();
    const sd = net.stateDict();
    const saved = values(sd['block.fc.kernel']!);
    net.block.fc.setWeights([tf.zeros([4, 3]), tf.ones([3])]);
    expect(values(sd['block.fc.kernel']!)).toEqual(saved);
    expect(values(sd['block.fc.bias']!)).toEqual([0, 0, 0]);
  });

  it('loadStateDict restores values in place (same tensor objects) from another instance', () => {
    const a = builtNet();
    const b = builtNet();
    b.block.fc.setWeights([tf.ones([4, 3]), tf.tensor([1, 2, 3])]);
    const kernelBefore = a.block.fc.kernel;
    const scaleBefore = a.scale;
    a.loadStateDict(b.stateDict());
    expect(a.block.fc.kernel).toBe(kernelBefore);
    expect(a.scale).toBe(scaleBefore);
    for (const name of ALL_NAMES) {
      expect(values(a.stateDict()[name]!), name).toEqual(values(b.stateDict()[name]!));
    }
    const x = tf.tensor(seededValues(8, 3), [2, 4]);
    a.eval();
    b.eval();
    expect(values(a.apply(x))).toEqual(values(b.apply(x)));
  });

  it('a save / modify / restore cycle on the same module gets the saved values back', () => {
    const net = new Net();
    const saved = net.stateDict();
    const kernel = values(net.heads[0]!.kernel!);
    net.heads[0]!.setWeights([tf.zeros([3, 3]), tf.zeros([3])]);
    net.loadStateDict(saved);
    expect(values(net.heads[0]!.kernel!)).toEqual(kernel);
  });

  it('loadStateDict rejects a missing entry, naming it', () => {
    const net = new Net();
    const sd = net.stateDict();
    delete sd['norm.moving_mean'];
    expect(() => net.loadStateDict(sd)).toThrow(/loadStateDict: argument 'state' expected an entry 'norm.moving_mean'/);
  });

  it('loadStateDict rejects an unknown entry, listing the valid names', () => {
    const net = new Net();
    const sd = { ...net.stateDict(), 'block.fc.extra': tf.zeros([1]) };
    expect(() => net.loadStateDict(sd)).toThrow(/only names of this module \(block\.fc\.kernel, .*\), got 'block\.fc\.extra'/);
  });

  it('loadStateDict rejects a wrong shape, naming the entry and the expected shape', () => {
    const net = new Net();
    const sd = { ...net.stateDict(), 'heads.1.kernel': tf.zeros([2, 3]) };
    expect(() => net.loadStateDict(sd)).toThrow(/loadStateDict: argument 'heads\.1\.kernel' expected a tensor of shape \[3,2\], got Tensor\(float32, shape \[2,3\]\)/);
  });

  it('a rejected loadStateDict leaves every weight unchanged', () => {
    const net = builtNet();
    const before = values(net.block.fc.kernel!);
    const other = builtNet();
    other.block.fc.setWeights([tf.ones([4, 3]), tf.zeros([3])]);
    // Valid first entries, a bad shape last.
    const sd = { ...other.stateDict(), counts: tf.zeros([5]) };
    expect(() => net.loadStateDict(sd)).toThrow(/counts/);
    expect(values(net.block.fc.kernel!)).toEqual(before);
  });
});

describe('Module training', () => {
  it('zeroGrad clears the .grad of every parameter after backward()', () => {
    const net = new Net();
    tf.backward(tf.sum(net.apply(tf.tensor(seededValues(8, 4), [2, 4]))));
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('one SGD step with valueAndGrad gradients reduces the loss', () => {
    class Regressor extends Module {
      hidden = tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) });
      out = tf.layers.dense({ units: 1, inputShape: [8], kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) });
      bias = tf.tensor([0.5], { requiresGrad: true });
      forward(x: Tensor): Tensor {
        return tf.add(this.layer(this.out, this.layer(this.hidden, x)), this.bias);
      }
    }
    const m = new Regressor();
    const x = tf.tensor(seededValues(16 * 3, 7), [16, 3]);
    const y = tf.tensor(seededValues(16, 8), [16, 1]);
    const lossFn = () => tf.losses.meanSquaredError(y, m.apply(x)).mean();
    const params = m.parameters();
    expect(params).toHaveLength(5);
    const before = params.map(values);
    const { value, grads } = tf.valueAndGrad(() => lossFn())(params);
    expect(grads).toHaveLength(5);
    expect(grads.every((g, i) => g.shape.join() === params[i]!.shape.join())).toBe(true);
    const lr = 0.1;
    tf.optimizers.sgd({ learningRate: lr }).step(params, grads);
    // p <- p - lr * g, in place.
    params.forEach((p, i) => {
      const g = values(grads[i]!);
      values(p).forEach((v, j) => expect(v).toBeCloseTo(before[i]![j]! - lr * g[j]!, 5));
    });
    const after = lossFn().item();
    expect(after).toBeLessThan(value.item());
  });
});
