// The timed unit of the training cases: one fit() epoch over the case's samples, plus a first-batch
// loss for the cross-check. Shared by tensorforge (native and js backends) and tfjs variants.

import { loadTensorforge } from './tensorforge.mjs';

/**
 * One more call of `run` with tensorforge's thread-pool counters on: its wall time and where the
 * pool's time went (see threadPoolStats), or null when the library has no counters.
 */
export async function poolStatsOf(t, run) {
  if (typeof t.threadPoolStats !== 'function') return null;
  t.threadPoolStats(true);
  const start = process.hrtime.bigint();
  await run();
  const wallNs = Number(process.hrtime.bigint() - start);
  const s = t.threadPoolStats(false);
  return s && { wallNs, ...s };
}

/** A tensorforge model already compiled, with its data; `enter` selects backend and threads. */
export function tensorforgeFitVariant(enter, model, x, y, batchSize) {
  const t = loadTensorforge();
  const run = () => model.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
  return {
    enter,
    async: true,
    run,
    threadStats: () => poolStatsOf(t, run),
    once: async () => {
      const r = await model.evaluate(x.slice([0], [batchSize]), y.slice([0], [batchSize]), { batchSize });
      return Float32Array.of(r.loss);
    },
  };
}

/** A tfjs LayersModel already compiled, with its data. */
export function tfjsFitVariant(model, x, y, batchSize) {
  return {
    async: true,
    run: () => model.fit(x, y, { epochs: 1, batchSize, verbose: 0 }),
    once: async () => {
      const r = model.evaluate(x.slice([0], [batchSize]), y.slice([0], [batchSize]));
      const loss = Array.isArray(r) ? r[0] : r;
      return Float32Array.from(await loss.data());
    },
  };
}
