import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { deserializeLayer } from '../../src/layers/registry';
import { expectClose } from '../helpers/compare';

describe('convolutional and pooling layers', () => {
  it('infer output shapes symbolically and match what they compute', () => {
    const cases: [tf.Layer, number[]][] = [
      [tf.layers.conv2d({ filters: 4, kernelSize: 3 }), [2, 9, 8, 3]],
      [tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' }), [2, 9, 8, 3]],
      [tf.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst', dilationRate: 2 }), [2, 3, 9, 8]],
      [tf.layers.conv2d({ filters: 4, kernelSize: 3, groups: 2 }), [1, 6, 6, 2]],
      [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), [1, 6, 6, 3]],
      [tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: 'same' }), [2, 7, 4]],
      [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 }), [1, 4, 5, 3]],
      [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), [1, 4, 5, 3]],
      [tf.layers.maxPooling2d({ poolSize: 2 }), [2, 7, 6, 3]],
      [tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), [2, 7, 6, 3]],
      [tf.layers.globalAveragePooling2d(), [2, 5, 4, 3]],
      [tf.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst' }), [2, 3, 5, 4]],
      [tf.layers.upSampling2d({ size: [2, 3] }), [1, 2, 3, 4]],
      [tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), [1, 2, 3, 4]],
    ];
    for (const [layer, shape] of cases) {
      const sym = layer.apply(tf.input({ shape: shape.slice(1) }));
      const out = layer.apply(tf.randn(shape)) as tf.Tensor;
      expect(sym.shape.slice(1), layer.className).toEqual(out.shape.slice(1));
    }
  });

  it('Conv2D computes the conv2d op with its kernel, bias and activation', () => {
    const layer = tf.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' });
    const x = tf.randn([1, 4, 4, 3]);
    layer.apply(x);
    const w = tf.randn([2, 2, 3, 2]);
    const b = tf.tensor([0.5, -0.5]);
    layer.setWeights([w, b]);
    const expected = tf.relu(tf.conv2d(x, w, { bias: b }));
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected.dataSync()));
    const first = tf.layers.conv2d({ filters: 2, kernelSize: 2, dataFormat: 'channelsFirst' });
    const xc = x.permute([0, 3, 1, 2]);
    first.apply(xc);
    first.setWeights([w, tf.zeros([2])]);
    const yc = (first.apply(xc) as tf.Tensor).permute([0, 2, 3, 1]);
    const yl = tf.conv2d(x, w);
    const d = tf.max(tf.abs(tf.sub(yc, yl))).item();
    expect(d).toBeLessThan(1e-5);
  });

  it('round-trips configs and rejects bad options', () => {
    for (const l of [
      tf.layers.conv2d({ filters: 3, kernelSize: [3, 1], strides: [1, 2], padding: 'same', activation: 'tanh' }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 1 }),
      tf.layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
    ]) {
      const again = deserializeLayer(l.className, l.getConfig());
      expect(again.getConfig()).toEqual({ ...l.getConfig(), name: again.name });
    }
    expect(() => tf.layers.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/conv2d: argument 'filters'/);
    expect(() => tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as 'same' })).toThrow(/padding/);
    expect(() => tf.layers.conv2d({ filters: 3, kernelSize: 3, groups: 2 })).toThrow(/groups/);
    const tooBig = tf.layers.conv2d({ filters: 1, kernelSize: 5 });
    expect(() => tooBig.apply(tf.zeros([1, 3, 3, 1]))).toThrow(/conv2d/);
  });

  it('trains the tutorial CNN on an MNIST subset and survives save/load', async () => {
    tf.manualSeed(3);
    const { train, test } = tf.datasets.mnist({ trainSize: 1500, testSize: 500 });
    const model = tf.sequential([
      tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.images, train.labels, { epochs: 3, batchSize: 64, verbose: 0 });
    const { accuracy } = await model.evaluate(test.images, test.labels);
    expect(accuracy).toBeGreaterThan(0.8);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cnn-'));
    await model.save(dir);
    const loaded = await tf.loadModel(dir);
    const a = (await model.predict(test.images)) as tf.Tensor;
    const b = (await loaded.predict(test.images)) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  });

  describe('SeparableConv2D', () => {
    it('equals a depthwise conv2d (groups = in) followed by a pointwise conv2d', () => {
      const layer = tf.layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', dilationRate: 1, activation: 'relu' });
      const x = tf.randn([2, 7, 6, 3]);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 4, 3, 5]);
      expect(layer.weightsInfo.map((w) => [w.name, w.value.shape])).toEqual([
        ['depthwise_kernel', [3, 3, 3, 2]], ['pointwise_kernel', [1, 1, 6, 5]], ['bias', [5]],
      ]);
      const [dk, pk] = layer.getWeights() as [tf.Tensor, tf.Tensor];
      const b = tf.randn([5]);
      layer.setWeights([dk, pk, b]);
      // Channel c * dm + m of the depthwise stage is input channel c's m-th filter.
      const mid = tf.conv2d(x, dk.reshape([3, 3, 1, 6]), { strides: 2, padding: 'same', groups: 3 });
      const expected = tf.relu(tf.conv2d(mid, pk, { bias: b }));
      expectClose(layer.apply(x) as tf.Tensor, expected, 1e-5, 1e-6, 'separable');
      // The same per-channel computation by hand for one input channel's filter.
      const c1 = tf.conv2d(tf.slice(x, [0, 0, 0, 1], [2, 7, 6, 1]), tf.slice(dk, [0, 0, 1, 1], [3, 3, 1, 1]), { strides: 2, padding: 'same' });
      expectClose(tf.slice(mid, [0, 0, 0, 3], [2, 4, 3, 1]), c1, 1e-5, 1e-6, 'depthwise channel order');
    });

    it('supports channelsFirst and dilation, symbolically and eagerly', () => {
      const last = tf.layers.separableConv2d({ filters: 4, kernelSize: [3, 2], dilationRate: 2 });
      const first = tf.layers.separableConv2d({ filters: 4, kernelSize: [3, 2], dilationRate: 2, dataFormat: 'channelsFirst' });
      const x = tf.randn([1, 9, 8, 2]);
      const yl = last.apply(x) as tf.Tensor;
      first.apply(x.permute([0, 3, 1, 2]));
      first.setWeights(last.getWeights());
      const yc = (first.apply(x.permute([0, 3, 1, 2])) as tf.Tensor).permute([0, 2, 3, 1]);
      expectClose(yc.contiguous(), yl, 1e-5, 1e-6, 'channelsFirst');
      const sym = last.apply(tf.input({ shape: [9, 8, 2] }));
      expect(sym.shape.slice(1)).toEqual(yl.shape.slice(1));
    });

    it('round-trips its config, rejects bad options and trains', async () => {
      const l = tf.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 3, padding: 'same', useBias: false, activation: 'tanh' });
      const again = deserializeLayer(l.className, l.getConfig());
      expect(again.getConfig()).toEqual({ ...l.getConfig(), name: again.name });
      expect(l.getConfig()).not.toHaveProperty('groups');
      expect(() => tf.layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 0 })).toThrow(/depthMultiplier/);

      tf.manualSeed(3);
      const model = tf.sequential([
        tf.layers.separableConv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 2], activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1 }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const xs = tf.randn([32, 6, 6, 2]);
      const ys = tf.mean(xs, [1, 2, 3]).reshape([32, 1]);
      const before = (await model.evaluate(xs, ys))['loss']!;
      await model.fit(xs, ys, { epochs: 30, batchSize: 8, verbose: 0 });
      const after = (await model.evaluate(xs, ys))['loss']!;
      expect(after).toBeLessThan(before * 0.5);

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-sepconv-'));
      await model.save(dir);
      const loaded = await tf.loadModel(dir);
      expectClose(loaded.predictOnBatch(xs) as tf.Tensor, model.predictOnBatch(xs) as tf.Tensor, 1e-6, 1e-7, 'loaded');
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
