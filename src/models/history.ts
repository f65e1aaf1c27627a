import type { Callback, Logs, TrainingParams } from '../callbacks/callback';

/** What fit() resolves to: per-epoch values by name (`history.history.loss`, `val_loss`, ...). */
export class History implements Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  params: TrainingParams | null = null;

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}
