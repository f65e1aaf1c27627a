// onnxruntime-node (CPU execution provider) as the reference for native speed. Thread counts are
// fixed per session, so each thread count gets its own session over the same model bytes.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let ort;

export function loadOrt() {
  ort ??= require('onnxruntime-node');
  return ort;
}

export function ortVersion() {
  try {
    return loadOrt().env.versions?.node ?? require('onnxruntime-node/package.json').version;
  } catch {
    return null;
  }
}

/**
 * Session settings: intra-op threads = the measured thread count, one inter-op thread and
 * sequential execution (single-node graphs have no parallel branches), all graph optimizations
 * (nothing to fold, since every operand is a graph input). Spinning is left at ORT's default,
 * as a user would run it; the timing loop pauses between batches so spinning workers go idle.
 * `extra` adds session options (the profiler's, for bench --profile).
 */
export async function createSession(modelBytes, threads, extra = {}) {
  const { InferenceSession } = loadOrt();
  return InferenceSession.create(modelBytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...extra,
  });
}

export function ortTensor(data, dims, dtype = 'float32') {
  return new (loadOrt().Tensor)(dtype, data, dims);
}

/**
 * A runner for one session. The output is pre-allocated and passed as a fetch, so ORT writes into
 * it rather than allocating and copying a new JS buffer per run; tensorforge likewise reuses
 * pooled output buffers, so neither side pays an allocation the other avoids.
 */
export function sessionRunner(session, feeds, outputName, outputDims) {
  const outSize = outputDims.reduce((a, b) => a * b, 1);
  const out = ortTensor(new Float32Array(outSize), outputDims);
  const fetches = { [outputName]: out };
  return {
    async: true,
    run: () => session.run(feeds, fetches),
    once: async () => {
      await session.run(feeds, fetches);
      return Float32Array.from(out.data);
    },
    dispose: () => session.release?.(),
  };
}
