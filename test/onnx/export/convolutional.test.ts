// Export of convolution, pooling, upsampling and padding layers in both data formats, with the
// options that change the graph (padding, strides, dilation, groups), compared in onnxruntime.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { Layer, LayersModel } from '../../../src';
import { readOnnxModel } from '../../../src/onnx/read-model';
import { expectOnnxMatches, expectOnnxMatchesAtBatches, onnxOpTypes, randomizeWeights, seededTensor } from '../../helpers/onnx-roundtrip';

const seq = (inputShape: number[], layers: Layer[]): LayersModel => {
  const x = tf.input({ shape: inputShape });
  let y = x;
  for (const l of layers) y = l.apply(y);
  return tf.model({ inputs: x, outputs: y });
};

type Case = [label: string, inputShape: number[], make: () => Layer[]];

function runCases(cases: Case[]): void {
  for (const [label, shape, make] of cases) {
    it(label, async () => {
      await expectOnnxMatchesAtBatches(seq(shape, make()));
    });
  }
}

describe('exportOnnx: Conv2D', () => {
  runCases([
    ['channelsLast, valid', [7, 6, 3], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3 })]],
    ['same padding, stride 2, odd sizes (extra pad at the end)', [7, 8, 3], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })]],
    ['same padding, even kernel', [6, 5, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same' })]],
    ['kernel [3, 2], strides [2, 1]', [7, 6, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: [2, 1] })]],
    ['dilation 2, same', [8, 7, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' })]],
    ['dilation [2, 1], valid', [8, 7, 2], () => [tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: [2, 1] })]],
    ['groups 2', [6, 6, 4], () => [tf.layers.conv2d({ filters: 6, kernelSize: 3, groups: 2, padding: 'same' })]],
    ['no bias, relu', [6, 6, 3], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false, activation: 'relu' })]],
    ['softmax over the channels', [5, 5, 3], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'softmax' })]],
    ['channelsFirst, same, stride 2', [3, 7, 6], () => [tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', dataFormat: 'channelsFirst' })]],
    ['channelsFirst, softmax, groups 3', [3, 6, 6], () => [tf.layers.conv2d({ filters: 6, kernelSize: 3, groups: 3, dataFormat: 'channelsFirst', activation: 'softmax' })]],
  ]);

  it('channels-first needs no transposes', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([3, 6, 6], [tf.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' })]));
    expect(onnxOpTypes(bytes)).toEqual(['Conv']);
  });

  it('a channels-last CNN keeps NHWC at its edges and cancels the transposes between layers', async () => {
    const m = seq([8, 8, 3], [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({}),
      tf.layers.conv2d({ filters: 5, kernelSize: 3 }),
      tf.layers.zeroPadding2d({ padding: 1 }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    const { bytes } = await expectOnnxMatchesAtBatches(m);
    const ops = onnxOpTypes(bytes);
    // One transpose in (NHWC -> NCHW) and one before Flatten (Keras flattens NHWC order).
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
    expect(ops[0]).toBe('Transpose');
    const graph = readOnnxModel(bytes).graph;
    expect(graph.inputs[0]!.shape).toEqual(['batch', 8, 8, 3]);
  });
});

describe('exportOnnx: DepthwiseConv2D and SeparableConv2D', () => {
  runCases([
    ['depthwise, depthMultiplier 2, same, stride 2', [7, 6, 3], () => [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })]],
    ['depthwise, valid, dilation 2', [8, 8, 2], () => [tf.layers.depthwiseConv2d({ kernelSize: 3, dilationRate: 2 })]],
    ['depthwise, channelsFirst', [3, 6, 6], () => [tf.layers.depthwiseConv2d({ kernelSize: 3, dataFormat: 'channelsFirst', activation: 'relu' })]],
    ['separable, depthMultiplier 2, same', [6, 7, 3], () => [tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same' })]],
    ['separable, stride 2, dilation 1, no bias', [7, 7, 2], () => [tf.layers.separableConv2d({ filters: 3, kernelSize: 3, strides: 2, useBias: false })]],
    ['separable, dilation 2, channelsFirst, tanh', [2, 8, 8], () => [tf.layers.separableConv2d({ filters: 3, kernelSize: 3, dilationRate: 2, dataFormat: 'channelsFirst', activation: 'tanh' })]],
  ]);
});

describe('exportOnnx: Conv2DTranspose', () => {
  runCases([
    ['valid, stride 2', [4, 5, 3], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 })]],
    ['same, stride 2, kernel 3 (asymmetric pads)', [4, 5, 3], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' })]],
    ['same, stride 2, kernel 4', [3, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' })]],
    ['same, stride 3, kernel 2 (output_padding)', [3, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same' })]],
    ['same, stride 1', [4, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 'same' })]],
    ['dilation 2, valid', [4, 4, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2 })]],
    ['strides [2, 1], kernel [3, 2], same, no bias', [4, 5, 2], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [2, 1], padding: 'same', useBias: false })]],
    ['channelsFirst, same, stride 2, relu', [3, 4, 5], () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', dataFormat: 'channelsFirst', activation: 'relu' })]],
  ]);
});

describe('exportOnnx: Conv1D', () => {
  runCases([
    ['valid', [7, 3], () => [tf.layers.conv1d({ filters: 4, kernelSize: 3 })]],
    ['same, stride 2', [8, 3], () => [tf.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })]],
    ['dilation 2, same', [9, 2], () => [tf.layers.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' })]],
    ['groups 2, no bias', [6, 4], () => [tf.layers.conv1d({ filters: 4, kernelSize: 2, groups: 2, useBias: false })]],
    ['channelsFirst, elu', [3, 7], () => [tf.layers.conv1d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', activation: 'elu' })]],
    ['softmax over the channels, channelsLast', [6, 3], () => [tf.layers.conv1d({ filters: 4, kernelSize: 3, activation: 'softmax' })]],
  ]);
});

describe('exportOnnx: pooling', () => {
  runCases([
    ['MaxPooling2D default (2x2, stride 2), odd input', [7, 6, 3], () => [tf.layers.maxPooling2d({})]],
    ['MaxPooling2D 3x3 stride 2 same', [7, 8, 2], () => [tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })]],
    ['MaxPooling2D [3, 2] stride 1 valid', [5, 5, 2], () => [tf.layers.maxPooling2d({ poolSize: [3, 2], strides: 1 })]],
    ['MaxPooling2D channelsFirst same', [2, 5, 7], () => [tf.layers.maxPooling2d({ poolSize: 2, padding: 'same', dataFormat: 'channelsFirst' })]],
    ['AveragePooling2D default', [6, 6, 3], () => [tf.layers.averagePooling2d({})]],
    ['AveragePooling2D 3x3 stride 2 same (padding not counted)', [7, 8, 2], () => [tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })]],
    ['AveragePooling2D same stride 1', [4, 5, 2], () => [tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' })]],
    ['AveragePooling2D channelsFirst same', [2, 5, 7], () => [tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', dataFormat: 'channelsFirst' })]],
    ['GlobalAveragePooling2D', [4, 5, 3], () => [tf.layers.globalAveragePooling2d()]],
    ['GlobalAveragePooling2D keepDims', [4, 5, 3], () => [tf.layers.globalAveragePooling2d({ keepDims: true })]],
    ['GlobalAveragePooling2D channelsFirst', [3, 4, 5], () => [tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' })]],
    ['GlobalMaxPooling2D', [4, 5, 3], () => [tf.layers.globalMaxPooling2d()]],
    ['GlobalMaxPooling2D channelsFirst keepDims', [3, 4, 5], () => [tf.layers.globalMaxPooling2d({ dataFormat: 'channelsFirst', keepDims: true })]],
  ]);
});

describe('exportOnnx: UpSampling2D and ZeroPadding2D', () => {
  runCases([
    ['UpSampling2D nearest 2x', [3, 4, 2], () => [tf.layers.upSampling2d({})]],
    ['UpSampling2D nearest [2, 3]', [3, 4, 2], () => [tf.layers.upSampling2d({ size: [2, 3] })]],
    ['UpSampling2D bilinear 2x', [3, 4, 2], () => [tf.layers.upSampling2d({ interpolation: 'bilinear' })]],
    ['UpSampling2D bilinear [3, 2]', [3, 4, 2], () => [tf.layers.upSampling2d({ size: [3, 2], interpolation: 'bilinear' })]],
    ['UpSampling2D channelsFirst bilinear', [2, 3, 4], () => [tf.layers.upSampling2d({ size: 2, interpolation: 'bilinear', dataFormat: 'channelsFirst' })]],
    ['ZeroPadding2D symmetric', [3, 4, 2], () => [tf.layers.zeroPadding2d({ padding: 2 })]],
    ['ZeroPadding2D [[1, 0], [2, 1]]', [3, 4, 2], () => [tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] })]],
    ['ZeroPadding2D channelsFirst [1, 2]', [2, 3, 4], () => [tf.layers.zeroPadding2d({ padding: [1, 2], dataFormat: 'channelsFirst' })]],
  ]);
});

describe('exportOnnx: images of unknown size', () => {
  it("'same' padding falls back to auto_pad SAME_UPPER, which matches at every size", async () => {
    const x = tf.input({ shape: [null as unknown as number, null as unknown as number, 2] });
    let y = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x);
    y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(y);
    y = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(y);
    y = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }).apply(y);
    y = tf.layers.globalAveragePooling2d().apply(tf.layers.upSampling2d({ interpolation: 'bilinear' }).apply(y));
    const m = tf.model({ inputs: x, outputs: y });
    randomizeWeights(m, 2);
    const { bytes } = await expectOnnxMatches(m, [seededTensor([1, 7, 9, 2], 1), seededTensor([3, 8, 5, 2], 2), seededTensor([2, 11, 11, 2], 3)]);
    const conv = readOnnxModel(bytes).graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attributes['auto_pad']).toBe('SAME_UPPER');
  });
});
