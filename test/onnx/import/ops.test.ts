// Every supported ONNX operator (and the attribute/opset variants that change its meaning) against
// onnxruntime-node on the same tiny graph and inputs.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import { importOnnx } from '../../../src/onnx/import';
import { tensor } from '../../../src/ops/creation';
import { transpose } from '../../../src/ops/views';
import type { Tensor } from '../../../src/tensor/tensor';
import { type GraphSpec, buildOnnx, runOrt } from '../../helpers/onnx-graph';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  name: string;
  graph: GraphSpec;
  /** Concrete shapes for the graph inputs (defaults to the declared shape with 'N' = 2). */
  feeds?: Record<string, number[]>;
  /** Input values: 'signed' in [-2, 2) (default), 'positive' in [0.5, 2.5), 'wide' in [-6, 6) (saturating ranges). */
  range?: 'signed' | 'positive' | 'wide';
  tol?: number;
}

const x4 = (name = 'x', c = 3, h = 6, w = 5) => ({ name, shape: ['N', c, h, w] as (number | string)[] });
const W = (name: string, shape: number[], seed = 1): { name: string; shape: number[]; data: number[] } => {
  const r = rng(seed);
  return { name, shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5) };
};
const I64 = (name: string, data: number[], shape = [data.length]) => ({ name, shape, data, dtype: 'int64' as const });
const one = (op: string, inputs: GraphSpec['inputs'], attrs: GraphSpec['nodes'][0]['attrs'] = {}, extra: Partial<GraphSpec> = {}, nodeInputs?: string[]): GraphSpec => ({
  inputs,
  outputs: ['y'],
  nodes: [{ op, inputs: nodeInputs ?? [...inputs.map((i) => i.name), ...(extra.initializers ?? []).map((t) => t.name)], outputs: ['y'], attrs }],
  ...extra,
});
const vec = (name = 'x', shape: (number | string)[] = ['N', 4, 5]) => ({ name, shape });

/** GridSample (opset 16) with points inside and outside [-1, 1], in every mode and padding. */
function gridSampleCases(): Case[] {
  const forms: [string, string, number][] = [
    ['bilinear', 'zeros', 0], ['bilinear', 'zeros', 1], ['bilinear', 'border', 0], ['bilinear', 'reflection', 0],
    ['bilinear', 'reflection', 1], ['nearest', 'zeros', 0], ['nearest', 'border', 1], ['nearest', 'reflection', 0],
  ];
  return forms.map(([mode, padding, align]) => ({
    name: `GridSample ${mode}, ${padding} padding, align_corners ${align}`,
    graph: {
      opset: 16, inputs: [vec('x', [2, 3, 5, 6])], outputs: ['y'],
      initializers: [W('g', [2, 4, 3, 2], 61 + align), { name: 'k', shape: [], data: [2.7] }],
      nodes: [
        { op: 'Mul', inputs: ['g', 'k'], outputs: ['grid'] },
        { op: 'GridSample', inputs: ['x', 'grid'], outputs: ['y'], attrs: { mode, padding_mode: padding, align_corners: align } },
      ],
    },
  }));
}

/** Resize to sizes and scales that are not whole-number upsampling, in every mode and coordinate form. */
function resizeCases(): Case[] {
  const sized = (name: string, sizes: number[], attrs: GraphSpec['nodes'][0]['attrs']): Case => ({
    name, graph: { inputs: [x4()], outputs: ['y'], initializers: [I64('sz', sizes)],
      nodes: [{ op: 'Resize', inputs: ['x', '', '', 'sz'], outputs: ['y'], attrs }] },
  });
  const scaled = (name: string, scales: number[], attrs: GraphSpec['nodes'][0]['attrs']): Case => ({
    name, graph: { inputs: [x4()], outputs: ['y'], initializers: [{ name: 's', shape: [4], data: scales }],
      nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], attrs }] },
  });
  return [
    sized('Resize linear to sizes (PyTorch interpolate size=)', [2, 3, 7, 9], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }),
    sized('Resize linear align_corners down and up', [2, 3, 4, 8], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }),
    sized('Resize linear pytorch_half_pixel to one row', [2, 3, 1, 7], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }),
    scaled('Resize cubic half_pixel x2', [1, 1, 2, 2], { mode: 'cubic', cubic_coeff_a: -0.75 }),
    scaled('Resize cubic asymmetric x1.5, a = -0.5', [1, 1, 1.5, 1.5], { mode: 'cubic', coordinate_transformation_mode: 'asymmetric', cubic_coeff_a: -0.5 }),
    sized('Resize nearest down (PyTorch nearest: asymmetric floor)', [2, 3, 4, 3], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }),
    sized('Resize nearest half_pixel round_prefer_ceil', [2, 3, 9, 7], { mode: 'nearest', nearest_mode: 'round_prefer_ceil' }),
    sized('Resize nearest align_corners ceil', [2, 3, 11, 4], { mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'ceil' }),
    { name: 'Conv, Resize linear to sizes, Conv (channels-last plan region)', graph: {
      inputs: [x4()], outputs: ['y'], initializers: [W('w1', [4, 3, 3, 3], 31), W('w2', [2, 4, 1, 1], 32), I64('sz', [2, 4, 9, 7])],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Resize', inputs: ['c', '', '', 'sz'], outputs: ['r'], attrs: { mode: 'linear' } },
        { op: 'Conv', inputs: ['r', 'w2'], outputs: ['y'] },
      ] } },
  ];
}

const CASES: Case[] = [
  // Elementwise and activations
  { name: 'Add broadcast', graph: one('Add', [vec('a'), vec('b', [5])]) },
  { name: 'Sub', graph: one('Sub', [vec('a'), vec('b')]) },
  { name: 'Mul broadcast', graph: one('Mul', [vec('a'), vec('b', [4, 1])]) },
  { name: 'Div', graph: one('Div', [vec('a'), vec('b')]), range: 'positive' },
  { name: 'Pow', graph: one('Pow', [vec('a'), vec('b')]), range: 'positive' },
  { name: 'Sqrt', graph: one('Sqrt', [vec()]), range: 'positive' },
  { name: 'Neg', graph: one('Neg', [vec()]) },
  { name: 'Exp', graph: one('Exp', [vec()]) },
  { name: 'Log', graph: one('Log', [vec()]), range: 'positive' },
  { name: 'Abs', graph: one('Abs', [vec()]) },
  { name: 'Reciprocal', graph: one('Reciprocal', [vec()]), range: 'positive' },
  { name: 'Erf', graph: one('Erf', [vec()]) },
  { name: 'Relu', graph: one('Relu', [vec()]) },
  { name: 'LeakyRelu', graph: one('LeakyRelu', [vec()], { alpha: 0.1 }) },
  { name: 'Sigmoid', graph: one('Sigmoid', [vec()]) },
  { name: 'Tanh', graph: one('Tanh', [vec()]) },
  { name: 'Elu', graph: one('Elu', [vec()], { alpha: 0.7 }) },
  { name: 'Selu', graph: one('Selu', [vec()]) },
  { name: 'Softplus', graph: one('Softplus', [vec()]) },
  { name: 'Softsign', graph: one('Softsign', [vec()]) },
  { name: 'HardSigmoid', graph: one('HardSigmoid', [vec()], { alpha: 0.3, beta: 0.4 }) },
  { name: 'HardSigmoid (default alpha, beta)', graph: one('HardSigmoid', [vec()]), range: 'wide' },
  { name: 'Selu alpha, gamma', graph: one('Selu', [vec()], { alpha: 1.3, gamma: 0.8 }) },
  { name: 'HardSwish (opset 14)', graph: { ...one('HardSwish', [vec()]), opset: 14 }, range: 'wide' },
  { name: 'Mish (opset 18)', graph: { ...one('Mish', [vec()]), opset: 18 }, range: 'wide' },
  { name: 'Softsign (wide)', graph: one('Softsign', [vec()]), range: 'wide' },
  { name: 'Sign', graph: one('Sign', [vec()]) },
  { name: 'Gelu (opset 20)', graph: { ...one('Gelu', [vec()]), opset: 20 } },
  { name: 'Clip (opset 10 attributes)', graph: { ...one('Clip', [vec()], { min: -0.5, max: { float: 1 } }), opset: 10 } },
  { name: 'Clip (min input only)', graph: { inputs: [vec()], outputs: ['y'], initializers: [{ name: 'lo', shape: [], data: [-0.25] }],
    nodes: [{ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'] }] } },
  { name: 'Softmax (opset 13, axis 1)', graph: { ...one('Softmax', [vec()], { axis: 1 }), opset: 13 } },
  { name: 'Softmax (opset 11 coerces to 2-D)', graph: { ...one('Softmax', [vec()], { axis: 1 }), opset: 11 } },
  { name: 'LogSoftmax', graph: one('LogSoftmax', [vec()]) },
  { name: 'Max/Min/Sum/Mean', graph: {
    inputs: [vec('a'), vec('b'), vec('c', [5])], outputs: ['y'],
    nodes: [
      { op: 'Max', inputs: ['a', 'b', 'c'], outputs: ['m'] }, { op: 'Min', inputs: ['a', 'c'], outputs: ['n'] },
      { op: 'Sum', inputs: ['m', 'n', 'b'], outputs: ['s'] }, { op: 'Mean', inputs: ['s', 'a'], outputs: ['y'] },
    ] } },
  { name: 'Clip (inputs)', graph: { inputs: [vec()], outputs: ['y'], initializers: [{ name: 'lo', shape: [], data: [-0.5] }, { name: 'hi', shape: [], data: [0.7] }],
    nodes: [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }] } },
  { name: 'Where + Greater', graph: { inputs: [vec('a'), vec('b')], outputs: ['y'],
    nodes: [{ op: 'Greater', inputs: ['a', 'b'], outputs: ['g'] }, { op: 'Where', inputs: ['g', 'a', 'b'], outputs: ['y'] }] } },
  { name: 'GreaterOrEqual/LessOrEqual/And/Or/Not + Where', graph: { inputs: [vec('a'), vec('b')], outputs: ['y'], nodes: [
    { op: 'GreaterOrEqual', inputs: ['a', 'b'], outputs: ['ge'] }, { op: 'LessOrEqual', inputs: ['a', 'b'], outputs: ['le'] },
    { op: 'Greater', inputs: ['a', 'b'], outputs: ['gt'] }, { op: 'Not', inputs: ['gt'], outputs: ['ngt'] },
    { op: 'And', inputs: ['ge', 'ngt'], outputs: ['eq'] }, { op: 'Or', inputs: ['eq', 'le'], outputs: ['c'] },
    { op: 'Where', inputs: ['c', 'a', 'b'], outputs: ['y'] }] } },
  { name: 'Range (from the batch size) + Cast + Add', graph: { inputs: [vec('x', ['N', 3])], outputs: ['y'], opset: 13,
    initializers: [I64('zero', [0], []), I64('one', [1], []), I64('ax', [1])],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Range', inputs: ['zero', 'n', 'one'], outputs: ['r'] }, { op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: 1 } },
      { op: 'Unsqueeze', inputs: ['rf', 'ax'], outputs: ['ru'] }, { op: 'Add', inputs: ['x', 'ru'], outputs: ['y'] }] } },
  { name: 'Identity + Dropout (inference)', graph: { inputs: [vec()], outputs: ['y'],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['i'] }, { op: 'Dropout', inputs: ['i'], outputs: ['y'] }] } },
  { name: 'Cast to int64 and back', graph: { inputs: [vec()], outputs: ['y'],
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 7 } }, { op: 'Cast', inputs: ['c'], outputs: ['y'], attrs: { to: 1 } }] } },
  // Linear algebra, conv, pooling, normalization
  { name: 'Gemm transB (Linear)', graph: one('Gemm', [vec('x', ['N', 5])], { transB: 1 }, { initializers: [W('w', [3, 5]), W('b', [3], 2)] }) },
  { name: 'Gemm transA, alpha, beta, 2-D C', graph: one('Gemm', [vec('x', [5, 4])], { transA: 1, alpha: 0.5, beta: { float: 2 } }, { initializers: [W('w', [5, 3]), W('c', [4, 3], 2)] }) },
  { name: 'MatMul 3-D x 2-D', graph: one('MatMul', [vec('x', ['N', 4, 5])], {}, { initializers: [W('w', [5, 3])] }) },
  { name: 'MatMul batched', graph: one('MatMul', [vec('a', ['N', 2, 4, 5]), vec('b', ['N', 2, 5, 3])]) },
  { name: 'Conv pads/strides/bias', graph: one('Conv', [x4()], { kernel_shape: [3, 3], pads: [1, 0, 2, 1], strides: [2, 1] }, { initializers: [W('w', [4, 3, 3, 3]), W('b', [4], 2)] }) },
  { name: 'Conv dilations, group', graph: one('Conv', [x4('x', 4)], { dilations: [2, 1], group: 2 }, { initializers: [W('w', [6, 2, 2, 3])] }) },
  { name: 'Conv depthwise SAME_UPPER stride 2', graph: one('Conv', [x4()], { auto_pad: 'SAME_UPPER', strides: [2, 2], group: 3 }, { initializers: [W('w', [3, 1, 3, 3])] }) },
  { name: 'Conv SAME_LOWER', graph: one('Conv', [x4()], { auto_pad: 'SAME_LOWER', strides: [2, 2] }, { initializers: [W('w', [2, 3, 2, 2])] }) },
  { name: 'Conv 1-D', graph: one('Conv', [vec('x', ['N', 3, 9])], { pads: [1, 2], strides: [2] }, { initializers: [W('w', [4, 3, 3]), W('b', [4], 3)] }) },
  { name: 'ConvTranspose stride 2, pads, output_padding', graph: one('ConvTranspose', [x4()], { strides: [2, 2], pads: [1, 1, 0, 1], output_padding: [1, 0] },
    { initializers: [W('w', [3, 2, 3, 3]), W('b', [2], 4)] }) },
  { name: 'ConvTranspose groups, dilation', graph: one('ConvTranspose', [x4('x', 4)], { group: 2, dilations: [2, 1] }, { initializers: [W('w', [4, 3, 2, 2])] }) },
  { name: 'ConvTranspose 1-D', graph: one('ConvTranspose', [vec('x', ['N', 3, 7])], { strides: [3] }, { initializers: [W('w', [3, 2, 4])] }) },
  { name: 'MaxPool', graph: one('MaxPool', [x4()], { kernel_shape: [2, 2], strides: [2, 2] }) },
  { name: 'MaxPool pads, ceil_mode', graph: one('MaxPool', [x4('x', 2, 7, 6)], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil_mode: 1 }) },
  { name: 'MaxPool SAME_UPPER', graph: one('MaxPool', [x4('x', 2, 7, 6)], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }) },
  { name: 'MaxPool 1-D', graph: one('MaxPool', [vec('x', ['N', 3, 9])], { kernel_shape: [3], strides: [2] }) },
  { name: 'AveragePool', graph: one('AveragePool', [x4()], { kernel_shape: [2, 3], strides: [1, 2] }) },
  { name: 'AveragePool pads, count_include_pad 0', graph: one('AveragePool', [x4('x', 2, 7, 6)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: 'AveragePool pads, count_include_pad 1', graph: one('AveragePool', [x4('x', 2, 7, 6)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }) },
  { name: 'AveragePool ceil_mode', graph: one('AveragePool', [x4('x', 2, 7, 6)], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }) },
  { name: 'GlobalAveragePool', graph: one('GlobalAveragePool', [x4()]) },
  { name: 'GlobalMaxPool', graph: one('GlobalMaxPool', [x4()]) },
  { name: 'BatchNormalization', graph: one('BatchNormalization', [x4()], { epsilon: 1e-3 }, {
    initializers: [W('s', [3], 1), W('b', [3], 2), W('m', [3], 3), { name: 'v', shape: [3], data: [0.5, 1.5, 2] }] }) },
  { name: 'LayerNormalization', graph: one('LayerNormalization', [vec()], { axis: -1, epsilon: 1e-5 }, { initializers: [W('s', [5], 1), W('b', [5], 2)] }) },
  { name: 'GroupNormalization (opset 21, per-channel scale)', graph: { ...one('GroupNormalization', [x4('x', 6, 3, 2)], { num_groups: 3, epsilon: 1e-3 },
    { initializers: [W('s', [6], 1), W('b', [6], 2)] }), opset: 21 } },
  { name: 'GroupNormalization (opset 18, per-group scale)', graph: { ...one('GroupNormalization', [vec('x', ['N', 4, 5])], { num_groups: 2 },
    { initializers: [W('s', [2], 1), W('b', [2], 2)] }), opset: 18 } },
  { name: 'LayerNormalization axis 1, no bias', graph: one('LayerNormalization', [vec()], { axis: 1 }, { initializers: [W('s', [4, 5], 1)] }) },
  { name: 'Resize nearest x2', graph: { inputs: [x4()], outputs: ['y'], initializers: [{ name: 's', shape: [4], data: [1, 1, 2, 3] }],
    nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } }] } },
  { name: 'Resize linear half_pixel', graph: { inputs: [x4()], outputs: ['y'], initializers: [{ name: 's', shape: [4], data: [1, 1, 2, 2] }],
    nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], attrs: { mode: 'linear' } }] } },
  ...resizeCases(),
  // Shapes and movement
  { name: 'Flatten axis 2', graph: one('Flatten', [x4()], { axis: 2 }) },
  { name: 'Reshape with 0 and -1', graph: one('Reshape', [x4()], {}, { initializers: [I64('s', [0, -1, 5])] }) },
  { name: 'Transpose', graph: one('Transpose', [x4()], { perm: [0, 2, 3, 1] }) },
  { name: 'Squeeze/Unsqueeze (opset 13 inputs)', graph: { inputs: [vec('x', ['N', 1, 5])], outputs: ['y'], opset: 13, initializers: [I64('a', [1]), I64('b', [0, -1])],
    nodes: [{ op: 'Squeeze', inputs: ['x', 'a'], outputs: ['s'] }, { op: 'Unsqueeze', inputs: ['s', 'b'], outputs: ['y'] }] } },
  { name: 'Squeeze/Unsqueeze (opset 11 attributes)', graph: { inputs: [vec('x', ['N', 1, 5])], outputs: ['y'], opset: 11,
    nodes: [{ op: 'Squeeze', inputs: ['x'], outputs: ['s'], attrs: { axes: [1] } }, { op: 'Unsqueeze', inputs: ['s'], outputs: ['y'], attrs: { axes: [2] } }] } },
  { name: 'Concat', graph: one('Concat', [vec('a'), vec('b', ['N', 2, 5])], { axis: 1 }) },
  { name: 'Split (opset 13 input)', graph: { inputs: [vec('x', ['N', 6, 5])], outputs: ['y'], opset: 13, initializers: [I64('sp', [2, 4])],
    nodes: [{ op: 'Split', inputs: ['x', 'sp'], outputs: ['p', 'q'], attrs: { axis: 1 } }, { op: 'MatMul', inputs: ['p', 'w'], outputs: ['pw'] },
      { op: 'Concat', inputs: ['q', 'pw'], outputs: ['y'], attrs: { axis: 1 } }] },
    feeds: { x: [2, 6, 5] } },
  { name: 'Slice steps, negative', graph: one('Slice', [vec('x', ['N', 6, 5])], {}, { initializers: [I64('st', [-1, 1]), I64('en', [-7, 100]), I64('ax', [1, 2]), I64('sp', [-2, 2])] }) },
  { name: 'Slice backwards from a start below -dim', graph: one('Slice', [vec('x', ['N', 6, 5])], {}, { initializers: [I64('st', [-10]), I64('en', [-200]), I64('ax', [1]), I64('sp', [-1])] }) },
  { name: 'Split into equal parts by output count (opset 13)', graph: { inputs: [vec('x', ['N', 6, 5])], outputs: ['y'], opset: 13,
    nodes: [{ op: 'Split', inputs: ['x'], outputs: ['p', 'q', 'r'], attrs: { axis: 1 } }, { op: 'Sub', inputs: ['p', 'q'], outputs: ['pq'] },
      { op: 'Mul', inputs: ['pq', 'r'], outputs: ['y'] }] } },
  { name: 'Slice plain (opset 9 attributes)', graph: { ...one('Slice', [vec('x', ['N', 6, 5])], { starts: [1, 0], ends: [4, 3], axes: [1, 2] }), opset: 9 } },
  { name: 'Sin, Cos, Tan, Atan, Sinh, Cosh', graph: { inputs: [vec()], outputs: ['y'], nodes: [
    { op: 'Sin', inputs: ['x'], outputs: ['a'] }, { op: 'Cos', inputs: ['x'], outputs: ['b'] }, { op: 'Tan', inputs: ['x'], outputs: ['c'] },
    { op: 'Atan', inputs: ['x'], outputs: ['d'] }, { op: 'Sinh', inputs: ['x'], outputs: ['e'] }, { op: 'Cosh', inputs: ['x'], outputs: ['f'] },
    { op: 'Sum', inputs: ['a', 'b', 'c', 'd', 'e', 'f'], outputs: ['y'] }] }, range: 'signed' },
  { name: 'Asin, Acos', graph: { inputs: [vec()], outputs: ['y'], nodes: [
    { op: 'Tanh', inputs: ['x'], outputs: ['t'] }, { op: 'Asin', inputs: ['t'], outputs: ['a'] }, { op: 'Acos', inputs: ['t'], outputs: ['b'] },
    { op: 'Mul', inputs: ['a', 'b'], outputs: ['y'] }] } },
  { name: 'Floor, Ceil, Round (halves to even)', graph: { inputs: [vec()], outputs: ['y'], initializers: [{ name: 'k', shape: [], data: [2] }], nodes: [
    { op: 'Constant', inputs: [], outputs: ['h'], attrs: { value: { tensor: { shape: [5], data: [-2.5, -1.5, 0.5, 2.5, 3.5] } } } },
    { op: 'Mul', inputs: ['x', 'k'], outputs: ['x2'] }, { op: 'Floor', inputs: ['x2'], outputs: ['a'] }, { op: 'Ceil', inputs: ['x2'], outputs: ['b'] },
    { op: 'Round', inputs: ['x2'], outputs: ['c'] }, { op: 'Round', inputs: ['h'], outputs: ['d'] }, { op: 'Sum', inputs: ['a', 'b', 'c', 'd'], outputs: ['s'] },
    { op: 'Add', inputs: ['s', 'd'], outputs: ['y'] }] }, range: 'wide' },
  { name: 'Celu', graph: one('Celu', [vec()], { alpha: 0.7 }) },
  { name: 'Xor, IsNaN, IsInf (PyTorch nan_to_num)', graph: { inputs: [vec('a'), vec('b')], outputs: ['y'], initializers: [{ name: 'z', shape: [], data: [0] }], nodes: [
    { op: 'Greater', inputs: ['a', 'z'], outputs: ['p'] }, { op: 'Greater', inputs: ['b', 'z'], outputs: ['q'] }, { op: 'Xor', inputs: ['p', 'q'], outputs: ['x'] },
    { op: 'Div', inputs: ['a', 'z'], outputs: ['inf'] }, { op: 'Sub', inputs: ['inf', 'inf'], outputs: ['nan'] },
    { op: 'IsNaN', inputs: ['nan'], outputs: ['n'] }, { op: 'IsInf', inputs: ['inf'], outputs: ['i'], attrs: { detect_negative: 0 } },
    { op: 'Cast', inputs: ['x'], outputs: ['xf'], attrs: { to: 1 } }, { op: 'Cast', inputs: ['n'], outputs: ['nf'], attrs: { to: 1 } },
    { op: 'Cast', inputs: ['i'], outputs: ['if'], attrs: { to: 1 } }, { op: 'Sum', inputs: ['xf', 'nf', 'if'], outputs: ['y'] }] } },
  { name: 'Mod fmod=1 (float: the sign of the dividend)', graph: one('Mod', [vec('a'), vec('b')], { fmod: 1 }) },
  { name: 'Mod fmod=0 on int64 shape values (the sign of the divisor)', graph: { inputs: [vec()], outputs: ['y'],
    initializers: [I64('k', [3, -3, 4, 3, -3, 4])],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Neg', inputs: ['s'], outputs: ['ns'] }, { op: 'Concat', inputs: ['s', 'ns'], outputs: ['both'], attrs: { axis: 0 } },
      { op: 'Mod', inputs: ['both', 'k'], outputs: ['m'] }, { op: 'Cast', inputs: ['m'], outputs: ['y'], attrs: { to: 1 } },
    ] } },
  { name: 'ScatterND rows (PyTorch item assignment)', graph: one('ScatterND', [vec('x', ['N', 4, 5])], {}, {
    initializers: [I64('i', [0, 1, 1, 3, -1, 0], [3, 2]), W('u', [3, 5], 11)] }) },
  { name: 'ScatterND elements, k = rank', graph: one('ScatterND', [vec('x', [4, 5])], {}, {
    initializers: [I64('i', [3, 4, 0, 0], [2, 2]), W('u', [2], 12)] }) },
  { name: 'ScatterND whole slabs, k = 1', graph: one('ScatterND', [vec('x', [4, 2, 3])], {}, {
    initializers: [I64('i', [2, 0], [2, 1]), W('u', [2, 2, 3], 13)] }) },
  { name: 'PRelu per channel', graph: one('PRelu', [x4()], {}, { initializers: [W('s', [3, 1, 1], 14)] }) },
  { name: 'PRelu one slope', graph: one('PRelu', [x4()], {}, { initializers: [{ name: 's', shape: [1], data: [0.25] }] }) },
  { name: 'InstanceNormalization', graph: one('InstanceNormalization', [x4()], { epsilon: 1e-3 }, { initializers: [W('g', [3], 15), W('b', [3], 16)] }) },
  { name: 'InstanceNormalization (PyTorch GroupNorm: [N, groups, -1])', graph: one('InstanceNormalization', [vec('x', ['N', 2, 12])], {}, {
    initializers: [{ name: 'g', shape: [2], data: [1, 1] }, { name: 'b', shape: [2], data: [0, 0] }] }) },
  { name: 'ReduceL1, ReduceL2, ReduceSumSquare (axes attribute)', graph: { inputs: [vec()], outputs: ['y'], opset: 13, nodes: [
    { op: 'ReduceL1', inputs: ['x'], outputs: ['a'], attrs: { axes: [1] } }, { op: 'ReduceL2', inputs: ['x'], outputs: ['b'], attrs: { axes: [1] } },
    { op: 'ReduceSumSquare', inputs: ['x'], outputs: ['c'], attrs: { axes: [1] } }, { op: 'Sum', inputs: ['a', 'b', 'c'], outputs: ['y'] }] } },
  { name: 'ReduceLogSumExp, ReduceLogSum (opset 18 axes input, keepdims 0)', graph: { inputs: [vec()], outputs: ['y'], opset: 18, initializers: [I64('ax', [-1])], nodes: [
    { op: 'ReduceLogSumExp', inputs: ['x', 'ax'], outputs: ['a'], attrs: { keepdims: 0 } }, { op: 'Abs', inputs: ['x'], outputs: ['ax1'] },
    { op: 'ReduceLogSum', inputs: ['ax1', 'ax'], outputs: ['b'], attrs: { keepdims: 0 } }, { op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }] } },
  { name: 'ReduceProd float and over shape values (PyTorch var)', graph: { inputs: [vec()], outputs: ['y'], opset: 13, nodes: [
    { op: 'ReduceProd', inputs: ['x'], outputs: ['p'], attrs: { axes: [2], keepdims: 1 } }, { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'ReduceProd', inputs: ['s'], outputs: ['n'], attrs: { keepdims: 0 } }, { op: 'Cast', inputs: ['n'], outputs: ['nf'], attrs: { to: 1 } },
    { op: 'Div', inputs: ['p', 'nf'], outputs: ['y'] }] } },
  { name: 'Tile', graph: one('Tile', [vec()], {}, { initializers: [I64('r', [1, 2, 3])] }) },
  { name: 'DepthToSpace DCR', graph: one('DepthToSpace', [x4('x', 8, 3, 2)], { blocksize: 2 }) },
  { name: 'DepthToSpace CRD', graph: one('DepthToSpace', [x4('x', 8, 3, 2)], { blocksize: 2, mode: 'CRD' }) },
  { name: 'SpaceToDepth', graph: one('SpaceToDepth', [x4('x', 3, 4, 6)], { blocksize: 2 }) },
  { name: 'Trilu upper (opset 14)', graph: { ...one('Trilu', [vec('x', ['N', 5, 5])]), opset: 14 } },
  { name: 'Trilu lower, k = -1 (opset 14)', graph: { ...one('Trilu', [vec('x', ['N', 4, 6])], { upper: 0 }, { initializers: [I64('k', [-1], [])] }), opset: 14 } },
  { name: 'ArgMax, ArgMin keepdims 0', graph: { inputs: [vec()], outputs: ['y'], nodes: [
    { op: 'ArgMax', inputs: ['x'], outputs: ['a'], attrs: { axis: 1 } }, { op: 'ArgMin', inputs: ['x'], outputs: ['b'], attrs: { axis: -1, keepdims: 0 } },
    { op: 'Cast', inputs: ['a'], outputs: ['af'], attrs: { to: 1 } }, { op: 'Cast', inputs: ['b'], outputs: ['bf'], attrs: { to: 1 } },
    { op: 'Unsqueeze', inputs: ['bf', 'two'], outputs: ['bu'] }, { op: 'Mul', inputs: ['af', 'bu'], outputs: ['y'] }], initializers: [I64('two', [2])] } },
  { name: 'CumSum', graph: one('CumSum', [vec()], {}, { initializers: [I64('ax', [1], [])] }) },
  { name: 'CumSum exclusive, reverse', graph: one('CumSum', [vec()], { exclusive: 1, reverse: 1 }, { initializers: [I64('ax', [-1], [])] }) },
  { name: 'GatherElements axis 1, negative indices', graph: one('GatherElements', [vec('x', ['N', 4, 5])], { axis: 1 }, {
    initializers: [I64('i', [0, 3, -1, 1, 2, 0, 1, 1, 3, -4], [1, 2, 5])] }) },
  { name: 'ScatterElements axis 2 (torch.scatter)', graph: one('ScatterElements', [vec('x', ['N', 4, 5])], { axis: 2 }, {
    initializers: [I64('i', [0, 2, 1, 3, 4, 4, 3, 2, 1, 0, 1, -4, 0, 2, 3, 3, 0, 4, 2, 1], [1, 4, 5]), W('u', [1, 4, 5], 51)] }) },
  { name: 'ScatterElements add, repeated indices (torch.scatter_add, opset 16)', graph: { ...one('ScatterElements', [vec('x', ['N', 4, 5])], { axis: 1, reduction: 'add' }, {
    initializers: [I64('i', [0, 0, 3, 1, 2, 3, 3, 0, 1, 1], [1, 2, 5]), W('u', [1, 2, 5], 52)] }), opset: 16 } },
  { name: 'OneHot axis -1 and 1, negative and out-of-range indices', graph: { inputs: [vec('x', [2, 4, 5])], outputs: ['y'],
    initializers: [I64('ids', [0, 3, -1, 7, 2, -6], [2, 3]), I64('depth', [5], []), { name: 'v', shape: [2], data: [-0.5, 2] },
      I64('reps', [1, 2, 1]), I64('st', [0]), I64('en', [4]), I64('ax', [1])],
    nodes: [
      { op: 'OneHot', inputs: ['ids', 'depth', 'v'], outputs: ['a'] }, { op: 'OneHot', inputs: ['ids', 'depth', 'v'], outputs: ['b'], attrs: { axis: 1 } },
      { op: 'Transpose', inputs: ['b'], outputs: ['bt'], attrs: { perm: [0, 2, 1] } }, { op: 'Add', inputs: ['a', 'bt'], outputs: ['s'] },
      { op: 'Tile', inputs: ['s', 'reps'], outputs: ['t'] }, { op: 'Slice', inputs: ['t', 'st', 'en', 'ax'], outputs: ['c'] }, { op: 'Mul', inputs: ['x', 'c'], outputs: ['y'] },
    ] } },
  { name: 'TopK largest (values)', graph: { inputs: [vec()], outputs: ['y'], initializers: [I64('k', [3])], nodes: [{ op: 'TopK', inputs: ['x', 'k'], outputs: ['y', 'i'] }] } },
  { name: 'TopK smallest axis 1 (indices)', graph: { inputs: [vec()], outputs: ['y'], initializers: [I64('k', [2])], nodes: [
    { op: 'TopK', inputs: ['x', 'k'], outputs: ['v', 'i'], attrs: { axis: 1, largest: 0 } }, { op: 'Cast', inputs: ['i'], outputs: ['f'], attrs: { to: 1 } },
    { op: 'Add', inputs: ['v', 'f'], outputs: ['y'] }] } },
  { name: 'Einsum batched product (bij,bkj->bik)', graph: one('Einsum', [vec('a'), vec('b')], { equation: 'bij,bkj->bik' }) },
  { name: 'Einsum contraction with a summed-out axis (bij,jk->bk)', graph: one('Einsum', [vec('a'), vec('b', [5, 3])], { equation: 'bij,jk->bk' }) },
  { name: 'Einsum one operand, implicit output (ijk)', graph: one('Einsum', [vec('a')], { equation: 'bij->jb' }) },
  { name: 'Einsum outer product, implicit output', graph: one('Einsum', [vec('a', [4]), vec('b', [3])], { equation: 'i,j' }) },
  { name: 'Conv 3-D grouped, strided, dilated, padded', graph: one('Conv', [vec('x', ['N', 4, 7, 6, 5])],
    { group: 2, strides: [2, 1, 2], dilations: [2, 1, 1], pads: [2, 0, 1, 2, 0, 1], kernel_shape: [3, 1, 3] }, { initializers: [W('w', [6, 2, 3, 1, 3], 41), W('b', [6], 42)] }) },
  { name: 'Conv 3-D whose first output depth reads only padding', graph: one('Conv', [vec('x', ['N', 2, 3, 4, 4])],
    { pads: [3, 1, 1, 0, 1, 1], kernel_shape: [2, 3, 3] }, { initializers: [W('w', [3, 2, 2, 3, 3], 43), W('b', [3], 44)] }) },
  { name: 'MaxPool 3-D ceil_mode', graph: one('MaxPool', [vec('x', ['N', 3, 7, 6, 5])], { kernel_shape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], ceil_mode: 1 }) },
  { name: 'AveragePool 3-D count_include_pad', graph: one('AveragePool', [vec('x', ['N', 3, 7, 6, 5])], { kernel_shape: [3, 2, 2], strides: [2, 2, 2], pads: [1, 1, 0, 1, 0, 1], count_include_pad: 1 }) },
  { name: 'AveragePool 3-D excluding pads, ceil_mode', graph: one('AveragePool', [vec('x', ['N', 3, 7, 6, 5])], { kernel_shape: [3, 3, 3], strides: [2, 1, 2], pads: [1, 1, 1, 1, 1, 1], ceil_mode: 1 }) },
  ...gridSampleCases(),
  { name: 'Gather axis 1, negative index', graph: one('Gather', [vec('x', ['N', 6, 5])], { axis: 1 }, { initializers: [I64('i', [0, -1, 2, 2], [2, 2])] }) },
  { name: 'Shape/Gather/Unsqueeze/Concat/Reshape (PyTorch flatten)', graph: { inputs: [x4()], outputs: ['y'], opset: 13,
    initializers: [I64('zero', [0], []), I64('ax0', [0]), I64('m1', [-1])],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['sh'] }, { op: 'Gather', inputs: ['sh', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'ax0'], outputs: ['n1'] }, { op: 'Concat', inputs: ['n1', 'm1'], outputs: ['s'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] },
    ] } },
  { name: 'Constant, ConstantOfShape, Expand', graph: { inputs: [vec('x', ['N', 4, 5])], outputs: ['y'],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['s'], attrs: { value: { tensor: { shape: [2], data: [4, 5], dtype: 'int64' } } } },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['c'], attrs: { value: { tensor: { shape: [1], data: [1.5] } } } },
      { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value_float: { float: 2 } } },
      { op: 'Mul', inputs: ['c', 'k'], outputs: ['ck'] },
      { op: 'Shape', inputs: ['x'], outputs: ['xs'] },
      { op: 'Expand', inputs: ['ck', 'xs'], outputs: ['e'] },
      { op: 'Add', inputs: ['x', 'e'], outputs: ['y'] },
    ] } },
  { name: 'Pad constant', graph: one('Pad', [x4()], {}, { initializers: [I64('p', [0, 0, 1, 2, 0, 1, 0, 1]), { name: 'v', shape: [], data: [0.25] }] }) },
  { name: 'Pad reflect', graph: one('Pad', [x4()], { mode: 'reflect' }, { initializers: [I64('p', [0, 0, 2, 1, 0, 0, 1, 2])] }) },
  { name: 'Pad edge, negative', graph: one('Pad', [x4()], { mode: 'edge' }, { initializers: [I64('p', [0, 0, 2, -1, 0, 0, -2, 1])] }) },
  { name: 'ReduceMean (opset 17 attribute)', graph: one('ReduceMean', [vec()], { axes: [1], keepdims: 0 }) },
  { name: 'ReduceMean (opset 18 input)', graph: { ...one('ReduceMean', [vec()], {}, { initializers: [I64('a', [-1])] }), opset: 18 } },
  { name: 'ReduceSum (opset 13 input)', graph: { ...one('ReduceSum', [vec()], { keepdims: 0 }, { initializers: [I64('a', [1, 2])] }), opset: 13 } },
  { name: 'ReduceSum (opset 11 attribute, all axes)', graph: { ...one('ReduceSum', [vec()]), opset: 11 } },
  { name: 'ReduceMax/ReduceMin', graph: { inputs: [vec()], outputs: ['y'], nodes: [
    { op: 'ReduceMax', inputs: ['x'], outputs: ['a'], attrs: { axes: [2] } }, { op: 'ReduceMin', inputs: ['x'], outputs: ['b'], attrs: { axes: [2] } },
    { op: 'Sub', inputs: ['a', 'b'], outputs: ['y'] }] } },
];

// Recurrent ops: every direction/layout/variant the importer handles.
function rnnCase(op: 'LSTM' | 'GRU' | 'RNN', name: string, attrs: Record<string, number | number[] | string | string[]>, opts: { states?: boolean; layout1?: boolean } = {}): Case {
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const H = 5;
  const I = 3;
  const D = attrs['direction'] === 'bidirectional' ? 2 : 1;
  const inits = [W('W', [D, G * H, I], 1), W('R', [D, G * H, H], 2), W('B', [D, 2 * G * H], 3)];
  const inputs: GraphSpec['inputs'] = [{ name: 'x', shape: opts.layout1 ? ['N', 4, I] : [4, 'N', I] }];
  const nodeIn = ['x', 'W', 'R', 'B'];
  if (opts.states) {
    inputs.push({ name: 'h0', shape: opts.layout1 ? ['N', D, H] : [D, 'N', H] });
    nodeIn.push('', 'h0');
    if (op === 'LSTM') {
      inputs.push({ name: 'c0', shape: opts.layout1 ? ['N', D, H] : [D, 'N', H] });
      nodeIn.push('c0');
    }
  }
  const outs = op === 'LSTM' ? ['Y', 'Yh', 'Yc'] : ['Y', 'Yh'];
  // All outputs feed the result so each is checked: Y flattened, states flattened, concatenated.
  const flat = outs.map((o) => `${o}_f`);
  return {
    name: `${op} ${name}`,
    graph: {
      inputs, outputs: ['y'], initializers: [...inits, I64('shape', [0, -1])],
      nodes: [
        { op, inputs: nodeIn, outputs: outs, attrs: { hidden_size: H, ...attrs } },
        ...outs.map((o, k) => ({ op: 'Reshape', inputs: [o, 'shape'], outputs: [flat[k]!] })),
        // Y has time (layout 0) or batch first; states have D or batch first: flatten all to [X, -1] then to one row each.
        ...flat.map((f, k) => ({ op: 'Flatten', inputs: [f], outputs: [`${f}1`], attrs: { axis: 0 } as Record<string, number> })),
        { op: 'Concat', inputs: flat.map((f) => `${f}1`), outputs: ['y'], attrs: { axis: 1 } },
      ],
    },
    feeds: Object.fromEntries(inputs.map((i) => [i.name, i.shape.map((d) => (d === 'N' ? 2 : (d as number)))])),
  };
}

CASES.push(
  rnnCase('LSTM', 'forward', {}),
  rnnCase('LSTM', 'reverse with states', { direction: 'reverse' }, { states: true }),
  rnnCase('LSTM', 'bidirectional with states', { direction: 'bidirectional' }, { states: true }),
  rnnCase('GRU', 'linear_before_reset 1', { linear_before_reset: 1 }),
  rnnCase('GRU', 'linear_before_reset 0, states', { linear_before_reset: 0 }, { states: true }),
  rnnCase('GRU', 'bidirectional', { direction: 'bidirectional', linear_before_reset: 1 }),
  rnnCase('RNN', 'tanh', {}),
  rnnCase('LSTM', 'custom activations with alphas/betas', { activations: ['HardSigmoid', 'Affine', 'LeakyRelu'], activation_alpha: [0.3, 0.8, 0.1], activation_beta: [0.4, 0.2] }),
  rnnCase('GRU', 'bidirectional custom activations, linear_before_reset 0', { direction: 'bidirectional', activations: ['Sigmoid', 'Softsign', 'HardSigmoid', 'Elu'],
    activation_alpha: [0.25, 0.9], activation_beta: [0.45] }, { states: true }),
  rnnCase('GRU', 'ScaledTanh, linear_before_reset 1', { linear_before_reset: 1, activations: ['Sigmoid', 'ScaledTanh'], activation_alpha: [0.9], activation_beta: [1.2] }),
  rnnCase('RNN', 'Softplus', { activations: ['Softplus'] }),
  rnnCase('RNN', 'bidirectional Relu', { direction: 'bidirectional', activations: ['Relu', 'Relu'] }, { states: true }),
);

// Split case needs its MatMul weight.
CASES.find((c) => c.name.startsWith('Split'))!.graph.initializers!.push(W('w', [5, 5], 7));

function feedShape(c: Case, input: GraphSpec['inputs'][0]): number[] {
  return c.feeds?.[input.name] ?? input.shape.map((d) => (typeof d === 'string' ? 2 : d));
}

describe('importOnnx: every supported op matches onnxruntime-node', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const bytes = buildOnnx(c.graph);
      const r = rng(c.name.length * 7919);
      const lo = c.range === 'positive' ? 0.5 : c.range === 'wide' ? -6 : -2;
      const span = c.range === 'positive' ? 2 : c.range === 'wide' ? 12 : 4;
      const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
      for (const i of c.graph.inputs) {
        const shape = feedShape(c, i);
        feeds[i.name] = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + span * r()), shape };
      }
      const ref = (await runOrt(bytes, feeds))['y']!;
      const model = importOnnx(bytes);
      const xs = c.graph.inputs.map((i) => tensor(feeds[i.name]!.data, feeds[i.name]!.shape));
      const out = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs) as Tensor;
      expect(out.shape).toEqual([...ref.dims]);
      const got = out.dataSync();
      const want = ref.data as Float32Array;
      const tol = c.tol ?? 1e-4;
      for (let k = 0; k < want.length; k++) {
        if (!(Math.abs(got[k]! - want[k]!) <= tol * Math.max(1, Math.abs(want[k]!)))) {
          throw new Error(`${c.name}: element ${k} is ${got[k]}, onnxruntime gives ${want[k]}`);
        }
      }
    });
  }
});

// onnxruntime rejects layout = 1 for its CPU recurrent kernels, so batch-first graphs are checked
// against the same weights in time-first layout (transposing inputs and outputs by hand).
describe('importOnnx: recurrent layout 1 equals layout 0 with transposed tensors', () => {
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    it(op, () => {
      const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
      const [N, T, I, H, D] = [2, 4, 3, 5, 2];
      const inits = [W('W', [D, G * H, I], 1), W('R', [D, G * H, H], 2), W('B', [D, 2 * G * H], 3)];
      const attrs = { hidden_size: H, direction: 'bidirectional', ...(op === 'GRU' ? { linear_before_reset: 1 } : {}) };
      const outs = op === 'LSTM' ? ['Y', 'Yh', 'Yc'] : ['Y', 'Yh'];
      const graph = (layout: number): GraphSpec => ({
        inputs: [{ name: 'x', shape: layout ? [N, T, I] : [T, N, I] }, { name: 'h0', shape: layout ? [N, D, H] : [D, N, H] }],
        outputs: outs, initializers: inits,
        nodes: [{ op, inputs: ['x', 'W', 'R', 'B', '', 'h0'], outputs: outs, attrs: { ...attrs, layout } }],
      });
      const r = rng(11);
      const x = tensor(Float32Array.from({ length: N * T * I }, () => r() - 0.5), [N, T, I]);
      const h0 = tensor(Float32Array.from({ length: N * D * H }, () => r() - 0.5), [N, D, H]);
      const batchFirst = importOnnx(buildOnnx(graph(1))).predictOnBatch([x, h0]) as Tensor[];
      const timeFirst = importOnnx(buildOnnx(graph(0))).predictOnBatch([transposeT(x, [1, 0, 2]), transposeT(h0, [1, 0, 2])]) as Tensor[];
      // Y: [N, T, D, H] vs [T, D, N, H]; states: [N, D, H] vs [D, N, H].
      expectSame(batchFirst[0]!, transposeT(timeFirst[0]!, [2, 0, 1, 3]));
      for (let k = 1; k < outs.length; k++) expectSame(batchFirst[k]!, transposeT(timeFirst[k]!, [1, 0, 2]));
    });
  }
});

function transposeT(t: Tensor, perm: number[]): Tensor {
  return transpose(t, perm).contiguousCopy();
}

function expectSame(a: Tensor, b: Tensor): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.contiguousCopy().dataSync();
  const y = b.dataSync();
  for (let i = 0; i < y.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-6);
}

// Imported graphs train: the ops built from JS loops (CumSum, GatherElements, TopK, ReduceProd,
// ScatterND) record their own backward, the rest come from differentiable ops. Each gradient of
// sum(y * w) with respect to the input against central differences.
describe('importOnnx: gradients through the imported ops match finite differences', () => {
  const x3 = vec('x', [2, 4, 5]);
  const gradCases: [string, GraphSpec][] = [
    ['PRelu', one('PRelu', [x3], {}, { initializers: [W('s', [4, 1], 21)] })],
    ['InstanceNormalization', one('InstanceNormalization', [x3], {}, { initializers: [W('g', [4], 22), W('b', [4], 23)] })],
    ['ReduceL2', { ...one('ReduceL2', [x3], { axes: [1] }), opset: 13 }],
    ['ReduceLogSumExp', { ...one('ReduceLogSumExp', [x3], { axes: [2] }), opset: 13 }],
    ['ReduceProd', { ...one('ReduceProd', [x3], { axes: [1] }), opset: 13 }],
    ['Tile', one('Tile', [x3], {}, { initializers: [I64('r', [2, 1, 2])] })],
    ['DepthToSpace', one('DepthToSpace', [vec('x', [1, 4, 2, 3])], { blocksize: 2 })],
    ['Trilu', { ...one('Trilu', [x3], { upper: 0 }), opset: 14 }],
    ['CumSum exclusive reverse', one('CumSum', [x3], { exclusive: 1, reverse: 1 }, { initializers: [I64('ax', [2], [])] })],
    ['GatherElements', one('GatherElements', [x3], { axis: 2 }, { initializers: [I64('i', [4, 0, 0, 2, 1, 3, 3, 0], [2, 1, 4])] })],
    ['TopK values', { inputs: [x3], outputs: ['y'], initializers: [I64('k', [2])], nodes: [{ op: 'TopK', inputs: ['x', 'k'], outputs: ['y', 'i'] }] }],
    ['Einsum', one('Einsum', [x3], { equation: 'bij,kj->bki' }, { initializers: [W('m', [3, 5], 24)] })],
    ['Resize linear to sizes', { inputs: [vec('x', [1, 2, 3, 4])], outputs: ['y'], initializers: [I64('sz', [1, 2, 5, 3])],
      nodes: [{ op: 'Resize', inputs: ['x', '', '', 'sz'], outputs: ['y'], attrs: { mode: 'linear' } }] }],
    ['Resize cubic', { inputs: [vec('x', [1, 2, 3, 4])], outputs: ['y'], initializers: [{ name: 's', shape: [4], data: [1, 1, 2, 1.5] }],
      nodes: [{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], attrs: { mode: 'cubic' } }] }],
    ['Conv 3-D', one('Conv', [vec('x', [1, 2, 3, 4, 3])], { pads: [1, 1, 0, 1, 1, 0] }, { initializers: [W('w', [2, 2, 2, 3, 2], 45)] })],
    ['AveragePool 3-D', one('AveragePool', [vec('x', [1, 2, 4, 3, 4])], { kernel_shape: [2, 2, 2], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 0] })],
    ['ScatterElements', one('ScatterElements', [x3], { axis: 2 }, { initializers: [I64('i', [1, 0, 4, 2, 3, 3, 1, 0], [2, 1, 4]), W('u', [2, 1, 4], 53)] })],
    ['ScatterElements add', { ...one('ScatterElements', [x3], { axis: 1, reduction: 'add' }, { initializers: [I64('i', [0, 0, 3, 1, 2], [1, 1, 5]), W('u', [1, 1, 5], 54)] }), opset: 16 }],
    ['GridSample bilinear, zeros: the input', { opset: 16, inputs: [vec('x', [1, 2, 3, 4])], outputs: ['y'],
      initializers: [W('g', [1, 2, 3, 2], 71), { name: 'k', shape: [], data: [2.5] }],
      nodes: [{ op: 'Mul', inputs: ['g', 'k'], outputs: ['grid'] }, { op: 'GridSample', inputs: ['x', 'grid'], outputs: ['y'] }] }],
    ['GridSample bilinear, reflection: the grid', { opset: 16, inputs: [vec('grid', [1, 2, 3, 2])], outputs: ['y'],
      initializers: [W('x', [1, 2, 3, 4], 72)],
      nodes: [{ op: 'GridSample', inputs: ['x', 'grid'], outputs: ['y'], attrs: { padding_mode: 'reflection' } }] }],
    ['GridSample bilinear, border, aligned: the grid', { opset: 16, inputs: [vec('grid', [1, 2, 3, 2])], outputs: ['y'],
      initializers: [W('x', [1, 2, 3, 4], 73)],
      nodes: [{ op: 'GridSample', inputs: ['x', 'grid'], outputs: ['y'], attrs: { padding_mode: 'border', align_corners: 1 } }] }],
    ['ScatterND', one('ScatterND', [x3], {}, { initializers: [I64('i', [1, 2, 0, 0], [2, 2]), W('u', [2, 5], 25)] })],
  ];
  for (const [name, graph] of gradCases) {
    it(name, () => {
      const model = importOnnx(buildOnnx(graph));
      const shape = graph.inputs[0]!.shape as number[];
      const r = rng(name.length * 131);
      // Away from 0 (PRelu's kink) and with distinct values (TopK's order).
      const base = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 2 ? 1 : -1) * (0.2 + 1.5 * r()) + i * 1e-2);
      const run = (v: Float64Array) => model.predictOnBatch(tensor(Float32Array.from(v), shape)) as Tensor;
      const out = run(base);
      const w = Float32Array.from({ length: out.size }, () => r() - 0.5);
      const f = (v: Float64Array) => Array.from(run(v).dataSync()).reduce((acc, y, i) => acc + y * w[i]!, 0);
      const g = tf.grad((v: Tensor) => tf.sum(tf.mul(model.apply(v) as Tensor, tensor(w, out.shape.slice()))))(tensor(Float32Array.from(base), shape)).dataSync();
      const h = 1e-3;
      for (let k = 0; k < base.length; k++) {
        const up = base.slice(), down = base.slice();
        up[k] = base[k]! + h;
        down[k] = base[k]! - h;
        const fd = (f(up) - f(down)) / (2 * h);
        if (!(Math.abs(g[k]! - fd) <= 2e-2 * Math.max(1, Math.abs(fd)))) throw new Error(`${name}: d/dx[${k}] is ${g[k]}, finite differences give ${fd}`);
      }
    });
  }
});
