// Models known to crash onnxruntime-node are refused by the library's own reader before they reach
// it (these models are never handed to onnxruntime here).
import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../../src/onnx/inference-session';
import { sessionModelProblems, validatedOps } from '../../../src/onnx/session/validate-model';
import { buildOnnx } from '../../helpers/onnx-graph';

const layerNorm = (inputs: string[]): Uint8Array =>
  buildOnnx({
    inputs: [{ name: 'x', shape: ['n', 4] }],
    outputs: ['y'],
    initializers: [{ name: 'g', shape: [4], data: [1, 1, 1, 1] }, { name: 'b', shape: [4], data: [0, 0, 0, 0] }],
    nodes: [{ op: 'LayerNormalization', inputs, outputs: ['y'], attrs: { axis: -1 } }],
  });

const resize = (scales: number[], extra: { sizes?: boolean } = {}): Uint8Array =>
  buildOnnx({
    opset: 13,
    inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
    outputs: ['y'],
    initializers: [
      { name: 'scales', shape: [scales.length], data: scales },
      { name: 'sizes', shape: [4], data: [1, 1, 8, 8], dtype: 'int64' },
    ],
    nodes: [{ op: 'Resize', inputs: ['x', '', 'scales', ...(extra.sizes ? ['sizes'] : [])], outputs: ['y'], attrs: { mode: 'nearest' } }],
  });

describe('session model validation', () => {
  it('lists the op types it has rules for', () => {
    expect(validatedOps).toEqual(expect.arrayContaining(['LayerNormalization', 'Resize']));
  });

  it("LayerNormalization with the empty optional bias '' is refused", async () => {
    expect(sessionModelProblems(layerNorm(['x', 'g', '']))).toEqual([
      "node 'LayerNormalization_0' (LayerNormalization): input 2 (B) is given as the empty name ''; leave trailing optional inputs out of the list instead",
    ]);
    await expect(InferenceSession.create(layerNorm(['x', 'g', '']))).rejects.toThrow(/refused before reaching onnxruntime.*\n.*input 2 \(B\)/);
  });

  it('LayerNormalization with or without a real bias passes', () => {
    expect(sessionModelProblems(layerNorm(['x', 'g', 'b']))).toEqual([]);
    expect(sessionModelProblems(layerNorm(['x', 'g']))).toEqual([]);
  });

  it('Resize whose scales length differs from the input rank is refused', async () => {
    expect(sessionModelProblems(resize([1, 2, 2]))[0]).toMatch(/'scales' has 3 values but input X has rank 4/);
    await expect(InferenceSession.create(resize([1, 2, 2]))).rejects.toThrow(/refused before reaching onnxruntime/);
    expect(sessionModelProblems(resize([1, 1, 2, 2]))).toEqual([]);
  });

  it('Resize whose constant scales ask for an output over the memory budget is refused', () => {
    expect(sessionModelProblems(resize([1, 1, 1e6, 1e6]))[0]).toMatch(/the output \[1,1,4000000,4000000\] needs .* bytes, over the memory budget/);
    expect(sessionModelProblems(resize([1, 1, 4, 4]))).toEqual([]);
  });

  it('Resize with both scales and sizes is refused', () => {
    expect(sessionModelProblems(resize([1, 1, 2, 2], { sizes: true }))[0]).toMatch(/both 'scales' and 'sizes'/);
  });

  it('bytes it cannot decode are left to onnxruntime, which refuses them cleanly', async () => {
    expect(sessionModelProblems(new Uint8Array([1, 2, 3]))).toEqual([]);
    await expect(InferenceSession.create(new Uint8Array([0xff, 0xff, 0xff]))).rejects.toThrow(Error);
  });
});
