import * as fs from 'node:fs';
import * as path from 'node:path';
import { toFsPath } from '../io/path';
import { argError, describe } from '../errors';
import { camelFactories } from '../option-names';
import type { Tensor } from '../tensor/tensor';
import type { LayersModel } from '../models/layers-model';
import type { Callback, Logs } from './callback';
import { type Mode, Monitor } from './monitor';
import { TensorBoard, type TensorBoardArgs } from './tensor-board';
import { Dashboard, type DashboardArgs } from './dashboard';

abstract class ModelCallback implements Callback {
  protected model: LayersModel | null = null;
  setModel(model: LayersModel): void {
    this.model = model;
  }
  protected requireModel(fn: string): LayersModel {
    if (!this.model) throw new Error(`${fn}: the callback is not attached to a model (pass it to fit)`);
    return this.model;
  }
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
}

/** Stops fit() when `monitor` (default 'val_loss') stops improving for `patience` epochs. */
export class EarlyStopping extends ModelCallback {
  private readonly monitor: Monitor;
  private readonly patience: number;
  private readonly baseline: number | undefined;
  private readonly restore: boolean;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch at which training stopped (0 when it ran to the end). */
  stoppedEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = new Monitor('earlyStopping', args.monitor ?? 'val_loss', args.mode ?? 'auto', args.minDelta ?? 0);
    const patience = args.patience ?? 0;
    if (!Number.isInteger(patience) || patience < 0) argError('earlyStopping', 'patience', 'a non-negative integer', describe(patience));
    this.patience = patience;
    this.baseline = args.baseline;
    this.restore = args.restoreBestWeights ?? false;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.monitor.reset();
    if (this.baseline !== undefined) this.monitor.best = this.baseline;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const model = this.requireModel('earlyStopping');
    const v = this.monitor.value('earlyStopping', logs);
    if (v === null) return;
    if (this.monitor.improved(v)) {
      this.monitor.best = v;
      this.wait = 0;
      if (this.restore) this.bestWeights = model.getWeights();
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
      if (this.restore && this.bestWeights) model.setWeights(this.bestWeights);
    }
  }
}

/** Saves the model to `filepath` (with `{epoch}` and log names substituted) after epochs. */
export class ModelCheckpoint extends ModelCallback {
  private readonly monitor: Monitor;
  private readonly saveBestOnly: boolean;

  constructor(private readonly args: { filepath: string; monitor?: string; saveBestOnly?: boolean; mode?: Mode }) {
    super();
    if (!args || typeof args.filepath !== 'string' || args.filepath === '') argError('modelCheckpoint', 'filepath', 'a directory path', describe(args?.filepath));
    this.monitor = new Monitor('modelCheckpoint', args.monitor ?? 'val_loss', args.mode ?? 'auto', 0);
    this.saveBestOnly = args.saveBestOnly ?? false;
  }

  onTrainBegin(): void {
    this.monitor.reset();
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const model = this.requireModel('modelCheckpoint');
    if (this.saveBestOnly) {
      const v = this.monitor.value('modelCheckpoint', logs);
      if (v === null || !this.monitor.improved(v)) return;
      this.monitor.best = v;
    }
    const target = this.args.filepath.replace(/\{(\w+)(?::[^}]*)?\}/g, (_, k: string) =>
      k === 'epoch' ? String(epoch + 1).padStart(2, '0') : logs[k] !== undefined ? logs[k]!.toFixed(4) : `{${k}}`);
    await model.save(target);
  }
}

/** Sets the learning rate at each epoch start from `schedule(epoch, currentLr)`. */
export class LearningRateScheduler extends ModelCallback {
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    super();
    if (typeof schedule !== 'function') argError('learningRateScheduler', 'schedule', 'a function (epoch, lr) => lr', describe(schedule));
  }
  onEpochBegin(epoch: number): void {
    const opt = this.requireModel('learningRateScheduler').optimizer;
    if (!opt) throw new Error('learningRateScheduler: the model is not compiled');
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) argError('learningRateScheduler', 'schedule', 'to return a non-negative learning rate', describe(lr));
    opt.learningRate = lr;
  }
  onEpochEnd(_epoch: number, logs?: Logs): void {
    const opt = this.model?.optimizer;
    if (logs && opt) logs['lr'] = opt.learningRate;
  }
}

/** Multiplies the learning rate by `factor` when `monitor` stalls for `patience` epochs. */
export class ReduceLROnPlateau extends ModelCallback {
  private readonly monitor: Monitor;
  private wait = 0;
  private cooldownLeft = 0;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;

  constructor(args: { monitor?: string; factor?: number; patience?: number; minDelta?: number; cooldown?: number; minLr?: number; mode?: Mode } = {}) {
    super();
    this.factor = args.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1)) argError('reduceLROnPlateau', 'factor', 'a number in (0, 1)', describe(args.factor));
    this.patience = args.patience ?? 10;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    this.monitor = new Monitor('reduceLROnPlateau', args.monitor ?? 'val_loss', args.mode ?? 'auto', args.minDelta ?? 1e-4);
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownLeft = 0;
    this.monitor.reset();
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    const opt = this.requireModel('reduceLROnPlateau').optimizer;
    if (!opt) return;
    if (logs) logs['lr'] = opt.learningRate;
    const v = this.monitor.value('reduceLROnPlateau', logs);
    if (v === null) return;
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (this.monitor.improved(v)) {
      this.monitor.best = v;
      this.wait = 0;
    } else if (this.cooldownLeft === 0 && ++this.wait >= this.patience) {
      opt.learningRate = Math.max(this.minLr, opt.learningRate * this.factor);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/** Appends one CSV row per epoch (epoch and every log value) to `filename`. */
export class CSVLogger implements Callback {
  private keys: string[] | null = null;
  private readonly filename: string;
  constructor(filename: string, private readonly options: { separator?: string; append?: boolean } = {}) {
    if (typeof filename !== 'string' || filename === '') argError('csvLogger', 'filename', 'a file path', describe(filename));
    this.filename = toFsPath('csvLogger', 'filename', filename);
  }
  async onTrainBegin(): Promise<void> {
    this.keys = null;
    await fs.promises.mkdir(path.dirname(path.resolve(this.filename)), { recursive: true });
    if (!this.options.append) await fs.promises.writeFile(this.filename, '');
  }
  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const sep = this.options.separator ?? ',';
    let text = '';
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      const exists = this.options.append && fs.existsSync(this.filename) && fs.statSync(this.filename).size > 0;
      if (!exists) text += ['epoch', ...this.keys].join(sep) + '\n';
    }
    text += [epoch, ...this.keys.map((k) => logs[k] ?? '')].join(sep) + '\n';
    await fs.promises.appendFile(this.filename, text);
  }
}

/** Stops training as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN extends ModelCallback {
  onBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.['loss'];
    if (loss !== undefined && !Number.isFinite(loss)) {
      process.emitWarning(`terminateOnNaN: batch ${batch} has loss ${loss}; stopping training`);
      this.requireModel('terminateOnNaN').stopTraining = true;
    }
  }
}

/** Callback factories under their tfjs/Keras names. */
/** Callback factories (tfjs names); Keras's snake_case option names are accepted too (`min_delta`, `save_best_only`). */
export const callbacks = camelFactories('callbacks.', {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
  modelCheckpoint: (args: ConstructorParameters<typeof ModelCheckpoint>[0]) => new ModelCheckpoint(args),
  learningRateScheduler: (schedule: (epoch: number, lr: number) => number) => new LearningRateScheduler(schedule),
  reduceLROnPlateau: (args?: ConstructorParameters<typeof ReduceLROnPlateau>[0]) => new ReduceLROnPlateau(args),
  csvLogger: (filename: string, options?: { separator?: string; append?: boolean }) => new CSVLogger(filename, options),
  terminateOnNaN: () => new TerminateOnNaN(),
  /** TensorBoard logs in `logDir` (train/ and validation/ runs); see {@link TensorBoard}. */
  tensorBoard: (logDir: string, args?: TensorBoardArgs) => new TensorBoard(logDir, args),
  /** A live dashboard page on 127.0.0.1 that updates during fit(); see {@link Dashboard}. */
  dashboard: (args?: DashboardArgs) => new Dashboard(args),
});
