// The code each session worker thread runs. Workers start from source text (`eval: true`) built
// from this function's own text, because the file exists as .ts under vitest and as .js in dist/,
// and a worker started from a path would need to know which. The function therefore must be
// self-contained: it may use its parameter and globals only, never this module's imports (the
// type-only imports below vanish at compile time).
import type * as OrtModule from 'onnxruntime-node';
import type * as ProtobufModule from 'protobufjs';
import type * as WorkerThreads from 'node:worker_threads';
import type {
  FromWorker,
  OrtElementType,
  ToWorker,
  WireOutput,
  WireValueMetadata,
  WorkerInit,
} from './protocol';

/** Body of the worker thread; `load` is the worker's `require`. */
function sessionWorkerMain(load: (id: string) => unknown): void {
  const { parentPort, workerData } = load('node:worker_threads') as typeof WorkerThreads;
  const init = workerData as WorkerInit;
  const port = parentPort;
  if (!port) return;
  const ort = load(init.ortPath) as typeof OrtModule;
  let session: OrtModule.InferenceSession | null = null;

  const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

  // Every ORT call is counted in the gate's slot [0] from before it starts until it settles, so
  // that process.exit() can wait for it instead of terminating this thread inside ORT, which
  // aborts the process; once the exiting flag [1] is up no new call starts. Seq-cst atomics on both
  // sides make the handshake safe.
  const gate = new Int32Array(init.gate);
  const native = async <T>(call: () => Promise<T>): Promise<T> => {
    Atomics.add(gate, 0, 1);
    try {
      if (Atomics.load(gate, 1) === 1) throw new Error('the process is exiting');
      return await call();
    } finally {
      Atomics.sub(gate, 0, 1);
      Atomics.notify(gate, 0);
    }
  };
  const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).trim();

  // ORT reports both a scalar and a value of unknown rank as shape []; the model file says which.
  const declaredRanks = (bytes: Uint8Array): Map<string, boolean> => {
    const protobuf = load(init.protobufPath) as typeof ProtobufModule;
    const ModelProto = protobuf.Root.fromJSON(init.onnxSchema as ProtobufModule.INamespace).lookupType('onnx.ModelProto');
    interface Vi { name?: string; type?: { tensorType?: { shape?: unknown } } }
    const model = ModelProto.toObject(ModelProto.decode(bytes)) as { graph?: { input?: Vi[]; output?: Vi[] } };
    const hasShape = new Map<string, boolean>();
    for (const vi of [...(model.graph?.input ?? []), ...(model.graph?.output ?? [])]) {
      if (vi.name !== undefined) hasShape.set(vi.name, vi.type?.tensorType?.shape !== undefined);
    }
    return hasShape;
  };

  const metadataOf = (list: readonly OrtModule.InferenceSession.ValueMetadata[], ranks: () => Map<string, boolean>): WireValueMetadata[] =>
    list.map((m) => {
      if (!m.isTensor) return { name: m.name, isTensor: false, type: null, shape: null };
      const dims = m.shape.map((d) => (d === '' || (typeof d === 'number' && d < 0) ? null : d));
      const shape = dims.length === 0 && ranks().get(m.name) !== true ? null : dims;
      return { name: m.name, isTensor: true, type: m.type as OrtElementType, shape };
    });

  // Half floats are decoded by hand: Float16Array is not in Node 20.
  const halfToFloat = (h: number): number => {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) return sign * frac * 2 ** -24;
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * (1 + frac / 1024) * 2 ** (exp - 15);
  };

  // The library's tensors are float32 or int32: other element types are converted here, off the
  // main thread, and integers that do not fit int32 are an error rather than a silent wrap.
  const toLibraryArray = (name: string, type: string, data: unknown): Float32Array | Int32Array => {
    if (data instanceof Float32Array || data instanceof Int32Array) return data;
    if (type === 'float16' && data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
    if (data instanceof Float64Array) return Float32Array.from(data);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      const out = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v > 2147483647n || v < -2147483648n) {
          throw new Error(`output '${name}' (${type}) holds ${v} at element ${i}, outside the int32 range of the library's tensors`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    if (data instanceof Uint32Array) {
      const big = data.findIndex((v) => v > 2147483647);
      if (big >= 0) throw new Error(`output '${name}' (uint32) holds ${data[big]} at element ${big}, outside the int32 range of the library's tensors`);
      return Int32Array.from(data);
    }
    if (data instanceof Int8Array || data instanceof Uint8Array || data instanceof Int16Array || data instanceof Uint16Array) {
      return Int32Array.from(data);
    }
    throw new Error(`output '${name}' has element type ${type}, which has no tensor dtype in the library`);
  };

  const run = async (id: number, msg: Extract<ToWorker, { kind: 'run' }>): Promise<void> => {
    if (!session) throw new Error('the worker has no session');
    const feeds: Record<string, OrtModule.Tensor> = {};
    for (const [name, t] of Object.entries(msg.feeds)) {
      feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    }
    const active = session;
    const results = await native(() => active.run(feeds, msg.outputNames));
    const outputs: Record<string, WireOutput> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of msg.outputNames) {
      const value = results[name];
      if (!value) throw new Error(`onnxruntime returned no value for output '${name}'`);
      const data = toLibraryArray(name, value.type, value.data);
      value.dispose();
      outputs[name] = { data, dims: [...value.dims] };
      // Moved, not copied; a buffer that several outputs view is listed once and arrives shared.
      const buf = data.buffer as ArrayBuffer;
      if (!transfer.includes(buf)) transfer.push(buf);
    }
    post({ kind: 'result', id, outputs }, transfer);
  };

  // Requests run one at a time, in the order posted. Taking one up bumps the gate's started count
  // [2] first, so that if this thread dies the pool knows exactly which requests it never touched
  // and can send them to another worker (the others waiting in ORT's queue would count as started).
  const waiting: Extract<ToWorker, { kind: 'run' }>[] = [];
  let running = false;
  const next = (): void => {
    const msg = running ? undefined : waiting.shift();
    if (!msg) return;
    running = true;
    Atomics.add(gate, 2, 1);
    run(msg.id, msg)
      .catch((e: unknown) => post({ kind: 'run-error', id: msg.id, message: messageOf(e) }))
      .finally(() => {
        running = false;
        next();
      });
  };

  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'release') {
      const s = session;
      session = null;
      void (s ? native(() => s.release()) : Promise.resolve()).catch(() => undefined).then(() => post({ kind: 'released' }));
      return;
    }
    waiting.push(msg);
    next();
  });

  // Linux applies setpriority() with a thread id to that thread alone, and threads inherit it, so
  // this lowers this worker and the ORT threads it creates below, never the event loop's thread.
  const lowerPriority = (nice: number): void => {
    if (nice === 0 || process.platform !== 'linux') return;
    try {
      const fs = load('node:fs') as typeof import('node:fs');
      const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
      if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) (load('node:os') as typeof import('node:os')).setPriority(tid, nice);
    } catch {
      // Best effort: without /proc the worker simply runs at normal priority.
    }
  };

  const start = async (): Promise<void> => {
    const o = init.options;
    lowerPriority(o.nice);
    const sessionOptions: OrtModule.InferenceSession.SessionOptions = {
      intraOpNumThreads: o.intraOpNumThreads,
      interOpNumThreads: o.interOpNumThreads,
      executionMode: 'sequential',
      executionProviders: o.executionProviders,
      graphOptimizationLevel: o.graphOptimizationLevel,
      extra: { session: { intra_op: { allow_spinning: o.intraOpSpinning ? '1' : '0' } } },
    };
    // ORT needs a plain ArrayBuffer; the shared model bytes are copied here, off the main thread.
    const bytes = init.model.kind === 'bytes' ? new Uint8Array(init.model.bytes).slice() : null;
    const path = init.model.kind === 'path' ? init.model.path : '';
    session = await native(() => (bytes ? ort.InferenceSession.create(bytes, sessionOptions) : ort.InferenceSession.create(path, sessionOptions)));
    if (!init.reportMetadata) {
      post({ kind: 'ready', inputs: null, outputs: null });
      return;
    }
    let ranks: Map<string, boolean> | null = null;
    const lazyRanks = (): Map<string, boolean> => {
      if (!ranks) {
        try {
          ranks = declaredRanks(bytes ?? new Uint8Array((load('node:fs') as typeof import('node:fs')).readFileSync(path)));
        } catch {
          // ORT loaded what protobufjs cannot decode: report the rank as unknown and let ORT check it.
          ranks = new Map();
        }
      }
      return ranks;
    };
    post({ kind: 'ready', inputs: metadataOf(session.inputMetadata, lazyRanks), outputs: metadataOf(session.outputMetadata, lazyRanks) });
  };
  start().catch((e: unknown) => post({ kind: 'init-error', message: messageOf(e) }));
}

/** The worker body's own source text (a function of `load`), for a child process to run. */
export function sessionWorkerFunctionSource(): string {
  return sessionWorkerMain.toString();
}

/** Source text for `new Worker(source, { eval: true })`. */
export function sessionWorkerSource(): string {
  return `(${sessionWorkerMain.toString()})(require);\n`;
}
