// Session isolation in a child process: the same worker code as the worker threads, run in a
// separate Node process, so a crash inside onnxruntime (a segfault or abort on a malformed model)
// kills that process only. The pool sees it exit, rejects what it held and starts another.
// ProcessWorker gives a child process the small Worker-like surface the pool uses.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants as osConstants } from 'node:os';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';
import { WORKER_YOUNG_GENERATION_MB } from './worker-heap';
import { sessionWorkerFunctionSource } from './worker-main';

/** What the pool needs of a worker, met by worker_threads' Worker and by ProcessWorker. */
export interface SessionWorker {
  readonly threadId: number;
  // Messages are typed loosely: the pool's tests send fake-worker messages outside the protocol.
  on(event: 'message', listener: (msg: FromWorker) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (msg: FromWorker) => void): unknown;
  postMessage(msg: ToWorker | Record<string, unknown>, transfer?: ArrayBuffer[]): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

/**
 * The child's entry: a stand-in for `node:worker_threads` (parentPort over the IPC channel, and
 * workerData from the first message) around the worker body. The gate is local to the child:
 * shared memory cannot cross processes, and the pool treats every request a dead child held as
 * started. TENSORFORGE_SESSION_TEST_ABORT_ON (tests only) makes the child abort on a run whose
 * first feed starts with that value, to exercise a real native crash.
 */
function childShim(body: (load: (id: string) => unknown) => void): void {
  const events = require('node:events') as typeof import('node:events');
  const port = new events.EventEmitter() as import('node:events').EventEmitter & { postMessage(msg: unknown): void };
  port.postMessage = (msg: unknown) => {
    if (process.connected) process.send!(msg);
  };
  const abortOn = process.env['TENSORFORGE_SESSION_TEST_ABORT_ON'];
  let init: Record<string, unknown> | null = null;
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: Record<string, unknown>) => {
    if (!init) {
      init = { ...msg, gate: new SharedArrayBuffer(3 * 4) };
      const threads = { parentPort: port, workerData: init };
      body((id) => (id === 'node:worker_threads' ? threads : require(id)));
      return;
    }
    if (abortOn !== undefined && msg['kind'] === 'run') {
      const feeds = Object.values(msg['feeds'] as Record<string, { data: ArrayLike<number> }>);
      if (feeds[0] && Number(feeds[0].data[0]) === Number(abortOn)) process.abort();
    }
    port.emit('message', msg);
  });
}

function childSource(): string {
  return `(${childShim.toString()})(${sessionWorkerFunctionSource()});\n`;
}

let nextId = 1;

export class ProcessWorker extends EventEmitter implements SessionWorker {
  /** Not a thread: a pool-unique id (the pid is in `pid`). */
  readonly threadId: number;
  private readonly child: ChildProcess;
  private exited: Promise<number>;

  constructor(init: WorkerInit) {
    super();
    this.threadId = -(nextId++);
    // The same young-generation bound as a worker thread's (worker-heap.ts), as V8's own flag.
    this.child = spawn(process.execPath, [`--max-semi-space-size=${Math.floor(WORKER_YOUNG_GENERATION_MB / 3)}`, '-e', childSource()], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const status = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
        if (signal && !this.terminating) this.emit('error', new Error(`the session process was killed by ${signal}`));
        this.emit('exit', status);
        resolve(status);
      });
    });
    this.child.on('message', (msg: FromWorker) => this.emit('message', msg));
    this.child.on('error', (e) => this.emit('error', e));
    // Shared memory cannot cross processes: the child makes its own gate and gets a copy of the bytes.
    const model = init.model.kind === 'bytes' ? { kind: 'bytes', bytes: new Uint8Array(init.model.bytes).slice() } : init.model;
    this.send({ ...init, model, gate: null });
  }

  private terminating = false;

  get pid(): number | undefined {
    return this.child.pid;
  }

  private send(msg: unknown): void {
    if (this.child.connected) this.child.send(msg as never);
  }

  postMessage(msg: ToWorker | Record<string, unknown>): void {
    this.send(msg);
  }

  terminate(): Promise<number> {
    this.terminating = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }

  ref(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }

  unref(): void {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }
}
