// Models exported by PyTorch beyond the shared fixtures (see test/fixtures/README.md): each imports,
// matches PyTorch's output within 1e-4, and the transformer keeps training and exports again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, OnnxNode } from '../../../src/onnx/import';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { tensor } from '../../../src/ops/creation';
import { sgd } from '../../../src/optimizers';
import { manualSeed } from '../../../src/random/generator';
import type { Tensor } from '../../../src/tensor/tensor';

interface IoFile {
  inputs: { input: { shape: number[]; data: number[]; dtype?: string } };
  outputs: { output: { shape: number[]; data: number[] } };
}
const dir = join(__dirname, '../../fixtures');
const io = (name: string): IoFile => JSON.parse(readFileSync(join(dir, `${name}.io.json`), 'utf8')) as IoFile;
const inputOf = (f: IoFile): Tensor =>
  f.inputs.input.dtype === 'int64'
    ? tensor(Int32Array.from(f.inputs.input.data), f.inputs.input.shape, 'int32')
    : tensor(Float32Array.from(f.inputs.input.data), f.inputs.input.shape);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const MODELS: Record<string, string[]> = {
  resblock: ['Conv', 'Add', 'GlobalAveragePool', 'Gemm'],
  transformer: ['LayerNormalization', 'FusedAttention', 'Erf', 'MatMul', 'Shape', 'Reshape'],
  bilstm: ['Gather', 'LSTM'],
  'conv1d-gru': ['Conv', 'MaxPool', 'GRU', 'Softmax'],
  misc: ['Pad', 'AveragePool', 'ConvTranspose', 'Resize', 'LogSoftmax'],
};

describe('importOnnx: more PyTorch exports', () => {
  for (const [name, ops] of Object.entries(MODELS)) {
    it(`${name}: matches PyTorch within 1e-4`, () => {
      const f = io(name);
      const model = importOnnx(join(dir, `${name}.onnx`));
      const types = new Set(model.layers.filter((l): l is OnnxNode => l instanceof OnnxNode).map((l) => l.opType));
      for (const op of ops) expect(types.has(op), op).toBe(true);
      const y = model.predictOnBatch(inputOf(f)) as Tensor;
      expect(y.shape).toEqual(f.outputs.output.shape);
      expect(maxDiff(y.dataSync(), f.outputs.output.data)).toBeLessThan(1e-4);
    });
  }

  it('transformer: every weight trains, the loss falls, and the tuned model exports and runs in onnxruntime', async () => {
    manualSeed(4);
    const f = io('transformer');
    const model = importOnnx(join(dir, 'transformer.onnx'));
    const x = tensor(Float32Array.from({ length: 32 * 6 * 16 }, (_, i) => Math.sin(i * 0.37)), [32, 6, 16]);
    const y = tensor(Float32Array.from({ length: 32 * 3 }, (_, i) => Math.cos(i)), [32, 3]);
    model.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    // Constant-node scalars (the 1/sqrt(d) of attention, GELU's 0.5 and sqrt 2) are weights that stay fixed.
    expect(model.trainableWeights.length).toBe(14);
    expect(model.nonTrainableWeights.length).toBe(4);
    const before = model.trainableWeights.map((w) => Float32Array.from(w.dataSync()));
    const h = await model.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0, shuffle: false });
    const loss = h.history['loss']!;
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]! * 0.8);
    const after = model.trainableWeights;
    const moved = after.filter((w, k) => maxDiff(w.dataSync(), before[k]!) > 0).length;
    expect(moved).toBe(after.length);
    for (const w of model.nonTrainableWeights) expect(w.size).toBe(1);
    const bytes = exportOnnxBytes(model);
    const session = await ort.InferenceSession.create(bytes);
    const xin = inputOf(f);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(xin.dataSync()), xin.shape.slice()) });
    await session.release();
    expect(maxDiff(out[session.outputNames[0]!]!.data as Float32Array, (model.predictOnBatch(xin) as Tensor).dataSync())).toBeLessThan(1e-4);
  });
});
