// PyTorch CPU through Debian's python3-torch, as a cross-check baseline only: when /usr/bin/python3
// cannot import torch the column reads n/a. A worker process runs the steps; each call is one
// request/response (a whole epoch over the call's samples), so the pipe costs < 1% of a call.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.TENSORFORGE_BENCH_PYTHON ?? '/usr/bin/python3';
let version;

/** torch's version, or null when it is not installed. */
export function torchVersion() {
  if (version !== undefined) return version;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  version = r.status === 0 ? r.stdout.trim() : null;
  return version;
}

/**
 * Pause before the next variant's batch after a PyTorch batch (a variant's `settleMs`, see
 * runBatch). OpenBLAS's pthreads spin for 2^28 cycles (~0.1 s at 2.6 GHz) after a call before they
 * sleep; with the 30 ms gap they still shared the two vCPUs with the next 2-thread batch (the MLP's
 * threadPoolStats: the pool's worker ran 2-7% of its chunk time in the bench, 29-45% alone).
 * 150 ms was borderline: on 2026-12-07 the MLP worker's threads (2 threads) still took 100-120 ms of
 * CPU in the 100-150 ms after an epoch returned (per-thread times from /proc/<pid>/task, sampled
 * every 50 ms), at a clock this VM had slowed to.
 */
export const TORCH_SETTLE_MS = 400;

/** Starts a worker; `send(line)` resolves to its one-line answer. */
export function startWorker(script) {
  if (!torchVersion()) throw new Error(`PyTorch is not installed for ${PYTHON} (apt-get install python3-torch)`);
  // One BLAS thread pool and passive OpenMP waiting are NOT set: the baseline is PyTorch as installed.
  const child = spawn(PYTHON, [path.join(HERE, '..', 'pytorch', script)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    send: (line) => new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write(`${line}\n`);
    }),
    close: () => child.kill(),
  };
}

/** Writes a Float32Array to a temp file for the worker to read. */
export function tempFloats(name, data) {
  const file = path.join(os.tmpdir(), `tensorforge-bench-${process.pid}-${name}.bin`);
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return file;
}
