// tfjs's callback classes: `class MyCallback extends tf.Callback { async onEpochEnd(epoch, logs) {} }`
// and `new tf.CustomCallback({ onEpochEnd })`. fit() calls them as it calls any Callback object.
import type { Callback as CallbackHooks, Logs, TrainingParams } from '../callbacks/callback';
import type { LayersModel } from '../models/layers-model';

/** Base class of tfjs-style callbacks: every hook does nothing until overridden. */
export class Callback implements CallbackHooks {
  /** The model being trained (set by fit). */
  model: LayersModel | null = null;
  params: TrainingParams | null = null;
  setModel(model: LayersModel): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  async onTrainBegin(_logs?: Logs): Promise<void> {}
  async onTrainEnd(_logs?: Logs): Promise<void> {}
  async onEpochBegin(_epoch: number, _logs?: Logs): Promise<void> {}
  async onEpochEnd(_epoch: number, _logs?: Logs): Promise<void> {}
  async onBatchBegin(_batch: number, _logs?: Logs): Promise<void> {}
  async onBatchEnd(_batch: number, _logs?: Logs): Promise<void> {}
}

/** Hooks of a {@link CustomCallback}. */
export type CustomCallbackArgs = Pick<CallbackHooks, 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd'>;

/** tfjs `new CustomCallback({ onEpochEnd, ... })`. */
export class CustomCallback extends Callback {
  constructor(private readonly hooks: CustomCallbackArgs) {
    super();
  }
  override async onTrainBegin(logs?: Logs): Promise<void> { await this.hooks.onTrainBegin?.(logs); }
  override async onTrainEnd(logs?: Logs): Promise<void> { await this.hooks.onTrainEnd?.(logs); }
  override async onEpochBegin(epoch: number, logs?: Logs): Promise<void> { await this.hooks.onEpochBegin?.(epoch, logs); }
  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> { await this.hooks.onEpochEnd?.(epoch, logs); }
  override async onBatchBegin(batch: number, logs?: Logs): Promise<void> { await this.hooks.onBatchBegin?.(batch, logs); }
  override async onBatchEnd(batch: number, logs?: Logs): Promise<void> { await this.hooks.onBatchEnd?.(batch, logs); }
}
