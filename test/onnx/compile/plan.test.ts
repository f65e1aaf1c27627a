// Imported graphs compiled for inference predict what the imported graph predicts (within 1e-5
// relative to the output's scale) on every fixture, train through the unfused graph, re-export
// unchanged, and rebuild their plan when weights change.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { ImportedModelPlanner } from '../../../src/onnx/compile/planner';
import { tensor } from '../../../src/ops/creation';
import { sgd } from '../../../src/optimizers';
import { loadModel } from '../../../src/models';
import type { LayersModel } from '../../../src/models/layers-model';
import type { Tensor } from '../../../src/tensor/tensor';
import { Storage, pooledBufferBytes } from '../../../src/tensor/storage';
import { tidy } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';

interface IoFile {
  inputs: Record<string, { shape: number[]; data: number[]; dtype?: string }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
const dir = join(__dirname, '../../fixtures');
const file = (name: string): string => join(dir, `${name}.onnx`);
const io = (name: string): IoFile => JSON.parse(readFileSync(join(dir, `${name}.io.json`), 'utf8')) as IoFile;
const FIXTURES = ['mlp', 'cnn', 'lstm', 'gru', 'bilstm', 'resblock', 'transformer', 'misc', 'conv1d-gru', 'tiny-gpt', 'bn-net', 'mobile-block'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The fixture's inputs, and the same inputs at batch `batch` (rows repeated, floats jittered). */
function inputsOf(name: string, batch?: number): Tensor[] {
  const r = rng(name.length * 31 + (batch ?? 0));
  return Object.values(io(name).inputs).map((i) => {
    const isInt = i.dtype !== undefined && i.dtype.startsWith('int');
    const n0 = i.shape[0]!;
    const row = i.data.length / n0;
    const b = batch ?? n0;
    const data = Array.from({ length: b * row }, (_, k) => {
      const v = i.data[k % i.data.length]!;
      return isInt ? v : v + (batch ? r() - 0.5 : 0);
    });
    const shape = [b, ...i.shape.slice(1)];
    return isInt ? tensor(Int32Array.from(data), shape, 'int32') : tensor(Float32Array.from(data), shape, 'float32');
  });
}

function outputs(model: LayersModel, xs: Tensor[]): Float32Array[] {
  const y = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
  return (Array.isArray(y) ? y : [y]).map((t) => Float32Array.from(t.dataSync()));
}

/** max |a - b| over max(|b|, 1e-3): the error relative to the output's scale. */
function relError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

function planner(model: LayersModel): ImportedModelPlanner {
  expect(model.inferencePlanner).toBeInstanceOf(ImportedModelPlanner);
  return model.inferencePlanner as ImportedModelPlanner;
}


/** fn's result and every storage allocated while it ran. */
function allocationsOf<T>(fn: () => T): { result: T; made: Storage[] } {
  const made: Storage[] = [];
  const allocate = Storage.allocate.bind(Storage);
  const spy = vi.spyOn(Storage, 'allocate').mockImplementation((dtype, length) => {
    const st = allocate(dtype, length);
    made.push(st);
    return st;
  });
  try {
    return { result: fn(), made };
  } finally {
    spy.mockRestore();
  }
}

describe('compiled inference of imported models', () => {
  for (const name of FIXTURES) {
    it(`${name}: compiled predictions equal the imported graph's (fixture batch and batch 8)`, () => {
      const compiled = importOnnx(file(name));
      const plain = importOnnx(file(name), { compile: false });
      expect(plain.inferencePlanner).toBeNull();
      for (const xs of [inputsOf(name), inputsOf(name, 8)]) {
        const a = outputs(compiled, xs);
        const b = outputs(plain, xs);
        a.forEach((y, k) => expect(relError(y, b[k]!)).toBeLessThan(1e-5));
        expect(planner(compiled).stats(xs)).not.toBeNull();
      }
      // And still PyTorch's outputs.
      const ref = Object.values(io(name).outputs)[0]!.data;
      expect(relError(outputs(compiled, inputsOf(name))[0]!, Float32Array.from(ref))).toBeLessThan(1e-4);
    });
  }

  it('mobile-block: BatchNorms fold, gated activations fuse, shape arithmetic folds, convolutions stay channels-last', () => {
    const model = importOnnx(file('mobile-block'));
    const s = planner(model).stats(inputsOf('mobile-block'))!;
    expect(s.foldedBatchNorms).toBe(4);
    // SiLU as x·sigmoid(x) and x·hardsigmoid(x); the squeeze-excitation's sigmoid gates another value.
    expect(s.gatedActivations).toBe(2);
    expect(s.foldedStatic).toBeGreaterThan(0);
    expect(s.kernels).toBe(8);
    // Into channels-last once at the input, back once before the flatten, and for the squeeze-excitation
    // product nothing (its [N,C,1,1] gate stays channels-last too).
    expect(s.layoutConversions).toBe(2);
    // 30 imported nodes: the shape chain and the BatchNorms go, relu joins its conv (more activations
    // join theirs as the kernels gain epilogues), two conversions come in.
    expect(s.importedNodes).toBe(30);
    expect(s.steps).toBeLessThanOrEqual(21);
  });

  it('resblock: the skip connection\'s Add and the ReLU after it join the convolution before the Add', () => {
    const model = importOnnx(file('resblock'));
    const s = planner(model).stats(inputsOf('resblock'))!;
    expect(s.fusedResiduals).toBe(1);
    // conv+relu, conv+add+relu: the Add and both ReLUs leave the step list.
    expect(s.fusedEpilogues).toBe(2);
  });

  it('transformer: the per-call steps leave out the shape sub-graphs', () => {
    const model = importOnnx(file('transformer'));
    const s = planner(model).stats(inputsOf('transformer'))!;
    expect(s.foldedStatic).toBeGreaterThan(10);
    expect(s.steps).toBeLessThan(s.importedNodes);
    // Its feed-forward GELU (exported as Div, Erf, Add, Mul, Mul) is one op, in the linear layer's epilogue.
    expect(s.gatedActivations).toBe(1);
  });

  it('training uses the imported graph, and predictions after a step reflect the new weights', async () => {
    const model = importOnnx(file('bn-net'));
    const xs = inputsOf('bn-net', 8);
    const before = outputs(model, xs)[0]!;
    model.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const target = tensor(new Float32Array(8 * 2).fill(1), [8, 2]);
    await model.fit(xs[0]!, target, { epochs: 1, batchSize: 8, verbose: 0 });
    const after = outputs(model, xs)[0]!;
    expect(relError(after, before)).toBeGreaterThan(1e-3);
    // The same weights run node by node (no plan) give the same predictions.
    const saved = model.inferencePlanner;
    model.inferencePlanner = null;
    const reference = outputs(model, xs)[0]!;
    model.inferencePlanner = saved;
    expect(relError(after, reference)).toBeLessThan(1e-5);
  });

  it('predictions alternating with training steps run the imported graph instead of a new plan each time', async () => {
    const model = importOnnx(file('bn-net'));
    const plain = importOnnx(file('bn-net'), { compile: false });
    const xs = inputsOf('bn-net', 8);
    outputs(model, xs);
    expect(planner(model).compiles).toBe(1);
    model.compile({ optimizer: sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const target = tensor(new Float32Array(8 * 2).fill(1), [8, 2]);
    for (let step = 0; step < 3; step++) {
      await model.trainOnBatch(xs[0]!, target);
      plain.setWeights(model.getWeights());
      expect(relError(outputs(model, xs)[0]!, outputs(plain, xs)[0]!)).toBeLessThan(1e-5);
    }
    expect(planner(model).compiles).toBe(1);
    // Weights that stay put for a second prediction get their plan.
    expect(relError(outputs(model, xs)[0]!, outputs(plain, xs)[0]!)).toBeLessThan(1e-5);
    expect(planner(model).compiles).toBe(2);
  });

  it('arithmetic on buffers (a mask behind Equal) folds, and follows the buffer when it changes', () => {
    const mask = Array.from({ length: 16 }, (_, i) => (i % 4 <= Math.floor(i / 4) ? 1 : 0));
    const bytes = buildOnnx({
      inputs: [{ name: 'x', shape: ['N', 4, 4] }], outputs: ['y'],
      initializers: [{ name: 'mask', shape: [4, 4], data: mask }, { name: 'zero', shape: [], data: [0] }, { name: 'low', shape: [], data: [-1e4] }],
      // The mask is broadcast to the input's shape (as Swin's window masks are built from it), so
      // the import cannot fold it; a plan, built per input shape, can.
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
        { op: 'Expand', inputs: ['mask', 'shape'], outputs: ['wide'] },
        { op: 'Equal', inputs: ['wide', 'zero'], outputs: ['hidden'] },
        { op: 'Where', inputs: ['hidden', 'low', 'x'], outputs: ['y'] },
      ],
    });
    const model = importOnnx(bytes);
    expect(model.trainableWeights).toHaveLength(0);
    expect(model.nonTrainableWeights.length).toBeGreaterThan(0);
    const xs = [tensor(Float32Array.from({ length: 32 }, (_, i) => i), [2, 4, 4])];
    expect(planner(model).stats(xs)!.foldedStatic).toBe(3);
    const plain = importOnnx(bytes, { compile: false });
    expect(relError(outputs(model, xs)[0]!, outputs(plain, xs)[0]!)).toBe(0);
    const flipped = model.getWeights().map((w) => (w.size === 16 ? tensor(Float32Array.from(w.dataSync(), (v) => 1 - v), [4, 4]) : w));
    model.setWeights(flipped);
    plain.setWeights(flipped);
    const after = outputs(model, xs)[0]!;
    expect(relError(after, outputs(plain, xs)[0]!)).toBe(0);
    expect(after[1]).toBe(1);
  });

  it('setWeights drops the plan built from the old weights', () => {
    const model = importOnnx(file('mobile-block'));
    const xs = inputsOf('mobile-block');
    const before = outputs(model, xs)[0]!;
    model.setWeights(model.getWeights().map((w) => tensor(Float32Array.from(w.dataSync(), (v) => v * 0.9), w.shape.slice())));
    const after = outputs(model, xs)[0]!;
    const plain = importOnnx(file('mobile-block'), { compile: false });
    plain.setWeights(model.getWeights());
    expect(relError(after, before)).toBeGreaterThan(1e-3);
    expect(relError(after, outputs(plain, xs)[0]!)).toBeLessThan(1e-5);
  });

  it('exports the same ONNX after compiled predictions', () => {
    for (const name of ['mobile-block', 'resblock']) {
      const model = importOnnx(file(name));
      const fresh = exportOnnxBytes(model, { opset: 17 });
      outputs(model, inputsOf(name));
      expect(Buffer.from(exportOnnxBytes(model, { opset: 17 })).equals(Buffer.from(fresh))).toBe(true);
    }
  });

  for (const name of ['misc', 'transformer', 'tiny-gpt']) {
    it(`${name}: a step's own intermediates are released when the step ends, outside any scope too`, () => {
      const model = importOnnx(file(name));
      const xs = inputsOf(name, 8);
      outputs(model, xs);
      const p = planner(model);
      // Nothing encloses profile's run: without per-step release its intermediates would stay live
      // until garbage collection, and every call would take fresh pages for them.
      p.profile(xs);
      const { result: kept, made } = allocationsOf(() => {
        const plan = (p as unknown as { plans: Map<string, { run(x: readonly Tensor[]): Tensor[] }> }).plans;
        return [...plan.values()][0]!.run(xs).map((y) => y.storage);
      });
      expect(made.length).toBeGreaterThan(0);
      const live = made.filter((st) => st.data !== null && !kept.includes(st));
      expect(live.map((st) => st.data!.length)).toEqual([]);
    });
  }

  for (const name of FIXTURES) {
    it(`${name}: calls at changing batch sizes match the imported graph, earlier outputs stay valid, intermediates go back at once`, () => {
      const compiled = importOnnx(file(name));
      const plain = importOnnx(file(name), { compile: false });
      const held: { got: Tensor[]; want: Float32Array[] }[] = [];
      for (const batch of [2, 5, 2, 3, 5, 2]) {
        const xs = inputsOf(name, batch);
        const y = compiled.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
        const got = Array.isArray(y) ? y : [y];
        const want = outputs(plain, xs);
        got.forEach((t, k) => expect(relError(Float32Array.from(t.dataSync()), want[k]!)).toBeLessThan(1e-5));
        held.push({ got, want });
      }
      // The plans' later calls reused no buffer an earlier call handed out.
      for (const { got, want } of held) got.forEach((t, k) => expect(relError(Float32Array.from(t.dataSync()), want[k]!)).toBeLessThan(1e-5));
      // A plan run outside any scope leaves nothing live but its outputs, and the outputs it made
      // return their buffers to the pool when collected (a registry entry), unlike its intermediates.
      const xs = inputsOf(name, 3);
      const { result: ys, made } = allocationsOf(() => {
        const plans = (planner(compiled) as unknown as { plans: Map<string, { run(x: readonly Tensor[]): Tensor[] } | null> }).plans;
        return [...plans.entries()].find(([key]) => key.includes('[3'))![1]!.run(xs);
      });
      const kept = ys.map((y) => y.storage);
      expect(made.filter((st) => st.data !== null && !kept.includes(st)).map((st) => st.data!.length)).toEqual([]);
      const registered = (st: Storage): boolean => (st as unknown as { registered: boolean }).registered;
      for (const st of kept) if (made.includes(st) && st.data!.length * 4 > 64) expect(registered(st)).toBe(true);
      // Inside tidy, the outputs belong to its scope as any op's result does.
      const inTidy: Tensor[] = [];
      tidy(() => {
        const y = compiled.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
        inTidy.push(...(Array.isArray(y) ? y : [y]));
      });
      for (const t of inTidy) expect(t.isDisposed).toBe(true);
    });
  }

  it('the pool stays bounded over many calls at more input shapes than plans kept', () => {
    const model = importOnnx(file('cnn'));
    const batches = Array.from({ length: 11 }, (_, i) => i + 1);
    const inputs = batches.map((b) => inputsOf('cnn', b));
    const round = (): void => {
      for (const xs of inputs) model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
    };
    for (let i = 0; i < 3; i++) round();
    const after = pooledBufferBytes();
    for (let i = 0; i < 20; i++) round();
    // Parked bytes after every round's calls are the same set of buffers (no growth per call).
    expect(pooledBufferBytes()).toBeLessThanOrEqual(after);
  });

  it('intermediates live in one arena per plan: later calls take no pooled buffer for them, and handed-out outputs keep their values', () => {
    for (const name of ['mobile-block', 'resblock', 'cnn', 'transformer']) {
      const model = importOnnx(file(name));
      const xs = inputsOf(name, 4);
      model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
      const first = model.predictOnBatch(xs.length === 1 ? xs[0]! : xs) as Tensor;
      const kept = Float32Array.from((Array.isArray(first) ? first[0]! : first).dataSync());
      const plan = (planner(model) as unknown as { plans: Map<string, { arenaBytes: number }> }).plans;
      const arenaBytes = [...plan.values()][0]!.arenaBytes;
      expect(arenaBytes, name).toBeGreaterThan(0);
      // A second call with other inputs: only its outputs come from the pool.
      const other = inputsOf(name, 4).map((t) => (t.dtype === 'float32' ? tensor(Float32Array.from(t.dataSync(), (v) => v * 0.5 + 0.1), t.shape.slice(), 'float32') : t));
      const buffers: ArrayBufferLike[] = [];
      const allocate = Storage.allocate.bind(Storage);
      const spy = vi.spyOn(Storage, 'allocate').mockImplementation((dtype, length) => {
        const st = allocate(dtype, length);
        buffers.push(st.data!.buffer);
        return st;
      });
      let result: Tensor | Tensor[];
      try {
        result = model.predictOnBatch(other.length === 1 ? other[0]! : other);
      } finally {
        spy.mockRestore();
      }
      const outs = Array.isArray(result) ? result : [result];
      const inArena = buffers.filter((b) => b.byteLength === arenaBytes + 64).length;
      // Pooled buffers: the outputs, and intermediates the arena does not plan (inputs of steps that
      // hand back a fixed tensor, slab-sized values).
      expect(inArena, `${name}: intermediates from the arena`).toBeGreaterThan(0);
      expect(inArena, `${name}: intermediates from the arena`).toBeGreaterThanOrEqual(buffers.length - outs.length - 2);
      for (const y of outs) expect(y.storage.data!.buffer.byteLength, `${name} output`).not.toBe(arenaBytes + 64);
      expect(Array.from((Array.isArray(first) ? first[0]! : first).dataSync()), `${name}: the first call's output after the second call`).toEqual(Array.from(kept));
      // And the arena's results equal the uncompiled graph's.
      const plain = importOnnx(file(name), { compile: false });
      outputs(model, other).forEach((y, k) => expect(relError(y, outputs(plain, other)[k]!), name).toBeLessThan(1e-5));
    }
  });

  it('plans for several batch sizes share one packed copy of the weights', () => {
    const model = importOnnx(file('mobile-block'));
    const derived = (planner(model) as unknown as { derived: Map<Tensor, Map<string, Tensor>> }).derived;
    outputs(model, inputsOf('mobile-block'));
    const count = [...derived.values()].reduce((n, m) => n + m.size, 0);
    expect(count).toBeGreaterThan(8);
    outputs(model, inputsOf('mobile-block', 8));
    expect(planner(model).stats(inputsOf('mobile-block', 8))).not.toBeNull();
    expect([...derived.values()].reduce((n, m) => n + m.size, 0)).toBe(count);
  });

  it('inputs the graph rejects fail as uncompiled, and the shape still compiles for good inputs', () => {
    const model = importOnnx(file('tiny-gpt'));
    const plain = importOnnx(file('tiny-gpt'), { compile: false });
    const bad = tensor(Int32Array.from([1, 2, 99, 3, 4, 5, 6, 7, 8, 9]), [2, 5], 'int32');
    let expected = '';
    try {
      plain.predictOnBatch(bad);
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).not.toBe('');
    expect(() => model.predictOnBatch(bad)).toThrow(expected);
    const xs = inputsOf('tiny-gpt');
    expect(relError(outputs(model, xs)[0]!, outputs(plain, xs)[0]!)).toBeLessThan(1e-5);
    expect(planner(model).stats(xs)).not.toBeNull();
    expect(planner(model).lastError).toBeNull();
  });

  it('a saved imported model loads with a compiled plan again', async () => {
    const model = importOnnx(file('mobile-block'));
    const dir = mkdtempSync(join(tmpdir(), 'tf-compiled-'));
    try {
      await model.save(dir);
      const loaded = await loadModel(dir);
      const xs = inputsOf('mobile-block', 8);
      expect(relError(outputs(loaded, xs)[0]!, outputs(importOnnx(file('mobile-block'), { compile: false }), xs)[0]!)).toBeLessThan(1e-5);
      expect(planner(loaded).stats(xs)!.foldedBatchNorms).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a non-boolean compile option', () => {
    expect(() => importOnnx(file('mlp'), { compile: 'yes' as unknown as boolean })).toThrow(/options\.compile.*a boolean/);
  });
});
