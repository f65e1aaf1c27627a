// npm run soak [-- --quick] [-- --requests N] [-- --scenarios predict,session,fit,train,...]: a load
// test on an HTTP server on 127.0.0.1 serving (1) model.predict, (2) InferenceSession.run, (3)
// model.predict while model.fit trains a second model in the same process, and, in this process
// without HTTP, (4) N training steps (trainOnBatch); on request also 'http' (the same server with a
// handler that never calls the library: the harness's own baseline), 'predict-direct' and
// 'session-direct' (the calls without HTTP). For each: calls/s, latency p50/p99 (the first wave of requests after
// start on its own, to show warm-up), event-loop delay p99, and the post-GC RSS slope in MB per
// 100,000 calls after warm-up (the first fifth of the calls). Run with --expose-gc (npm run soak
// does) so RSS is measured after collection. Results go to stdout as a table and, with --json FILE,
// as JSON.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as fs from 'node:fs';
import * as tf from '../src';
import { InferenceSession } from '../src/onnx/inference-session';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const argValue = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const REQUESTS = Number(argValue('requests') ?? (quick ? 4000 : 100_000));
const IN_FLIGHT = Number(argValue('concurrency') ?? 50);
const WAVE = IN_FLIGHT;
// 'http' is the baseline: the same server and client with a handler that never touches the library.
const KNOWN_SCENARIOS = ['predict', 'session', 'fit', 'train', 'http', 'predict-direct', 'session-direct'];
const SCENARIOS = new Set((argValue('scenarios') ?? 'predict,session,fit,train').split(','));
for (const sc of SCENARIOS) if (!KNOWN_SCENARIOS.includes(sc)) throw new Error(`soak: --scenarios: expected names from ${KNOWN_SCENARIOS.join(',')}, got '${sc}'`);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1000) throw new Error(`soak: --requests: expected an integer >= 1000, got ${argValue('requests')}`);
const gc = (globalThis as { gc?: () => void }).gc;

interface Result {
  scenario: string;
  requests: number;
  errors: number;
  reqPerSec: number;
  firstWaveP99Ms: number;
  p50Ms: number;
  p99Ms: number;
  /** Server side: the longest handler time (one call's own work) in the first wave, and p50/p99 after it. */
  firstWaveServiceMaxMs: number;
  serviceP50Ms: number;
  serviceP99Ms: number;
  loopDelayP99Ms: number;
  rssStartMb: number;
  rssEndMb: number;
  rssSlopeMbPer100k: number;
  /** Post-GC V8 heap in use: its slope tells a JS leak from allocator growth. */
  heapSlopeMbPer100k: number;
  /** The post-GC samples after warm-up the slopes are fitted to: [calls, RSS MB, heap MB] (JSON only). */
  samples: [number, number, number][];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

let lastHeapMb = 0;

function postGcRssMb(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  lastHeapMb = m.heapUsed / 2 ** 20;
  return m.rss / 2 ** 20;
}

// Every per-call record is preallocated (typed arrays sized by the call count) and written once
// up front: growing JS arrays (~8 MB per 100k calls), or fresh zero pages first touched as the
// run goes (~1.6 MB per 100k), would be the soak's own memory rise, not the library's.
/** The figures of one scenario, from sorted latencies (ms) and the memory samples. */
function summarize(r: {
  scenario: string; requests: number; errors: number; seconds: number; first: number[]; rest: number[];
  firstService: number[]; restService: number[]; delay: { percentile(p: number): number }; rssStart: number;
  rssEnd: number; rssAt: number[]; rssMb: number[]; heapMb: number[];
}): Result {
  return {
    scenario: r.scenario,
    requests: r.requests,
    errors: r.errors,
    reqPerSec: r.requests / r.seconds,
    firstWaveP99Ms: percentile(r.first, 0.99),
    p50Ms: percentile(r.rest, 0.5),
    p99Ms: percentile(r.rest, 0.99),
    firstWaveServiceMaxMs: r.firstService[r.firstService.length - 1] ?? NaN,
    serviceP50Ms: percentile(r.restService, 0.5),
    serviceP99Ms: percentile(r.restService, 0.99),
    loopDelayP99Ms: r.delay.percentile(99) / 1e6,
    rssStartMb: r.rssStart,
    rssEndMb: r.rssEnd,
    rssSlopeMbPer100k: slope(r.rssAt, r.rssMb) * 100_000,
    heapSlopeMbPer100k: slope(r.rssAt, r.heapMb) * 100_000,
    samples: r.rssAt.map((at, i) => [at, r.rssMb[i]!, r.heapMb[i]!]),
  };
}

/** Per-request server-side service times (ms, handler start to answer), in arrival order. */
let serviceMs = new Float64Array(0);
let served = 0;

async function serve(handler: (body: Float32Array) => Promise<Float32Array | Int32Array>): Promise<{ server: http.Server; port: number }> {
  serviceMs = new Float64Array(REQUESTS).fill(NaN);
  served = 0;
  const server = http.createServer((req, res) => {
    // GET answers without touching the model: the client opens its connections with it first.
    if (req.method === 'GET') {
      req.resume();
      res.end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const s0 = performance.now();
      handler(x).then(
        (y) => {
          if (served < serviceMs.length) serviceMs[served++] = performance.now() - s0;
          res.end(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
        },
        (e: unknown) => {
          res.statusCode = 500;
          res.end(String(e));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function load(scenario: string, port: number, features: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const body = Buffer.from(new Float32Array(features).fill(0.5).buffer);
  let done = 0;
  // Latency by send order: the first wave is the first IN_FLIGHT requests sent, however they finish.
  const starts = new Float64Array(REQUESTS).fill(NaN);
  const ends = new Float64Array(REQUESTS).fill(NaN);
  // Requests in flight across one of the forced collections below are left out of the latency
  // figures: the collection is the measurement's own cost, not the server's.
  const gcWindows: { start: number; end: number }[] = [];
  let errors = 0;
  let sent = 0;
  const rssAt: number[] = [];
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  const sampleEvery = Math.max(500, Math.floor(REQUESTS / 20));
  const warmup = Math.floor(REQUESTS / 5);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // (The event-loop delay histogram includes the forced collections; see loopDelayP99Ms in RELIABILITY.md.)
  // Opens the IN_FLIGHT keep-alive connections before the clock starts (a GET the server answers
  // without the model). Without this the first wave measures this process's own client connecting
  // 50 sockets while it also serves (~0.5-0.9 s at p99 with a handler that does nothing at all),
  // not the model's warm-up.
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, () =>
      new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      }),
    ),
  );
  const rssStart = postGcRssMb();
  const t0 = performance.now();
  delay.enable();
  const one = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const start = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          const end = performance.now();
          done++;
          starts[index] = start;
          ends[index] = end;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (sent < REQUESTS) {
      await one(sent++);
      if (done > warmup && done % sampleEvery === 0) {
        rssAt.push(done);
        const g0 = performance.now();
        rssMb.push(postGcRssMb());
        heapMb.push(lastHeapMb);
        gcWindows.push({ start: g0, end: performance.now() });
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  delay.disable();
  const seconds = (performance.now() - t0) / 1000;
  // Before the latency arrays below are built: at 3M calls they alone are ~40 MB.
  const rssEnd = postGcRssMb();
  agent.destroy();
  const clean: number[] = [];
  for (let i = WAVE; i < REQUESTS; i++) {
    if (Number.isNaN(ends[i]!) || gcWindows.some((g) => starts[i]! < g.end && ends[i]! > g.start)) continue;
    clean.push(ends[i]! - starts[i]!);
  }
  const first = Array.from(ends.subarray(0, WAVE), (e, i) => e - starts[i]!).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const firstService = Array.from(serviceMs.subarray(0, Math.min(WAVE, served))).sort((a, b) => a - b);
  const restService = Array.from(serviceMs.subarray(WAVE, served)).sort((a, b) => a - b);
  const rest = clean.sort((a, b) => a - b);
  return summarize({ scenario, requests: done, errors, seconds, first, rest, firstService, restService, delay, rssStart, rssEnd, rssAt, rssMb, heapMb });
}

/**
 * Calls in this process without HTTP (`concurrency` callers): per-call latency, event-loop delay
 * and the RSS slope per 100k calls of the library alone (the HTTP scenarios include the server's
 * and client's own creep; see the 'http' baseline).
 */
async function direct(scenario: string, call: () => Promise<void>, concurrency: number): Promise<Result> {
  const times = new Float64Array(REQUESTS).fill(NaN);
  const rssAt: number[] = [];
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  const sampleEvery = Math.max(500, Math.floor(REQUESTS / 20));
  const warmup = Math.floor(REQUESTS / 5);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const rssStart = postGcRssMb();
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  delay.enable();
  const worker = async (): Promise<void> => {
    while (started < REQUESTS) {
      const i = started++;
      const s0 = performance.now();
      await call();
      times[i] = performance.now() - s0;
      done++;
      if (done > warmup && done % sampleEvery === 0) {
        rssAt.push(done);
        rssMb.push(postGcRssMb());
        heapMb.push(lastHeapMb);
      }
      // Lets the event loop run as it would between requests.
      if (done % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  delay.disable();
  const seconds = (performance.now() - t0) / 1000;
  const rssEnd = postGcRssMb();
  const first = Array.from(times.subarray(0, WAVE)).sort((a, b) => a - b);
  const rest = Array.from(times.subarray(WAVE)).sort((a, b) => a - b);
  // In process the service time is the call's own time.
  return summarize({ scenario, requests: REQUESTS, errors: 0, seconds, first, rest, firstService: first, restService: rest, delay, rssStart, rssEnd, rssAt, rssMb, heapMb });
}

function mlp(seed: number): tf.Sequential {
  tf.manualSeed(seed);
  const m = tf.sequential({
    layers: [tf.layers.dense({ units: 128, inputShape: [64], activation: 'relu' }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return m;
}

async function main(): Promise<void> {
  if (!gc) console.warn('soak: run with --expose-gc for post-GC RSS (npm run soak does)');
  const results: Result[] = [];
  const model = mlp(1);
  const predict = async (x: Float32Array): Promise<Float32Array | Int32Array> => {
    const t = tf.tensor(x, [1, 64]);
    const y = (await model.predict(t)) as tf.Tensor;
    const out = y.dataSync().slice();
    t.dispose();
    y.dispose();
    return out;
  };

  if (SCENARIOS.has('http')) {
    const answer = new Float32Array(10).fill(0.1);
    const { server, port } = await serve(async () => answer.slice());
    results.push(await load('http baseline (no library call)', port, 64));
    server.close();
  }
  if (SCENARIOS.has('predict')) {
    const { server, port } = await serve(predict);
    results.push(await load('predict', port, 64));
    server.close();
  }
  if (SCENARIOS.has('session')) {
    const session = await InferenceSession.create(model, { workers: 2 });
    const { server, port } = await serve(async (x) => {
      const out = await session.run({ [session.inputNames[0]!]: { data: x.slice(), dims: [1, 64] } });
      const y = out[session.outputNames[0]!]!;
      const v = y.dataSync().slice();
      y.dispose();
      return v;
    });
    results.push(await load('session', port, 64));
    server.close();
    await session.dispose();
  }
  if (SCENARIOS.has('fit')) {
    const trainee = mlp(2);
    const x = tf.randn([2048, 64]);
    const y = tf.oneHot(tf.randint(0, 10, [2048]), 10);
    let training = true;
    let steps = 0;
    const fitting = (async () => {
      while (training) {
        await trainee.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, callbacks: { onBatchEnd: () => void steps++ } as never });
      }
    })();
    const { server, port } = await serve(predict);
    const r = await load('predict during fit', port, 64);
    training = false;
    await fitting;
    server.close();
    results.push({ ...r, scenario: `predict during fit (${steps} steps)` });
  }
  if (SCENARIOS.has('train')) {
    const trainee = mlp(3);
    const x = tf.randn([32, 64]);
    const y = tf.oneHot(tf.randint(0, 10, [32]), 10);
    // One caller: a second trainOnBatch on a model in training is an Error by design.
    results.push(await direct('training steps (trainOnBatch, batch 32, in process)', async () => void (await trainee.trainOnBatch(x, y)), 1));
  }
  if (SCENARIOS.has('predict-direct')) {
    const body = new Float32Array(64).fill(0.5);
    results.push(await direct('predict (in process, 50 callers)', async () => void (await predict(body)), IN_FLIGHT));
  }
  if (SCENARIOS.has('session-direct')) {
    const session = await InferenceSession.create(model, { workers: 2 });
    const body = new Float32Array(64).fill(0.5);
    results.push(
      await direct('session (in process, 50 callers)', async () => {
        const out = await session.run({ [session.inputNames[0]!]: { data: body.slice(), dims: [1, 64] } });
        out[session.outputNames[0]!]!.dispose();
      }, IN_FLIGHT),
    );
    await session.dispose();
  }

  const cols: (keyof Result)[] = ['scenario', 'requests', 'errors', 'reqPerSec', 'firstWaveP99Ms', 'p50Ms', 'p99Ms', 'firstWaveServiceMaxMs', 'serviceP50Ms', 'serviceP99Ms', 'loopDelayP99Ms', 'rssStartMb', 'rssEndMb', 'rssSlopeMbPer100k', 'heapSlopeMbPer100k'];
  const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v));
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of results) console.log(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`);
  const out = argValue('json');
  if (out) fs.writeFileSync(out, JSON.stringify(results, null, 1));
}

void main();
