// Imported models train as PyTorch and Keras train them: only parameters learn, buffers (causal
// masks, position ids, running statistics) stay fixed, and BatchNormalization in training mode uses
// batch statistics and moves its running statistics by momentum, never by gradient.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxNode } from '../../../src/onnx/import';
import { tensor } from '../../../src/ops/creation';
import { sgd } from '../../../src/optimizers';
import { loadModel } from '../../../src/models';
import type { LayersModel } from '../../../src/models/layers-model';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';

interface BufferIo {
  parameters: Record<string, number>;
  buffers: Record<string, { numel: number; dtype: string }>;
  inputs: Record<string, { shape: number[]; data: number[]; dtype: string }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
const dir = join(__dirname, '../../fixtures');
const io = (name: string): BufferIo => JSON.parse(readFileSync(join(dir, `${name}.io.json`), 'utf8')) as BufferIo;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Every weight of every imported node, by ONNX name (names repeat when several nodes read one initializer). */
function weightsOf(model: LayersModel): { layer: string; name: string; value: Tensor; trainable: boolean }[] {
  return model.layers.flatMap((l) => l.weightsInfo.map((w) => ({ layer: l.name, name: w.name, value: w.value, trainable: w.trainable && l.trainable })));
}

const snapshot = (model: LayersModel) => weightsOf(model).map((w) => ({ ...w, data: Float32Array.from(w.value.dataSync()) }));

// x: [N=2, C=2, L=3]; one BatchNormalization with momentum 0.8 and epsilon 1e-3.
const X = [1, 2, 3, 4, 5, 6, -1, 0, 2, 7, 1, -3];
const [SCALE, BIAS, MEAN, VAR] = [[1.5, 0.5], [0.1, -0.2], [0.3, -0.4], [1.2, 0.8]];
function bnModel(momentum = 0.8): LayersModel {
  return importOnnx(buildOnnx({
    inputs: [{ name: 'x', shape: ['N', 2, 3] }], outputs: ['y'],
    initializers: [
      { name: 'scale', shape: [2], data: SCALE }, { name: 'bias', shape: [2], data: BIAS },
      { name: 'mean', shape: [2], data: MEAN }, { name: 'var', shape: [2], data: VAR },
    ],
    nodes: [{ op: 'BatchNormalization', inputs: ['x', 'scale', 'bias', 'mean', 'var'], outputs: ['y'], name: 'bn', attrs: { epsilon: { float: 1e-3 }, momentum: { float: momentum } } }],
  }));
}

/** Per channel: the values of x on it, their mean, biased and unbiased variance. */
function channelStats(c: number): { values: number[]; mean: number; biased: number; unbiased: number } {
  const values = [0, 1].flatMap((n) => X.slice(n * 6 + c * 3, n * 6 + c * 3 + 3));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { values, mean, biased: ss / values.length, unbiased: ss / (values.length - 1) };
}

const stat = (model: LayersModel, name: string) => Array.from(weightsOf(model).find((w) => w.name === name)!.value.dataSync());

describe('imported BatchNormalization', () => {
  it('in training mode normalizes with batch statistics and moves the running ones by momentum (unbiased variance)', () => {
    const model = bnModel();
    const x = tensor(Float32Array.from(X), [2, 2, 3]);
    const y = model.forward([x], { training: true, losses: [] })[0]!.dataSync();
    for (const c of [0, 1]) {
      const s = channelStats(c);
      [0, 1].forEach((n) => [0, 1, 2].forEach((l) => {
        const v = X[n * 6 + c * 3 + l]!;
        expect(y[n * 6 + c * 3 + l]!).toBeCloseTo(((v - s.mean) / Math.sqrt(s.biased + 1e-3)) * SCALE[c]! + BIAS[c]!, 5);
      }));
      expect(stat(model, 'mean')[c]!).toBeCloseTo(MEAN[c]! * 0.8 + s.mean * 0.2, 6);
      expect(stat(model, 'var')[c]!).toBeCloseTo(VAR[c]! * 0.8 + s.unbiased * 0.2, 5);
    }
    // A second batch moves them again, from where the first left them.
    const m1 = stat(model, 'mean');
    model.forward([x], { training: true, losses: [] });
    for (const c of [0, 1]) expect(stat(model, 'mean')[c]!).toBeCloseTo(m1[c]! * 0.8 + channelStats(c).mean * 0.2, 6);
  });

  it('refuses a momentum outside [0, 1] at import', () => {
    expect(() => bnModel(1.5)).toThrow("BatchNormalization node 'bn' (opset 17): momentum=1.5 (running statistics need a momentum in [0, 1]) is not supported");
  });

  it('in inference mode uses the running statistics and changes nothing', () => {
    const model = bnModel();
    const y = (model.predictOnBatch(tensor(Float32Array.from(X), [2, 2, 3])) as Tensor).dataSync();
    X.forEach((v, i) => {
      const c = Math.floor(i / 3) % 2;
      expect(y[i]!).toBeCloseTo(((v - MEAN[c]!) / Math.sqrt(VAR[c]! + 1e-3)) * SCALE[c]! + BIAS[c]!, 5);
    });
    expect(stat(model, 'mean')).toEqual(MEAN.map((v) => Math.fround(v)));
  });

  it('frozen (trainable = false), it runs in inference form even in training mode', () => {
    const model = bnModel();
    model.getLayer('bn').trainable = false;
    const x = tensor(Float32Array.from(X), [2, 2, 3]);
    const training = model.forward([x], { training: true, losses: [] })[0]!.dataSync();
    expect(maxDiff(training, (model.predictOnBatch(x) as Tensor).dataSync())).toBe(0);
    expect(stat(model, 'mean')).toEqual(MEAN.map((v) => Math.fround(v)));
    expect(stat(model, 'var')).toEqual(VAR.map((v) => Math.fround(v)));
  });

  it('a fine-tune with learning rate 0 changes only the running statistics', async () => {
    const model = importOnnx(join(dir, 'bn-net.onnx'));
    const before = snapshot(model);
    const x = tensor(Float32Array.from({ length: 8 * 3 * 6 * 6 }, (_, i) => Math.sin(i * 0.7) * 2 + 1), [8, 3, 6, 6]);
    const y = tensor(Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [8, 2]);
    model.compile({ optimizer: sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    const after = weightsOf(model);
    const changed = after.filter((w, k) => maxDiff(w.value.dataSync(), before[k]!.data) > 0).map((w) => w.name).sort();
    expect(changed).toEqual(['bn.running_mean', 'bn.running_var', 'bn1.running_mean', 'bn1.running_var']);
  });

  it('gradients never reach the running statistics: a frozen-statistics step moves scale and bias only', async () => {
    const model = importOnnx(join(dir, 'bn-net.onnx'));
    const runningNames = ['bn.running_mean', 'bn.running_var', 'bn1.running_mean', 'bn1.running_var'];
    for (const w of weightsOf(model).filter((v) => runningNames.includes(v.name))) {
      expect(w.trainable).toBe(false);
      expect(w.value.requiresGrad).toBe(false);
      expect(model.trainableWeights).not.toContain(w.value);
    }
    // With the BatchNormalization nodes frozen the statistics are read (inference form) but a large
    // step still leaves them exactly as imported.
    for (const l of model.layers) if (l instanceof OnnxNode && l.opType === 'BatchNormalization') l.trainable = false;
    const before = snapshot(model);
    const x = tensor(Float32Array.from({ length: 4 * 3 * 6 * 6 }, (_, i) => Math.cos(i * 0.3)), [4, 3, 6, 6]);
    model.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
    await model.fit(x, tensor(Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]), [4, 2]), { epochs: 1, batchSize: 4, verbose: 0 });
    weightsOf(model).forEach((w, k) => {
      if (runningNames.includes(w.name)) expect(maxDiff(w.value.dataSync(), before[k]!.data)).toBe(0);
    });
    expect(weightsOf(model).filter((w, k) => w.name === 'fc.weight' && maxDiff(w.value.dataSync(), before[k]!.data) > 0)).toHaveLength(1);
  });
});

describe('imported parameters and buffers', () => {
  for (const name of ['tiny-gpt', 'bn-net']) {
    it(`${name}: trainable and non-trainable counts equal PyTorch's parameters and float buffers`, () => {
      const f = io(name);
      const model = importOnnx(join(dir, `${name}.onnx`));
      const all = weightsOf(model);
      const trainable = all.filter((w) => w.trainable);
      const count = (ws: typeof all) => ws.reduce((n, w) => n + w.value.size, 0);
      expect(count(trainable)).toBe(Object.values(f.parameters).reduce((a, b) => a + b, 0));
      // num_batches_tracked (int64) never reaches the graph; integer buffers are constants, not weights.
      const floatBuffers = Object.entries(f.buffers).filter(([, b]) => b.dtype === 'float32');
      expect(count(all.filter((w) => !w.trainable && f.buffers[w.name]))).toBe(floatBuffers.reduce((n, [, b]) => n + b.numel, 0));
      // Every weight under a PyTorch parameter name trains; none under a buffer name does.
      for (const w of all) {
        if (f.parameters[w.name] !== undefined) expect(w.trainable, w.name).toBe(true);
        if (f.buffers[w.name] !== undefined) expect(w.trainable, w.name).toBe(false);
      }
      const lines: string[] = [];
      model.summary(80, (l) => lines.push(l));
      expect(lines).toContain(`Trainable params: ${count(trainable).toLocaleString('en-US')}`);
      expect(lines).toContain(`Non-trainable params: ${count(all.filter((w) => !w.trainable)).toLocaleString('en-US')}`);
    });
  }

  // Sums of numel over PyTorch's parameters() of the modules export-pytorch-models.py builds (these
  // older fixtures have no buffers and their .io.json predates the parameter lists).
  for (const [name, params] of [['transformer', 2275], ['bilstm', 6020]] as const) {
    it(`${name}: the trainable count equals PyTorch's parameter count`, () => {
      const model = importOnnx(join(dir, `${name}.onnx`));
      expect(model.trainableWeights.reduce((n, w) => n + w.size, 0)).toBe(params);
    });
  }

  it("PyTorch GroupNorm below opset 18 (InstanceNormalization between Reshapes, then Mul and Add): the Mul's and Add's constants train, a plain scaling does not", () => {
    const model = importOnnx(buildOnnx({
      opset: 13, inputs: [{ name: 'x', shape: ['N', 4, 3, 3] }], outputs: ['y'],
      initializers: [
        { name: 'groups', shape: [3], data: [0, 2, -1], dtype: 'int64' },
        { name: 'weight', shape: [4, 1, 1], data: [1, 2, 3, 4] },
        { name: 'bias', shape: [4, 1, 1], data: [0, 1, 0, 1] },
        { name: 'scale', shape: [1], data: [0.5] },
      ],
      nodes: [
        { op: 'Reshape', inputs: ['x', 'groups'], outputs: ['g'] },
        { op: 'Constant', inputs: [], outputs: ['ones'], attrs: { value: { tensor: { shape: [2], data: [1, 1] } } } },
        { op: 'Constant', inputs: [], outputs: ['zeros'], attrs: { value: { tensor: { shape: [2], data: [0, 0] } } } },
        { op: 'InstanceNormalization', inputs: ['g', 'ones', 'zeros'], outputs: ['n'] },
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Reshape', inputs: ['n', 's'], outputs: ['back'] },
        { op: 'Mul', inputs: ['back', 'weight'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'bias'], outputs: ['a'] },
        { op: 'Mul', inputs: ['a', 'scale'], outputs: ['y'] },
      ],
    }));
    const trainable = weightsOf(model).filter((w) => w.trainable).map((w) => w.name).sort();
    expect(trainable).toEqual(['bias', 'weight']);
    expect(weightsOf(model).find((w) => w.name === 'scale')?.trainable).toBe(false);
  });

  it('a class token concatenated with the tokens and a position embedding added to them train; a table cut by Slice does not', () => {
    const f = (name: string, shape: number[]) => ({ name, shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 0.1) });
    const model = importOnnx(buildOnnx({
      opset: 13, inputs: [{ name: 'ids', shape: [1, 3], dtype: 'int64' }], outputs: ['y'],
      initializers: [
        f('emb', [10, 4]), f('cls', [1, 1, 4]), f('pos', [1, 4, 4]), f('table', [1, 8, 4]),
        { name: 'starts', shape: [1], data: [0], dtype: 'int64' }, { name: 'ends', shape: [1], data: [4], dtype: 'int64' },
        { name: 'axes', shape: [1], data: [1], dtype: 'int64' },
      ],
      nodes: [
        { op: 'Gather', inputs: ['emb', 'ids'], outputs: ['tok'] },
        // With a batch of 1 the class token joins as is (an Expand to a fixed shape would fold at import).
        { op: 'Concat', inputs: ['cls', 'tok'], outputs: ['seq'], attrs: { axis: 1 } },
        { op: 'Add', inputs: ['seq', 'pos'], outputs: ['h'] },
        { op: 'Slice', inputs: ['table', 'starts', 'ends', 'axes'], outputs: ['pe'] },
        { op: 'Add', inputs: ['h', 'pe'], outputs: ['y'] },
      ],
    }));
    const trainable = weightsOf(model).filter((w) => w.trainable).map((w) => w.name).sort();
    expect(trainable).toEqual(['cls', 'emb', 'pos']);
    // The table's slice (folded at import here: its bounds are constants) stays a fixed weight.
    expect(weightsOf(model).filter((w) => !w.trainable).map((w) => w.value.shape)).toEqual([[1, 4, 4]]);
  });

  it('tiny-gpt: the causal mask survives training, and the model still matches PyTorch', async () => {
    const f = io('tiny-gpt');
    const model = importOnnx(join(dir, 'tiny-gpt.onnx'));
    const mask = weightsOf(model).find((w) => w.name === 'bias')!;
    const maskBefore = Float32Array.from(mask.value.dataSync());
    const ids = tensor(Int32Array.from({ length: 4 * 7 }, (_, i) => (i * 5) % 11), [4, 7], 'int32');
    const target = tensor(Float32Array.from({ length: 4 * 7 * 11 }, (_, i) => Math.sin(i)), [4, 7, 11]);
    const before = snapshot(model);
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    await model.fit(ids, target, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(maxDiff(mask.value.dataSync(), maskBefore)).toBe(0);
    const moved = weightsOf(model).filter((w, k) => maxDiff(w.value.dataSync(), before[k]!.data) > 0);
    expect(moved.every((w) => w.trainable)).toBe(true);
    expect(moved.length).toBe(weightsOf(model).filter((w) => w.trainable).length);

    const fresh = importOnnx(join(dir, 'tiny-gpt.onnx'));
    const input = f.inputs['input_ids']!;
    const y = fresh.predictOnBatch(tensor(Int32Array.from(input.data), input.shape, 'int32')) as Tensor;
    expect(maxDiff(y.dataSync(), f.outputs['logits']!.data)).toBeLessThan(1e-4);
  });

  it('saved and loaded, an imported model keeps which weights train and still updates its running statistics', async () => {
    const model = importOnnx(join(dir, 'bn-net.onnx'));
    const folder = mkdtempSync(join(tmpdir(), 'tf-onnx-bn-'));
    try {
      await model.save(folder);
      const back = await loadModel(folder);
      expect(weightsOf(back).map((w) => [w.name, w.trainable])).toEqual(weightsOf(model).map((w) => [w.name, w.trainable]));
      const before = stat(back, 'bn.running_mean');
      back.forward([tensor(Float32Array.from({ length: 2 * 3 * 6 * 6 }, (_, i) => Math.sin(i)), [2, 3, 6, 6])], { training: true, losses: [] });
      expect(maxDiff(stat(back, 'bn.running_mean'), before)).toBeGreaterThan(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('the trainable option decides instead of the default rule', () => {
    const seen: string[] = [];
    const model = importOnnx(join(dir, 'bn-net.onnx'), {
      trainable: (name) => {
        seen.push(name);
        return name.startsWith('out.');
      },
    });
    expect(seen).toContain('bn.running_mean');
    const trainable = weightsOf(model).filter((w) => w.trainable).map((w) => w.name).sort();
    expect(trainable).toEqual(['out.bias', 'out.weight']);
  });

  it('refuses a trainable option that is not a function, or a function that does not return a boolean', () => {
    const path = join(dir, 'bn-net.onnx');
    expect(() => importOnnx(path, { trainable: true as unknown as () => boolean })).toThrow("importOnnx: argument 'options.trainable' expected a function (initializerName: string) => boolean, got true");
    expect(() => importOnnx(path, { trainable: (() => 'yes') as unknown as () => boolean })).toThrow(/argument 'options\.trainable' expected a function returning a boolean \(for '[^']+'\), got "yes"/);
  });
});
