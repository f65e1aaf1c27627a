import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { SessionWorker } from '../../src/onnx/session/process-worker';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { InferenceSession } from '../../src/onnx/inference-session';
import { GATE_STARTED, type WireOutput } from '../../src/onnx/session/protocol';
import { WorkerPool, type JobInput } from '../../src/onnx/session/worker-pool';
import { DataType, encodeModel } from '../../src/onnx/proto';
import type { OnnxValueInfoProto } from '../../src/onnx/proto';
import { seededValues } from '../helpers/layer-check';
import { buildOnnx } from '../helpers/onnx-graph';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const fixture = (name: string): string => join(FIXTURES, `${name}.onnx`);

interface IoJson {
  inputs: Record<string, { shape: number[]; data: number[] }>;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
const io = (name: string): IoJson => JSON.parse(readFileSync(join(FIXTURES, `${name}.io.json`), 'utf8')) as IoJson;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const cnnInput = (n: number, seed: number): Tensor => tf.tensor(seededValues(n * 784, seed), [n, 1, 28, 28]);

function valueInfo(name: string, elemType: number, dims: (number | string | null)[] | null): OnnxValueInfoProto {
  const shape = dims && { dim: dims.map((d) => (d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: d })) };
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

/**
 * Identity per input, covering the dtype conversions and the shapes ORT's metadata cannot tell
 * apart on its own (a scalar and an unknown rank both come back as []).
 */
function typesModel(): Uint8Array {
  const values: [string, number, (number | string | null)[] | null][] = [
    ['a', DataType.FLOAT, ['n', null, 3]],
    ['b', DataType.INT64, null],
    ['c', DataType.BOOL, [2]],
    ['s', DataType.FLOAT16, []],
    ['d', DataType.DOUBLE, [2]],
  ];
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'types',
      node: values.map(([n]) => ({ opType: 'Identity', input: [n], output: [`y${n}`] })),
      input: values.map(([n, t, d]) => valueInfo(n, t, d)),
      output: values.map(([n, t, d]) => valueInfo(`y${n}`, t, d)),
    },
  });
}

/** z = x + y over inputs of unknown rank: only ORT can reject incompatible shapes. */
function addModel(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'add',
      node: [{ opType: 'Add', input: ['x', 'y'], output: ['z'] }],
      input: [valueInfo('x', DataType.FLOAT, null), valueInfo('y', DataType.FLOAT, null)],
      output: [valueInfo('z', DataType.FLOAT, null)],
    },
  });
}

/**
 * A stand-in for the session worker that speaks the pool's protocol without onnxruntime, so a test
 * can stop it mid-request (terminating a thread inside ORT aborts the process) and decide when
 * each replacement loads. It answers y = 2x. Control (shared through workerData.fake): [0] how many
 * workers still load at once (the others wait for { kind: 'fake-load', ok }), [1] whether a
 * request is held until { kind: 'fake-finish' }. It posts { kind: 'fake-started' } when it takes
 * up a request, after counting it in the gate as the real worker does.
 */
const FAKE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const gate = new Int32Array(workerData.gate);
const control = new Int32Array(workerData.fake);
const waiting = [];
let current = null;
let loaded = false;
const load = (ok) => {
  if (loaded) return;
  loaded = true;
  parentPort.postMessage(ok ? { kind: 'ready', inputs: [], outputs: [] } : { kind: 'init-error', message: 'fake load failure' });
};
const answer = () => {
  const msg = current;
  current = null;
  const x = msg.feeds.x;
  const data = Float32Array.from(x.data, (v) => 2 * v);
  parentPort.postMessage({ kind: 'result', id: msg.id, outputs: { y: { data, dims: x.dims } } }, [data.buffer]);
  next();
};
const next = () => {
  if (current || waiting.length === 0) return;
  current = waiting.shift();
  Atomics.add(gate, ${GATE_STARTED}, 1);
  parentPort.postMessage({ kind: 'fake-started', id: current.id });
  if (Atomics.load(control, 1) === 0) answer();
};
parentPort.on('message', (msg) => {
  if (msg.kind === 'run') { waiting.push(msg); next(); }
  else if (msg.kind === 'fake-finish') answer();
  else if (msg.kind === 'fake-load') load(msg.ok);
  else if (msg.kind === 'release') parentPort.postMessage({ kind: 'released' });
});
if (Atomics.sub(control, 0, 1) > 0) load(true);
`;

/** Starts a pool of fake workers: `loadAtOnce` of them load by themselves; `hold` keeps requests running until told. */
async function fakePool(size: number, loadAtOnce: number, hold: boolean): Promise<{ pool: WorkerPool; control: Int32Array }> {
  const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  control[0] = loadAtOnce;
  control[1] = hold ? 1 : 0;
  const init = {
    ortPath: '',
    protobufPath: '',
    onnxSchema: {},
    model: { kind: 'path', path: '' },
    options: { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpSpinning: false, nice: 0 },
    fake: control.buffer,
  } as unknown as Parameters<typeof WorkerPool.start>[0];
  const { pool } = await WorkerPool.start(init, size, 'Pool(fake)', FAKE_WORKER);
  return { pool, control };
}

/** A request for the fake worker over `values`, counting how often the pool prepares and releases it. */
function countedInput(values: number[]): { input: JobInput; prepared: number; released: number } {
  const counts = {
    prepared: 0,
    released: 0,
    input: {
      prepare: () => {
        counts.prepared++;
        const data = Float32Array.from(values);
        return { feeds: { x: { type: 'float32' as const, data, dims: [values.length] } }, transfer: [data.buffer] };
      },
      release: () => {
        counts.released++;
      },
    },
  };
  return counts;
}

const doubled = (values: number[]): Record<string, WireOutput> => ({ y: { data: Float32Array.from(values, (v) => 2 * v), dims: [values.length] } });

/** Closes a fake pool; workers still loading are let load first, since the pool waits for them. */
async function closeFake(pool: WorkerPool): Promise<void> {
  for (const w of pool.workerHandles()) w.postMessage({ kind: 'fake-load', ok: true });
  await pool.close();
}

function nextMessage(worker: SessionWorker, kind: string): Promise<{ kind: string; id?: number }> {
  return new Promise((resolve) => {
    const listen = (msg: { kind: string; id?: number }): void => {
      if (msg.kind !== kind) return;
      worker.off('message', listen);
      resolve(msg);
    };
    worker.on('message', listen);
  });
}

describe('WorkerPool (fake workers)', () => {
  it('a worker dying mid-request rejects only that request; the one waiting in its port runs on the replacement', async () => {
    const { pool, control } = await fakePool(1, 1, true);
    try {
      const [worker] = pool.workerHandles();
      const started = nextMessage(worker!, 'fake-started');
      const first = countedInput([1, 2]);
      const second = countedInput([3, 4]);
      const running = pool.submit(first.input, ['y']);
      const waiting = pool.submit(second.input, ['y']);
      // The worker holds both: the first running, the second waiting in its port.
      expect((await started).id).toBeDefined();
      expect(pool.state()).toMatchObject({ busy: 1, queued: 0 });
      await worker!.terminate();
      await expect(running).rejects.toThrow(/Pool\(fake\): the worker running this request stopped unexpectedly \(exit code 1\); it is being replaced/);
      // The waiting request is back in the queue, for the replacement once it has loaded.
      expect(pool.state()).toMatchObject({ workers: 1, ready: 0, queued: 1, replaced: 1 });
      Atomics.store(control, 1, 0);
      pool.workerHandles()[0]!.postMessage({ kind: 'fake-load', ok: true });
      expect(await waiting).toEqual(doubled([3, 4]));
      // Each request settled once; only the waiting one had to be copied again.
      expect([first.prepared, first.released, second.prepared, second.released]).toEqual([1, 1, 2, 1]);
    } finally {
      await closeFake(pool);
    }
  });

  it('keeps requests while a replacement is still loading, even if another fails to load, and gives up only when none is left', async () => {
    const { pool } = await fakePool(2, 2, false);
    try {
      await Promise.all(pool.workerHandles().map((w) => w.terminate()));
      expect(pool.state()).toMatchObject({ workers: 2, ready: 0, replaced: 2 });
      const a = countedInput([5]);
      const request = pool.submit(a.input, ['y']);
      const [failing, loading] = pool.workerHandles();
      const failed = new Promise((r) => failing!.once('exit', r));
      failing!.postMessage({ kind: 'fake-load', ok: false });
      await failed;
      // One replacement failed, but the other is still loading: the request waits for it.
      expect(pool.state()).toMatchObject({ workers: 1, ready: 0, queued: 1 });
      loading!.postMessage({ kind: 'fake-load', ok: true });
      expect(await request).toEqual(doubled([5]));
      expect(await pool.submit(countedInput([6]).input, ['y'])).toEqual(doubled([6]));
      // Once the last worker dies and its replacement cannot load, requests are refused.
      await loading!.terminate();
      const b = countedInput([7]);
      const doomed = pool.submit(b.input, ['y']);
      pool.workerHandles()[0]!.postMessage({ kind: 'fake-load', ok: false });
      await expect(doomed).rejects.toThrow(/Pool\(fake\): onnxruntime could not load the model: fake load failure/);
      const c = countedInput([8]);
      await expect(pool.submit(c.input, ['y'])).rejects.toThrow(/fake load failure/);
      expect([a.released, b.prepared, b.released, c.prepared, c.released]).toEqual([1, 0, 1, 0, 1]);
    } finally {
      await closeFake(pool);
    }
  });
});

describe('InferenceSession', () => {
  let cnn: InferenceSession;
  beforeAll(async () => {
    cnn = await InferenceSession.create(fixture('cnn'), { workers: 2 });
  });
  afterAll(async () => {
    await cnn.dispose();
  });

  describe('fixtures', () => {
    for (const name of ['mlp', 'cnn', 'lstm', 'gru']) {
      it(`${name}: outputs match the PyTorch reference within 1e-4`, async () => {
        const ref = io(name);
        const session = await InferenceSession.create(fixture(name), { workers: 1 });
        try {
          const x = ref.inputs['input']!;
          const out = await session.run({ input: tf.tensor(x.data, x.shape) });
          const y = out['output']!;
          expect(y.shape).toEqual(ref.outputs['output']!.shape);
          expect(y.dtype).toBe('float32');
          expect(maxAbsDiff(y.dataSync(), ref.outputs['output']!.data)).toBeLessThan(1e-4);
        } finally {
          await session.dispose();
        }
      });
    }

    it('loads from bytes as from a path', async () => {
      const ref = io('mlp');
      const session = await InferenceSession.create(readFileSync(fixture('mlp')), { workers: 1 });
      try {
        const x = ref.inputs['input']!;
        const y = (await session.run({ input: tf.tensor(x.data, x.shape) }))['output']!;
        expect(maxAbsDiff(y.dataSync(), ref.outputs['output']!.data)).toBeLessThan(1e-4);
      } finally {
        await session.dispose();
      }
    });
  });

  describe('feeds', () => {
    it('accepts a Tensor, { data, dims }, a bare typed array and a strided view alike', async () => {
      const x = cnnInput(3, 1);
      const data = Float32Array.from(x.dataSync());
      const fromTensor = (await cnn.run({ input: x }))['output']!;
      const fromDims = (await cnn.run({ input: { data, dims: [3, 1, 28, 28] } }))['output']!;
      const fromBare = (await cnn.run({ input: data }))['output']!;
      // Same values through a non-contiguous view: rows and columns swapped twice, the second time as a view.
      const strided = tf.transpose(tf.contiguous(tf.transpose(x, [0, 1, 3, 2])), [0, 1, 3, 2]);
      expect(strided.isContiguous).toBe(false);
      const fromView = (await cnn.run({ input: strided }))['output']!;
      expect(fromTensor.shape).toEqual([3, 10]);
      for (const other of [fromDims, fromBare, fromView]) {
        expect(other.shape).toEqual([3, 10]);
        expect(maxAbsDiff(other.dataSync(), fromTensor.dataSync())).toBe(0);
      }
    });

    it('leaves the caller\'s arrays intact and lets inputs be disposed right after run()', async () => {
      const x = cnnInput(2, 2);
      const before = Float32Array.from(x.dataSync());
      const expected = (await cnn.run({ input: x }))['output']!.dataSync();
      expect(x.dataSync()).toEqual(before);
      const y = cnnInput(2, 2);
      const pending = cnn.run({ input: y });
      y.dispose();
      // Reuse the freed pooled memory at once: a request still reading it would see garbage.
      tf.zeros([2, 1, 28, 28]);
      expect(maxAbsDiff((await pending)['output']!.dataSync(), expected)).toBe(0);
    });

    it('fetches a subset of outputs by name', async () => {
      const session = await InferenceSession.create(typesModel(), { workers: 1 });
      try {
        const out = await session.run(
          { a: tf.ones([1, 2, 3]), b: { data: new Int32Array([5, -6]), dims: [2] }, c: new Uint8Array([1, 0]), s: { data: new Uint16Array([0x3c00]), dims: [] }, d: new Float64Array([0.5, 2]) },
          { outputNames: ['yd'] },
        );
        expect(Object.keys(out)).toEqual(['yd']);
        expect(out['yd']!.toArray()).toEqual([0.5, 2]);
      } finally {
        await session.dispose();
      }
    });
  });

  describe('metadata and dtypes', () => {
    it('reports names, element types and symbolic shapes', () => {
      expect(cnn.inputNames).toEqual(['input']);
      expect(cnn.outputNames).toEqual(['output']);
      expect(cnn.inputMetadata).toEqual([{ name: 'input', isTensor: true, dtype: 'float32', shape: ['batch', 1, 28, 28] }]);
      expect(cnn.outputMetadata).toEqual([{ name: 'output', isTensor: true, dtype: 'float32', shape: ['batch', 10] }]);
      expect(cnn.workers).toBe(2);
    });

    it('tells scalars from unknown ranks and unnamed dims from named ones', async () => {
      const session = await InferenceSession.create(typesModel(), { workers: 1 });
      try {
        const shapes = Object.fromEntries(session.inputMetadata.map((m) => [m.name, [m.dtype, m.shape]]));
        expect(shapes).toEqual({
          a: ['float32', ['n', null, 3]],
          b: ['int64', null],
          c: ['bool', [2]],
          s: ['float16', []],
          d: ['float64', [2]],
        });
      } finally {
        await session.dispose();
      }
    });

    it('converts outputs to float32/int32 tensors and widens int32 feeds to int64', async () => {
      const session = await InferenceSession.create(typesModel(), { workers: 1 });
      try {
        const out = await session.run({
          a: tf.tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]),
          b: { data: new Int32Array([7, -8, 9]), dims: [3] },
          c: new Uint8Array([1, 0]),
          s: { data: new Uint16Array([0xc100]), dims: [] }, // -2.5 as a half float
          d: new Float64Array([0.25, -4]),
        });
        expect([out['ya']!.dtype, out['ya']!.shape, out['ya']!.toArray()]).toEqual(['float32', [1, 2, 3], [[[1, 2, 3], [4, 5, 6]]]]);
        expect([out['yb']!.dtype, out['yb']!.toArray()]).toEqual(['int32', [7, -8, 9]]);
        expect([out['yc']!.dtype, out['yc']!.toArray()]).toEqual(['int32', [1, 0]]);
        expect([out['ys']!.dtype, out['ys']!.shape, out['ys']!.item()]).toEqual(['float32', [], -2.5]);
        expect([out['yd']!.dtype, out['yd']!.toArray()]).toEqual(['float32', [0.25, -4]]);
        // BigInt64Array feeds go through as they are; a value beyond int32 cannot come back.
        const big = session.run({ a: tf.zeros([1, 1, 3]), b: { data: new BigInt64Array([2n ** 40n]), dims: [1] }, c: new Uint8Array(2), s: new Uint16Array(1), d: new Float64Array(2) });
        await expect(session.run({ a: tf.zeros([1, 1, 3]), b: new BigInt64Array(1), c: new Uint8Array(2), s: new Uint16Array(1), d: new Float64Array(2) })).rejects.toThrow(
          /argument 'feeds\.b' expected \{ data, dims \} for input 'b' of shape \[\*\] \(its rank is unknown\), got BigInt64Array\(1\)/,
        );
        await expect(big).rejects.toThrow(/output 'yb' \(int64\) holds 1099511627776 at element 0, outside the int32 range/);
      } finally {
        await session.dispose();
      }
    });
  });

  describe('batching', () => {
    it('runBatch splits along dim 0 and concatenates like one big run', async () => {
      const x = cnnInput(50, 3);
      const whole = (await cnn.run({ input: x }))['output']!;
      const batched = (await cnn.runBatch({ input: x }, { batchSize: 7 }))['output']!;
      expect(batched.shape).toEqual([50, 10]);
      expect(maxAbsDiff(batched.dataSync(), whole.dataSync())).toBeLessThan(1e-5);
      const predicted = await cnn.predict(x, { batchSize: 16 });
      expect(predicted.shape).toEqual([50, 10]);
      expect(maxAbsDiff(predicted.dataSync(), whole.dataSync())).toBeLessThan(1e-5);
      // One chunk (batch >= samples) and the default batch size take the same path as run().
      expect(maxAbsDiff((await cnn.predict(x, { batchSize: 64 })).dataSync(), whole.dataSync())).toBeLessThan(1e-5);
      expect(maxAbsDiff((await cnn.predict(x)).dataSync(), whole.dataSync())).toBeLessThan(1e-5);
    });

    it('batches typed arrays and rejects inputs that cannot be split', async () => {
      const x = cnnInput(9, 4);
      const data = Float32Array.from(x.dataSync());
      const whole = (await cnn.run({ input: x }))['output']!.dataSync();
      const batched = (await cnn.runBatch({ input: { data, dims: [9, 1, 28, 28] } }, { batchSize: 2 }))['output']!;
      expect(maxAbsDiff(batched.dataSync(), whole)).toBeLessThan(1e-5);
      const session = await InferenceSession.create(typesModel(), { workers: 1 });
      try {
        const feeds = { a: tf.zeros([2, 1, 3]), b: { data: new BigInt64Array(2), dims: [2] }, c: new Uint8Array(2), s: new Uint16Array(1), d: new Float64Array(2) };
        await expect(session.runBatch(feeds, { batchSize: 1 })).rejects.toThrow(/feeds\.s' expected a tensor with a batch dimension/);
        await expect(session.predict(tf.zeros([2, 1, 3]))).rejects.toThrow(/expected a model with exactly one input/);
      } finally {
        await session.dispose();
      }
    });

    it('refuses to join outputs whose first dimension is not the batch, even when the shapes line up', async () => {
      // y = x^T: a [4, n] output per chunk; joining chunks of 3 samples along dim 0 would give [8, 3].
      const timeMajor = buildOnnx({ inputs: [{ name: 'x', shape: ['N', 4] }], outputs: ['y'], nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [1, 0] } }] });
      const session = await InferenceSession.create(timeMajor, { workers: 1 });
      try {
        await expect(session.runBatch({ x: tf.zeros([6, 4]) }, { batchSize: 3 })).rejects.toThrow(/output 'y' cannot be joined along dim 0: batches returned shapes \[4,3\] and \[4,3\]/);
        expect((await session.runBatch({ x: tf.zeros([6, 4]) }, { batchSize: 6 }))['y']!.shape).toEqual([4, 6]);
      } finally {
        await session.dispose();
      }
    });
  });

  it('serves 50 concurrent runs with different inputs, each getting its own result', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => cnnInput(1 + (i % 4), 100 + i));
    // Reference: plain onnxruntime on this thread, one input at a time.
    const ref = await ort.InferenceSession.create(fixture('cnn'));
    const expected: Float32Array[] = [];
    for (const x of inputs) {
      const r = await ref.run({ input: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape.slice()) });
      expected.push(r['output']!.data as Float32Array);
    }
    await ref.release();
    const results = await Promise.all(inputs.map((x) => cnn.run({ input: x })));
    results.forEach((r, i) => {
      expect(r['output']!.shape).toEqual([inputs[i]!.shape[0], 10]);
      expect(maxAbsDiff(r['output']!.dataSync(), expected[i]!)).toBeLessThan(1e-5);
    });
  });

  describe('errors', () => {
    it('rejects bad feeds with the argument, what was expected and what came, before any worker sees them', async () => {
      const x = cnnInput(2, 5);
      const cases: [unknown, RegExp][] = [
        [{ inp: x }, /InferenceSession\.run: argument 'feeds' expected only the model's inputs \('input'\), got unknown input 'inp'/],
        [{}, /argument 'feeds' expected a value for every model input \('input'\), got nothing for 'input'/],
        [x, /argument 'feeds' expected an object mapping input names \('input'\) to values, got Tensor\(float32, shape \[2,1,28,28\]\)/],
        [{ input: cnnInput(2, 5).reshape([2, 28, 28, 1]) }, /argument 'feeds\.input' expected shape \[batch,1,28,28\] for input 'input', got Tensor\(float32, shape \[2,28,28,1\]\) of shape \[2,28,28,1\]/],
        [{ input: tf.zeros([784]) }, /expected shape \[batch,1,28,28\] for input 'input', got .* of shape \[784\]/],
        [{ input: tf.zeros([1, 1, 28, 28], 'int32') }, /argument 'feeds\.input' expected float32 data for input 'input' \(dtype float32\), got Tensor\(int32/],
        [{ input: new Float64Array(784) }, /expected float32 data for input 'input' \(dtype float32\), got Float64Array\(784\)/],
        [{ input: new Float32Array(785) }, /expected a length that fits input 'input' of shape \[batch,1,28,28\], got Float32Array\(785\) of length 785/],
        [{ input: { data: new Float32Array(784), dims: [2, 1, 28, 28] } }, /expected data whose length is the product of dims \[2,1,28,28\] \(1568\), got Float32Array\(784\)/],
        [{ input: { data: new Float32Array(784), dims: [1, 1, 28, -28] } }, /argument 'feeds\.input\.dims' expected an array of non-negative integers/],
        [{ input: { data: [1, 2], dims: [2] } }, /argument 'feeds\.input\.data' expected a numeric typed array/],
        [{ input: [1, 2, 3] }, /argument 'feeds\.input' expected a Tensor, a typed array or \{ data, dims \}, got \[1,2,3\]/],
      ];
      for (const [feeds, message] of cases) {
        await expect(cnn.run(feeds as Record<string, Tensor>)).rejects.toThrow(message);
        expect(cnn.poolState()).toMatchObject({ busy: 0, queued: 0 });
      }
      const disposed = cnnInput(1, 6);
      disposed.dispose();
      await expect(cnn.run({ input: disposed })).rejects.toThrow(/argument 'feeds\.input' expected a live tensor, got a disposed tensor/);
      await expect(cnn.run({ input: x }, { outputNames: ['logits'] })).rejects.toThrow(/argument 'options\.outputNames' expected names of the model's outputs \('output'\), got 'logits'/);
      await expect(cnn.runBatch({ input: x }, { batchSize: 0 })).rejects.toThrow(/InferenceSession\.runBatch: argument 'options\.batchSize' expected a positive integer, got 0/);
      // The session is unharmed.
      expect((await cnn.run({ input: x }))['output']!.shape).toEqual([2, 10]);
    });

    it('turns an onnxruntime failure into a rejection and keeps serving', async () => {
      const session = await InferenceSession.create(addModel(), { workers: 1 });
      try {
        expect(session.inputMetadata.map((m) => m.shape)).toEqual([null, null]);
        await expect(session.run({ x: { data: new Float32Array(2), dims: [2] }, y: { data: new Float32Array(3), dims: [3] } })).rejects.toThrow(
          /InferenceSession\(\d+ bytes\): onnxruntime failed to run the model: .*/,
        );
        const ok = await session.run({ x: tf.tensor([1, 2]), y: tf.tensor([10, 20]) });
        expect(ok['z']!.toArray()).toEqual([11, 22]);
      } finally {
        await session.dispose();
      }
    });

    it('rejects malformed models, bad sources and bad options without crashing', async () => {
      const bytes = readFileSync(fixture('cnn'));
      const garbage = Uint8Array.from(seededValues(4096, 7, 0, 256), (v) => Math.floor(v));
      await expect(InferenceSession.create(garbage)).rejects.toThrow(/InferenceSession\(4096 bytes\): onnxruntime could not load the model: /);
      await expect(InferenceSession.create(bytes.subarray(0, bytes.length >> 1))).rejects.toThrow(/onnxruntime could not load the model/);
      await expect(InferenceSession.create(new Uint8Array(0))).rejects.toThrow(/argument 'source' expected ONNX model bytes, got an empty Uint8Array/);
      await expect(InferenceSession.create(join(FIXTURES, 'missing.onnx'))).rejects.toThrow(/argument 'source' expected a path to an \.onnx file, got ".*missing\.onnx" \(no such file\)/);
      await expect(InferenceSession.create(FIXTURES)).rejects.toThrow(/\(not a file\)/);
      await expect(InferenceSession.create(42 as unknown as string)).rejects.toThrow(/argument 'source' expected a path to an \.onnx file, ONNX model bytes \(Uint8Array\) or a LayersModel, got 42/);
      await expect(InferenceSession.create(bytes, { workers: 0 })).rejects.toThrow(/argument 'options\.workers' expected an integer from 1 to 64, got 0/);
      await expect(InferenceSession.create(bytes, { threads: 2 } as never)).rejects.toThrow(/argument 'options' expected only workers, .*got unknown option 'threads'/);
      await expect(InferenceSession.create(bytes, { graphOptimizationLevel: 'max' as never })).rejects.toThrow(/options\.graphOptimizationLevel' expected one of 'disabled', 'basic', 'extended', 'all', got "max"/);
      await expect(InferenceSession.create(bytes, { intraOpSpinning: 'yes' as never })).rejects.toThrow(/argument 'options\.intraOpSpinning' expected a boolean, got "yes"/);
      await expect(InferenceSession.create(bytes, { executionProviders: ['warp-drive'] })).rejects.toThrow(/onnxruntime could not load the model: .*warp-drive/);
    });
  });

  describe('lifecycle', () => {
    it('dispose settles in-flight runs, rejects queued and later ones, and stops the workers', async () => {
      const session = await InferenceSession.create(fixture('cnn'), { workers: 2 });
      const handles = session.workerPool.workerHandles();
      expect(handles).toHaveLength(2);
      const x = cnnInput(64, 8);
      const runs = Array.from({ length: 12 }, () => session.run({ input: x }));
      const disposing = session.dispose();
      const settled = await Promise.allSettled(runs);
      await disposing;
      const fulfilled = settled.filter((s) => s.status === 'fulfilled');
      const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      // The four requests already handed to the workers (two each) finish; the queued eight never start.
      expect(fulfilled).toHaveLength(4);
      expect(rejected).toHaveLength(8);
      for (const r of rejected) expect(String(r.reason)).toMatch(/the session was disposed before this request ran/);
      for (const f of fulfilled) expect((f as PromiseFulfilledResult<Record<string, Tensor>>).value['output']!.shape).toEqual([64, 10]);
      expect(session.isDisposed).toBe(true);
      expect(session.poolState()).toMatchObject({ workers: 0, busy: 0, queued: 0, closed: true });
      // A thread that has exited reports threadId -1.
      expect(handles.map((w) => w.threadId)).toEqual([-1, -1]);
      await expect(session.run({ input: x })).rejects.toThrow(/InferenceSession\.run: the session was disposed; create a new InferenceSession/);
      await expect(session.predict(x)).rejects.toThrow(/the session was disposed/);
      await session.dispose(); // idempotent
    });

    it('replaces a worker that dies and hands the requests it had not started to the replacement', async () => {
      const session = await InferenceSession.create(fixture('cnn'), { workers: 1 });
      try {
        const inputs = [cnnInput(2, 9), cnnInput(2, 10), cnnInput(1, 11)];
        const expected = await Promise.all(inputs.map(async (x) => (await cnn.run({ input: x }))['output']!.dataSync()));
        const [worker] = session.workerPool.workerHandles();
        // Stopped while idle: terminating a thread inside onnxruntime would abort the process
        // (see exit-guard.ts), so that is never done, here or by the pool. The thread stops before
        // taking up the two requests posted to it; the third waits in the pool's queue.
        const stopped = worker!.terminate();
        const runs = inputs.map((x) => session.run({ input: x }));
        // Inputs may be disposed at once: they stay readable until their request settles, so the
        // copies lost with the dead worker can be made again.
        inputs[0]!.dispose();
        await stopped;
        const results = await Promise.all(runs);
        results.forEach((r, i) => expect(maxAbsDiff(r['output']!.dataSync(), expected[i]!)).toBeLessThan(1e-5));
        expect(session.poolState()).toMatchObject({ workers: 1, replaced: 1, busy: 0, queued: 0 });
        expect(session.workerPool.workerHandles()[0]!.threadId).not.toBe(-1);
      } finally {
        await session.dispose();
      }
    });

    it('gives up after workers keep dying without a successful run in between', async () => {
      const session = await InferenceSession.create(fixture('cnn'), { workers: 1 });
      const untilReady = async (): Promise<void> => {
        while (session.poolState().ready < 1) await new Promise((r) => setTimeout(r, 5));
      };
      try {
        // Crashes of an idle worker: a request would be served by the replacement and reset the count.
        for (let crash = 1; crash <= 5; crash++) {
          await untilReady();
          await session.workerPool.workerHandles()[0]!.terminate();
          expect(session.poolState()).toMatchObject({ workers: 1, replaced: crash });
        }
        await untilReady();
        // The sixth in a row is not replaced, and the request it had not started has nowhere to go.
        const stopped = session.workerPool.workerHandles()[0]!.terminate();
        const doomed = session.run({ input: cnnInput(1, 14) });
        await stopped;
        const broken = /workers keep stopping unexpectedly \(last: exit code 1\); dispose the session and create a new one/;
        await expect(doomed).rejects.toThrow(broken);
        expect(session.poolState()).toMatchObject({ workers: 0, replaced: 5, queued: 0 });
        await expect(session.run({ input: cnnInput(1, 15) })).rejects.toThrow(broken);
      } finally {
        await session.dispose();
      }
    });

    it('lets process.exit() wait for runs inside onnxruntime instead of aborting', () => {
      const child = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs'), join(ROOT, 'test', 'helpers', 'session-exit-child.ts')], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      // At least one ORT call was in progress as exit began, so exit really had to wait for one.
      const inOrt = /in-ort at exit (\d+)/.exec(child.stdout);
      expect(inOrt, `child stdout: ${child.stdout}\nstderr: ${child.stderr}`).not.toBeNull();
      expect(Number(inOrt![1])).toBeGreaterThan(0);
      expect(child.stderr).not.toMatch(/terminate called/);
      expect(child.status).toBe(7);
    });

    it('runs the workers and their ORT threads at a lower priority than the event loop (Linux)', async () => {
      const niceOfThreads = (): Map<number, number> => {
        const out = new Map<number, number>();
        for (const tid of readdirSync('/proc/self/task')) {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          // Fields after the parenthesized command name; nice is the 19th field of the whole line.
          out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
        }
        return out;
      };
      const mainNice = getPriority();
      const before = new Set(niceOfThreads().keys());
      const session = await InferenceSession.create(fixture('cnn'), { workers: 2, intraOpThreads: 2, workerNice: 7 });
      try {
        await session.run({ input: cnnInput(8, 13) });
        expect(getPriority()).toBe(mainNice);
        if (process.platform !== 'linux') return;
        const added = [...niceOfThreads()].filter(([tid]) => !before.has(tid));
        // Two workers, each with one extra ORT intra-op thread, all at nice 7.
        expect(added.filter(([, nice]) => nice === 7).length).toBeGreaterThanOrEqual(4);
      } finally {
        await session.dispose();
      }
      await expect(InferenceSession.create(fixture('cnn'), { workerNice: 20 })).rejects.toThrow(/argument 'options\.workerNice' expected an integer from 0 to 19, got 20/);
    });

    it('exports one of our models and serves it (same outputs as predictOnBatch)', async () => {
      tf.manualSeed(3);
      const model = tf.sequential([
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'softmax' }),
      ]);
      const x = tf.tensor(seededValues(3 * 64, 11), [3, 8, 8, 1]);
      const expected = model.predictOnBatch(x) as Tensor;
      const session = await InferenceSession.create(model, { workers: 1, opset: 13 });
      try {
        // Channels-last in, as the model takes it, with a dynamic batch.
        expect(session.inputMetadata[0]!.shape).toEqual(['batch', 8, 8, 1]);
        expect(session.outputMetadata[0]!.shape).toEqual(['batch', 5]);
        const y = await session.predict(x);
        expect(y.shape).toEqual([3, 5]);
        expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      } finally {
        await session.dispose();
      }
    });
  });

  it('keeps a 10 ms timer firing (p99 delay < a quarter of the burst) while serving 1,000 requests', async () => {
    // 1,000 requests of the CNN fixture at batch 64, all issued at once as a burst from many clients
    // would be. Plain onnxruntime-node on this thread runs each request synchronously inside a
    // setImmediate, so the whole burst blocks the loop: measured on this 2-vCPU VM, the timer did
    // not fire until the burst was over, a p99 delay of 0.26-1.0 s. Through the pool it was 1-8 ms
    // (7-13 ms with another process spinning on one of the two cores, 43 ms once with the test suite's
    // other worker and ORT's threads sharing the two cores). A blocked loop shows as one delay as long
    // as the burst, so the bound is relative to the burst: a quarter of it, which no blocked loop meets
    // and a busy shared machine does.
    const x = cnnInput(64, 12);
    const expected = (await cnn.run({ input: x }))['output']!.dataSync();
    const lateness: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lateness.push(now - last - 10);
      last = now;
    }, 10);
    let results: Record<string, Tensor>[];
    const start = performance.now();
    try {
      results = await Promise.all(Array.from({ length: 1000 }, () => cnn.run({ input: x })));
    } finally {
      clearInterval(timer);
    }
    // A stall still in progress when the burst ends counts too.
    const burstMs = performance.now() - start;
    lateness.push(Math.max(0, performance.now() - last - 10));
    lateness.sort((a, b) => a - b);
    const p99 = lateness[Math.min(lateness.length - 1, Math.floor(lateness.length * 0.99))]!;
    expect(results).toHaveLength(1000);
    expect(maxAbsDiff(results[999]!['output']!.dataSync(), expected)).toBeLessThan(1e-5);
    expect(lateness.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(burstMs / 4);
  });
});
