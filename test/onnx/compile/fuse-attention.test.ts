// A pre-LayerNorm transformer block as PyTorch exports it (one QKV projection split into heads,
// attention, heads merged back, output projection and residual; then the MLP with exact GELU and
// its residual) compiles to: attention writing the merged-heads layout itself, both residual Adds
// in their linear layers' epilogues, and the shape ops as view steps; the results equal the
// uncompiled import.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';
import { ImportedModelPlanner } from '../../../src/onnx/compile/planner';
import { tensor } from '../../../src/ops/creation';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';
import { onBackend } from '../../helpers/layer-check';

const [T, C, H] = [5, 8, 2];
const D = C / H;
const F = 12;
const seq = (n: number, s: number, a = 0.5) => Array.from({ length: n }, (_, i) => Math.sin(i * s + 0.3) * a);
const i64 = (name: string, data: number[]) => ({ name, shape: [data.length], data, dtype: 'int64' as const });

function block(opts: { causalMask?: boolean; kPerm?: boolean } = {}): Uint8Array {
  const heads = (x: string, y: string, perm: number[]) => [
    { op: 'Reshape', inputs: [x, 'headShape'], outputs: [`${y}r`] },
    { op: 'Transpose', inputs: [`${y}r`], outputs: [y], attrs: { perm } },
  ];
  return buildOnnx({
    inputs: [{ name: 'x', shape: ['N', T, C] }],
    outputs: ['y'],
    initializers: [
      { name: 'g1', shape: [C], data: seq(C, 0.7, 0.2).map((v) => 1 + v) }, { name: 'b1', shape: [C], data: seq(C, 1.1, 0.1) },
      { name: 'Wqkv', shape: [C, 3 * C], data: seq(3 * C * C, 0.37) }, { name: 'bqkv', shape: [3 * C], data: seq(3 * C, 0.9, 0.1) },
      { name: 'Wo', shape: [C, C], data: seq(C * C, 0.53) }, { name: 'bo', shape: [C], data: seq(C, 0.2, 0.1) },
      { name: 'g2', shape: [C], data: seq(C, 0.4, 0.2).map((v) => 1 + v) }, { name: 'b2', shape: [C], data: seq(C, 0.8, 0.1) },
      { name: 'W1', shape: [C, F], data: seq(C * F, 0.29) }, { name: 'c1', shape: [F], data: seq(F, 0.6, 0.1) },
      { name: 'W2', shape: [F, C], data: seq(F * C, 0.31) }, { name: 'c2', shape: [C], data: seq(C, 0.5, 0.1) },
      { name: 'mask', shape: [T, T], data: Array.from({ length: T * T }, (_, e) => (e % T <= Math.floor(e / T) ? 0 : -Infinity)) },
      i64('splits', [C, C, C]), i64('headShape', [0, T, H, D]), i64('merged', [0, T, C]),
      { name: 'sqrtD', shape: [], data: [Math.sqrt(D)] }, { name: 'sqrt2', shape: [], data: [Math.SQRT2] },
      { name: 'one', shape: [], data: [1] }, { name: 'half', shape: [], data: [0.5] },
    ],
    nodes: [
      { op: 'LayerNormalization', inputs: ['x', 'g1', 'b1'], outputs: ['h1'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['h1', 'Wqkv'], outputs: ['qkv0'] },
      { op: 'Add', inputs: ['qkv0', 'bqkv'], outputs: ['qkv'] },
      { op: 'Split', inputs: ['qkv', 'splits'], outputs: ['q0', 'k0', 'v0'], attrs: { axis: 2 } },
      ...heads('q0', 'q', [0, 2, 1, 3]),
      ...(opts.kPerm ? heads('k0', 'kT', [0, 2, 3, 1]) : [
        ...heads('k0', 'k', [0, 2, 1, 3]),
        { op: 'Transpose', inputs: ['k'], outputs: ['kT'], attrs: { perm: [0, 1, 3, 2] } },
      ]),
      ...heads('v0', 'v', [0, 2, 1, 3]),
      { op: 'MatMul', inputs: ['q', 'kT'], outputs: ['s0'] },
      { op: 'Div', inputs: ['s0', 'sqrtD'], outputs: [opts.causalMask ? 's1' : 's'] },
      ...(opts.causalMask ? [{ op: 'Add', inputs: ['s1', 'mask'], outputs: ['s'] }] : []),
      { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['a'] },
      { op: 'Transpose', inputs: ['a'], outputs: ['at'], attrs: { perm: [0, 2, 1, 3] } },
      { op: 'Reshape', inputs: ['at', 'merged'], outputs: ['am'] },
      { op: 'MatMul', inputs: ['am', 'Wo'], outputs: ['o0'] },
      { op: 'Add', inputs: ['o0', 'bo'], outputs: ['o'] },
      { op: 'Add', inputs: ['x', 'o'], outputs: ['r1'] },
      { op: 'LayerNormalization', inputs: ['r1', 'g2', 'b2'], outputs: ['h2'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['h2', 'W1'], outputs: ['f0'] },
      { op: 'Add', inputs: ['f0', 'c1'], outputs: ['f'] },
      { op: 'Div', inputs: ['f', 'sqrt2'], outputs: ['e0'] },
      { op: 'Erf', inputs: ['e0'], outputs: ['e1'] },
      { op: 'Add', inputs: ['e1', 'one'], outputs: ['e2'] },
      { op: 'Mul', inputs: ['f', 'e2'], outputs: ['e3'] },
      { op: 'Mul', inputs: ['e3', 'half'], outputs: ['gl'] },
      { op: 'MatMul', inputs: ['gl', 'W2'], outputs: ['m0'] },
      { op: 'Add', inputs: ['m0', 'c2'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'r1'], outputs: ['y'] },
    ],
  });
}

function input(n: number): Tensor {
  return tensor(Float32Array.from({ length: n * T * C }, (_, i) => Math.cos(i * 0.77) * 1.5), [n, T, C]);
}

function expectSame(compiled: ReturnType<typeof importOnnx>, plain: ReturnType<typeof importOnnx>, x: Tensor): void {
  for (let call = 0; call < 3; call++) {
    const a = (compiled.predictOnBatch(x) as Tensor).dataSync();
    const b = (plain.predictOnBatch(x) as Tensor).dataSync();
    expect(a.length).toBe(b.length);
    const scale = Math.max(...Array.from(b, Math.abs));
    for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5 * scale);
  }
}

describe('compiled transformer blocks', () => {
  for (const [label, opts] of [['no mask', {}], ['additive causal mask', { causalMask: true }], ['kᵀ from one Transpose', { kPerm: true }]] as const) {
    it(`attention writes the merged-heads layout, residuals join the linear layers, shape ops are views: ${label}`, () => {
      const bytes = block(opts);
      const compiled = importOnnx(bytes);
      const plain = importOnnx(bytes, { compile: false });
      for (const n of [1, 3]) {
        const x = input(n);
        expectSame(compiled, plain, x);
        const s = (compiled.inferencePlanner as ImportedModelPlanner).stats([x])!;
        expect(s.headsLastAttentions).toBe(1);
        expect(s.fusedResiduals).toBe(2);
        // Split, the three head Reshapes, two or three Transposes, the merging Reshape.
        expect(s.viewSteps).toBeGreaterThanOrEqual(7);
        expect((compiled.inferencePlanner as ImportedModelPlanner).lastError).toBeNull();
      }
    });
  }

  it('compiles and matches on the js backend too (the ops the fused steps fall back to)', () => {
    const bytes = block({ causalMask: true });
    onBackend('js', () => {
      const compiled = importOnnx(bytes);
      const x = input(2);
      expectSame(compiled, importOnnx(bytes, { compile: false }), x);
      expect((compiled.inferencePlanner as ImportedModelPlanner).stats([x])!.fusedResiduals).toBe(2);
    });
  });

  it('a residual of another shape (broadcast) stays a separate Add', () => {
    const bytes = buildOnnx({
      inputs: [{ name: 'x', shape: ['N', T, C] }],
      outputs: ['y'],
      initializers: [{ name: 'W', shape: [C, C], data: seq(C * C, 0.41) }, { name: 'r', shape: [1, 1, C], data: seq(C, 0.3) }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'x'], outputs: ['a'] }, { op: 'Sub', inputs: ['a', 'r'], outputs: ['y'] }],
    });
    const compiled = importOnnx(bytes);
    const plain = importOnnx(bytes, { compile: false });
    const x = input(2);
    expectSame(compiled, plain, x);
    expect((compiled.inferencePlanner as ImportedModelPlanner).stats([x])!.fusedResiduals).toBe(1);
  });

  it('a compiled model still trains (through the imported graph) and predicts with the new weights', async () => {
    const bytes = block({ causalMask: true });
    const model = importOnnx(bytes);
    const plain = importOnnx(bytes, { compile: false });
    const x = input(2);
    const target = tensor(Float32Array.from({ length: 2 * T * C }, (_, i) => Math.sin(i * 0.21)), [2, T, C]);
    for (const m of [model, plain]) {
      m.predictOnBatch(x);
      m.predictOnBatch(x);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    }
    const before = (model.predictOnBatch(x) as Tensor).dataSync().slice();
    for (let step = 0; step < 2; step++) {
      await model.trainOnBatch(x, target);
      await plain.trainOnBatch(x, target);
    }
    expect(Array.from((model.predictOnBatch(x) as Tensor).dataSync())).not.toEqual(Array.from(before));
    expectSame(model, plain, x);
    expect((model.inferencePlanner as ImportedModelPlanner).stats([x])!.headsLastAttentions).toBe(1);
  });
});
