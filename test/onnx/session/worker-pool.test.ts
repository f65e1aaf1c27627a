// What a long-running session must not accumulate: V8 young-generation growth in its workers
// (which no GC on the caller's thread can reach) and per-request bookkeeping in the pool.
import { describe, expect, it } from 'vitest';
import { GATE_STARTED } from '../../../src/onnx/session/protocol';
import { WorkerPool, type JobInput } from '../../../src/onnx/session/worker-pool';
import { WORKER_YOUNG_GENERATION_MB } from '../../../src/onnx/session/worker-heap';

// A worker that answers each request with its own new-space size. Each request leaves objects that
// survive many scavenges (a ring of 20,000 slots): the survival rate that makes V8 double the
// semi-spaces. Unbounded, this worker's new space reached 32 MB within 20,000 requests.
const SURVIVOR_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const v8 = require('node:v8');
const gate = new Int32Array(workerData.gate);
const ring = new Array(20000).fill(null);
let n = 0;
parentPort.on('message', (msg) => {
  if (msg.kind === 'release') { parentPort.postMessage({ kind: 'released' }); return; }
  Atomics.add(gate, ${GATE_STARTED}, 1);
  for (let i = 0; i < 20; i++) ring[n++ % ring.length] = { id: msg.id, i, pad: [msg.id, i, n] };
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  const data = new Float32Array([newSpace]);
  parentPort.postMessage({ kind: 'result', id: msg.id, outputs: { y: { data, dims: [1] } } }, [data.buffer]);
});
parentPort.postMessage({ kind: 'ready', inputs: [], outputs: [] });
`;

const INIT = {
  ortPath: '',
  protobufPath: '',
  onnxSchema: {},
  model: { kind: 'path', path: '' },
  options: { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpSpinning: false, nice: 0 },
} as unknown as Parameters<typeof WorkerPool.start>[0];

/** A one-float request that counts its prepare and release calls into `counts`. */
function input(counts: { prepared: number; released: number }): JobInput {
  return {
    prepare: () => {
      counts.prepared++;
      const data = new Float32Array(1);
      return { feeds: { x: { type: 'float32', data, dims: [1] } }, transfer: [data.buffer] };
    },
    release: () => void counts.released++,
  };
}

/** Sends `total` requests from `callers` concurrent loops; returns the largest new-space size reported. */
async function drive(pool: WorkerPool, total: number, callers: number, counts: { prepared: number; released: number }): Promise<number> {
  let sent = 0;
  let largest = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (sent < total) {
        sent++;
        const out = await pool.submit(input(counts), ['y']);
        largest = Math.max(largest, out['y']!.data[0]!);
      }
    }),
  );
  return largest;
}

describe('WorkerPool: what long runs leave behind', () => {
  it("bounds each worker thread's young generation, so a request rate that grows V8's new space cannot grow the process", async () => {
    const { pool } = await WorkerPool.start(INIT, 2, 'Pool(survivors)', SURVIVOR_WORKER);
    try {
      const counts = { prepared: 0, released: 0 };
      const largest = await drive(pool, 20_000, 50, counts);
      expect(largest).toBeGreaterThan(0);
      expect(largest).toBeLessThanOrEqual(WORKER_YOUNG_GENERATION_MB * 2 ** 20);
    } finally {
      await pool.close();
    }
  });

  it('keeps no per-request state: every input released once, nothing held or queued, no listeners added', async () => {
    const { pool } = await WorkerPool.start(INIT, 2, 'Pool(survivors)', SURVIVOR_WORKER);
    try {
      const listeners = (): number[] => pool.workerHandles().flatMap((w) => ['message', 'exit', 'error'].map((e) => (w as unknown as NodeJS.EventEmitter).listenerCount(e)));
      const before = listeners();
      const counts = { prepared: 0, released: 0 };
      await drive(pool, 5_000, 50, counts);
      expect(counts).toEqual({ prepared: 5_000, released: 5_000 });
      // busy counts workers holding a request (a non-empty jobs map).
      expect(pool.state()).toMatchObject({ workers: 2, ready: 2, busy: 0, queued: 0, replaced: 0 });
      expect(listeners()).toEqual(before);
    } finally {
      await pool.close();
    }
  });
});
