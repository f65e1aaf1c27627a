import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Layer, type LayerArgs, type Tensor } from '../../src';
import { deserializeLayer } from '../../src/layers/registry';
import { values } from '../helpers/layer-check';

/** A minimal custom layer: y = x * scale (one trainable weight of the feature size). */
class ScaleByVector extends Layer {
  readonly className = 'ScaleByVector';
  scale: Tensor | null = null;
  builds = 0;
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  override build(shape: (number | null)[]): void {
    this.builds++;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], tf.initializers.constant({ value: 2 }));
  }
  call(x: Tensor): Tensor {
    return tf.mul(x, this.scale!);
  }
}

function builtDense(units = 3, inDim = 2): ReturnType<typeof tf.layers.dense> {
  const layer = tf.layers.dense({ units });
  layer.apply(tf.zeros([1, inDim]));
  return layer;
}

describe('Layer names', () => {
  it('default names are unique and snake_case of the kind', () => {
    const a = tf.layers.dense({ units: 1 });
    const b = tf.layers.dense({ units: 1 });
    expect(a.name).not.toBe(b.name);
    expect(a.name).toMatch(/^dense(_\d+)?$/);
    expect(b.name).toMatch(/^dense_\d+$/);
    expect(tf.layers.batchNormalization().name).toMatch(/^batch_normalization(_\d+)?$/);
    expect(new ScaleByVector().name).toMatch(/^scale_by_vector(_\d+)?$/);
    const names = new Set(Array.from({ length: 20 }, () => tf.layers.flatten().name));
    expect(names.size).toBe(20);
  });

  it('an explicit name is used as is; an empty name is rejected', () => {
    expect(tf.layers.dense({ units: 1, name: 'head' }).name).toBe('head');
    expect(() => tf.layers.dense({ units: 1, name: '' })).toThrow(/argument 'name' expected a non-empty string/);
  });
});

describe('Layer building and shapes', () => {
  it('builds once on first apply and records the batch input shape', () => {
    const layer = new ScaleByVector();
    expect(layer.built).toBe(false);
    expect(layer.weights).toHaveLength(0);
    const y = layer.apply(tf.tensor([[1, 2, 3]]));
    expect(values(y)).toEqual([2, 4, 6]);
    layer.apply(tf.tensor([[1, 1, 1], [2, 2, 2]]));
    expect(layer.builds).toBe(1);
    expect(layer.built).toBe(true);
    expect(layer.batchInputShape).toEqual([null, 3]);
  });

  it('inputShape, batchSize, batchInputShape and inputDim set batchInputShape', () => {
    expect(tf.layers.dense({ units: 1, inputShape: [4] }).batchInputShape).toEqual([null, 4]);
    expect(tf.layers.dense({ units: 1, inputShape: [4], batchSize: 8 }).batchInputShape).toEqual([8, 4]);
    expect(tf.layers.dense({ units: 1, batchInputShape: [2, 5] }).batchInputShape).toEqual([2, 5]);
    expect(tf.layers.dense({ units: 1, inputDim: 6 }).batchInputShape).toEqual([null, 6]);
    expect(() => tf.layers.dense({ units: 1, inputShape: [-1] })).toThrow(/inputShape/);
    expect(() => tf.layers.dense({ units: 1, inputShape: [2.5] })).toThrow(/non-negative integers/);
  });

  it('toString names the class, the layer and its input shape', () => {
    expect(String(tf.layers.dense({ units: 1, inputShape: [4], name: 'd0' }))).toBe('Dense(d0, input [null,4])');
  });

  it('apply rejects an empty list and a mix of tensors and symbolic tensors', () => {
    const layer = new ScaleByVector();
    expect(() => layer.apply([] as Tensor[])).toThrow(/at least one input/);
    const mixed = [tf.input({ shape: [2] }), tf.zeros([1, 2])] as unknown as Tensor[];
    expect(() => layer.apply(mixed)).toThrow(/not a mix/);
  });

  it('a layer first built inside valueAndGrad keeps usable weights afterwards', () => {
    const layer = tf.layers.dense({ units: 2 });
    const x = tf.tensor([[1, 2, 3]]);
    tf.valueAndGrad((xx: Tensor) => tf.sum(layer.apply(xx)))(x);
    expect(layer.kernel!.isDisposed).toBe(false);
    expect(layer.bias!.isDisposed).toBe(false);
    expect(() => layer.apply(x)).not.toThrow();
  });

  it('a layer first built inside tidy keeps usable weights afterwards', () => {
    const layer = new ScaleByVector();
    tf.tidy(() => {
      layer.apply(tf.ones([1, 2]));
    });
    expect(layer.scale!.isDisposed).toBe(false);
    expect(values(layer.apply(tf.ones([1, 2])))).toEqual([2, 2]);
  });
});

describe('trainable', () => {
  it('trainable = false moves weights to nonTrainableWeights and turns requiresGrad off; true restores', () => {
    const layer = builtDense();
    expect(layer.trainableWeights).toEqual([layer.kernel, layer.bias]);
    expect(layer.kernel!.requiresGrad).toBe(true);
    layer.trainable = false;
    expect(layer.trainable).toBe(false);
    expect(layer.trainableWeights).toEqual([]);
    expect(layer.nonTrainableWeights).toEqual([layer.kernel, layer.bias]);
    expect(layer.kernel!.requiresGrad).toBe(false);
    expect(layer.bias!.requiresGrad).toBe(false);
    expect(layer.getConfig()['trainable']).toBe(false);
    layer.trainable = true;
    expect(layer.trainableWeights).toEqual([layer.kernel, layer.bias]);
    expect(layer.kernel!.requiresGrad).toBe(true);
  });

  it('a frozen layer gets no gradient for its weights', () => {
    const layer = builtDense();
    layer.trainable = false;
    const x = tf.tensor([[1, 2]], { requiresGrad: true });
    tf.backward(tf.sum(layer.apply(x)));
    expect(layer.kernel!.grad).toBeNull();
    expect(x.grad).not.toBeNull();
  });

  it('layers constructed with trainable: false create frozen weights', () => {
    const layer = tf.layers.dense({ units: 2, trainable: false });
    layer.apply(tf.zeros([1, 3]));
    expect(layer.trainableWeights).toEqual([]);
    expect(layer.kernel!.requiresGrad).toBe(false);
  });

  it('unfreezing batch normalization keeps the moving statistics non-trainable', () => {
    const bn = tf.layers.batchNormalization();
    bn.apply(tf.zeros([2, 3]));
    bn.trainable = false;
    expect(bn.trainableWeights).toEqual([]);
    expect(bn.nonTrainableWeights).toHaveLength(4);
    bn.trainable = true;
    expect(bn.trainableWeights).toEqual([bn.gamma, bn.beta]);
    expect(bn.movingMean!.requiresGrad).toBe(false);
    expect(bn.movingVariance!.requiresGrad).toBe(false);
  });
});

describe('getWeights / setWeights / countParams', () => {
  it('getWeights returns copies: mutating them does not change the layer', () => {
    const layer = builtDense();
    const before = values(layer.kernel!);
    const copies = layer.getWeights();
    expect(copies).toHaveLength(2);
    expect(copies[0]).not.toBe(layer.kernel);
    expect(copies[0]!.requiresGrad).toBe(false);
    expect(values(copies[0]!)).toEqual(before);
    copies[0]!.dataSync()[0] = 999;
    copies[1]!.dataSync().fill(7);
    expect(values(layer.kernel!)).toEqual(before);
    expect(values(layer.bias!)).toEqual([0, 0, 0]);
  });

  it('setWeights overwrites in place and copies its inputs', () => {
    const layer = builtDense();
    const kernel = layer.kernel;
    const k = tf.tensor([[1, 2, 3], [4, 5, 6]]);
    layer.setWeights([k, tf.tensor([0.5, 0.5, 0.5])]);
    expect(layer.kernel).toBe(kernel);
    expect(values(layer.kernel!)).toEqual([1, 2, 3, 4, 5, 6]);
    k.dataSync()[0] = -100;
    expect(values(layer.kernel!)[0]).toBe(1);
    expect(values(layer.apply(tf.tensor([[1, 1]])))).toEqual([5.5, 7.5, 9.5]);
  });

  it('setWeights accepts non-contiguous views (a transposed kernel)', () => {
    const layer = builtDense();
    layer.setWeights([tf.transpose(tf.tensor([[1, 2], [3, 4], [5, 6]])), tf.zeros([3])]);
    expect(values(layer.kernel!)).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('setWeights rejects a wrong count with a clear error', () => {
    const layer = builtDense();
    expect(() => layer.setWeights([tf.zeros([2, 3])])).toThrow(new RegExp(`${layer.name}\\.setWeights: argument 'weights' expected 2 tensors`));
    expect(() => layer.setWeights([tf.zeros([2, 3]), tf.zeros([3]), tf.zeros([3])])).toThrow(/expected 2 tensors/);
  });

  it('setWeights rejects a wrong shape, naming the weight and both shapes', () => {
    const layer = builtDense();
    expect(() => layer.setWeights([tf.zeros([3, 2]), tf.zeros([3])])).toThrow(
      /argument 'weights\[0\] \(kernel\)' expected shape \[2,3\], got Tensor\(float32, shape \[3,2\]\)/,
    );
    expect(() => layer.setWeights([tf.zeros([2, 3]), tf.zeros([4])])).toThrow(/weights\[1\] \(bias\)' expected shape \[3\]/);
    expect(() => layer.setWeights([tf.zeros([2, 3]), [0, 0, 0] as unknown as Tensor])).toThrow(/weights\[1\] \(bias\)/);
  });

  it('a failed setWeights leaves the earlier weights untouched', () => {
    const layer = builtDense();
    const before = values(layer.kernel!);
    expect(() => layer.setWeights([tf.ones([2, 3]), tf.zeros([5])])).toThrow();
    expect(values(layer.kernel!)).toEqual(before);
  });

  it('countParams sums every weight, trainable or not', () => {
    expect(builtDense(3, 2).countParams()).toBe(9);
    const bn = tf.layers.batchNormalization();
    bn.apply(tf.zeros([1, 5]));
    expect(bn.countParams()).toBe(20);
    expect(tf.layers.dense({ units: 3 }).countParams()).toBe(0);
  });
});

describe('custom layers', () => {
  it('registerLayer makes a custom class deserializable', () => {
    tf.registerLayer('ScaleByVector', ScaleByVector as unknown as new (config: never) => Layer);
    const layer = new ScaleByVector({ name: 'sv', inputShape: [3] });
    const rebuilt = deserializeLayer('ScaleByVector', layer.getConfig());
    expect(rebuilt).toBeInstanceOf(ScaleByVector);
    expect(rebuilt.name).toBe('sv');
    expect(rebuilt.batchInputShape).toEqual([null, 3]);
  });
});
