import { argError, describe } from '../errors';
import type { Callback, Logs, TrainingParams } from './callback';
import { dashboardPage } from './dashboard/page';
import { DashboardServer } from './dashboard/server';

/** Options of {@link Dashboard}. */
export interface DashboardArgs {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one, read it from `url` / `listening()`. */
  port?: number;
  /**
   * Only '127.0.0.1' is accepted: the dashboard has no authentication, so it never listens beyond
   * loopback (tunnel it with `ssh -L` to watch a remote run).
   */
  host?: string;
  /**
   * Keep serving after training ends (default true), so the final curves stay up and later fit()
   * calls reuse the page; `close()` stops it. false closes the server when fit() returns.
   */
  keepAlive?: boolean;
  /** Page title (default 'tensorforge training'). */
  title?: string;
  /** Minimum milliseconds between batch progress events (default 200; 0 sends every batch). */
  batchIntervalMs?: number;
}

const KNOWN = new Set(['port', 'host', 'keepAlive', 'title', 'batchIntervalMs']);
const LOOPBACK = '127.0.0.1';
/** fit()'s batch-log bookkeeping; the batch index travels separately. */
const BATCH_BOOKKEEPING = new Set(['batch', 'size']);

/**
 * A live training dashboard: serves a self-contained page on `http://127.0.0.1:<port>/` whose
 * charts (one per metric, train and `val_` series) update during fit() through server-sent events
 * (`/events`; `/history` gives everything so far as JSON). Starts listening when constructed, so
 * the page can be opened before training; `await listening()` gives the URL and rejects with a
 * clear error when the port is taken. Never blocks a training step: events are written without
 * waiting, and a client that stops reading is dropped. The server never keeps the process alive
 * on its own.
 */
export class Dashboard implements Callback {
  /** Resolves to the page's URL once the server listens; rejects if it cannot (port in use). */
  readonly ready: Promise<string>;
  private readonly server: DashboardServer;
  private readonly keepAlive: boolean;
  private readonly batchIntervalMs: number;
  private params: TrainingParams | null = null;
  private epoch = 0;
  private lastBatchAt = -Infinity;
  private address: string | null = null;
  private closed = false;

  constructor(args: DashboardArgs = {}) {
    const fn = 'dashboard';
    if (args === null || typeof args !== 'object' || Array.isArray(args)) argError(fn, 'args', 'an object', describe(args));
    for (const k of Object.keys(args)) {
      if (!KNOWN.has(k)) argError(fn, k, `no such option (known: ${[...KNOWN].join(', ')})`, describe((args as Record<string, unknown>)[k]));
    }
    const port = args.port ?? 0;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      argError(fn, 'port', 'an integer in [0, 65535] (0 picks a free port)', describe(port));
    }
    const host = args.host ?? LOOPBACK;
    if (host !== LOOPBACK) {
      argError(fn, 'host', `'${LOOPBACK}' (the dashboard has no authentication, so it only listens on loopback)`, describe(host));
    }
    const keepAlive = args.keepAlive ?? true;
    if (typeof keepAlive !== 'boolean') argError(fn, 'keepAlive', 'a boolean', describe(keepAlive));
    this.keepAlive = keepAlive;
    const title = args.title ?? 'tensorforge training';
    if (typeof title !== 'string') argError(fn, 'title', 'a string', describe(title));
    const every = args.batchIntervalMs ?? 200;
    if (typeof every !== 'number' || !Number.isFinite(every) || every < 0) argError(fn, 'batchIntervalMs', 'a non-negative number', describe(every));
    this.batchIntervalMs = every;
    this.server = new DashboardServer(dashboardPage(title), title, port, host);
    this.ready = this.server.ready.then((url) => (this.address = url));
    this.ready.catch(() => {}); // observed by listening()/fit(); see DashboardServer
  }

  /** The page's URL, e.g. `http://127.0.0.1:6006/`; throws until the server listens. */
  get url(): string {
    if (this.address === null) throw new Error('dashboard: not listening yet (await dashboard.listening() for the URL)');
    return this.address;
  }

  /** Resolves to the URL once listening; rejects with the reason it could not (e.g. port in use). */
  listening(): Promise<string> {
    return this.ready;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  async onTrainBegin(): Promise<void> {
    if (this.closed) throw new Error('dashboard: closed (create a new one for this fit)');
    // A port that could not be bound fails fit() here, with the listen error, instead of training unseen.
    await this.ready;
    this.epoch = this.params?.initialEpoch ?? 0;
    this.lastBatchAt = -Infinity;
    this.server.publish('trainBegin', { params: this.params });
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.server.publish('epochBegin', { epoch });
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    // Throttled: a browser gains nothing from thousands of updates a second, and each costs a write.
    const now = performance.now();
    if (now - this.lastBatchAt < this.batchIntervalMs) return;
    this.lastBatchAt = now;
    const values: Logs = {};
    for (const [k, v] of Object.entries(logs)) if (!BATCH_BOOKKEEPING.has(k)) values[k] = v;
    this.server.publish('batchEnd', { epoch: this.epoch, batch, logs: values });
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.server.publish('epochEnd', { epoch, logs: { ...logs } });
  }

  async onTrainEnd(): Promise<void> {
    this.server.publish('trainEnd', {});
    if (!this.keepAlive) await this.close();
  }

  /** Ends every event stream and stops listening, freeing the port. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.server.close();
  }
}
