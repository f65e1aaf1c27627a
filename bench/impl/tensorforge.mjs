// tensorforge under test, loaded from the freshly built dist/ (npm run bench runs build:ts first),
// so the bench always measures the working tree rather than an installed copy.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tfg;

export function loadTensorforge() {
  tfg ??= require('../../dist/index.js');
  return tfg;
}

/** Why the native backend cannot be benchmarked, or null when it can. */
export function nativeUnavailable() {
  const info = loadTensorforge().backendInfo();
  return info.nativeAvailable ? null : `native addon not loaded: ${info.nativeError}`;
}

/**
 * Backend and thread count are process-global in tensorforge, so every batch re-enters its own
 * configuration (the timing loop calls enter() before each batch).
 */
export function enterNative(threads) {
  const t = loadTensorforge();
  return () => {
    t.setBackend('native');
    t.setNumThreads(threads);
  };
}

export function enterJs() {
  const t = loadTensorforge();
  return () => t.setBackend('js');
}

export function info() {
  const t = loadTensorforge();
  const prev = t.getBackend();
  if (t.backendInfo().nativeAvailable) t.setBackend('native');
  const i = t.backendInfo();
  t.setBackend(prev);
  return i;
}
