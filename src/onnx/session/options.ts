// Checks InferenceSession.create's options and turns them into what each worker needs.
import { availableParallelism } from 'node:os';
import { argError, describe } from '../../errors';
import type { WireSessionOptions } from './protocol';

/** Options for {@link InferenceSession.create}. */
export interface InferenceSessionOptions {
  /** Worker threads, each with its own ORT session (default min(2, CPUs)). */
  workers?: number;
  /** ORT intra-op threads per worker (default: the CPUs divided among the workers, at least 1). */
  intraOpThreads?: number;
  /** ORT inter-op threads per worker (default 1; the session executes nodes sequentially). */
  interOpThreads?: number;
  /** ORT execution provider names in order of preference (default ['cpu']). */
  executionProviders?: readonly string[];
  /** ORT graph optimization level (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let ORT's intra-op threads spin between parallel sections (default false). Spinning threads
   * compete with the event loop's thread and the other workers for cores: with 2 intra-op threads
   * on 2 cores it doubled a worker's latency here. Worth trying only with cores to spare.
   */
  intraOpSpinning?: boolean;
  /**
   * Linux nice value (0-19) for the worker threads and the ORT threads they start, default 10: when
   * inference saturates the cores, the event loop's thread still gets the CPU as soon as it wakes,
   * which is what keeps timers and I/O on time. 0 runs inference at normal priority. Ignored on
   * other platforms, where a thread's priority cannot be set this way.
   */
  workerNice?: number;
  /** ONNX opset used when the source is one of the library's models (exporter's default otherwise). */
  opset?: number;
  /**
   * Where onnxruntime runs (default 'thread'): 'thread' uses worker threads of this process;
   * 'process' uses child processes, so a native crash inside onnxruntime (segfault, abort) on some
   * model or input kills that child only: its pending requests reject with an Error, a new child
   * loads the model, and this process lives on. Costs a copy of inputs and outputs per request.
   */
  isolation?: 'thread' | 'process';
  /**
   * Run each worker once on zeros before create() resolves (default true), so the first real
   * requests are as fast as later ones. Skipped for inputs of unknown rank or type.
   */
  warmup?: boolean;
}

const FN = 'InferenceSession.create';
const LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
const KNOWN = new Set(['workers', 'intraOpThreads', 'interOpThreads', 'executionProviders', 'graphOptimizationLevel', 'intraOpSpinning', 'workerNice', 'opset', 'isolation', 'warmup']);

function positiveInt(name: string, value: unknown, max: number): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    argError(FN, `options.${name}`, `an integer from 1 to ${max}`, describe(value));
  }
  return value as number;
}

export interface ResolvedOptions {
  workers: number;
  session: WireSessionOptions;
  opset: number | undefined;
  isolation: 'thread' | 'process';
  warmup: boolean;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    argError(FN, 'options', 'an object', describe(options));
  }
  const o = options as InferenceSessionOptions;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) argError(FN, 'options', `only ${[...KNOWN].join(', ')}`, `unknown option '${key}'`);
  }
  const cpus = availableParallelism();
  const workers = o.workers === undefined ? Math.min(2, cpus) : positiveInt('workers', o.workers, 64);
  const intra = o.intraOpThreads === undefined ? Math.max(1, Math.floor(cpus / workers)) : positiveInt('intraOpThreads', o.intraOpThreads, 256);
  const inter = o.interOpThreads === undefined ? 1 : positiveInt('interOpThreads', o.interOpThreads, 256);
  const eps = o.executionProviders ?? ['cpu'];
  if (!Array.isArray(eps) || eps.length === 0 || !eps.every((e) => typeof e === 'string' && e !== '')) {
    argError(FN, 'options.executionProviders', "a non-empty array of provider names such as ['cpu']", describe(eps));
  }
  const level = o.graphOptimizationLevel ?? 'all';
  if (!(LEVELS as readonly unknown[]).includes(level)) {
    argError(FN, 'options.graphOptimizationLevel', `one of ${LEVELS.map((l) => `'${l}'`).join(', ')}`, describe(level));
  }
  const spinning = o.intraOpSpinning ?? false;
  if (typeof spinning !== 'boolean') argError(FN, 'options.intraOpSpinning', 'a boolean', describe(spinning));
  let nice = 10;
  if (o.workerNice !== undefined) {
    if (!Number.isInteger(o.workerNice) || o.workerNice < 0 || o.workerNice > 19) {
      argError(FN, 'options.workerNice', 'an integer from 0 to 19', describe(o.workerNice));
    }
    nice = o.workerNice;
  }
  const opset = o.opset === undefined ? undefined : positiveInt('opset', o.opset, 1000);
  const isolation = o.isolation ?? 'thread';
  if (isolation !== 'thread' && isolation !== 'process') argError(FN, 'options.isolation', "'thread' or 'process'", describe(isolation));
  const warmup = o.warmup ?? true;
  if (typeof warmup !== 'boolean') argError(FN, 'options.warmup', 'a boolean', describe(warmup));
  return {
    warmup,
    isolation,
    workers,
    session: { intraOpNumThreads: intra, interOpNumThreads: inter, executionProviders: [...eps], graphOptimizationLevel: level, intraOpSpinning: spinning, nice },
    opset,
  };
}
