import * as path from 'node:path';
import { toFsPath } from '../io/path';
import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import { SummaryFileWriter } from '../summary/file-writer';
import type { Callback, Logs } from './callback';

/** Options of {@link TensorBoard} (Keras names, camelCased). */
export interface TensorBoardArgs {
  /**
   * 'epoch' (default) logs once per epoch; 'batch' also logs `batch_loss` and `batch_<metric>` after
   * every batch; a number n after every n-th batch (global batch index 0, n, 2n, ...).
   */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Log a histogram of every weight every this many epochs (0, the default, never). */
  histogramFreq?: number;
  /** Log the layer graph for TensorBoard's Graphs dashboard when training starts (default true). */
  writeGraph?: boolean;
}

/** Log keys fit() puts in batch logs that are bookkeeping, not values to plot. */
const BATCH_BOOKKEEPING = new Set(['batch', 'size']);

/**
 * Writes TensorBoard logs as Keras does: runs `<logDir>/train` and `<logDir>/validation`, with
 * `epoch_loss` and `epoch_<metric>` per epoch (validation values under the same tags, `val_`
 * stripped), `epoch_learning_rate` in the train run, optional batch-level `batch_*` scalars, weight
 * histograms (tags like `dense/kernel_0`) and the layer graph. View with `tensorboard --logdir <logDir>`.
 */
export class TensorBoard implements Callback {
  private model: LayersModel | null = null;
  private train: SummaryFileWriter | null = null;
  private validation: SummaryFileWriter | null = null;
  private readonly batchEvery: number;
  private readonly histogramFreq: number;
  private readonly writeGraph: boolean;
  /** Batches trained by every fit() this callback has seen: the step of batch-level scalars. */
  private globalBatch = 0;

  readonly logDir: string;

  constructor(logDir: string, args: TensorBoardArgs = {}) {
    const fn = 'tensorBoard';
    if (typeof logDir !== 'string' || logDir === '') argError(fn, 'logDir', 'a directory path', describe(logDir));
    // Resolved now: path.join would fold a file:// URL's slashes into a literal 'file:' folder.
    this.logDir = toFsPath(fn, 'logDir', logDir);
    if (args === null || typeof args !== 'object') argError(fn, 'args', 'an object', describe(args));
    const freq = args.updateFreq ?? 'epoch';
    const every = freq === 'epoch' ? 0 : freq === 'batch' ? 1 : freq;
    if (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 0 || (every === 0 && freq !== 'epoch')) {
      argError(fn, 'updateFreq', "'epoch', 'batch' or a positive integer", describe(freq));
    }
    this.batchEvery = every;
    const hist = args.histogramFreq ?? 0;
    if (typeof hist !== 'number' || !Number.isSafeInteger(hist) || hist < 0) argError(fn, 'histogramFreq', 'a non-negative integer', describe(hist));
    this.histogramFreq = hist;
    const graph = args.writeGraph ?? true;
    if (typeof graph !== 'boolean') argError(fn, 'writeGraph', 'a boolean', describe(graph));
    this.writeGraph = graph;
  }

  setModel(model: LayersModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    // A new pair of event files per fit(), as Keras does; an unwritable logDir fails here.
    this.train = new SummaryFileWriter(path.join(this.logDir, 'train'), { maxQueue: 100 }, 'tensorBoard');
    this.validation = null;
    if (this.writeGraph && this.model) this.train.graph(this.model);
  }

  onBatchEnd(_batch: number, logs: Logs = {}): void {
    const step = this.globalBatch++;
    if (!this.batchEvery || step % this.batchEvery !== 0 || !this.train) return;
    for (const [k, v] of Object.entries(logs)) {
      if (!BATCH_BOOKKEEPING.has(k) && typeof v === 'number') this.train.writeScalar(`batch_${k}`, v, step);
    }
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const train = this.train;
    if (!train) return;
    for (const [k, v] of Object.entries(logs)) {
      if (typeof v !== 'number') continue;
      if (k.startsWith('val_')) {
        this.validation ??= new SummaryFileWriter(path.join(this.logDir, 'validation'), { maxQueue: 100 }, 'tensorBoard');
        this.validation.writeScalar(`epoch_${k.slice(4)}`, v, epoch);
      } else train.writeScalar(`epoch_${k}`, v, epoch);
    }
    const optimizer = this.model?.optimizer;
    if (optimizer) train.writeScalar('epoch_learning_rate', optimizer.learningRate, epoch);
    if (this.histogramFreq && epoch % this.histogramFreq === 0 && this.model) {
      for (const layer of this.model.layers) {
        for (const w of layer.weightsInfo) train.histogram(`${layer.name}/${w.name}_0`, w.value, epoch);
      }
    }
    await Promise.all([train.flush(), this.validation?.flush()]);
  }

  async onTrainEnd(): Promise<void> {
    await Promise.all([this.train?.close(), this.validation?.close()]);
  }
}
