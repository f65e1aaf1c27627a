// Quantized ONNX models against onnxruntime-node: QuantizeLinear/DequantizeLinear (per-tensor and
// per-axis, uint8/int8/int16, opsets 10 to 21), DynamicQuantizeLinear, QLinearConv, QLinearMatMul,
// ConvInteger, MatMulInteger, and float16 initializers, inputs and outputs. Integer outputs must
// equal onnxruntime's exactly, float outputs within 1e-5.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeHalfArray, encodeHalfArray } from '../../../src/io/half';
import { importOnnx } from '../../../src/onnx/import';
import { supportedOnnxOps } from '../../../src/onnx/import/ops';
import * as tf from '../../../src';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { tensor } from '../../../src/ops/creation';
import type { Tensor } from '../../../src/tensor/tensor';
import { type GraphSpec, type OrtFeed, type SpecDType, buildOnnx, runOrt } from '../../helpers/onnx-graph';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Random integers in [lo, hi]. */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

/** Random floats in [lo, hi). */
function floats(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface Input {
  name: string;
  shape: number[];
  dtype?: SpecDType;
  data: number[];
}

interface Case {
  name: string;
  graph: GraphSpec;
  inputs: Input[];
  /** Allowed difference for float outputs (integer outputs must be equal). */
  tol?: number;
}

const TYPED: Partial<Record<SpecDType, (d: number[]) => OrtFeed['data']>> = {
  uint8: (d) => Uint8Array.from(d),
  int8: (d) => Int8Array.from(d),
  float16: (d) => encodeHalfArray(d),
};

function ortFeeds(inputs: Input[]): Record<string, OrtFeed> {
  return Object.fromEntries(inputs.map((i) => [i.name, { data: (TYPED[i.dtype ?? 'float32'] ?? ((d: number[]) => Float32Array.from(d)))(i.data), shape: i.shape }]));
}

/** Our input tensors: integer types as int32, float16 as its (already half-exact) values in float32. */
function ourInputs(inputs: Input[]): Tensor[] {
  return inputs.map((i) => {
    const dtype = i.dtype ?? 'float32';
    if (dtype === 'float32' || dtype === 'float16') return tensor(Float32Array.from(dtype === 'float16' ? decodeHalfArray(encodeHalfArray(i.data)) : i.data), i.shape);
    return tensor(Int32Array.from(i.data), i.shape, 'int32');
  });
}

/** An ORT output as plain numbers (float16 decoded). */
function ortValues(t: { type: string; data: unknown }): number[] {
  if (t.type === 'float16') {
    const d = t.data as Uint16Array | { length: number };
    return Array.from(d instanceof Uint16Array ? decodeHalfArray(d) : (d as unknown as ArrayLike<number>));
  }
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

async function compare(c: Case, bytes = buildOnnx(c.graph)): Promise<void> {
  const ref = await runOrt(bytes, ortFeeds(c.inputs));
  const model = importOnnx(bytes);
  const xs = ourInputs(c.inputs);
  const out = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
  const outs = Array.isArray(out) ? out : [out];
  const names = c.graph.outputs.map((o) => (typeof o === 'string' ? o : o.name));
  names.forEach((name, k) => {
    const want = ref[name]!;
    const got = outs[k]!;
    expect(got.shape, `${c.name}: output ${name} shape`).toEqual([...want.dims]);
    const w = ortValues(want);
    const g = Array.from(got.dataSync());
    const integer = !['float32', 'float16'].includes(want.type);
    const tol = integer ? 0 : (c.tol ?? 1e-5);
    for (let i = 0; i < w.length; i++) {
      if (!(Math.abs(g[i]! - w[i]!) <= tol * Math.max(1, Math.abs(w[i]!)))) {
        throw new Error(`${c.name}: output ${name} element ${i} is ${g[i]}, onnxruntime gives ${w[i]}`);
      }
    }
  });
}

const I = (name: string, dtype: SpecDType, shape: number[], data: number[]) => ({ name, dtype, shape, data });
const F = (name: string, shape: number[], data: number[]) => ({ name, shape, data });
const out = (name: string, dtype: SpecDType) => ({ name, dtype });

const X4 = [2, 3, 5, 4];
// Multiples of 1/8 with scale 0.25 put many values exactly halfway between two steps (ties to even).
const ties = (n: number, seed: number) => ints(n, -400, 400, seed).map((v) => v / 8);

const CASES: Case[] = [
  {
    name: 'QuantizeLinear uint8 per-tensor, ties to even, saturating (opset 10)',
    graph: { opset: 10, inputs: [{ name: 'x', shape: X4 }], outputs: [out('y', 'uint8')], initializers: [F('s', [], [0.25]), I('z', 'uint8', [], [128])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }] },
    inputs: [{ name: 'x', shape: X4, data: ties(size(X4), 1) }],
  },
  {
    name: 'QuantizeLinear uint8 without zero point, random scale',
    graph: { opset: 13, inputs: [{ name: 'x', shape: X4 }], outputs: [out('y', 'uint8')], initializers: [F('s', [], [0.0371])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'] }] },
    inputs: [{ name: 'x', shape: X4, data: floats(size(X4), -3, 12, 2) }],
  },
  {
    name: 'QuantizeLinear int8 per-axis (axis 1)',
    graph: { opset: 13, inputs: [{ name: 'x', shape: X4 }], outputs: [out('y', 'int8')],
      initializers: [F('s', [3], [0.25, 0.02, 0.125]), I('z', 'int8', [3], [0, -5, 7])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: { axis: 1 } }] },
    inputs: [{ name: 'x', shape: X4, data: ties(size(X4), 3) }],
  },
  {
    name: 'QuantizeLinear uint8 per-axis (axis -1), one-element scale vector elsewhere',
    graph: { opset: 13, inputs: [{ name: 'x', shape: X4 }], outputs: [out('y', 'uint8'), out('y2', 'uint8')],
      initializers: [F('s', [4], [0.25, 0.5, 0.03, 0.125]), I('z', 'uint8', [4], [0, 128, 3, 255]), F('s1', [1], [0.1]), I('z1', 'uint8', [1], [10])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], attrs: { axis: -1 } },
        { op: 'QuantizeLinear', inputs: ['x', 's1', 'z1'], outputs: ['y2'] }] },
    inputs: [{ name: 'x', shape: X4, data: ties(size(X4), 4) }],
  },
  {
    name: 'QuantizeLinear output_dtype int8 without zero point, and int16 (opset 21)',
    graph: { opset: 21, inputs: [{ name: 'x', shape: X4 }], outputs: [out('y', 'int8'), out('y16', 'int16')],
      initializers: [F('s', [], [0.05]), F('s16', [], [0.0001]), I('z16', 'int16', [], [-3])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], attrs: { output_dtype: 3 } },
        { op: 'QuantizeLinear', inputs: ['x', 's16', 'z16'], outputs: ['y16'] }] },
    inputs: [{ name: 'x', shape: X4, data: floats(size(X4), -8, 8, 5) }],
  },
  {
    name: 'DequantizeLinear uint8 and int8 inputs, per-tensor and per-axis',
    graph: { opset: 13, inputs: [{ name: 'a', shape: X4, dtype: 'uint8' }, { name: 'b', shape: X4, dtype: 'int8' }], outputs: ['ya', 'yb'],
      initializers: [F('s', [], [0.0371]), I('z', 'uint8', [], [131]), F('sb', [3], [0.5, 0.001, 3]), I('zb', 'int8', [3], [-1, 0, 100])],
      nodes: [{ op: 'DequantizeLinear', inputs: ['a', 's', 'z'], outputs: ['ya'] },
        { op: 'DequantizeLinear', inputs: ['b', 'sb', 'zb'], outputs: ['yb'], attrs: { axis: 1 } }] },
    inputs: [I('a', 'uint8', X4, ints(size(X4), 0, 255, 6)), I('b', 'int8', X4, ints(size(X4), -128, 127, 7))],
  },
  {
    name: 'DequantizeLinear int32 (a bias) without zero point',
    graph: { opset: 13, inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'],
      initializers: [I('b', 'int32', [3], [-70000, 12, 1 << 20]), F('s', [], [0.00123])],
      nodes: [{ op: 'DequantizeLinear', inputs: ['b', 's'], outputs: ['bf'] }, { op: 'Add', inputs: ['x', 'bf'], outputs: ['y'] }] },
    inputs: [{ name: 'x', shape: [2, 3], data: floats(6, -1, 1, 8) }],
  },
  {
    name: 'QuantizeLinear -> DequantizeLinear (fake quantization)',
    graph: { opset: 13, inputs: [{ name: 'x', shape: X4 }], outputs: ['y'], initializers: [F('s', [], [0.0173]), I('z', 'int8', [], [-3])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] }, { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] }] },
    inputs: [{ name: 'x', shape: X4, data: floats(size(X4), -3, 3, 9) }],
  },
  {
    name: 'DynamicQuantizeLinear (all three outputs)',
    graph: { opset: 13, inputs: [{ name: 'x', shape: [3, 7] }], outputs: [out('y', 'uint8'), 'ys', out('yz', 'uint8')],
      nodes: [{ op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['y', 'ys', 'yz'] }] },
    inputs: [{ name: 'x', shape: [3, 7], data: floats(21, -2.5, 4, 10) }],
  },
  // ---- integer products ----
  {
    name: 'MatMulInteger: DynamicQuantizeLinear activations x int8 weights (dynamic quantization pattern)',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 4, 24] }], outputs: ['y'],
      initializers: [I('w', 'int8', [24, 10], ints(240, -127, 127, 11)), I('wz', 'int8', [], [0]), F('ws', [], [0.0123])],
      nodes: [
        { op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['q', 'qs', 'qz'] },
        { op: 'MatMulInteger', inputs: ['q', 'w', 'qz', 'wz'], outputs: ['acc'] },
        { op: 'Cast', inputs: ['acc'], outputs: ['accf'], attrs: { to: 1 } },
        { op: 'Mul', inputs: ['qs', 'ws'], outputs: ['s'] },
        { op: 'Mul', inputs: ['accf', 's'], outputs: ['y'] },
      ] },
    inputs: [{ name: 'x', shape: [2, 4, 24], data: floats(192, -3, 5, 12) }],
  },
  {
    name: 'MatMulInteger: uint8 weights with per-column zero points, int32 out',
    graph: { opset: 13, inputs: [{ name: 'a', shape: ['N', 9], dtype: 'uint8' }], outputs: [out('y', 'int32')],
      initializers: [I('w', 'uint8', [9, 5], ints(45, 0, 255, 13)), I('az', 'uint8', [], [77]), I('wz', 'uint8', [5], [0, 128, 255, 3, 90])],
      nodes: [{ op: 'MatMulInteger', inputs: ['a', 'w', 'az', 'wz'], outputs: ['y'] }] },
    inputs: [I('a', 'uint8', [3, 9], ints(27, 0, 255, 14))],
  },
  {
    name: 'MatMulInteger: int8 x int8, batched B, no zero points',
    graph: { opset: 13, inputs: [{ name: 'a', shape: [2, 3, 6], dtype: 'int8' }, { name: 'b', shape: [2, 6, 4], dtype: 'int8' }], outputs: [out('y', 'int32')],
      nodes: [{ op: 'MatMulInteger', inputs: ['a', 'b'], outputs: ['y'] }] },
    inputs: [I('a', 'int8', [2, 3, 6], ints(36, -128, 127, 15)), I('b', 'int8', [2, 6, 4], ints(48, -128, 127, 16))],
  },
  {
    name: 'MatMulInteger: sums beyond 2^24 stay exact',
    graph: { opset: 13, inputs: [{ name: 'a', shape: [2, 1200], dtype: 'uint8' }], outputs: [out('y', 'int32')],
      initializers: [I('w', 'int8', [1200, 3], [...new Array(1200).fill([-128, 127, 5]).flat()])],
      nodes: [{ op: 'MatMulInteger', inputs: ['a', 'w'], outputs: ['y'] }] },
    inputs: [I('a', 'uint8', [2, 1200], [...new Array(1200).fill(255), ...ints(1200, 200, 255, 17)])],
  },
  {
    name: 'QLinearMatMul: uint8 activations, int8 per-column weights, uint8 out',
    graph: { opset: 13, inputs: [{ name: 'a', shape: ['N', 16], dtype: 'uint8' }], outputs: [out('y', 'uint8')],
      initializers: [F('as', [], [0.02]), I('az', 'uint8', [], [120]), I('b', 'int8', [16, 6], ints(96, -127, 127, 18)),
        F('bs', [6], [0.01, 0.002, 0.03, 0.004, 0.005, 0.0061]), I('bz', 'int8', [6], [0, 0, 0, 0, 0, 0]), F('ys', [], [0.05]), I('yz', 'uint8', [], [128])],
      nodes: [{ op: 'QLinearMatMul', inputs: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] }] },
    inputs: [I('a', 'uint8', [5, 16], ints(80, 0, 255, 19))],
  },
  {
    name: 'QLinearMatMul: int8 activations and output, 3-D, per-tensor int8 weights with a zero point',
    graph: { opset: 13, inputs: [{ name: 'a', shape: ['N', 3, 8], dtype: 'int8' }], outputs: [out('y', 'int8')],
      initializers: [F('as', [], [0.1]), I('az', 'int8', [], [-4]), I('b', 'int8', [8, 5], ints(40, -128, 127, 20)),
        F('bs', [], [0.007]), I('bz', 'int8', [], [3]), F('ys', [], [0.2]), I('yz', 'int8', [], [-10])],
      nodes: [{ op: 'QLinearMatMul', inputs: ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] }] },
    inputs: [I('a', 'int8', [2, 3, 8], ints(48, -128, 127, 21))],
  },
  {
    name: 'QLinearConv: uint8 x, int8 per-channel weights, int32 bias, pads and strides',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 3, 7, 6], dtype: 'uint8' }], outputs: [out('y', 'uint8')],
      initializers: [F('xs', [], [0.03]), I('xz', 'uint8', [], [100]), I('w', 'int8', [4, 3, 3, 3], ints(108, -127, 127, 22)),
        F('ws', [4], [0.01, 0.02, 0.005, 0.013]), I('wz', 'int8', [4], [0, 0, 0, 0]), F('ys', [], [0.07]), I('yz', 'uint8', [], [90]),
        I('b', 'int32', [4], [1000, -2000, 0, 37])],
      nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['y'],
        attrs: { kernel_shape: [3, 3], pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2] } }] },
    inputs: [I('x', 'uint8', [2, 3, 7, 6], ints(252, 0, 255, 23))],
  },
  {
    name: 'QLinearConv: depthwise, SAME_UPPER, stride 2',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 4, 6, 6], dtype: 'uint8' }], outputs: [out('y', 'uint8')],
      initializers: [F('xs', [], [0.05]), I('xz', 'uint8', [], [128]), I('w', 'int8', [8, 1, 3, 3], ints(72, -127, 127, 24)),
        F('ws', [], [0.02]), I('wz', 'int8', [], [0]), F('ys', [], [0.1]), I('yz', 'uint8', [], [5])],
      nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'],
        attrs: { group: 4, strides: [2, 2], auto_pad: 'SAME_UPPER' } }] },
    inputs: [I('x', 'uint8', [2, 4, 6, 6], ints(288, 0, 255, 25))],
  },
  {
    name: 'QLinearConv: uint8 weights with a zero point (TypeScript path), groups 2, dilations',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 4, 5, 5], dtype: 'uint8' }], outputs: [out('y', 'uint8')],
      initializers: [F('xs', [], [0.02]), I('xz', 'uint8', [], [10]), I('w', 'uint8', [6, 2, 2, 2], ints(48, 0, 255, 26)),
        F('ws', [], [0.004]), I('wz', 'uint8', [], [131]), F('ys', [], [0.09]), I('yz', 'uint8', [], [60])],
      nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'], attrs: { group: 2, pads: [1, 1, 0, 0], dilations: [2, 1] } }] },
    inputs: [I('x', 'uint8', [2, 4, 5, 5], ints(200, 0, 255, 27))],
  },
  {
    name: 'QLinearConv: 1-D, int8 activations',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 3, 11], dtype: 'int8' }], outputs: [out('y', 'int8')],
      initializers: [F('xs', [], [0.03]), I('xz', 'int8', [], [-2]), I('w', 'int8', [5, 3, 3], ints(45, -127, 127, 28)),
        F('ws', [5], [0.01, 0.02, 0.03, 0.04, 0.05]), I('wz', 'int8', [5], [0, 0, 0, 0, 0]), F('ys', [], [0.3]), I('yz', 'int8', [], [0])],
      nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'], attrs: { pads: [1, 2], strides: [2] } }] },
    inputs: [I('x', 'int8', [2, 3, 11], ints(66, -128, 127, 29))],
  },
  {
    name: 'ConvInteger: uint8 x, uint8 weights with a zero point',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 3, 6, 6], dtype: 'uint8' }], outputs: [out('y', 'int32')],
      initializers: [I('w', 'uint8', [2, 3, 3, 3], ints(54, 0, 255, 30)), I('xz', 'uint8', [], [7]), I('wz', 'uint8', [], [128])],
      nodes: [{ op: 'ConvInteger', inputs: ['x', 'w', 'xz', 'wz'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }] },
    inputs: [I('x', 'uint8', [2, 3, 6, 6], ints(216, 0, 255, 31))],
  },
  {
    name: 'ConvInteger: int8 symmetric weights (native kernel), sums beyond 2^24',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 300, 3, 3], dtype: 'uint8' }], outputs: [out('y', 'int32')],
      initializers: [I('w', 'int8', [2, 300, 3, 3], [...new Array(2700).fill(-128), ...ints(2700, -127, 127, 32)])],
      nodes: [{ op: 'ConvInteger', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }] },
    inputs: [I('x', 'uint8', [1, 300, 3, 3], new Array(2700).fill(255))],
  },
  // ---- float16 ----
  {
    name: 'float16 initializers, graph input and output',
    graph: { opset: 13, inputs: [{ name: 'x', shape: ['N', 5], dtype: 'float16' }], outputs: [out('y', 'float16')],
      initializers: [{ name: 'w', shape: [5, 3], data: floats(15, -1, 1, 33), dtype: 'float16' }, { name: 'b', shape: [3], data: [0.1, -0.2, 3.3], dtype: 'float16' }],
      nodes: [
        { op: 'Cast', inputs: ['x'], outputs: ['xf'], attrs: { to: 1 } }, { op: 'Cast', inputs: ['w'], outputs: ['wf'], attrs: { to: 1 } },
        { op: 'Cast', inputs: ['b'], outputs: ['bf'], attrs: { to: 1 } },
        { op: 'MatMul', inputs: ['xf', 'wf'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'bf'], outputs: ['yf'] },
        { op: 'Cast', inputs: ['yf'], outputs: ['y'], attrs: { to: 10 } },
      ] },
    inputs: [{ name: 'x', shape: [4, 5], dtype: 'float16', data: floats(20, -4, 4, 34) }],
  },
  {
    name: 'DequantizeLinear with a float16 scale gives float16 values (opset 19)',
    graph: { opset: 19, inputs: [{ name: 'q', shape: [2, 6], dtype: 'int8' }], outputs: [out('y', 'float16')],
      initializers: [{ name: 's', shape: [], data: [0.0137], dtype: 'float16' }, I('z', 'int8', [], [3])],
      nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] }] },
    inputs: [I('q', 'int8', [2, 6], ints(12, -128, 127, 35))],
  },
];

describe('importOnnx: quantization ops match onnxruntime-node', () => {
  for (const c of CASES) it(c.name, () => compare(c));

  it('lists the quantization ops as supported', () => {
    expect(supportedOnnxOps()).toEqual(expect.arrayContaining(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger']));
  });

  it('refuses blocked quantization and a zero point of unknown type', () => {
    const blocked = buildOnnx({ opset: 21, inputs: [{ name: 'x', shape: [2, 4] }], outputs: [out('y', 'uint8')], initializers: [F('s', [2, 2], [1, 1, 1, 1])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], attrs: { axis: 1, block_size: 2 } }] });
    expect(() => importOnnx(blocked)).toThrow(/blocked quantization \(block_size 2\) is not supported/);
    const float = buildOnnx({ opset: 13, inputs: [{ name: 'x', shape: [2, 4] }], outputs: [out('y', 'uint8')], initializers: [F('s', [], [1]), F('z', [], [0])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }] });
    expect(() => importOnnx(float)).toThrow(/zero point should be uint8, int8, uint16 or int16, got float32/);
  });
});

/** Per-channel symmetric int8 quantization of a [cout, ...] float weight: values and scales. */
function quantizePerChannel(w: number[], cout: number): { q: number[]; scales: number[] } {
  const per = w.length / cout;
  const scales: number[] = [];
  const q: number[] = [];
  for (let c = 0; c < cout; c++) {
    const row = w.slice(c * per, (c + 1) * per);
    const s = Math.fround(Math.max(...row.map(Math.abs)) / 127);
    scales.push(s);
    for (const v of row) q.push(Math.max(-127, Math.min(127, Math.round(v / s))));
  }
  return { q, scales };
}

/**
 * A QDQ CNN as onnxruntime's static quantizer writes one: QuantizeLinear -> DequantizeLinear on
 * every activation, int8 per-channel weights and int32 biases behind DequantizeLinear.
 */
function qdqCnn(quantizedOutput = true): GraphSpec {
  const acts = [0.02, 0.031, 0.027, 0.045];
  const zps = [128, 0, 0, 0];
  const w1 = quantizePerChannel(floats(4 * 1 * 9, -0.6, 0.6, 40), 4);
  const w2 = quantizePerChannel(floats(8 * 4 * 9, -0.3, 0.3, 41), 8);
  const w3 = quantizePerChannel(floats(10 * 32, -0.2, 0.2, 42), 10);
  const bias = (n: number, inScale: number, wScales: number[], seed: number) => {
    const b = floats(n, -0.3, 0.3, seed);
    const s = wScales.map((ws) => Math.fround(inScale * ws));
    return { q: b.map((v, i) => Math.round(v / s[i]!)), s };
  };
  const b1 = bias(4, acts[0]!, w1.scales, 43);
  const b2 = bias(8, acts[1]!, w2.scales, 44);
  const qdq = (v: string, k: number) => [
    { op: 'QuantizeLinear', inputs: [v, `s${k}`, `z${k}`], outputs: [`${v}_q`] },
    { op: 'DequantizeLinear', inputs: [`${v}_q`, `s${k}`, `z${k}`], outputs: [`${v}_dq`] },
  ];
  const dq = (v: string) => ({ op: 'DequantizeLinear', inputs: [v, `${v}_s`, `${v}_z`], outputs: [`${v}_f`], attrs: { axis: 0 } });
  return {
    opset: 13, inputs: [{ name: 'x', shape: ['N', 1, 8, 8] }], outputs: ['y'],
    initializers: [
      ...acts.flatMap((s, k) => [F(`s${k}`, [], [s]), I(`z${k}`, 'uint8', [], [zps[k]!])]),
      I('w1', 'int8', [4, 1, 3, 3], w1.q), F('w1_s', [4], w1.scales), I('w1_z', 'int8', [4], [0, 0, 0, 0]),
      I('b1', 'int32', [4], b1.q), F('b1_s', [4], b1.s), I('b1_z', 'int32', [4], [0, 0, 0, 0]),
      I('w2', 'int8', [8, 4, 3, 3], w2.q), F('w2_s', [8], w2.scales), I('w2_z', 'int8', [8], new Array(8).fill(0)),
      I('b2', 'int32', [8], b2.q), F('b2_s', [8], b2.s), I('b2_z', 'int32', [8], new Array(8).fill(0)),
      I('w3', 'int8', [10, 32], w3.q), F('w3_s', [10], w3.scales), I('w3_z', 'int8', [10], new Array(10).fill(0)),
      F('b3', [10], floats(10, -0.1, 0.1, 45)),
    ],
    nodes: [
      ...qdq('x', 0), dq('w1'), dq('b1'), dq('w2'), dq('b2'), dq('w3'),
      { op: 'Conv', inputs: ['x_dq', 'w1_f', 'b1_f'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] }, ...qdq('r1', 1),
      { op: 'MaxPool', inputs: ['r1_dq'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } }, ...qdq('p1', 1),
      { op: 'Conv', inputs: ['p1_dq', 'w2_f', 'b2_f'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] }, name: 'conv2' },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] }, ...qdq('r2', 2),
      { op: 'Flatten', inputs: ['r2_dq'], outputs: ['f'] },
      ...(quantizedOutput
        ? [{ op: 'Gemm', inputs: ['f', 'w3_f', 'b3'], outputs: ['g'], attrs: { transB: 1 }, name: 'fc' }, ...qdq('g', 3).map((n, k) => (k === 1 ? { ...n, outputs: ['y'] } : n))]
        : [{ op: 'Gemm', inputs: ['f', 'w3_f', 'b3'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' }]),
    ],
  };
}

describe('importOnnx: float16 models re-export', () => {
  it('as float32 with the Cast to float16 rounding kept', async () => {
    const c = CASES.find((k) => k.name.startsWith('float16 initializers'))!;
    const model = importOnnx(buildOnnx(c.graph));
    const bytes = exportOnnxBytes(model);
    const x = c.inputs[0]!;
    const ref = await runOrt(bytes, { x: { data: Float32Array.from(decodeHalfArray(encodeHalfArray(x.data))), shape: x.shape } });
    const ours = (model.predictOnBatch(ourInputs([x])[0]!) as Tensor).dataSync();
    expect(Array.from(ref['y']!.data as Float32Array)).toEqual(Array.from(ours));
    // The values are float16 values.
    expect(Array.from(decodeHalfArray(encodeHalfArray(ours)))).toEqual(Array.from(ours));
  });
});

describe('importOnnx: a QDQ model (onnxruntime quantizer layout)', () => {
  const x = { name: 'x', shape: [6, 1, 8, 8], data: floats(6 * 64, 0, 2.5, 46) };

  it('predicts as onnxruntime does', () => compare({ name: 'QDQ CNN', graph: qdqCnn(), inputs: [x] }));
  it('predicts as onnxruntime does (float head)', () => compare({ name: 'QDQ CNN, float head', graph: qdqCnn(false), inputs: [x] }));

  it("keeps DequantizeLinear'd weights as float weights: trainable Conv/Gemm weights, fixed scales", () => {
    const model = importOnnx(buildOnnx(qdqCnn()));
    const weights = model.layers.flatMap((l) => l.weightsInfo.map((w) => ({ layer: l.name, name: w.name, trainable: w.trainable })));
    expect(weights.filter((w) => w.trainable).map((w) => w.name).sort()).toEqual(['b1_f', 'b2_f', 'b3', 'w1_f', 'w2_f', 'w3_f']);
    // Activation scales are weights of their Q/DQ nodes but never train.
    expect(weights.filter((w) => w.name === 's1').every((w) => !w.trainable)).toBe(true);
  });

  it('trains every float weight: QuantizeLinear -> DequantizeLinear passes gradients straight through', async () => {
    const { sgd } = await import('../../../src/optimizers');
    const model = importOnnx(buildOnnx(qdqCnn(false)));
    const before = new Map(model.layers.flatMap((l) => l.weightsInfo.map((w) => [`${l.name}/${w.name}`, Float32Array.from(w.value.dataSync())] as const)));
    model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
    const xs = ourInputs([x])[0]!;
    await model.fit(xs, tensor(Float32Array.from(floats(60, 0, 1, 47)), [6, 10]), { epochs: 2, batchSize: 3, verbose: 0 });
    const changed = (layer: string, name: string) => {
      const now = model.getLayer(layer).weightsInfo.find((w) => w.name === name)!.value.dataSync();
      return now.some((v, i) => v !== before.get(`${layer}/${name}`)![i]);
    };
    for (const [layer, name] of [['fc', 'w3_f'], ['fc', 'b3'], ['conv1', 'w1_f'], ['conv1', 'b1_f'], ['conv2', 'w2_f'], ['conv2', 'b2_f']] as const) {
      expect(changed(layer, name), `${layer}/${name}`).toBe(true);
    }
    // Scales and zero points stay as they were.
    expect(model.layers.flatMap((l) => l.weightsInfo.filter((w) => w.name.startsWith('s')).map((w) => changed(l.name, w.name)))).not.toContain(true);
    const out = model.predictOnBatch(xs) as Tensor;
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('gives the straight-through gradient: 1 inside the quantized range, 0 where it saturates', () => {
    const model = importOnnx(buildOnnx({ opset: 13, inputs: [{ name: 'x', shape: ['N', 6] }], outputs: ['y'],
      initializers: [F('s', [], [0.5]), I('z', 'int8', [], [-100])],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] }, { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] }] }));
    // int8 with zero point -100 covers [-14, 113.5]: -20 and 200 saturate.
    const x = tensor(Float32Array.from([-20, -13.9, 0.3, 50.26, 113, 200]), [1, 6]);
    const g = tf.grad((v: Tensor) => tf.sum(model.apply(v) as Tensor))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1, 1, 1, 0]);
    expect(Array.from((model.predictOnBatch(x) as Tensor).dataSync())).toEqual([-14, -14, 0.5, 50.5, 113, 113.5]);
  });

  it('saves and loads (quantization nodes keep their input types)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadModel } = await import('../../../src/models');
    const model = importOnnx(buildOnnx(qdqCnn()));
    const folder = mkdtempSync(join(tmpdir(), 'qdq-'));
    try {
      await model.save(folder);
      const back = await loadModel(folder);
      const xs = ourInputs([x])[0]!;
      expect(Array.from((back.predictOnBatch(xs) as Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(xs) as Tensor).dataSync()));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('re-exports to a file onnxruntime runs with the same outputs', async () => {
    const model = importOnnx(buildOnnx(qdqCnn()));
    const bytes = exportOnnxBytes(model);
    const ref = await runOrt(bytes, ortFeeds([x]));
    const ours = (model.predictOnBatch(ourInputs([x])[0]!) as Tensor).dataSync();
    const theirs = ref['y']!.data as Float32Array;
    expect(theirs.length).toBe(ours.length);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});

// Files written by the onnx Python package (raw_data tensors, as exporters write them); see
// test/fixtures/quantized/make-quantized-models.py.
describe('importOnnx: quantized and float16 files from the onnx Python package', () => {
  const dir = join(__dirname, '../../fixtures/quantized');
  const fixtures: { file: string; inputs: Input[]; outputs: string[] }[] = [
    { file: 'qdq-cnn.onnx', inputs: [{ name: 'x', shape: [5, 3, 8, 8], data: floats(5 * 192, -2.5, 2.5, 50) }], outputs: ['y'] },
    { file: 'qoperator.onnx', inputs: [{ name: 'x', shape: [4, 2, 5, 3], data: floats(120, -3, 3, 51) }], outputs: ['y', 'y2'] },
    { file: 'float16-conv.onnx', inputs: [{ name: 'x', shape: [2, 2, 6, 6], dtype: 'float16', data: floats(144, -2, 2, 52) }], outputs: ['y'] },
  ];
  for (const f of fixtures) {
    it(f.file, () => compare({ name: f.file, graph: { inputs: [], outputs: f.outputs, nodes: [] }, inputs: f.inputs }, new Uint8Array(readFileSync(join(dir, f.file)))));
  }
});
