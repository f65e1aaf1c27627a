// ONNX Runtime inference that never blocks the caller's event loop: the ORT sessions live on a
// small worker_threads pool, feeds are checked here and copied once into buffers that are moved
// (transferred) to a worker, and outputs are moved back and wrapped as tensors without a copy.
import { createRequire } from 'node:module';
import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import { Tensor } from '../tensor/tensor';
import { onnxSchemaJson } from './proto';
import { concatOutputs, sampleCount } from './session/batching';
import { feedJob, feedView, feedViews, type FeedView, type SessionFeed } from './session/feeds';
import { toSessionMetadata, type SessionValueMetadata } from './session/metadata';
import { resolveModelSource } from './session/model-source';
import { resolveOptions, type InferenceSessionOptions } from './session/options';
import { resolveOrtPath } from './session/ort-path';
import type { WireOutput } from './session/protocol';
import { WorkerPool, type PoolState } from './session/worker-pool';
import { validateSessionModel } from './session/validate-model';
import { readRegularFile } from '../models/model-files';

export type { ArrayFeed, SessionFeed } from './session/feeds';
export type { SessionDim, SessionValueMetadata } from './session/metadata';
export type { InferenceSessionOptions } from './session/options';
export type { OrtElementType, OrtNumericArray } from './session/protocol';

/** Options for {@link InferenceSession.run}. */
export interface RunOptions {
  /** Fetch only these outputs (default: all of them). */
  outputNames?: readonly string[];
}

/** Options for {@link InferenceSession.runBatch} and {@link InferenceSession.predict}. */
export interface BatchRunOptions extends RunOptions {
  /** Samples per run (default 32). Chunks run in parallel on the pool. */
  batchSize?: number;
}

// Resolved from this file so the workers load the same copies the package depends on, whatever
// their working directory.
const localRequire = createRequire(__filename);

/**
 * An ONNX model served by onnxruntime-node on worker threads. Create one with
 * {@link InferenceSession.create} from an .onnx path, model bytes or one of the library's models;
 * `run` takes and returns tensors by input/output name and never blocks the event loop; concurrent
 * calls queue and spread over the pool's workers. Call {@link InferenceSession.dispose} when done.
 *
 * Outputs come back as the library's float32 or int32 tensors: float64 and float16 outputs become
 * float32, the other integer and bool types int32 (an int64 value beyond the int32 range is an error).
 */
export class InferenceSession {
  /** Names of the model's inputs, in graph order. */
  readonly inputNames: readonly string[];
  /** Names of the model's outputs, in graph order. */
  readonly outputNames: readonly string[];
  /** Name, element type and shape (symbolic dims kept) of every input. */
  readonly inputMetadata: readonly SessionValueMetadata[];
  /** Name, element type and shape (symbolic dims kept) of every output. */
  readonly outputMetadata: readonly SessionValueMetadata[];
  /** Worker threads serving the session. */
  readonly workers: number;
  private readonly pool: WorkerPool;
  private disposed = false;

  private constructor(pool: WorkerPool, inputs: readonly SessionValueMetadata[], outputs: readonly SessionValueMetadata[], workers: number) {
    this.pool = pool;
    this.inputMetadata = inputs;
    this.outputMetadata = outputs;
    this.inputNames = Object.freeze(inputs.map((m) => m.name));
    this.outputNames = Object.freeze(outputs.map((m) => m.name));
    this.workers = workers;
  }

  /**
   * Loads a model into `options.workers` worker threads (each its own ORT session). A LayersModel
   * is exported to ONNX first (`options.opset`). Rejects with ORT's message if the model cannot be
   * loaded.
   */
  static async create(source: string | Uint8Array | LayersModel, options?: InferenceSessionOptions): Promise<InferenceSession> {
    const resolved = resolveOptions(options);
    const { model, label } = await resolveModelSource(source, resolved.opset);
    // Our own reader first: models known to crash onnxruntime are refused here (validate-model.ts).
    const bytes = model.kind === 'bytes' ? new Uint8Array(model.bytes) : await readRegularFile('InferenceSession.create', model.path);
    validateSessionModel('InferenceSession.create', label, bytes);
    const { pool, metadata } = await WorkerPool.start(
      {
        ortPath: resolveOrtPath('InferenceSession.create'),
        protobufPath: localRequire.resolve('protobufjs'),
        onnxSchema: onnxSchemaJson,
        model,
        options: resolved.session,
      },
      resolved.workers,
      `InferenceSession(${label})`,
      undefined,
      resolved.isolation,
    );
    const session = new InferenceSession(pool, toSessionMetadata(metadata.inputs), toSessionMetadata(metadata.outputs), resolved.workers);
    if (resolved.warmup) await session.warmUp();
    return session;
  }

  /**
   * One run per worker on zeros (unknown dims as 1) before the session is handed out, so the first
   * requests a server sends do not pay onnxruntime's first-run costs (arena allocation, kernel
   * selection). A model that cannot run on such a batch simply skips it.
   */
  private async warmUp(): Promise<void> {
    const ARRAYS: Partial<Record<string, (n: number) => ArrayBufferView>> = {
      float32: (n) => new Float32Array(n), float64: (n) => new Float64Array(n), int32: (n) => new Int32Array(n),
      int64: (n) => new BigInt64Array(n), uint8: (n) => new Uint8Array(n), bool: (n) => new Uint8Array(n), int8: (n) => new Int8Array(n),
    };
    const feeds: Record<string, SessionFeed> = {};
    for (const m of this.inputMetadata) {
      const make = m.dtype ? ARRAYS[m.dtype] : undefined;
      if (!m.isTensor || !m.shape || !make) return;
      const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      if (n > 1 << 20) return;
      feeds[m.name] = { data: make(n), dims } as unknown as SessionFeed;
    }
    await Promise.all(Array.from({ length: this.workers }, () => this.run(feeds).catch(() => undefined)));
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Runs the model once. `feeds` maps every input name to a Tensor, a typed array with dims
   * (`{ data, dims }`), or a bare typed array whose shape follows from the input's (one unknown dim
   * at most). Resolves to a tensor per output name. Bad names, dtypes or shapes reject at once.
   */
  async run(feeds: Record<string, SessionFeed>, options?: RunOptions): Promise<Record<string, Tensor>> {
    const fn = 'InferenceSession.run';
    this.checkLive(fn);
    const outputNames = this.pickOutputs(fn, options);
    const views = feedViews(fn, this.inputMetadata, feeds);
    return toTensors(await this.pool.submit(feedJob(views), outputNames));
  }

  /**
   * Runs large inputs in chunks of `batchSize` samples along dim 0 (in parallel across the pool)
   * and concatenates each output's chunks, as one big `run` would return them.
   */
  async runBatch(feeds: Record<string, SessionFeed>, options?: BatchRunOptions): Promise<Record<string, Tensor>> {
    const fn = 'InferenceSession.runBatch';
    this.checkLive(fn);
    const outputNames = this.pickOutputs(fn, options);
    const batchSize = this.pickBatchSize(fn, options);
    const views = feedViews(fn, this.inputMetadata, feeds);
    return toTensors(await this.runChunks(fn, views, batchSize, outputNames));
  }

  /**
   * For single-input models: runs `x` in batches (see {@link runBatch}) and resolves to the first
   * output, or to `options.outputNames[0]` when given.
   */
  async predict(x: SessionFeed, options?: BatchRunOptions): Promise<Tensor> {
    const fn = 'InferenceSession.predict';
    this.checkLive(fn);
    const input = this.inputMetadata[0];
    if (this.inputMetadata.length !== 1 || !input) {
      argError(fn, 'x', `a model with exactly one input (use run or runBatch with named feeds)`, `a model with inputs ${describe([...this.inputNames])}`);
    }
    const outputNames = this.pickOutputs(fn, options).slice(0, 1);
    const batchSize = this.pickBatchSize(fn, options);
    const view = feedView(fn, 'x', input, x);
    const outputs = toTensors(await this.runChunks(fn, [view], batchSize, outputNames));
    return outputs[outputNames[0]!]!;
  }

  /**
   * Releases the ORT sessions and stops the worker threads. Requests still queued reject;
   * requests already running finish first. Later calls reject. Idempotent.
   */
  dispose(): Promise<void> {
    this.disposed = true;
    return this.pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** @internal pool counters for tests and diagnostics */
  poolState(): PoolState {
    return this.pool.state();
  }

  /** @internal the pool itself, for tests that simulate a crashing worker */
  get workerPool(): WorkerPool {
    return this.pool;
  }

  private async runChunks(fn: string, views: readonly FeedView[], batchSize: number, outputNames: string[]): Promise<Record<string, WireOutput>> {
    const n = sampleCount(fn, views, this.inputMetadata, batchSize);
    if (n <= batchSize) return this.pool.submit(feedJob(views), outputNames);
    const runs: Promise<Record<string, WireOutput>>[] = [];
    const rows: number[] = [];
    for (let start = 0; start < n; start += batchSize) {
      rows.push(Math.min(batchSize, n - start));
      runs.push(this.pool.submit(feedJob(views, start, rows[rows.length - 1]!), outputNames));
    }
    return concatOutputs(fn, await Promise.all(runs), outputNames, rows);
  }

  private checkLive(fn: string): void {
    if (this.disposed) throw new Error(`${fn}: the session was disposed; create a new InferenceSession`);
  }

  private pickOutputs(fn: string, options: RunOptions | undefined): string[] {
    if (options !== undefined && (typeof options !== 'object' || options === null)) argError(fn, 'options', 'an object', describe(options));
    const names = options?.outputNames;
    if (names === undefined) return [...this.outputNames];
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
      argError(fn, 'options.outputNames', 'a non-empty array of output names', describe(names));
    }
    for (const name of names) {
      if (!this.outputNames.includes(name)) {
        argError(fn, 'options.outputNames', `names of the model's outputs (${this.outputNames.map((n) => `'${n}'`).join(', ')})`, `'${name}'`);
      }
    }
    return [...new Set(names)];
  }

  private pickBatchSize(fn: string, options: BatchRunOptions | undefined): number {
    const size = options?.batchSize ?? 32;
    if (!Number.isInteger(size) || size < 1) argError(fn, 'options.batchSize', 'a positive integer', describe(size));
    return size;
  }
}

/** Wraps the transferred arrays as tensors; they are fresh memory nobody else holds, so no copy. */
function toTensors(outputs: Record<string, WireOutput>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, o] of Object.entries(outputs)) out[name] = Tensor.fromArray(o.data, o.dims);
  return out;
}
