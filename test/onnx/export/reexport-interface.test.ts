// An imported model exports again with the interface of its file: the same input and output names,
// int64 inputs still int64, the same symbolic dims, so a server feeding the original feeds the
// re-export unchanged and gets the same outputs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../../src/onnx/import';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { checkOnnxModel } from '../../../src/onnx/check-model';
import { readOnnxModel, type OnnxValueInfo } from '../../../src/onnx/read-model';
import { tensor } from '../../../src/ops/creation';
import { layers } from '../../../src/layers';
import { loadModel, model as functionalModel } from '../../../src/models';
import { sgd } from '../../../src/optimizers';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';

interface Io {
  inputs: Record<string, { shape: number[]; data: number[]; dtype: string }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
const dir = join(__dirname, '../../fixtures');
const fixture = (name: string) => readFileSync(join(dir, `${name}.onnx`));
const io = (name: string): Io => JSON.parse(readFileSync(join(dir, `${name}.io.json`), 'utf8')) as Io;

/** The original's feeds, as onnxruntime tensors (int64 as BigInt64Array). */
function feedsOf(f: Io): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(f.inputs).map(([name, v]) => [
    name,
    v.dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(v.data, (d) => BigInt(d)), v.shape) : new ort.Tensor('float32', Float32Array.from(v.data), v.shape),
  ]));
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const declaration = (v: OnnxValueInfo) => ({ name: v.name, elemType: v.elemType, shape: v.shape });

describe('re-export keeps the imported interface', () => {
  for (const name of ['tiny-gpt', 'bn-net']) {
    it(`${name}: names, element types and dynamic dims survive, and onnxruntime gives the original's outputs for the original's feeds`, async () => {
      const original = fixture(name);
      const bytes = exportOnnxBytes(importOnnx(original), { opset: 17 });
      checkOnnxModel(bytes);
      const [a, b] = [readOnnxModel(original).graph, readOnnxModel(bytes).graph];
      expect(b.inputs.map(declaration)).toEqual(a.inputs.map(declaration));
      expect(b.outputs.map(declaration)).toEqual(a.outputs.map(declaration));
      const feeds = feedsOf(io(name));
      const [want, got] = [await run(original, feeds), await run(bytes, feeds)];
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const k of Object.keys(want)) {
        expect(got[k]!.dims).toEqual(want[k]!.dims);
        expect(maxDiff(got[k]!.data as Float32Array, want[k]!.data as Float32Array)).toBeLessThan(1e-5);
      }
    });
  }

  it('tiny-gpt: the re-export keeps its dynamic batch and sequence (other lengths than the feeds)', async () => {
    const bytes = exportOnnxBytes(importOnnx(fixture('tiny-gpt')), { opset: 17 });
    const ids = new ort.Tensor('int64', BigInt64Array.from({ length: 3 * 9 }, (_, i) => BigInt((i * 7) % 11)), [3, 9]);
    const [want, got] = [await run(fixture('tiny-gpt'), { input_ids: ids }), await run(bytes, { input_ids: ids })];
    expect(got['logits']!.dims).toEqual([3, 9, 11]);
    expect(maxDiff(got['logits']!.data as Float32Array, want['logits']!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('bn-net fine-tuned: the re-export serves the original feeds and gives the tuned model outputs', async () => {
    const model = importOnnx(fixture('bn-net'));
    model.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const x = tensor(Float32Array.from({ length: 6 * 3 * 6 * 6 }, (_, i) => Math.sin(i * 0.11)), [6, 3, 6, 6]);
    await model.fit(x, tensor(Float32Array.from({ length: 12 }, (_, i) => i % 3), [6, 2]), { epochs: 2, batchSize: 3, verbose: 0 });
    const f = io('bn-net');
    const got = await run(exportOnnxBytes(model), feedsOf(f));
    const ours = model.predictOnBatch(tensor(Float32Array.from(f.inputs['pixels']!.data), f.inputs['pixels']!.shape)) as Tensor;
    expect(maxDiff(got['scores']!.data as Float32Array, ours.dataSync())).toBeLessThan(1e-5);
  });

  it('int64 inputs stay int64 with integer outputs, and layers added on top read them through a Cast to int32', async () => {
    const original = buildOnnx({
      inputs: [{ name: 'ids', shape: ['N', 3], dtype: 'int64' }], outputs: [{ name: 'vectors', shape: ['N', 3, 2] }, { name: 'shifted', shape: ['N', 3], dtype: 'int64' }],
      initializers: [
        { name: 'table', shape: [5, 2], data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { name: 'one', shape: [], data: [1], dtype: 'int64' },
      ],
      nodes: [
        { op: 'Gather', inputs: ['table', 'ids'], outputs: ['vectors'] },
        { op: 'Add', inputs: ['ids', 'one'], outputs: ['shifted'] },
      ],
    });
    const imported = importOnnx(original);
    const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from([0n, 3n, 4n, 2n, 1n, 0n]), [2, 3]) };
    const want = await run(original, feeds);
    const bytes = exportOnnxBytes(imported);
    const graph = readOnnxModel(bytes).graph;
    expect(graph.inputs.map(declaration)).toEqual([{ name: 'ids', elemType: 'int64', shape: ['N', 3] }]);
    expect(graph.outputs.map(declaration)).toEqual([{ name: 'vectors', elemType: 'float32', shape: ['N', 3, 2] }, { name: 'shifted', elemType: 'int64', shape: ['N', 3] }]);
    const got = await run(bytes, feeds);
    expect(maxDiff(got['vectors']!.data as Float32Array, want['vectors']!.data as Float32Array)).toBe(0);
    expect(got['shifted']!.type).toBe('int64');
    expect(Array.from(got['shifted']!.data as BigInt64Array)).toEqual(Array.from(want['shifted']!.data as BigInt64Array));

    // A library Embedding on the same int64 input computes with int32 ids: the export casts for it.
    const extra = layers.embedding({ inputDim: 5, outputDim: 3, name: 'extra_embedding' }).apply(imported.inputs[0]!);
    const extended = functionalModel({ inputs: [...imported.inputs], outputs: [imported.outputs[0]!, extra] });
    const extendedBytes = exportOnnxBytes(extended);
    checkOnnxModel(extendedBytes);
    expect(readOnnxModel(extendedBytes).graph.inputs[0]!.elemType).toBe('int64');
    const out = await run(extendedBytes, feeds);
    expect(Object.keys(out)).toEqual(['vectors', 'extra_embedding']);
    const ours = extended.predictOnBatch(tensor(Int32Array.from([0, 3, 4, 2, 1, 0]), [2, 3], 'int32')) as Tensor[];
    expect(maxDiff(out['extra_embedding']!.data as Float32Array, ours[1]!.dataSync())).toBeLessThan(1e-6);
  });

  it('the interface survives model.save and loadModel', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tf-onnx-iface-'));
    try {
      await importOnnx(fixture('tiny-gpt')).save(folder);
      const bytes = exportOnnxBytes(await loadModel(folder), { opset: 17 });
      const [a, b] = [readOnnxModel(fixture('tiny-gpt')).graph, readOnnxModel(bytes).graph];
      expect(b.inputs.map(declaration)).toEqual(a.inputs.map(declaration));
      expect(b.outputs.map(declaration)).toEqual(a.outputs.map(declaration));
      const feeds = feedsOf(io('tiny-gpt'));
      const [want, got] = [await run(fixture('tiny-gpt'), feeds), await run(bytes, feeds)];
      expect(maxDiff(got['logits']!.data as Float32Array, want['logits']!.data as Float32Array)).toBeLessThan(1e-5);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a graph cut with options.outputs publishes the chosen value under its own name', async () => {
    const cut = importOnnx(fixture('bn-net'), { outputs: ['/Flatten_output_0'] });
    const bytes = exportOnnxBytes(cut);
    expect(readOnnxModel(bytes).graph.outputs.map((o) => o.name)).toEqual(['/Flatten_output_0']);
    const out = await run(bytes, feedsOf(io('bn-net')));
    expect(out['/Flatten_output_0']!.dims).toEqual([3, 4]);
  });

  it('explicit inputNames and outputNames still win', () => {
    const bytes = exportOnnxBytes(importOnnx(fixture('bn-net')), { inputNames: ['x'], outputNames: ['y'] });
    const graph = readOnnxModel(bytes).graph;
    expect([graph.inputs[0]!.name, graph.outputs[0]!.name]).toEqual(['x', 'y']);
  });
});
