import type { Callback, Logs, TrainingParams } from '../callbacks/callback';

function fmt(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' - ');
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/**
 * Keras-style output. verbose 1 on a TTY: a bar redrawn in place with step count, ETA, loss and
 * metrics; otherwise (verbose 1 off a TTY, or verbose 2) one line per epoch.
 */
export class ProgressLogger implements Callback {
  private params: TrainingParams | null = null;
  private epochStart = 0;
  private lastDraw = 0;
  private seen = 0;
  private readonly tty: boolean;

  constructor(
    private readonly verbose: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout,
  ) {
    this.tty = verbose === 1 && out.isTTY === true;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onEpochBegin(epoch: number): void {
    this.epochStart = performance.now();
    this.seen = 0;
    this.lastDraw = 0;
    if (this.tty) this.out.write(`Epoch ${epoch + 1}/${this.params?.epochs ?? '?'}\n`);
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    if (!this.tty) return;
    this.seen = batch + 1;
    const now = performance.now();
    const steps = this.params?.steps ?? null;
    if (now - this.lastDraw < 100 && this.seen !== steps) return;
    this.lastDraw = now;
    const elapsed = now - this.epochStart;
    const width = 30;
    let bar: string;
    let eta = '';
    if (steps) {
      const done = Math.min(width, Math.round((this.seen / steps) * width));
      bar = `${String(this.seen).padStart(String(steps).length)}/${steps} [${'='.repeat(Math.max(0, done - 1))}${done < width ? '>' : '='}${'.'.repeat(width - done)}]`;
      eta = this.seen < steps ? ` - ETA: ${duration((elapsed / this.seen) * (steps - this.seen))}` : '';
    } else {
      bar = `${this.seen} steps`;
    }
    const { batch: _b, size: _s, ...shown } = logs;
    this.out.write(`\r${bar}${eta} - ${fmt(shown)}\u001b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const elapsed = performance.now() - this.epochStart;
    const perStep = this.seen ? ` ${duration(elapsed / this.seen)}/step` : '';
    if (this.tty) {
      const steps = this.params?.steps ?? this.seen;
      this.out.write(`\r${steps}/${steps} [${'='.repeat(30)}] - ${duration(elapsed)}${perStep} - ${fmt(logs)}\u001b[K\n`);
    } else {
      this.out.write(`Epoch ${epoch + 1}/${this.params?.epochs ?? '?'} - ${duration(elapsed)} - ${fmt(logs)}\n`);
    }
  }
}
