// Quantized ONNX models against onnxruntime-node: QuantizeLinear/DequantizeLinear (per-tensor and
// per-axis, uint8/int8/int16, opsets 10 to 21), DynamicQuantizeLinear, QLinearConv, QLinearMatMul,
// ConvInteger, MatMulInteger, and float16 initializers, inputs and outputs. Integer outputs must
// equal onnxruntime's exactly, float outputs within 1e-5.
import { describe, expect, it } from 'vitest';
import { decodeHalfArray, encodeHalfArray } from '../../../src/io/half';
import { importOnnx } from '../../../src/onnx/import';
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
];

describe('importOnnx: quantization ops match onnxruntime-node', () => {
  for (const c of CASES) it(c.name, () => compare(c));
});
