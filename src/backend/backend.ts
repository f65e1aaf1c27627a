import { type NativeAddon, type ThreadPoolCounters, nativeAddon, nativeLoadError } from './binding';
import { argError, describe } from '../errors';

/** `native`: C++ SIMD kernels through Node-API. `js`: the pure-TypeScript reference kernels. */
export type BackendName = 'native' | 'js';

/** What is running the kernels, as reported by {@link backendInfo}. */
export interface BackendInfo {
  backend: BackendName;
  /** SIMD kernels in use: 'avx512', 'avx2', 'scalar', or 'none' on the js backend. */
  simd: string;
  /** Best SIMD level the CPU supports ('none' when the addon is not loaded). */
  hardwareSimd: string;
  /** Threads native kernels may use (1 on the js backend). */
  threads: number;
  /** Hash of the native sources the loaded binary was built from, or null without the addon. */
  buildHash: string | null;
  nativeAvailable: boolean;
  /** Why the addon could not be loaded, when it could not. */
  nativeError: string | null;
}

let current: BackendName = 'js';
let active: NativeAddon | null = null;
let warned = false;

function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(`tensorforge: native addon unavailable (${reason}); using the js backend`, {
    code: 'TENSORFORGE_NO_NATIVE',
  });
}

function init(): void {
  const wanted = process.env['TENSORFORGE_BACKEND'];
  if (wanted === 'js') return;
  if (wanted !== undefined && wanted !== '' && wanted !== 'native') {
    process.emitWarning(`tensorforge: TENSORFORGE_BACKEND=${wanted} is not 'native' or 'js'; ignoring it`);
  }
  const addon = nativeAddon();
  if (addon) {
    current = 'native';
    active = addon;
  } else {
    warnOnce(nativeLoadError()?.message.split('\n')[0] ?? 'unknown error');
  }
}
init();

/** The addon when the native backend is active, else null: the op layer's one switch. */
export function activeAddon(): NativeAddon | null {
  return active;
}

/** Chooses where kernels run. 'native' throws (saying why) when the addon could not be loaded. */
export function setBackend(name: BackendName): void {
  if (name === 'js') {
    current = 'js';
    active = null;
    return;
  }
  if (name !== 'native') argError('setBackend', 'name', "'native' or 'js'", describe(name));
  const addon = nativeAddon();
  if (!addon) throw new Error(`setBackend: the native addon could not be loaded: ${nativeLoadError()?.message}`);
  current = 'native';
  active = addon;
}

export function getBackend(): BackendName {
  return current;
}

/** Backend, SIMD level, thread count and build hash of the running configuration. */
export function backendInfo(): BackendInfo {
  const addon = nativeAddon();
  const info = addon?.info();
  return {
    backend: current,
    simd: current === 'native' && info ? info.simd : 'none',
    hardwareSimd: info?.hardwareSimd ?? 'none',
    threads: current === 'native' && info ? info.threads : 1,
    buildHash: info?.buildHash ?? null,
    nativeAvailable: addon !== null,
    nativeError: nativeLoadError()?.message ?? null,
  };
}

/** Sets the native thread pool size (also settable with TENSORFORGE_NUM_THREADS). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) argError('setNumThreads', 'n', 'a positive integer', describe(n));
  const addon = nativeAddon();
  // Resizing joins and restarts the workers; skip it when nothing changes.
  if (addon && addon.info().threads !== n) addon.setNumThreads(n);
}

export function getNumThreads(): number {
  return nativeAddon()?.info().threads ?? 1;
}

/**
 * Where the native thread pool's time went since the previous call: kernels run on the calling
 * thread alone, kernels split over the pool (their wall time, the chunk time of the caller and of
 * the workers) and splits that had to wake a parked worker. Counting starts with the first call
 * and goes on while `keepCounting` (a clock read per chunk); null without the native addon. Step
 * time minus serialNs and splitNs is time outside native kernels (JavaScript).
 */
export function threadPoolStats(keepCounting = true): ThreadPoolCounters | null {
  if (typeof keepCounting !== 'boolean') argError('threadPoolStats', 'keepCounting', 'a boolean', describe(keepCounting));
  return nativeAddon()?.poolStats(keepCounting) ?? null;
}

/**
 * Forces the native SIMD level ('scalar' | 'avx2' | 'avx512', clamped to the hardware) for tests
 * and benchmarks; returns the level in effect. TENSORFORGE_SIMD does the same at startup.
 */
export function setSimdLevel(level: 'scalar' | 'avx2' | 'avx512'): string {
  const addon = nativeAddon();
  if (!addon) throw new Error('setSimdLevel: the native addon is not loaded');
  if (level !== 'scalar' && level !== 'avx2' && level !== 'avx512') {
    argError('setSimdLevel', 'level', "'scalar', 'avx2' or 'avx512'", describe(level));
  }
  return addon.setSimdLevel(level);
}
