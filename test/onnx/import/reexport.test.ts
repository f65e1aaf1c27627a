// Imported models export again: the written graph runs in onnxruntime-node with the imported (or
// fine-tuned) weights and imports back to the same predictions.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../../src/onnx/import';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { checkOnnxModel } from '../../../src/onnx/check-model';
import { readOnnxModel } from '../../../src/onnx/read-model';
import { tensor } from '../../../src/ops/creation';
import { oneHot } from '../../../src/ops/movement';
import { layers } from '../../../src/layers';
import { model as functionalModel } from '../../../src/models';
import * as losses from '../../../src/losses';
import { sgd } from '../../../src/optimizers';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';

const fixture = (name: string) => join(__dirname, '../../fixtures', `${name}.onnx`);
const io = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../fixtures', `${name}.io.json`), 'utf8')) as {
    inputs: { input: { shape: number[]; data: number[] } };
    outputs: { output: { shape: number[]; data: number[] } };
  };

async function ortRun(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape.slice()) });
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('imported models export again', () => {
  for (const name of ['mlp', 'cnn', 'lstm', 'gru']) {
    it(`${name}: import -> export -> onnxruntime and -> import again match the reference`, async () => {
      const { inputs, outputs } = io(name);
      const x = tensor(Float32Array.from(inputs.input.data), inputs.input.shape);
      const model = importOnnx(fixture(name));
      // The fixtures are opset 13; exporting an imported model keeps the opset it was imported at.
      const bytes = exportOnnxBytes(model, { opset: 13 });
      checkOnnxModel(bytes);
      expect(maxDiff(await ortRun(bytes, x), outputs.output.data)).toBeLessThan(1e-4);
      const again = importOnnx(bytes);
      expect(maxDiff((again.predictOnBatch(x) as Tensor).dataSync(), outputs.output.data)).toBeLessThan(1e-4);
    });
  }

  it('a fine-tuned import exports its new weights, and an added head exports with it', async () => {
    const body = importOnnx(fixture('mlp'), { outputs: ['/net/net.1/Relu_output_0'] });
    const head = layers.dense({ units: 2, activation: 'softmax', name: 'new_head' }).apply(body.outputs[0]!);
    const tuned = functionalModel({ inputs: [...body.inputs], outputs: head });
    body.getLayer('/net/net.0/Gemm').trainable = false;
    const x = tensor(Float32Array.from({ length: 32 * 784 }, (_, i) => Math.sin(i)), [32, 784]);
    const y = oneHot(tensor(Int32Array.from({ length: 32 }, (_, i) => i % 2), [32], 'int32'), 2);
    tuned.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: losses.categoricalCrossentropy() });
    await tuned.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const ours = (tuned.predictOnBatch(x) as Tensor).dataSync();
    const bytes = exportOnnxBytes(tuned, { opset: 13 });
    checkOnnxModel(bytes);
    expect(maxDiff(await ortRun(bytes, x), ours)).toBeLessThan(1e-5);
  });

  it('refuses to re-export an op whose signature changed between the two opsets', () => {
    const bytes = buildOnnx({ opset: 13, inputs: [{ name: 'x', shape: ['N', 1, 4] }], outputs: ['y'],
      initializers: [{ name: 'axes', shape: [1], data: [1], dtype: 'int64' }],
      nodes: [{ op: 'Squeeze', inputs: ['x', 'axes'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['y'] }] });
    const model = importOnnx(bytes);
    expect(() => exportOnnxBytes(model, { opset: 13 })).not.toThrow();
    expect(() => exportOnnxBytes(model, { opset: 17 })).not.toThrow();
    const old = importOnnx(buildOnnx({ opset: 11, inputs: [{ name: 'x', shape: ['N', 1, 4] }], outputs: ['y'],
      nodes: [{ op: 'Squeeze', inputs: ['x'], outputs: ['s'], attrs: { axes: [1] } }, { op: 'Relu', inputs: ['s'], outputs: ['y'] }] }));
    expect(() => exportOnnxBytes(old, { opset: 13 })).toThrow(/Squeeze node 'Squeeze_0' was imported at opset 11 and its inputs differ at opset 13/);
  });

  it('writes LayerNormalization below opset 17 as the primitive ops it stands for', async () => {
    const model = importOnnx(buildOnnx({ inputs: [{ name: 'x', shape: ['N', 3, 4] }], outputs: ['y'],
      initializers: [{ name: 's', shape: [4], data: [1, 0.5, -1, 2] }, { name: 'b', shape: [4], data: [0, 0.1, 0.2, 0.3] }],
      nodes: [{ op: 'LayerNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], name: 'ln', attrs: { axis: 2, epsilon: 1e-3 } }] }));
    const x = tensor(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i)), [2, 3, 4]);
    const want = (model.predictOnBatch(x) as Tensor).dataSync();
    for (const opset of [13, 17]) {
      const bytes = exportOnnxBytes(model, { opset });
      const ops = readOnnxModel(bytes).graph.nodes.map((n) => n.opType);
      expect(ops.includes('LayerNormalization'), `opset ${opset}`).toBe(opset >= 17);
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [2, 3, 4]) });
      await session.release();
      const got = out[session.outputNames[0]!]!.data as Float32Array;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `opset ${opset} [${i}]`).toBeLessThan(1e-5);
    }
  });

  it('imported HardSwish, Mish and GroupNormalization re-export only where the opset has them', async () => {
    const graph = (opset: number) => buildOnnx({ opset, inputs: [{ name: 'x', shape: ['N', 4, 3] }], outputs: ['y'],
      initializers: [{ name: 's', shape: [4], data: [1, 0.5, -1, 2] }, { name: 'b', shape: [4], data: [0, 0.1, 0.2, 0.3] }],
      nodes: [{ op: 'HardSwish', inputs: ['x'], outputs: ['h'], name: 'hs' }, { op: 'Mish', inputs: ['h'], outputs: ['m'], name: 'mish' },
        { op: 'GroupNormalization', inputs: ['m', 's', 'b'], outputs: ['y'], name: 'gn', attrs: { num_groups: 2 } }] });
    const model = importOnnx(graph(21));
    expect(() => exportOnnxBytes(model, { opset: 13 })).toThrow("exportOnnx: HardSwish node 'hs' needs opset 14 or later; export with { opset: 14 }");
    expect(() => exportOnnxBytes(model, { opset: 17 })).toThrow("exportOnnx: Mish node 'mish' needs opset 18 or later; export with { opset: 18 }");
    // GroupNormalization's scale and bias changed meaning at 21 (per group before, per channel from 21).
    expect(() => exportOnnxBytes(model, { opset: 18 })).toThrow(/GroupNormalization node 'gn' was imported at opset 21 and its inputs differ at opset 18/);
    const bytes = exportOnnxBytes(model, { opset: 21 });
    checkOnnxModel(bytes);
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 5), [2, 4, 3]);
    expect(maxDiff(await ortRun(bytes, x), (model.predictOnBatch(x) as Tensor).dataSync())).toBeLessThan(1e-5);
  });
});
