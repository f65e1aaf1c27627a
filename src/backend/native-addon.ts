import * as fs from 'node:fs';
import * as path from 'node:path';

type F32 = Float32Array;
type I32 = Int32Array;

/** What the compiled addon exports (see native/binding). Offsets and strides are in elements. */
export interface NativeAddon {
  info(): { simd: string; hardwareSimd: string; threads: number; buildHash: string; napiVersion: number };
  setNumThreads(n: number): number;
  setSimdLevel(level: string): string;
  /** Address of the buffer's first byte mod 64 (Storage aligns pooled views with it); absent in older builds. */
  addressMod64?(buf: ArrayBuffer): number;
  unaryOps: string[];
  binaryOps: string[];
  reduceOps: string[];
  argReduceOps: string[];
  unary(code: number, x: F32, y: F32, meta: Float64Array /* xOff, yOff, n, p0, p1 */): void;
  binary(code: number, a: F32, b: F32, out: F32, meta: Float64Array): void;
  where(cond: F32, a: F32, b: F32, out: F32, meta: Float64Array): void;
  stridedCopy(src: F32 | I32, dst: F32 | I32, meta: Float64Array): void;
  fill(y: F32, meta: Float64Array /* off, n, value */): void;
  reduce(code: number, x: F32, out: F32, meta: Float64Array /* xOff, outer, len, inner */): void;
  argReduce(code: number, x: F32, out: I32, meta: Float64Array /* xOff, outer, len, inner */): void;
  softmax(x: F32, y: F32, meta: Float64Array /* xOff, outer, len, inner, log */): void;
  gather(x: F32 | I32, idx: I32, out: F32 | I32, meta: Float64Array /* xOff, outer, len, inner, idxOff, nidx */): void;
  scatterAdd(g: F32, idx: I32, out: F32, meta: Float64Array /* outer, len, inner, idxOff, nidx */): void;
  oneHot(idx: I32, out: F32, meta: Float64Array /* idxOff, n, depth, on, off */): void;
  gemm(a: F32, b: F32, c: F32, meta: Float64Array, bias: F32 | null): void;
  gemmAsync(a: F32, b: F32, c: F32, meta: Float64Array, bias: F32 | null): Promise<void>;
  /** Optimizer kinds in code order ('sgd', 'adagrad', 'rmsprop', 'adam'). */
  optimizerKinds: string[];
  /** One fused update of a parameter and its state slots; meta layout in src/optimizers/fused-update.ts. */
  optimizerStep(kind: number, param: F32, grad: F32, s0: F32 | null, s1: F32 | null, s2: F32 | null, meta: Float64Array): void;
  optimizerStepAsync(kind: number, param: F32, grad: F32, s0: F32 | null, s1: F32 | null, s2: F32 | null, meta: Float64Array): Promise<void>;
  optimizerSumSquares(x: F32, meta: Float64Array /* off, n */): number;
}

const packageRoot = path.resolve(__dirname, '..', '..');

/**
 * Finds the binary: a prebuild for this platform first (what ships), then the local cmake-js
 * build through node-gyp-build. TENSORFORGE_ADDON names a file explicitly (tests, debugging).
 */
export function resolveAddonPath(root = packageRoot): string {
  const explicit = process.env['TENSORFORGE_ADDON'];
  if (explicit) return path.resolve(explicit);
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(dir)) {
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    if (file) return path.join(dir, file);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  return nodeGypBuild.path(root);
}

let loaded: NativeAddon | null | undefined;
let loadError: Error | null = null;

/** The addon, or null when it cannot load (the library then runs on the js backend). */
export function nativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(resolveAddonPath()) as NativeAddon;
  } catch (err) {
    loaded = null;
    loadError = err instanceof Error ? err : new Error(String(err));
  }
  return loaded;
}

export function nativeLoadError(): Error | null {
  nativeAddon();
  return loadError;
}
