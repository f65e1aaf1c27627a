// The channels-last regions of a compiled plan around ops that are and are not layout-aware: each
// graph below mixes them, and the plan must predict what the imported graph predicts, call after
// call (intermediates are freed after their last reader; values that are one object stay).
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../src/ops/creation';
import { compareCompiled, type Graph, values } from '../../helpers/compiled-plan';



const conv = (name: string, cin: number, cout: number, k = 3) => ({ name, shape: [cout, cin, k, k], data: values(cout * cin * k * k, cout + k) });

const compare = compareCompiled;

const X = tensor(Float32Array.from(values(2 * 3 * 6 * 6, 1)), [2, 3, 6, 6]);

describe('compiled layouts', () => {
  it('identity aliases, a per-channel constant, a residual with the raw input, concat, softmax over channels', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4), conv('w2', 4, 3, 1), { name: 'cs', shape: [4, 1, 1], data: [0.5, -1, 2, 1.5] },
        { name: 'b1', shape: [4], data: [0.1, -0.2, 0.3, 0] }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Identity', inputs: ['c1'], outputs: ['i1'] },
        { op: 'LeakyRelu', inputs: ['i1'], outputs: ['l1'], attrs: { alpha: { float: 0.2 } } },
        { op: 'Mul', inputs: ['l1', 'cs'], outputs: ['m1'] },
        { op: 'Conv', inputs: ['m1', 'w2'], outputs: ['c2'] },
        { op: 'Add', inputs: ['c2', 'x'], outputs: ['r'] },
        { op: 'Concat', inputs: ['r', 'i1'], outputs: ['cat'], attrs: { axis: 1 } },
        { op: 'Softmax', inputs: ['cat'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.kernels).toBe(2);
    // x in (for the conv and, separately cached, the residual uses the same conversion), and out before Softmax.
    expect(s.layoutConversions).toBe(2);
  });

  it('a conv output read by BatchNorm and by another op keeps its BatchNorm; pooling with padding; reductions, Pad and LogSoftmax follow the layout; a Transpose to NHWC is the storage', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4), conv('w2', 4, 4),
        ...['g', 'b', 'm'].map((n, k) => ({ name: n, shape: [4], data: values(4, k) })), { name: 'v', shape: [4], data: [0.5, 1, 1.5, 2] },
        { name: 'pads', shape: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], dtype: 'int64' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1], strides: [1, 1] } },
        { op: 'BatchNormalization', inputs: ['c1', 'g', 'b', 'm', 'v'], outputs: ['bn'] },
        { op: 'Clip', inputs: ['bn'], outputs: ['cl'], attrs: { min: { float: 0 }, max: { float: 0.3 } } },
        { op: 'Sub', inputs: ['cl', 'c1'], outputs: ['d'] },
        { op: 'AveragePool', inputs: ['d'], outputs: ['ap'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
        { op: 'MaxPool', inputs: ['ap'], outputs: ['mp'], attrs: { kernel_shape: [2, 2], ceil_mode: 1, strides: [2, 2] } },
        { op: 'Conv', inputs: ['mp', 'w2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'GlobalMaxPool', inputs: ['c2'], outputs: ['gm'] },
        { op: 'Mul', inputs: ['c2', 'gm'], outputs: ['sc0'] },
        { op: 'ReduceMean', inputs: ['c2'], outputs: ['rm'], attrs: { axes: [1, -1] } },
        { op: 'Sub', inputs: ['sc0', 'rm'], outputs: ['sc'] },
        { op: 'Pad', inputs: ['sc', 'pads'], outputs: ['pd0'] },
        { op: 'LogSoftmax', inputs: ['pd0'], outputs: ['pd'], attrs: { axis: 2 } },
        { op: 'Transpose', inputs: ['pd'], outputs: ['y'], attrs: { perm: [0, 2, 3, 1] } },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.foldedBatchNorms).toBe(0);
    // Into channels-last at the input only: the final Transpose to NHWC is the channels-last storage itself.
    expect(s.layoutConversions).toBe(1);
  });

  it('reductions that drop axes (keepdims 0) read the channels-last tensor when the kept axes keep their order', () => {
    // ShuffleNet's head: mean over H and W to [N, C]; a mean over C to [N, H, W]; both without a
    // conversion (and over C and W to [N, H]). A mean over H or W alone leaves [N, C, W] or [N, C, H],
    // whose channels-last order differs: converted.
    const graph = (axes: number[]): Graph => ({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4)],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Relu', inputs: ['c1'], outputs: ['r'] },
        { op: 'ReduceMean', inputs: ['r'], outputs: ['y'], attrs: { axes, keepdims: 0 } },
      ],
    });
    for (const [axes, conversions] of [[[2, 3], 1], [[-1, -2], 1], [[1], 1], [[0, 2, 3], 1], [[2], 2], [[3], 2], [[1, 3], 1]] as [number[], number][]) {
      const p = compare(graph(axes), X);
      expect(p.stats([X])!.layoutConversions, `axes ${axes.join(',')}`).toBe(conversions);
    }
    // The same with the axes as an input (opset 18).
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'], opset: 18,
      initializers: [conv('w1', 3, 4), { name: 'axes', shape: [2], data: [2, 3], dtype: 'int64' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'ReduceMean', inputs: ['c1', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } },
      ],
    }, X);
    expect(p.stats([X])!.layoutConversions).toBe(1);
  });

  it('BatchNorms that cannot fold (after a Concat, on the raw input) run as one scale-and-shift pass with the activation after them', () => {
    const bnInits = (p: string, c: number, k: number) => [
      ...['g', 'b', 'm'].map((n, j) => ({ name: `${p}${n}`, shape: [c], data: values(c, k + j) })),
      { name: `${p}v`, shape: [c], data: Array.from({ length: c }, (_, j) => 0.5 + 0.25 * j) },
    ];
    const bn = (p: string, x: string, y: string) => ({ op: 'BatchNormalization', inputs: [x, `${p}g`, `${p}b`, `${p}m`, `${p}v`], outputs: [y] });
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4), conv('w2', 7, 5, 1), ...bnInits('a', 3, 1), ...bnInits('c', 7, 4)],
      nodes: [
        // On the channels-first input: channel axis 1, ReLU6 joins it.
        bn('a', 'x', 'a0'),
        { op: 'Clip', inputs: ['a0'], outputs: ['a1'], attrs: { min: { float: 0 }, max: { float: 6 } } },
        { op: 'Conv', inputs: ['a1', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        // DenseNet's pre-activation: Concat, BatchNorm, ReLU, then the 1x1 convolution, channels-last.
        { op: 'Concat', inputs: ['c1', 'x'], outputs: ['cat'], attrs: { axis: 1 } },
        bn('c', 'cat', 'c0'),
        { op: 'Relu', inputs: ['c0'], outputs: ['r'] },
        { op: 'Conv', inputs: ['r', 'w2'], outputs: ['y'] },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.foldedBatchNorms).toBe(0);
    expect(s.affineBatchNorms).toBe(2);
    expect(s.fusedEpilogues).toBe(2);
    // Two BatchNorm steps (activations inside), two convolutions, the Concat and the layout conversions.
    expect(s.steps).toBe(5 + s.layoutConversions);
  });

  it("ConvNeXt's permutes around LayerNorm and the MLP cost no layout conversion: NCHW -> NHWC and back are the channels-last storage itself", () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 8), { name: 'dw', shape: [8, 1, 3, 3], data: values(72, 3) }, conv('w2', 8, 4, 1),
        { name: 'g', shape: [8], data: values(8, 1) }, { name: 'b', shape: [8], data: values(8, 2) },
        { name: 'm1', shape: [8, 16], data: values(128, 4) }, { name: 'm2', shape: [16, 8], data: values(128, 5) },
        { name: 'ls', shape: [8], data: values(8, 6) }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Conv', inputs: ['c1', 'dw'], outputs: ['d'], attrs: { pads: [1, 1, 1, 1], group: 8 } },
        { op: 'Transpose', inputs: ['d'], outputs: ['t1'], attrs: { perm: [0, 2, 3, 1] } },
        { op: 'LayerNormalization', inputs: ['t1', 'g', 'b'], outputs: ['ln'], attrs: { axis: -1, epsilon: { float: 1e-6 } } },
        { op: 'MatMul', inputs: ['ln', 'm1'], outputs: ['h'] },
        { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
        { op: 'MatMul', inputs: ['hr', 'm2'], outputs: ['h2'] },
        { op: 'Mul', inputs: ['h2', 'ls'], outputs: ['h3'] },
        { op: 'Transpose', inputs: ['h3'], outputs: ['t2'], attrs: { perm: [0, 3, 1, 2] } },
        { op: 'Add', inputs: ['t2', 'c1'], outputs: ['r'] },
        { op: 'Conv', inputs: ['r', 'w2'], outputs: ['y'] },
      ],
    }, X);
    // Into channels-last at the input and back at the output only.
    expect(p.stats([X])!.layoutConversions).toBe(2);
  });

  it('opset 18: reduction axes and Pad axes as inputs follow the layout', () => {
    const p = compare({
      opset: 18,
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4), { name: 'ax', shape: [2], data: [2, 1], dtype: 'int64' },
        { name: 'pads', shape: [4], data: [1, 2, 0, 1], dtype: 'int64' }, { name: 'pax', shape: [2], data: [1, 3], dtype: 'int64' }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'] },
        { op: 'ReduceMax', inputs: ['c1', 'ax'], outputs: ['r'] },
        { op: 'Div', inputs: ['c1', 'r'], outputs: ['d'] },
        { op: 'Pad', inputs: ['d', 'pads', '', 'pax'], outputs: ['pd'], attrs: { mode: 'reflect' } },
        { op: 'Flatten', inputs: ['pd'], outputs: ['y'] },
      ],
    }, X);
    expect(p.stats([X])!.layoutConversions).toBe(2);
  });

  it('grouped, strided transposed convolutions with output padding and Resize run channels-last', () => {
    const p = compare({
      inputs: [{ name: 'x', shape: ['N', 3, 6, 6] }], outputs: ['y'],
      initializers: [conv('w1', 3, 4), { name: 'wt', shape: [4, 3, 3, 3], data: values(108, 5) }, { name: 'bt', shape: [6], data: values(6, 2) },
        { name: 'scales', shape: [4], data: [1, 1, 2, 3] }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
        { op: 'ConvTranspose', inputs: ['r1', 'wt', 'bt'], outputs: ['ct'], attrs: { group: 2, strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] } },
        { op: 'Resize', inputs: ['ct', '', 'scales'], outputs: ['rs'], attrs: { mode: 'nearest' } },
        { op: 'Resize', inputs: ['ct', '', 'scales'], outputs: ['rl'], attrs: { mode: 'linear' } },
        { op: 'Sub', inputs: ['rs', 'rl'], outputs: ['y'] },
      ],
    }, X);
    const s = p.stats([X])!;
    expect(s.kernels).toBe(2);
    expect(s.layoutConversions).toBe(2);
  });
});
