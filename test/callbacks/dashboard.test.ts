import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { DashboardServer } from '../../src/callbacks/dashboard/server';

type DashboardArgs = Parameters<typeof tf.callbacks.dashboard>[0];

interface Event {
  type: string;
  seq: number;
  time: number;
  epoch?: number;
  batch?: number;
  logs?: Record<string, number>;
  params?: { epochs: number; steps: number; metrics: string[]; doValidation: boolean };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});
function dashboard(args?: DashboardArgs) {
  const d = tf.callbacks.dashboard(args);
  open.push(d);
  return d;
}

function setup(samples = 64) {
  tf.manualSeed(11);
  const x = tf.randn([samples, 3]);
  const y = tf.sum(x, 1, true);
  const vx = tf.randn([16, 3]);
  const vy = tf.sum(vx, 1, true);
  const model = tf.sequential([tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), tf.layers.dense({ units: 1 })]);
  model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.02 }), loss: 'mse', metrics: ['mae'] });
  return { x, y, vx, vy, model };
}

/** A minimal server-sent-events reader over node:http: collects parsed `data:` JSON as it arrives. */
class SseClient {
  readonly events: Event[] = [];
  ended = false;
  private readonly req: http.ClientRequest;
  private waiters: (() => void)[] = [];
  /** Resolves when the response headers arrive: by then the server has registered the subscriber. */
  readonly connected: Promise<void>;

  constructor(url: string) {
    let onConnect = () => {};
    this.connected = new Promise((r) => (onConnect = r));
    this.req = http.get(url, (res) => {
      onConnect();
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) this.events.push(JSON.parse(data) as Event);
        }
        this.wake();
      });
      res.on('end', () => {
        this.ended = true;
        this.wake();
      });
    });
    this.req.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves once `done()` holds, failing after `ms` with what arrived so far. */
  async until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.type))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  close() {
    this.req.destroy();
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('callbacks.dashboard (HTTP)', () => {
  it('serves a self-contained page, streams the run as events equal to the History, replays it, and frees the port on close', async () => {
    const dash = dashboard({ batchIntervalMs: 0, title: 'Run <1>' });
    const url = await dash.listening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(dash.url).toBe(url);
    const port = Number(new URL(url).port);

    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>Run &#60;1&#62;</title>');
    expect(page.body).toContain('new EventSource("events")');
    // Self-contained: the only absolute URL is the SVG namespace, and nothing is loaded by reference.
    expect(page.body.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//i);
    expect(page.body).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)=/i);

    const live = new SseClient(`${url}events`);
    await live.connected;
    const { x, y, vx, vy, model } = setup();
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, validationData: [vx, vy], callbacks: [dash] });
    await live.until(() => live.events.some((e) => e.type === 'trainEnd'), 'trainEnd');

    const ev = live.events;
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    expect(ev.filter((e) => e.type !== 'batchEnd').map((e) => e.type)).toEqual(['trainBegin', 'epochBegin', 'epochEnd', 'epochBegin', 'epochEnd', 'trainEnd']);
    expect(ev[0]!.params).toMatchObject({ epochs: 2, steps: 4, metrics: ['loss', 'mae'], doValidation: true });
    const epochEnds = ev.filter((e) => e.type === 'epochEnd');
    expect(epochEnds.map((e) => e.epoch)).toEqual([0, 1]);
    for (const key of ['loss', 'mae', 'val_loss', 'val_mae']) {
      expect(epochEnds.map((e) => e.logs![key])).toEqual(history.history[key]);
    }
    // batchIntervalMs 0: every batch, with running logs and without fit's bookkeeping keys.
    const batches = ev.filter((e) => e.type === 'batchEnd');
    expect(batches.map((e) => [e.epoch, e.batch])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]]);
    expect(Object.keys(batches[0]!.logs!).sort()).toEqual(['loss', 'mae']);
    // The last batch's running mean is the epoch's loss.
    expect(batches[3]!.logs!['loss']).toBe(history.history['loss']![0]);

    // /history: everything but superseded batch progress, identical to what was streamed.
    const hist = await get(`${url}history`);
    expect(hist.type).toBe('application/json');
    const replay = JSON.parse(hist.body) as { title: string; events: Event[] };
    expect(replay.title).toBe('Run <1>');
    expect(replay.events).toEqual(ev.filter((e) => e.type !== 'batchEnd'));

    // A page opened late gets the same through the stream.
    const late = new SseClient(`${url}events`);
    await late.until(() => late.events.length === replay.events.length, 'the replay');
    expect(late.events).toEqual(replay.events);
    late.close();

    expect((await get(`${url}nope`)).status).toBe(404);
    // No auth, so requests addressed to another host name (DNS rebinding) are refused.
    expect((await get(url, { host: `evil.example:${port}` })).status).toBe(403);

    expect(await portIsFree(port)).toBe(false);
    await dash.close();
    await live.until(() => live.ended, 'the stream to end');
    expect(await portIsFree(port)).toBe(true);
    await expect(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [dash] })).rejects.toThrow(/dashboard: closed/);
  });

  it('throttles batch events to batchIntervalMs', async () => {
    const dash = dashboard({ batchIntervalMs: 200 });
    const url = await dash.listening();
    const live = new SseClient(`${url}events`);
    await live.connected;
    const { x, y, model } = setup(256);
    const t0 = performance.now();
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [dash] });
    const elapsed = performance.now() - t0;
    await live.until(() => live.events.some((e) => e.type === 'trainEnd'), 'trainEnd');
    const batches = live.events.filter((e) => e.type === 'batchEnd');
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 200));
    expect(batches.length).toBeLessThan(64);
    live.close();
  });

  it('keeps serving across fits: each starts a new run, /history holds them all', async () => {
    const dash = dashboard();
    const url = await dash.listening();
    const { x, y, model } = setup();
    const h1 = await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [dash] });
    const h2 = await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [dash] });
    const { events } = JSON.parse((await get(`${url}history`)).body) as { events: Event[] };
    expect(events.map((e) => e.type)).toEqual([
      'trainBegin', 'epochBegin', 'epochEnd', 'trainEnd', 'trainBegin', 'epochBegin', 'epochEnd', 'epochBegin', 'epochEnd', 'trainEnd',
    ]);
    const losses = events.filter((e) => e.type === 'epochEnd').map((e) => e.logs!['loss']);
    expect(losses).toEqual([...h1.history['loss']!, ...h2.history['loss']!]);
  });

  it('drops a client that stops reading instead of buffering for it, and keeps serving the others', async () => {
    const server = new DashboardServer('<!doctype html>', 't', 0, '127.0.0.1');
    open.push(server);
    const url = await server.ready;
    const reader = new SseClient(`${url}events`);
    await reader.connected;
    // A subscriber that never reads: once the kernel's socket buffers fill, output queues in node.
    const stalled = net.connect(Number(new URL(url).port), '127.0.0.1');
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${new URL(url).port}\r\n\r\n`);
    await new Promise<void>((r) => stalled.once('data', () => r()));
    stalled.pause();
    expect(server.subscribers).toBe(2);
    const payload = 'x'.repeat(64 * 1024);
    const offered = 400;
    for (let i = 0; i < offered; i++) {
      server.publish('batchEnd', { batch: i, payload });
      await reader.until(() => reader.events.length === i + 1, `event ${i}`);
    }
    expect(server.subscribers).toBe(1);
    // Reading now, the stalled client finds its stream cut: it got far less than the 25 MiB offered.
    let received = 0;
    const ended = new Promise<void>((r) => stalled.on('close', () => r()));
    stalled.on('data', (c: Buffer) => (received += c.length));
    stalled.resume();
    await ended;
    expect(received).toBeLessThan((offered * payload.length) / 2);
    const n = reader.events.length;
    server.publish('trainEnd', {});
    await reader.until(() => reader.events.length === n + 1, 'the event after the drop');
    reader.close();
    stalled.destroy();
  });

  it('keepAlive: false frees the port when fit returns', async () => {
    const dash = dashboard({ keepAlive: false });
    const port = Number(new URL(await dash.listening()).port);
    const { x, y, model } = setup();
    await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [dash] });
    expect(await portIsFree(port)).toBe(true);
  });

  it('reports a port in use from listening() and from fit', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dash = dashboard({ port });
      await expect(dash.listening()).rejects.toThrow(`dashboard: cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(() => dash.url).toThrow(/not listening/);
      const { x, y, model } = setup();
      await expect(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [dash] })).rejects.toThrow(/port is already in use/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('validates its arguments, naming the argument, what was expected and what came', () => {
    const bad = (args: unknown) => () => tf.callbacks.dashboard(args as DashboardArgs);
    expect(bad({ host: '0.0.0.0' })).toThrow(`dashboard: argument 'host' expected '127.0.0.1' (the dashboard has no authentication, so it only listens on loopback), got "0.0.0.0"`);
    expect(bad({ port: -1 })).toThrow(/argument 'port' expected an integer in \[0, 65535\].*got -1/);
    expect(bad({ port: 1.5 })).toThrow(/argument 'port'.*got 1\.5/);
    expect(bad({ port: '6006' })).toThrow(/argument 'port'.*got "6006"/);
    expect(bad({ keepAlive: 'yes' })).toThrow(/argument 'keepAlive' expected a boolean, got "yes"/);
    expect(bad({ title: 5 })).toThrow(/argument 'title' expected a string, got 5/);
    expect(bad({ batchIntervalMs: -5 })).toThrow(/argument 'batchIntervalMs' expected a non-negative number, got -5/);
    expect(bad({ open: true })).toThrow(/argument 'open' expected no such option \(known: port, host, keepAlive, title, batchIntervalMs\), got true/);
    expect(bad(null)).toThrow(/argument 'args' expected an object, got null/);
  });
});

/** Debian's chromium; CHROMIUM_PATH points elsewhere (never skipped: a missing browser fails the test). */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

describe('callbacks.dashboard (headless chromium)', () => {
  let browser: Browser | null = null;
  // DASHBOARD_SCREENSHOT_DIR keeps the screenshot for a look; otherwise it goes to a temp dir removed afterwards.
  const keep = process.env['DASHBOARD_SCREENSHOT_DIR'];
  // Made by the test itself, not at collection, so a filtered-out run leaves nothing behind.
  let shots: string | null = null;
  afterAll(async () => {
    await browser?.close();
    if (shots && !keep) fs.rmSync(shots, { recursive: true, force: true });
  });

  async function launch(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`the dashboard browser test needs Debian's chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does this)`);
    }
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless=new'] });
    return browser;
  }

  /** Reads `[data-metric=name] sel` from the page (string form: the tests compile without DOM types). */
  const read = (page: Page, metric: string, sel: string) =>
    page.evaluate(`(() => {
      const el = document.querySelector('[data-metric="${metric}"] ${sel}');
      return el ? { text: el.textContent, value: el.dataset.value ?? null, epoch: el.dataset.epoch ?? null } : null;
    })()`) as Promise<{ text: string; value: string | null; epoch: string | null } | null>;
  const waitForEpoch = (page: Page, metric: string, epoch: number) =>
    page.waitForFunction(`document.querySelector('[data-metric="${metric}"] .last')?.dataset.epoch === "${epoch}"`, { timeout: 15_000 });

  it('shows the loss of each epoch while fit runs, and a late page catches up; saves a screenshot', async () => {
    const b = await launch();
    const dash = dashboard({ title: 'dashboard test' });
    const url = await dash.listening();
    const page = await b.newPage();
    await page.setViewport({ width: 1000, height: 700 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    await page.waitForFunction(`document.getElementById('status').dataset.state === 'waiting'`, { timeout: 15_000 });

    // After epoch 0, fit waits here until the page shows that epoch's loss: the page updates live.
    const seenDuringFit: { text: string; value: string | null; epoch: string | null }[] = [];
    const watcher: tf.Callback = {
      async onEpochEnd(epoch) {
        if (epoch !== 0) return;
        await waitForEpoch(page, 'loss', 0);
        seenDuringFit.push((await read(page, 'loss', '.last'))!);
      },
    };
    const { x, y, vx, vy, model } = setup();
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, validationData: [vx, vy], callbacks: [dash, watcher] });
    const loss = history.history['loss']!;
    expect(seenDuringFit).toHaveLength(1);
    expect(Number(seenDuringFit[0]!.value)).toBe(loss[0]);

    await waitForEpoch(page, 'loss', 1);
    await page.waitForFunction(`document.getElementById('status').dataset.state === 'finished'`, { timeout: 15_000 });
    const last = (await read(page, 'loss', '.last'))!;
    expect(Number(last.value)).toBe(loss[1]);
    expect(last.text).toBe(String(Number(loss[1]!.toPrecision(5))));
    const lastVal = (await read(page, 'loss', '.last-val'))!;
    expect(Number(lastVal.value)).toBe(history.history['val_loss']![1]);
    expect(Number((await read(page, 'mae', '.last'))!.value)).toBe(history.history['mae']![1]);
    // One chart per metric, each with a 2-point train and validation line.
    const charts = (await page.evaluate(`[...document.querySelectorAll('[data-metric]')].map((s) => [s.dataset.metric,
      s.querySelector('polyline.train')?.getAttribute('points').split(' ').length ?? 0,
      s.querySelector('polyline.val')?.getAttribute('points').split(' ').length ?? 0])`)) as [string, number, number][];
    expect(charts).toEqual([['loss', 2, 2], ['mae', 2, 2]]);
    expect(await page.evaluate(`document.getElementById('epoch').textContent`)).toBe('epoch 2 / 2');
    expect(await page.evaluate(`document.getElementById('batch').textContent`)).toBe('batch 4 / 4');

    shots = keep ? (fs.mkdirSync(keep, { recursive: true }), keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'tf-dashboard-'));
    const shot = path.join(shots, 'dashboard.png');
    await page.screenshot({ path: shot });
    const png = fs.readFileSync(shot);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);

    // Opened after training: the replay brings it to the same state.
    const late = await b.newPage();
    await late.goto(url);
    await waitForEpoch(late, 'loss', 1);
    expect(Number((await read(late, 'loss', '.last'))!.value)).toBe(loss[1]);
    expect(await late.evaluate(`document.getElementById('status').dataset.state`)).toBe('finished');
    expect(errors).toEqual([]);
  });
});
