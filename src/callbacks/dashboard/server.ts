import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One message of the dashboard's event stream; `seq` orders them and doubles as the SSE id. */
export interface DashboardEvent {
  type: 'trainBegin' | 'epochBegin' | 'batchEnd' | 'epochEnd' | 'trainEnd';
  seq: number;
  /** Milliseconds since the Unix epoch, when the callback saw the hook. */
  time: number;
  [key: string]: unknown;
}

/**
 * A client whose unsent output grows past this is dropped rather than buffered without bound: the
 * trainer never waits for a browser, and a stalled tab must not eat the process's memory.
 */
const MAX_CLIENT_BUFFER = 1 << 20;

/** Non-finite numbers (a diverging loss) survive JSON as strings the page turns back into numbers. */
function finiteOrString(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}
function encode(value: unknown): string {
  return JSON.stringify(value, finiteOrString);
}

/**
 * The dashboard's HTTP side (node:http, loopback only): `/` the page, `/events` a server-sent event
 * stream that first replays what happened so far, `/history` the same as JSON. Every handle is
 * unref'd so an open server or browser tab never keeps the process alive by itself.
 */
export class DashboardServer {
  private readonly server: http.Server;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();
  /** Every event except batch progress, which only keeps its latest (it is superseded anyway). */
  private readonly events: DashboardEvent[] = [];
  private lastBatch: DashboardEvent | null = null;
  private seq = 0;
  private port = 0;
  private closed = false;
  readonly ready: Promise<string>;

  constructor(
    private readonly page: string,
    private readonly title: string,
    requestedPort: number,
    host: string,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      socket.unref();
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.ready = new Promise<string>((resolve, reject) => {
      // `on`, not `once`: after listening, a stray server error must not become an uncaught 'error' event.
      this.server.on('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'the port is already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
        reject(new Error(`dashboard: cannot listen on ${host}:${requestedPort}: ${why} (pass another port, or port: 0 for a free one)`));
      });
      this.server.listen(requestedPort, host, () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve(`http://${host}:${this.port}/`);
      });
    });
    // Whoever awaits `ready` still sees the rejection; this only keeps an unobserved one from
    // crashing the process as an unhandled rejection.
    this.ready.catch(() => {});
    this.server.unref();
  }

  /** Pages currently subscribed to `/events`. */
  get subscribers(): number {
    return this.clients.size;
  }

  /** Stamps, records and sends an event to every connected page; never waits for a client. */
  publish(type: DashboardEvent['type'], fields: Record<string, unknown>): void {
    const event: DashboardEvent = { ...fields, type, seq: ++this.seq, time: Date.now() };
    if (type === 'batchEnd') this.lastBatch = event;
    else this.events.push(event);
    const frame = `id: ${event.seq}\ndata: ${encode(event)}\n\n`;
    for (const res of this.clients) this.send(res, frame);
  }

  /** Everything so far in order, batch progress included only while it is newer than the last epoch event. */
  history(): DashboardEvent[] {
    const out = [...this.events];
    if (this.lastBatch && this.lastBatch.seq > (out[out.length - 1]?.seq ?? 0)) out.push(this.lastBatch);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const res of this.clients) res.end();
    this.clients.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Idle keep-alive sockets (a browser's) would otherwise hold close() open.
      for (const s of this.sockets) s.destroy();
    });
  }

  private send(res: http.ServerResponse, frame: string): void {
    if (res.writableLength > MAX_CLIENT_BUFFER) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // The server has no authentication; refusing foreign Host headers stops DNS-rebinding pages
    // from reading it through the victim's browser.
    const hostHeader = req.headers.host ?? '';
    if (hostHeader !== `127.0.0.1:${this.port}` && hostHeader !== `localhost:${this.port}`) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Nothing may load from anywhere else: the page is self-contained by design.
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      });
      res.end(this.page);
    } else if (path === '/history') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(encode({ title: this.title, events: this.history() }));
    } else if (path === '/events') {
      this.subscribe(req, res);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private subscribe(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // A reconnecting EventSource says what it already has; replay only what it missed.
    const since = Number(req.headers['last-event-id'] ?? 0) || 0;
    res.write('retry: 1000\n\n');
    for (const e of this.history()) if (e.seq > since) this.send(res, `id: ${e.seq}\ndata: ${encode(e)}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }
}
