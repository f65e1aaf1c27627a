// importOnnx on the PyTorch-exported fixtures: predictions match PyTorch's reference outputs,
// imported models fine-tune (frozen nodes stay put), save/load, take a new head, and bad files or
// unsupported ops fail with errors that name the problem.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx, OnnxNode } from '../../../src/onnx/import';
import { tensor } from '../../../src/ops/creation';
import { reshape, slice } from '../../../src/ops/views';
import { oneHot } from '../../../src/ops/movement';
import { loadModel, model as functionalModel } from '../../../src/models';
import { layers } from '../../../src/layers';
import * as losses from '../../../src/losses';
import { sgd } from '../../../src/optimizers';
import { mnist } from '../../../src/data/mnist';
import { manualSeed } from '../../../src/random/generator';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';
import { freshBufferCount } from '../../../src/tensor/storage';

const FIXTURES = ['mlp', 'cnn', 'lstm', 'gru'] as const;
const fixture = (name: string) => join(__dirname, '../../fixtures', `${name}.onnx`);

interface IoFile {
  inputs: { input: { shape: number[]; data: number[] } };
  outputs: { output: { shape: number[]; data: number[] } };
}
const io = (name: string): IoFile => JSON.parse(readFileSync(join(__dirname, '../../fixtures', `${name}.io.json`), 'utf8')) as IoFile;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('importOnnx: PyTorch fixtures', () => {
  for (const name of FIXTURES) {
    it(`${name}: predictions match the reference within 1e-4`, async () => {
      const { inputs, outputs } = io(name);
      const model = importOnnx(fixture(name));
      expect(model.inputShapes[0]![0]).toBeNull(); // dynamic batch
      const x = tensor(Float32Array.from(inputs.input.data), inputs.input.shape);
      const y = (await model.predict(x)) as Tensor;
      expect(y.shape).toEqual(outputs.output.shape);
      expect(maxAbsDiff(y.dataSync(), outputs.output.data)).toBeLessThan(1e-4);
      // Another batch size through the same model (the Shape-driven state sizes of the RNN graphs).
      const one = model.predictOnBatch(slice(x, [1], [1])) as Tensor;
      expect(maxAbsDiff(one.dataSync(), outputs.output.data.slice(10))).toBeLessThan(1e-4);
    });
  }

  it('names layers after the ONNX nodes and weights after the initializers', () => {
    const model = importOnnx(fixture('mlp'));
    expect(model.layers.map((l) => l.name)).toEqual(['input', '/net/net.0/Gemm', '/net/net.1/Relu', '/net/net.2/Gemm']);
    const gemm = model.getLayer('/net/net.0/Gemm');
    expect(gemm).toBeInstanceOf(OnnxNode);
    expect(gemm.weightsInfo.map((w) => [w.name, w.value.shape])).toEqual([['net.0.weight', [64, 784]], ['net.0.bias', [64]]]);
    expect(model.countParams()).toBe(64 * 784 + 64 + 10 * 64 + 10);
    const lines: string[] = [];
    model.summary(100, (l) => lines.push(l));
    expect(lines.join('\n')).toContain('/net/net.2/Gemm');
  });

  it('folds the constant shape sub-graphs of the RNN exports and keeps the Shape-dependent ones', () => {
    const model = importOnnx(fixture('lstm'));
    const ops = model.layers.filter((l): l is OnnxNode => l instanceof OnnxNode).map((l) => l.opType);
    expect(ops).not.toContain('Constant');
    expect(ops).toContain('Shape');
    expect(ops).toContain('LSTM');
  });
});

describe('importOnnx: fine-tuning', () => {
  it('cnn: freezing all but the last layer keeps frozen weights and lowers the loss with SGD', async () => {
    manualSeed(3);
    const model = importOnnx(fixture('cnn'));
    const head = '/fc/Gemm';
    for (const l of model.layers) l.trainable = l.name === head;
    expect(model.trainableWeights.length).toBe(2);
    const { train } = mnist({ trainSize: 512, testSize: 64 });
    // [N, 28, 28, 1] -> [N, 1, 28, 28]: with one channel the reshape is the NCHW transpose.
    const x = reshape(train.images, [512, 1, 28, 28]);
    const y = oneHot(train.labels, 10);
    model.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: losses.categoricalCrossentropy({ fromLogits: true }) });
    const frozenBefore = model.getLayer('/conv/Conv').getWeights().map((w) => Float32Array.from(w.dataSync()));
    const headBefore = Float32Array.from(model.getLayer(head).getWeights()[0]!.dataSync());
    const before = (await model.evaluate(x, y, { batchSize: 128 }))['loss']!;
    await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
    const after = (await model.evaluate(x, y, { batchSize: 128 }))['loss']!;
    expect(after).toBeLessThan(before * 0.8);
    model.getLayer('/conv/Conv').getWeights().forEach((w, k) => expect(Array.from(w.dataSync())).toEqual(Array.from(frozenBefore[k]!)));
    expect(maxAbsDiff(model.getLayer(head).getWeights()[0]!.dataSync(), headBefore)).toBeGreaterThan(1e-3);
  });

  it('lstm: every imported weight trains (the LSTM node included)', async () => {
    manualSeed(5);
    const model = importOnnx(fixture('lstm'));
    const { train } = mnist({ trainSize: 256, testSize: 64 });
    const x = reshape(train.images, [256, 28, 28]);
    const y = oneHot(train.labels, 10);
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: losses.categoricalCrossentropy({ fromLogits: true }) });
    const lstm = model.getLayer('/rnn/LSTM');
    const w0 = lstm.getWeights().map((w) => Float32Array.from(w.dataSync()));
    const before = (await model.evaluate(x, y))['loss']!;
    await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    const after = (await model.evaluate(x, y))['loss']!;
    expect(after).toBeLessThan(before);
    lstm.getWeights().forEach((w, k) => expect(maxAbsDiff(w.dataSync(), w0[k]!)).toBeGreaterThan(1e-5));
  });

  it('a new head on a cut graph (outputs option) trains while the imported body is frozen', async () => {
    manualSeed(9);
    const body = importOnnx(fixture('cnn'), { outputs: ['/Flatten_output_0'] });
    expect(body.outputShapes).toEqual([[null, 1352]]);
    for (const l of body.layers) l.trainable = false;
    const out = layers.dense({ units: 3, activation: 'softmax' }).apply(body.outputs[0]!);
    const tuned = functionalModel({ inputs: [...body.inputs], outputs: out });
    const { train } = mnist({ trainSize: 300, testSize: 30 });
    const keep = Array.from(train.labels.dataSync()).map((l, i) => (l < 3 ? i : -1)).filter((i) => i >= 0);
    const n = keep.length;
    const xs = reshape(tensor(Float32Array.from(keep.flatMap((i) => Array.from(train.images.dataSync().subarray(i * 784, (i + 1) * 784)))), [n, 28, 28, 1]), [n, 1, 28, 28]);
    const ys = oneHot(tensor(Int32Array.from(keep.map((i) => train.labels.dataSync()[i]!)), [n], 'int32'), 3);
    tuned.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await tuned.fit(xs, ys, { epochs: 5, batchSize: 16, verbose: 0 });
    const acc = h.history['accuracy']!;
    expect(acc[acc.length - 1]!).toBeGreaterThan(0.8);
  });
});

describe('importOnnx: save, load and bad input', () => {
  it('saves and loads an imported model with identical predictions', async () => {
    for (const name of ['cnn', 'gru'] as const) {
      const model = importOnnx(fixture(name));
      const dir = mkdtempSync(join(tmpdir(), 'tf-onnx-'));
      dirs.push(dir);
      await model.save(dir);
      const back = await loadModel(dir);
      const { inputs } = io(name);
      const x = tensor(Float32Array.from(inputs.input.data), inputs.input.shape);
      expect(Array.from((back.predictOnBatch(x) as Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(x) as Tensor).dataSync()));
    }
  });

  it('rejects an unsupported op naming the op, the node and the opset', () => {
    const bytes = buildOnnx({ opset: 15, inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Hardmax', inputs: ['r'], outputs: ['y'], name: 'head' }] });
    expect(() => importOnnx(bytes)).toThrow(/Hardmax node 'head' \(opset 15\): op Hardmax is not supported \(supported: Abs, Acos, Add, /);
  });

  it('rejects unsupported attributes and attribute values naming node and opset', () => {
    const attr = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4, 3] }], outputs: ['y'],
      initializers: [{ name: 'W', shape: [1, 8, 3], data: new Array(24).fill(0) }, { name: 'R', shape: [1, 8, 2], data: new Array(16).fill(0) }],
      nodes: [{ op: 'LSTM', inputs: ['x', 'W', 'R'], outputs: ['y'], name: 'rnn', attrs: { hidden_size: 2, clip: 3.5 } }] });
    expect(() => importOnnx(attr)).toThrow("LSTM node 'rnn' (opset 17): cell clipping (clip) is not supported");
    const unknown = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r', attrs: { bogus: 1 } }] });
    expect(() => importOnnx(unknown)).toThrow("Relu node 'r' (opset 17): attribute 'bogus' is not supported");
    const domain = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'],
      nodes: [{ op: 'FusedGemm', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'], name: 'g' }] });
    expect(() => importOnnx(domain)).toThrow("FusedGemm node 'g' (opset 17): operators of domain 'com.microsoft' are not supported");
  });

  it('rejects malformed and truncated files with a clear error', () => {
    const good = readFileSync(fixture('mlp'));
    expect(() => importOnnx(good.subarray(0, 1000))).toThrow(/ONNX bytes: not a valid ONNX model/);
    expect(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/not a valid ONNX model/);
    expect(() => importOnnx(join(tmpdir(), 'no-such-model.onnx'))).toThrow(/cannot read ONNX model/);
    expect(() => importOnnx(42 as never)).toThrow("importOnnx: argument 'pathOrBytes' expected a file path or the model bytes (Uint8Array), got 42");
    // A node reading a value nobody produces.
    const dangling = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'], nodes: [{ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'], name: 'a' }] });
    expect(() => importOnnx(dangling)).toThrow("Add node 'a' (opset 17): input 'ghost' is not produced by any earlier node, initializer or graph input");
  });

  it('explains a Reshape that copies (0) a dimension the input lacks', () => {
    const bytes = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 6] }], outputs: ['y'], initializers: [{ name: 's', shape: [3], data: [-1, 3, 0], dtype: 'int64' }],
      nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'], name: 'r' }] });
    expect(() => importOnnx(bytes)).toThrow("Reshape node 'r' (opset 17): shape [-1,3,0] copies (0) a dimension the input [2,6] does not have");
  });

  it('keeps weights folded from initializers trainable; an initializer two nodes read becomes a copy per node', () => {
    const w = { name: 'W', shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => i / 10 - 0.5) };
    const bytes = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }, { name: 'z', shape: ['N', 3] }], outputs: ['y'], initializers: [w],
      nodes: [
        { op: 'Transpose', inputs: ['W'], outputs: ['Wt'], name: 't' }, // folded at import: W^T becomes the MatMul's weight
        { op: 'MatMul', inputs: ['x', 'Wt'], outputs: ['a'], name: 'mm' },
        { op: 'MatMul', inputs: ['z', 'W'], outputs: ['b'], name: 'other' },
        { op: 'MatMul', inputs: ['z', 'W'], outputs: ['c'], name: 'again' },
        { op: 'Concat', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { axis: 1 } },
      ] });
    const model = importOnnx(bytes);
    expect(model.getLayer('mm').weightsInfo.map((x) => [x.name, x.trainable])).toEqual([['Wt', true]]);
    const [b, c] = ['other', 'again'].map((n) => model.getLayer(n).weightsInfo[0]!.value);
    expect(b).not.toBe(c);
    expect(Array.from(b!.dataSync())).toEqual(Array.from(c!.dataSync()));
  });

  it('frees each probe intermediate after its last reader, also when a node hands back its input', () => {
    // A chain of 40 nodes on [N, 4096]: holding every intermediate of both probes (batch 2 and 3)
    // made ~80 fresh buffers; freed as the chain goes, a few per probe size are reused throughout.
    // Identity returns its input tensor itself, which a later Add and the graph output still read.
    const nodes: { op: string; inputs: string[]; outputs: string[] }[] = [{ op: 'Relu', inputs: ['x'], outputs: ['v0'] }];
    for (let i = 1; i < 40; i++) {
      const prev = `v${i - 1}`;
      nodes.push(i % 5 === 0 ? { op: 'Identity', inputs: [prev], outputs: [`v${i}`] } : { op: i % 2 ? 'Neg' : 'Abs', inputs: [prev], outputs: [`v${i}`] });
    }
    nodes.push({ op: 'Add', inputs: ['v39', 'v35'], outputs: ['y'] });
    const bytes = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4096] }], outputs: ['y', 'v35'], nodes });
    const before = freshBufferCount();
    const model = importOnnx(bytes);
    expect(freshBufferCount() - before).toBeLessThan(20);
    const x = tensor(Float32Array.from({ length: 2 * 4096 }, (_, i) => Math.sin(i)), [2, 4096]);
    const [y, v35] = model.predictOnBatch(x) as Tensor[];
    const xs = x.dataSync();
    // v35 = Identity(|v33|) = relu(x); y = v39 + v35 = -|v37| + relu(x) = 0 exactly.
    expect(Array.from(v35!.dataSync())).toEqual(Array.from(xs, (v) => Math.max(0, v)));
    expect(Array.from(y!.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('adopts an initializer one node reads; imports of one file and an Identity-shared initializer stay apart', () => {
    const w = { name: 'W', shape: [4, 3], data: Array.from({ length: 12 }, (_, i) => i / 10 - 0.5) };
    const v = { name: 'V', shape: [3, 3], data: Array.from({ length: 9 }, (_, i) => (i % 4) / 4) };
    const shape = { name: 'shape', shape: [2], data: [4, 3], dtype: 'int64' as const };
    const u = { name: 'U', shape: [4, 3], data: Array.from({ length: 12 }, (_, i) => (i % 5) / 5 - 0.3) };
    const bytes = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'], initializers: [w, v, shape, u],
      nodes: [
        { op: 'Identity', inputs: ['W'], outputs: ['W2'], name: 'id' }, // folded: W's values under a second name
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['a'], name: 'm1' },
        { op: 'MatMul', inputs: ['x', 'W2'], outputs: ['b'], name: 'm2' },
        { op: 'Add', inputs: ['a', 'b'], outputs: ['c'], name: 'add' },
        { op: 'MatMul', inputs: ['c', 'V'], outputs: ['y0'], name: 'm3' }, // V: one reader, adopted
        // U read by m5, and R, a folded Reshape of U (a view of U's memory), by m4.
        { op: 'MatMul', inputs: ['x', 'U'], outputs: ['e'], name: 'm5' },
        { op: 'Reshape', inputs: ['U', 'shape'], outputs: ['R'], name: 'r' },
        { op: 'MatMul', inputs: ['x', 'R'], outputs: ['d'], name: 'm4' },
        { op: 'Add', inputs: ['y0', 'd'], outputs: ['y1'], name: 'add2' },
        { op: 'Add', inputs: ['y1', 'e'], outputs: ['y'], name: 'add3' },
      ] });
    const one = importOnnx(bytes);
    const two = importOnnx(bytes);
    const value = (m: typeof one, layer: string): Tensor => m.getLayer(layer).weightsInfo[0]!.value!;
    expect(value(one, 'm1')).not.toBe(value(one, 'm2'));
    expect(value(one, 'm3')).not.toBe(value(two, 'm3'));
    const x = tensor(Float32Array.from({ length: 8 }, (_, i) => Math.cos(i)), [2, 4]);
    const before = Array.from((two.predictOnBatch(x) as Tensor).dataSync());
    // In-place writes to one import's weights reach neither its other node nor the other import.
    one.getLayer('m1').setWeights([tensor(new Float32Array(12), [4, 3])]);
    one.getLayer('m3').setWeights([tensor(new Float32Array(9).fill(1), [3, 3])]);
    expect(Array.from(value(one, 'm2').dataSync())).toEqual(Array.from(Float32Array.from(w.data)));
    one.getLayer('m5').setWeights([tensor(new Float32Array(12), [4, 3])]);
    expect(Array.from(value(one, 'm4').dataSync())).toEqual(Array.from(Float32Array.from(u.data)));
    expect(Array.from(value(two, 'm1').dataSync())).toEqual(Array.from(Float32Array.from(w.data)));
    expect(Array.from(value(two, 'm3').dataSync())).toEqual(Array.from(Float32Array.from(v.data)));
    expect(Array.from((two.predictOnBatch(x) as Tensor).dataSync())).toEqual(before);
    // one: y = (x W + x 0) 1 + x U + x 0: row sums of x W in every column, plus x U.
    const times = (m: number[]) => [0, 1].map((r) => [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((t, k) => t + x.dataSync()[r * 4 + k]! * Math.fround(m[k * 3 + j]!), 0)));
    const [xw, xu] = [times(w.data), times(u.data)];
    const y1 = (one.predictOnBatch(x) as Tensor).dataSync();
    for (let r = 0; r < 2; r++) {
      const rowSum = xw[r]!.reduce((a, b) => a + b, 0);
      for (let j = 0; j < 3; j++) expect(y1[r * 3 + j]).toBeCloseTo(rowSum + xu[r]![j]!, 5);
    }
  });

  it('rejects a wrong input shape at predict time with the expected shape', () => {
    const model = importOnnx(fixture('mlp'));
    expect(() => model.predictOnBatch(tensor(new Float32Array(2 * 783), [2, 783]))).toThrow(/expected input shape \[null,784\]/);
  });
});
