// tf.summary.createFileWriter: scalars, histograms, images and text written as TensorBoard event files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argError, describe } from '../errors';
import { toFsPath } from '../io/path';
import { Tensor } from '../tensor/tensor';
import type { LayersModel } from '../models/layers-model';
import { DataClass, DataType, type EventObject, FILE_VERSION, type SummaryValueObject, encodeEvent, encodeGraphDef } from './event-proto';
import { DEFAULT_BUCKETS, histogramBuckets } from './histogram';
import { encodePng } from './png';
import { RecordWriter } from './record-writer';
import { modelGraphDef } from './graph-def';

/** Options of {@link createFileWriter} (TensorFlow's names, camelCased). */
export interface FileWriterOptions {
  /** Records kept in memory before they are appended to the file in the background (default 10). */
  maxQueue?: number;
  /** Milliseconds between background flushes of queued records (default 120000). */
  flushMillis?: number;
  /** Appended to the event file's name (default '.v2', as TensorFlow 2 writes). */
  filenameSuffix?: string;
}

let fileCounter = 0;
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

function checkName(fn: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') argError(fn, 'name', 'a non-empty string', describe(name));
}

function checkStep(fn: string, step: unknown): asserts step is number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) argError(fn, 'step', 'a non-negative integer', describe(step));
}

function checkPositiveInt(fn: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) argError(fn, arg, 'a positive integer', describe(v));
}

function metadata(pluginName: string, dataClass: number): SummaryValueObject['metadata'] {
  return { pluginData: { pluginName, content: EMPTY }, dataClass };
}

/**
 * Writes summaries for TensorBoard into one event file in `logDir`. Every method queues a record
 * and returns at once; records reach the disk in the background (every `maxQueue` records and every
 * `flushMillis`), on {@link flush} and on {@link close}. Made by {@link createFileWriter}.
 */
export class SummaryFileWriter {
  /** The event file this writer appends to. */
  readonly file: string;
  private readonly records: RecordWriter;
  private readonly maxQueue: number;
  private readonly timer: NodeJS.Timeout;

  /** @internal use {@link createFileWriter}; `fn` names the caller in errors */
  readonly logDir: string;

  constructor(logDir: string, options: FileWriterOptions = {}, fn = 'createFileWriter') {
    if (typeof logDir !== 'string' || logDir === '') argError(fn, 'logDir', 'a directory path', describe(logDir));
    this.logDir = logDir = toFsPath(fn, 'logDir', logDir);
    if (options === null || typeof options !== 'object') argError(fn, 'options', 'an object', describe(options));
    const maxQueue = options.maxQueue ?? 10;
    checkPositiveInt(fn, 'options.maxQueue', maxQueue);
    const flushMillis = options.flushMillis ?? 120_000;
    if (typeof flushMillis !== 'number' || !(flushMillis > 0)) argError(fn, 'options.flushMillis', 'a positive number of milliseconds', describe(flushMillis));
    const suffix = options.filenameSuffix ?? '.v2';
    if (typeof suffix !== 'string' || /[/\\]/.test(suffix)) argError(fn, 'options.filenameSuffix', 'a string without path separators', describe(suffix));
    this.maxQueue = maxQueue;
    const seconds = Math.floor(Date.now() / 1000);
    this.file = path.join(logDir, `events.out.tfevents.${seconds}.${os.hostname()}.${process.pid}.${fileCounter++}${suffix}`);
    try {
      fs.mkdirSync(logDir, { recursive: true });
      this.records = new RecordWriter(this.file, encodeEvent({ wallTime: Date.now() / 1000, fileVersion: FILE_VERSION, sourceMetadata: { writer: 'tensorforge' } }));
    } catch (e) {
      argError(fn, 'logDir', 'a writable directory', `${describe(logDir)} (${(e as Error).message})`);
    }
    this.timer = setInterval(() => void this.records.startFlush(), flushMillis);
    this.timer.unref();
  }

  private write(event: Omit<EventObject, 'wallTime'>): void {
    this.records.write(encodeEvent({ wallTime: Date.now() / 1000, ...event }));
    if (this.records.queued >= this.maxQueue) void this.records.startFlush();
  }

  private writeValue(step: number, value: SummaryValueObject): void {
    this.write({ step, summary: { value: [value] } });
  }

  /** @internal scalar without argument checks (the tensorBoard callback logs whatever fit reports) */
  writeScalar(name: string, value: number, step: number): void {
    this.writeValue(step, {
      tag: name,
      metadata: metadata('scalars', DataClass.SCALAR),
      tensor: { dtype: DataType.DT_FLOAT, tensorShape: { dim: [] }, floatVal: [value] },
    });
  }

  /** Logs a scalar (stored as float32) under `name` at `step`. NaN is allowed; infinities are not. */
  scalar(name: string, value: number, step: number): void {
    checkName('summary.scalar', name);
    if (typeof value !== 'number' || value === Infinity || value === -Infinity) argError('summary.scalar', 'value', 'a finite number or NaN', describe(value));
    checkStep('summary.scalar', step);
    this.writeScalar(name, value, step);
  }

  /**
   * Logs a histogram of every element of `values` (a tensor of any shape or an array of numbers) in
   * `buckets` equal-width buckets (default 30) from min to max. NaN and infinite elements are left
   * out of the counts.
   */
  histogram(name: string, values: Tensor | ArrayLike<number>, step: number, buckets: number = DEFAULT_BUCKETS): void {
    const fn = 'summary.histogram';
    checkName(fn, name);
    let data: ArrayLike<number>;
    if (values instanceof Tensor) data = values.dataSync();
    else if (Array.isArray(values) || values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array) {
      data = values;
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') argError(fn, 'values', 'a Tensor or an array of numbers', `an array with ${describe(data[i])} at index ${i}`);
      }
    } else return argError(fn, 'values', 'a Tensor or an array of numbers', describe(values));
    checkStep(fn, step);
    checkPositiveInt(fn, 'buckets', buckets);
    const rows = histogramBuckets(data, buckets);
    this.writeValue(step, {
      tag: name,
      metadata: metadata('histograms', DataClass.TENSOR),
      tensor: { dtype: DataType.DT_DOUBLE, tensorShape: { dim: [{ size: rows.length / 3 }, { size: 3 }] }, doubleVal: rows },
    });
  }

  /**
   * Logs up to `maxOutputs` (default 3) images from a [N, H, W, C] tensor, C = 1 (gray), 3 (RGB) or
   * 4 (RGBA). float32 values are taken as intensities in [0, 1], int32 values as bytes in [0, 255];
   * both are clamped. Stored as PNG.
   */
  image(name: string, images: Tensor, step: number, maxOutputs = 3): void {
    const fn = 'summary.image';
    checkName(fn, name);
    if (!(images instanceof Tensor)) argError(fn, 'images', 'a Tensor of shape [N,H,W,C]', describe(images));
    const [n, h, w, c] = images.shape as [number, number, number, number];
    if (images.rank !== 4 || h < 1 || w < 1 || (c !== 1 && c !== 3 && c !== 4)) {
      argError(fn, 'images', 'shape [N,H,W,C] with H, W >= 1 and C in 1, 3, 4', `shape [${images.shape.join(',')}]`);
    }
    checkStep(fn, step);
    checkPositiveInt(fn, 'maxOutputs', maxOutputs);
    const count = Math.min(n, maxOutputs);
    const data = images.dataSync();
    const scale = images.dtype === 'float32' ? 255 : 1;
    const per = h * w * c;
    const pngs: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const px = new Uint8Array(per);
      for (let j = 0; j < per; j++) {
        const v = Math.round(data[i * per + j]! * scale);
        px[j] = v > 255 ? 255 : v > 0 ? v : 0; // NaN becomes 0
      }
      pngs.push(encodePng(px, w, h, c));
    }
    this.writeValue(step, {
      tag: name,
      metadata: metadata('images', DataClass.BLOB_SEQUENCE),
      tensor: { dtype: DataType.DT_STRING, tensorShape: { dim: [{ size: 2 + count }] }, stringVal: [encoder.encode(String(w)), encoder.encode(String(h)), ...pngs] },
    });
  }

  /** Logs a string (Markdown, as TensorBoard's text dashboard renders it). */
  text(name: string, text: string, step: number): void {
    checkName('summary.text', name);
    if (typeof text !== 'string') argError('summary.text', 'text', 'a string', describe(text));
    checkStep('summary.text', step);
    this.writeValue(step, {
      tag: name,
      metadata: metadata('text', DataClass.TENSOR),
      tensor: { dtype: DataType.DT_STRING, tensorShape: { dim: [] }, stringVal: [encoder.encode(text)] },
    });
  }

  /**
   * Logs a model's layer graph for TensorBoard's Graphs dashboard: one node per layer, its op the
   * layer class, its inputs the layers feeding it.
   */
  graph(model: LayersModel, step = 0): void {
    if (!model || typeof model !== 'object' || !('graphNodes' in model)) argError('summary.graph', 'model', 'a LayersModel', describe(model));
    checkStep('summary.graph', step);
    this.write({ step, graphDef: encodeGraphDef(modelGraphDef(model)) });
  }

  /** Writes every queued record to the file; rejects if an append failed. */
  flush(): Promise<void> {
    return this.records.flush();
  }

  /** Flushes and closes the writer; later writes throw. Closing twice is harmless. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.records.close();
  }
}

/**
 * Creates a writer of TensorBoard event files in `logDir` (created if missing), for custom
 * training loops: `const w = tf.summary.createFileWriter('logs/run1'); w.scalar('loss', l, step);`
 * then `await w.close()`. Throws naming `logDir` if the directory cannot be written.
 */
export function createFileWriter(logDir: string, options?: FileWriterOptions): SummaryFileWriter {
  return new SummaryFileWriter(logDir, options);
}
