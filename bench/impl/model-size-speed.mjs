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
