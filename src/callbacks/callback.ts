import type { LayersModel } from '../models/layers-model';

/** Numbers logged during training: loss, metrics, val_ variants, lr. */
export type Logs = Record<string, number>;

/**
 * Training hooks (tfjs/Keras names). Any method may be async; fit() awaits it. A plain object with
 * some of these methods is a valid callback.
 */
export interface Callback {
  setModel?(model: LayersModel): void;
  setParams?(params: TrainingParams): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** What fit() was asked to do, handed to callbacks. */
export interface TrainingParams {
  epochs: number;
  initialEpoch: number;
  samples: number | null;
  steps: number | null;
  batchSize: number;
  verbose: number;
  doValidation: boolean;
  metrics: string[];
}

/** Runs a list of callbacks in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  setModel(model: LayersModel): void {
    for (const c of this.callbacks) c.setModel?.(model);
  }
  setParams(params: TrainingParams): void {
    for (const c of this.callbacks) c.setParams?.(params);
  }
  async trainBegin(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs);
  }
  async trainEnd(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs);
  }
  async epochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs);
  }
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  /** Batch hooks are skipped entirely when no callback has them, to keep steps cheap. */
  get wantsBatches(): boolean {
    return this.callbacks.some((c) => c.onBatchBegin || c.onBatchEnd);
  }
  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs);
  }
  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs);
  }
}
