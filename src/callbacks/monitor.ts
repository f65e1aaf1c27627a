import { argError, describe } from '../errors';
import type { Logs } from './callback';

export type Mode = 'auto' | 'min' | 'max';

/**
 * Tracks whether a monitored value improved (Keras semantics: 'auto' maximizes names containing
 * 'acc', 'auc', 'precision', 'recall' or 'f1', and minimizes everything else).
 */
export class Monitor {
  readonly maximize: boolean;
  best: number;

  constructor(fn: string, readonly name: string, mode: Mode, private readonly minDelta: number) {
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') argError(fn, 'mode', "'auto', 'min' or 'max'", describe(mode));
    if (typeof minDelta !== 'number' || minDelta < 0) argError(fn, 'minDelta', 'a non-negative number', describe(minDelta));
    this.maximize = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall|f1/.test(name));
    this.best = this.maximize ? -Infinity : Infinity;
  }

  value(fn: string, logs: Logs | undefined): number | null {
    const v = logs?.[this.name];
    if (v === undefined) {
      process.emitWarning(`${fn}: monitored value '${this.name}' is not in the logs (${Object.keys(logs ?? {}).join(', ')})`);
      return null;
    }
    return v;
  }

  improved(v: number): boolean {
    return this.maximize ? v - this.minDelta > this.best : v + this.minDelta < this.best;
  }

  reset(): void {
    this.best = this.maximize ? -Infinity : Infinity;
  }
}
