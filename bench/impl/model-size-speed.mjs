// Measurements shared by the model-compression cases (pruning, quantization): the saved file's
// size and interleaved predict timings of several models on the same input.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bytes of the weights file `model.save` writes. */
export async function savedBytes(model) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-bench-saved-'));
  try {
    await model.save(dir);
    return fs.statSync(path.join(dir, 'model.safetensors')).size;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * ms per predictOnBatch of each model, interleaved round by round so all see the same machine
 * phases: { median, best } over the rounds (best is the least disturbed by other processes).
 */
export function interleavedMs(models, x, rounds = 151, reps = 5) {
  const times = models.map(() => []);
  models.forEach((m) => m.predictOnBatch(x).dispose());
  for (let r = 0; r < rounds; r++) {
    models.forEach((m, i) => {
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) m.predictOnBatch(x).dispose();
      times[i].push((performance.now() - t0) / reps);
    });
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { median: t[Math.floor(t.length / 2)], best: t[0] };
  });
}

/**
 * CPU ms (process.cpuUsage, user + system) per predictOnBatch of each model, interleaved round by
 * round: on a machine shared with other work, CPU time is charged only while this process runs, so
 * the ratio holds better than wall time (at 1 thread, where the process's CPU time is the work).
 * Returns { median, best } per model and the median of the per-round ratios of model 0 to model 1.
 */
export function interleavedCpuMs(models, x, rounds = 41, reps = 20) {
  const times = models.map(() => []);
  const ratios = [];
  models.forEach((m) => m.predictOnBatch(x).dispose());
  for (let r = 0; r < rounds; r++) {
    const row = models.map((m, i) => {
      const c0 = process.cpuUsage();
      for (let k = 0; k < reps; k++) m.predictOnBatch(x).dispose();
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000 / reps;
      times[i].push(ms);
      return ms;
    });
    ratios.push(row[0] / row[1]);
  }
  ratios.sort((a, b) => a - b);
  return {
    models: times.map((t) => {
      t.sort((a, b) => a - b);
      return { median: t[Math.floor(t.length / 2)], best: t[0] };
    }),
    medianRatio: ratios[Math.floor(ratios.length / 2)],
  };
}
