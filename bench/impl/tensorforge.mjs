// tensorforge under test, loaded from the freshly built dist/ (npm run bench runs build:ts first),
// so the bench always measures the working tree rather than an installed copy.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let tfg;
let baseline = null;
let useBaseline = false;

/** The library a variant is built with: the working tree's, or the baseline's while one is built. */
export function loadTensorforge() {
  if (useBaseline) return baseline;
  tfg ??= require('../../dist/index.js');
  return tfg;
}

/**
 * Loads another checkout of tensorforge (its built dist/ and the addon it resolves itself, e.g.
 * its own prebuild) to be measured side by side with the working tree (`--baseline DIR`).
 */
export function loadBaseline(dir) {
  baseline = require(path.resolve(dir, 'dist', 'index.js'));
  return baseline;
}

/**
 * Runs a variant factory with the baseline library: case factories capture the library when they
 * build a variant, so the baseline variant is the native one built against the other checkout.
 */
export async function withBaseline(factory) {
  useBaseline = true;
  try {
    return await factory();
  } finally {
    useBaseline = false;
  }
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
