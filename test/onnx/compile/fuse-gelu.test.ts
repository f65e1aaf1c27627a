// Exact GELU written out as Div/Erf/Add/Mul/Mul (how PyTorch exports nn.GELU before opset 20)
// compiles to one gelu, which then joins the linear layer before it; look-alikes that are not GELU
// stay as written.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';
import { ImportedModelPlanner } from '../../../src/onnx/compile/planner';
import { tensor } from '../../../src/ops/creation';
import { buildOnnx, type GraphSpec } from '../../helpers/onnx-graph';

const IN = 6;
const OUT = 5;
const weights = Array.from({ length: IN * OUT }, (_, i) => Math.sin(i * 1.7) * 0.8);
const bias = Array.from({ length: OUT }, (_, i) => 0.3 * i - 0.6);

type Chain = GraphSpec['nodes'];
const halfLast: Chain = [
  { op: 'Div', inputs: ['h', 'sqrt2'], outputs: ['d'] },
  { op: 'Erf', inputs: ['d'], outputs: ['e'] },
  { op: 'Add', inputs: ['e', 'one'], outputs: ['p'] },
  { op: 'Mul', inputs: ['h', 'p'], outputs: ['m'] },
  { op: 'Mul', inputs: ['m', 'half'], outputs: ['y'] },
];
const halfFirst: Chain = [
  { op: 'Mul', inputs: ['invsqrt2', 'h'], outputs: ['d'] },
  { op: 'Erf', inputs: ['d'], outputs: ['e'] },
  { op: 'Add', inputs: ['one', 'e'], outputs: ['p'] },
  { op: 'Mul', inputs: ['half', 'h'], outputs: ['hh'] },
  { op: 'Mul', inputs: ['hh', 'p'], outputs: ['y'] },
];
// Not GELU: erf(x / 2).
const wrongScale: Chain = halfLast.map((n) => (n.op === 'Div' ? { ...n, inputs: ['h', 'two'] } : n));

function model(chain: Chain): Uint8Array {
  const scalar = (name: string, v: number): { name: string; shape: number[]; data: number[] } => ({ name, shape: [], data: [v] });
  return buildOnnx({
    inputs: [{ name: 'x', shape: ['N', IN] }],
    outputs: ['y'],
    initializers: [
      { name: 'W', shape: [IN, OUT], data: weights }, { name: 'b', shape: [OUT], data: bias },
      scalar('sqrt2', Math.SQRT2), scalar('invsqrt2', Math.SQRT1_2), scalar('one', 1), scalar('half', 0.5), scalar('two', 2),
    ],
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['mm'] }, { op: 'Add', inputs: ['mm', 'b'], outputs: ['h'] }, ...chain],
  });
}

const x = tensor(Float32Array.from({ length: 4 * IN }, (_, i) => Math.cos(i * 0.9) * 2), [4, IN]);

function check(chain: Chain): { gated: number; fused: number } {
  const bytes = model(chain);
  const compiled = importOnnx(bytes);
  const plain = importOnnx(bytes, { compile: false });
  const a = (compiled.predictOnBatch(x) as ReturnType<typeof tensor>).dataSync();
  const b = (plain.predictOnBatch(x) as ReturnType<typeof tensor>).dataSync();
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b[i]!)));
  const s = (compiled.inferencePlanner as ImportedModelPlanner).stats([x])!;
  return { gated: s.gatedActivations, fused: s.fusedEpilogues };
}

describe('exact GELU sub-graphs in compiled imports', () => {
  it('0.5·(x·(1 + erf(x/√2))) becomes a gelu in the linear layer\'s epilogue', () => {
    expect(check(halfLast)).toEqual({ gated: 1, fused: 1 });
  });

  it('(0.5·x)·(1 + erf(x·(1/√2))) with operands either side too', () => {
    expect(check(halfFirst)).toEqual({ gated: 1, fused: 1 });
  });

  it('erf with another scale is left as written (and still computes the same)', () => {
    expect(check(wrongScale)).toEqual({ gated: 0, fused: 0 });
  });
});
