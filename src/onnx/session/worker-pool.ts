// A small pool of worker threads, each holding its own ONNX Runtime session over the same model.
// Requests queue here and go to whichever worker is idle, so ORT's blocking run() never runs on
// the caller's thread. A worker that dies is replaced and the requests it had not started go to
// another worker; a model that cannot load fails startup.
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WireOutput, WireTensor, WireValueMetadata, WorkerInit } from './protocol';
import { GATE_STARTED } from './protocol';
import { createGate, releaseGate } from './exit-guard';
import { sessionWorkerSource } from './worker-main';
import { ProcessWorker, type SessionWorker } from './process-worker';
import { WORKER_YOUNG_GENERATION_MB } from './worker-heap';

/** Where the ORT sessions run: worker threads of this process, or child processes (a crash there cannot end this process). */
export type SessionIsolation = 'thread' | 'process';

/**
 * A request's inputs, materialized only when a worker takes the request: copying every queued
 * request's inputs up front would stall the caller's thread on a burst of requests. `prepare` is
 * called at each dispatch: again if the worker it went to died before starting it, since the
 * buffers moved to that worker are gone. `release` is called exactly once, when the request
 * settles (or is refused), after which `prepare` is never called.
 */
export interface JobInput {
  prepare(): { feeds: Record<string, WireTensor>; transfer: ArrayBuffer[] };
  release(): void;
}

/** One queued or running request. */
interface Job {
  id: number;
  input: JobInput;
  outputNames: string[];
  /** Position among the requests posted to the worker holding it (1-based), compared with its gate's started count. */
  seq: number;
  settled: boolean;
  resolve: (outputs: Record<string, WireOutput>) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: SessionWorker;
  /** Shared with the worker (see protocol.ts GATE_*). */
  gate: Int32Array;
  /** Run requests posted to this worker so far. */
  posted: number;
  ready: boolean;
  /** Requests sent to this worker and not yet answered, by id. */
  jobs: Map<number, Job>;
  /** Set once the pool meant this worker to stop, so its exit is not treated as a crash. */
  retiring: boolean;
  /** Set once the worker was asked to release its session. */
  releasing: boolean;
  /** The uncaught error that is about to end the thread, if any. */
  crash: Error | null;
}

/** Metadata reported by the first worker after it loaded the model. */
export interface PoolMetadata {
  inputs: WireValueMetadata[];
  outputs: WireValueMetadata[];
}

/** Snapshot for tests and diagnostics. */
export interface PoolState {
  workers: number;
  /** Workers that have loaded the model and take requests. */
  ready: number;
  busy: number;
  queued: number;
  threadIds: number[];
  replaced: number;
  closed: boolean;
}

// Requests a worker holds at once (one running, the next waiting in its port).
const PIPELINE_DEPTH = 2;

// A model that kills its worker on every run would otherwise respawn forever.
const MAX_CONSECUTIVE_CRASHES = 5;

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;
  private replaced = 0;
  private consecutiveCrashes = 0;
  /** Why requests are refused: set once no worker is ready or loading, cleared if one becomes ready. */
  private broken: string | null = null;

  private constructor(
    private readonly init: Omit<WorkerInit, 'gate' | 'reportMetadata'>,
    private readonly label: string,
    private readonly source: string,
    private readonly isolation: SessionIsolation,
  ) {}

  /**
   * Starts `size` workers and resolves once all have loaded the model, with the first worker's
   * metadata. If any worker fails to load it, every worker is stopped and the promise rejects with
   * ORT's message. `source` (the workers' code) is replaceable for tests of the pool itself.
   */
  static async start(
    init: Omit<WorkerInit, 'gate' | 'reportMetadata'>,
    size: number,
    label: string,
    source: string = sessionWorkerSource(),
    isolation: SessionIsolation = 'thread',
  ): Promise<{ pool: WorkerPool; metadata: PoolMetadata }> {
    const pool = new WorkerPool(init, label, source, isolation);
    const starts: Promise<PoolMetadata | null>[] = [];
    for (let i = 0; i < size; i++) starts.push(pool.spawn(i === 0));
    const settled = await Promise.allSettled(starts);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await pool.close();
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
    const first = settled[0];
    const metadata = first?.status === 'fulfilled' ? first.value : null;
    if (!metadata) throw new Error(`${label}: the first worker reported no metadata`);
    return { pool, metadata };
  }

  /** Queues a request; resolves with the worker's outputs or rejects with a clear error. */
  submit(input: JobInput, outputNames: string[]): Promise<Record<string, WireOutput>> {
    const refusal = this.closed ? `${this.label}: the session was disposed` : this.broken;
    if (refusal) {
      input.release();
      return Promise.reject(new Error(refusal));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, outputNames, seq: 0, settled: false, resolve, reject });
      this.pump();
    });
  }

  /** The one way a request settles: its input is released and its promise settled, once. */
  private settle(job: Job, outcome: { outputs: Record<string, WireOutput> } | { error: Error }): void {
    if (job.settled) return;
    job.settled = true;
    job.input.release();
    if ('outputs' in outcome) job.resolve(outcome.outputs);
    else job.reject(outcome.error);
  }

  /** Rejects every queued request (they never reach a worker). */
  private dropQueue(message: string): void {
    for (const job of this.queue.splice(0)) this.settle(job, { error: new Error(message) });
  }

  /** Workers that serve requests now or will once loaded. */
  private liveWorkers(): number {
    let live = 0;
    for (const slot of this.slots) if (!slot.retiring) live++;
    return live;
  }

  /**
   * Gives up (refusing queued and later requests with `reason`) only when no worker is ready or
   * loading: while one is, the queue waits for it.
   */
  private giveUpIfNoWorkers(reason: string): void {
    if (this.closed || this.liveWorkers() > 0) return;
    this.broken = reason;
    this.dropQueue(reason);
  }

  /**
   * Rejects queued requests, lets running ones finish, releases each worker's ORT session and
   * stops the threads. Resolves once every thread has exited.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.dropQueue(`${this.label}: the session was disposed before this request ran`);
    const exits = [...this.slots].map((slot) => this.retire(slot));
    this.closing = Promise.all(exits).then(() => undefined);
    return this.closing;
  }

  state(): PoolState {
    const slots = [...this.slots];
    return {
      workers: slots.length,
      ready: slots.filter((s) => s.ready && !s.retiring).length,
      busy: slots.filter((s) => s.jobs.size > 0).length,
      queued: this.queue.length,
      threadIds: slots.map((s) => s.worker.threadId),
      replaced: this.replaced,
      closed: this.closed,
    };
  }

  /** @internal for tests: the live Worker objects (to simulate a crash). */
  workerHandles(): SessionWorker[] {
    return [...this.slots].map((s) => s.worker);
  }

  private spawn(reportMetadata: boolean): Promise<PoolMetadata | null> {
    const gate = createGate();
    const workerData: WorkerInit = { ...this.init, reportMetadata, gate: gate.buffer };
    let worker: SessionWorker;
    if (this.isolation === 'process') {
      worker = new ProcessWorker(workerData);
      // A child's own count of started requests cannot be read once it died: count everything it
      // held as started, so a request that crashed it is rejected, never retried into another crash.
      Atomics.store(gate.view, GATE_STARTED, 0x7fffffff);
    } else {
      worker = new Worker(this.source, { eval: true, workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    }
    const slot: Slot = { worker, gate: gate.view, posted: 0, ready: false, jobs: new Map(), retiring: false, releasing: false, crash: null };
    this.slots.add(slot);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.kind === 'ready') {
          started = true;
          slot.ready = true;
          // A child process that loads the model fine after a crash shows the crash came from a
          // request, not the model: it does not count towards giving up on the session.
          if (this.isolation === 'process') this.consecutiveCrashes = 0;
          if (!slot.retiring) this.broken = null;
          worker.unref();
          resolve(msg.inputs && msg.outputs ? { inputs: msg.inputs, outputs: msg.outputs } : null);
          if (slot.retiring) void this.retire(slot);
          else this.pump();
        } else if (msg.kind === 'init-error') {
          started = true;
          slot.retiring = true;
          void worker.terminate();
          reject(new Error(`${this.label}: onnxruntime could not load the model: ${msg.message}`));
        } else if (msg.kind === 'result' || msg.kind === 'run-error') {
          this.finish(slot, msg);
        }
      });
      worker.on('error', (e) => {
        slot.crash = e;
      });
      worker.on('exit', (code) => {
        this.slots.delete(slot);
        releaseGate(gate.view);
        if (!started) {
          started = true;
          reject(new Error(`${this.label}: a worker stopped while loading the model (exit code ${code}${slot.crash ? `: ${slot.crash.message}` : ''})`));
        }
        // A worker stopped on purpose holds no requests; one that died while closing still may.
        if (!slot.retiring || slot.jobs.size > 0) this.onCrash(slot, code);
      });
    });
  }

  private finish(slot: Slot, msg: Extract<FromWorker, { kind: 'result' | 'run-error' }>): void {
    const job = slot.jobs.get(msg.id);
    if (!job) return;
    slot.jobs.delete(msg.id);
    if (slot.jobs.size === 0) slot.worker.unref();
    if (msg.kind === 'result') {
      this.consecutiveCrashes = 0;
      this.settle(job, { outputs: msg.outputs });
    } else {
      this.settle(job, { error: new Error(`${this.label}: onnxruntime failed to run the model: ${msg.message}`) });
    }
    if (slot.retiring) void this.retire(slot);
    else this.pump();
  }

  /**
   * Settles what a dead worker held. The request it had started is lost with it and rejects (it
   * may have been inside ORT, so running it again elsewhere could run it twice); requests still
   * waiting in its port go back to the front of the queue, in order, for another worker.
   */
  private onCrash(slot: Slot, code: number): void {
    const why = `exit code ${code}${slot.crash ? `: ${slot.crash.message}` : ''}`;
    const replace = !this.closed && slot.ready;
    if (replace) this.consecutiveCrashes++;
    const giveUp = replace && this.consecutiveCrashes > MAX_CONSECUTIVE_CRASHES;
    const fate = replace && !giveUp ? '; it is being replaced' : '';
    // The thread is gone, so this count is final; the worker bumps it before touching a request.
    const started = Atomics.load(slot.gate, GATE_STARTED);
    const unstarted: Job[] = [];
    for (const job of slot.jobs.values()) {
      if (job.seq > started) unstarted.push(job);
      else this.settle(job, { error: new Error(`${this.label}: the worker running this request stopped unexpectedly (${why})${fate}`) });
    }
    slot.jobs.clear();
    if (this.closed) {
      for (const job of unstarted) this.settle(job, { error: new Error(`${this.label}: the session was disposed before this request ran`) });
    } else {
      this.queue.unshift(...unstarted.sort((a, b) => a.seq - b.seq));
    }
    if (replace && !giveUp) {
      this.replaced++;
      // If the replacement cannot load, the survivors (or another replacement still loading) serve.
      this.spawn(false).catch((e: unknown) => this.giveUpIfNoWorkers(e instanceof Error ? e.message : String(e)));
    } else if (giveUp) {
      this.giveUpIfNoWorkers(`${this.label}: workers keep stopping unexpectedly (last: ${why}); dispose the session and create a new one`);
    }
    this.pump();
  }

  /**
   * Hands queued requests to workers, least loaded first. Each worker may hold PIPELINE_DEPTH
   * requests, so the next one is already in its port when a run ends instead of a thread hand-off
   * (tens to hundreds of microseconds on a busy VM) away.
   */
  private pump(): void {
    for (let depth = 1; depth <= PIPELINE_DEPTH; depth++) {
      for (const slot of this.slots) {
        while (this.queue.length && slot.ready && !slot.retiring && slot.jobs.size < depth) this.dispatch(slot, this.queue.shift()!);
      }
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    let prepared: ReturnType<JobInput['prepare']>;
    try {
      prepared = job.input.prepare();
    } catch (e) {
      this.settle(job, { error: e instanceof Error ? e : new Error(String(e)) });
      return;
    }
    job.seq = ++slot.posted;
    slot.jobs.set(job.id, job);
    // A running request keeps the process alive until it settles; idle workers do not.
    slot.worker.ref();
    const msg: ToWorker = { kind: 'run', id: job.id, feeds: prepared.feeds, outputNames: job.outputNames };
    try {
      slot.worker.postMessage(msg, prepared.transfer);
    } catch (e) {
      slot.jobs.delete(job.id);
      slot.posted--;
      if (slot.jobs.size === 0) slot.worker.unref();
      this.settle(job, { error: new Error(`${this.label}: could not send the request to a worker: ${e instanceof Error ? e.message : String(e)}`) });
    }
  }

  /**
   * Stops a worker without ever terminating it inside ORT (which aborts the process, see
   * exit-guard.ts): an idle worker releases its session and is then terminated; a busy one is
   * retired when its request ends, a loading one when it reports ready.
   */
  private retire(slot: Slot): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (!this.slots.has(slot)) resolve();
      else slot.worker.once('exit', () => resolve());
    });
    slot.retiring = true;
    if (slot.jobs.size > 0 || !slot.ready || slot.releasing) return exited;
    slot.releasing = true;
    slot.worker.ref();
    slot.worker.on('message', (msg: FromWorker) => {
      if (msg.kind === 'released') void slot.worker.terminate();
    });
    slot.worker.postMessage({ kind: 'release' } satisfies ToWorker);
    return exited;
  }
}
