// tfjs's memory-management calls. Tensors here are freed by the garbage collector and by scopes
// (tidy), so these keep tfjs code running unchanged: tidy still disposes the intermediates it
// owns, keep() exempts a tensor from every enclosing tidy, dispose() frees at once.
import { Tensor } from '../tensor/tensor';
import { scoped, tensorsIn } from '../tensor/scope';
import { getBackend as backendName } from '../backend/backend';

const keepStack: Tensor[][] = [];

/**
 * tfjs `tidy(fn)` / `tidy(name, fn)`: runs `fn` and disposes the tensors it created, except those
 * it returns and those passed to {@link keep}.
 */
export function tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T {
  const f = typeof nameOrFn === 'function' ? nameOrFn : fn;
  if (typeof f !== 'function') throw new Error(`tidy: argument 'fn' expected a function, got ${typeof f}`);
  const kept: Tensor[] = [];
  keepStack.push(kept);
  try {
    return scoped(f, (r) => [...tensorsIn(r, Tensor), ...kept]);
  } finally {
    keepStack.pop();
  }
}

/** tfjs `keep(t)`: the tensor survives every enclosing tidy. */
export function keep<T extends Tensor>(t: T): T {
  for (const k of keepStack) k.push(t);
  return t;
}

/** tfjs `dispose(x)`: frees every tensor in a tensor, array or plain object now. */
export function dispose(container: unknown): void {
  for (const t of tensorsIn(container, Tensor)) t.dispose();
}

/** What tfjs's `memory()` returns; tensorforge does not count live tensors, so the counts are 0 and flagged unreliable. */
export interface MemoryInfo {
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  unreliable: boolean;
  reasons: string[];
}

/** tfjs `memory()`: see {@link MemoryInfo}. */
export function memory(): MemoryInfo {
  return {
    numTensors: 0,
    numDataBuffers: 0,
    numBytes: 0,
    unreliable: true,
    reasons: ['tensorforge frees tensors through garbage collection and tidy scopes and does not count live tensors'],
  };
}

/** tfjs `engine()`: the parts scripts touch (scopes and memory). */
export function engine(): { startScope(): void; endScope(): void; memory(): MemoryInfo; backendName: string } {
  return { startScope: () => undefined, endScope: () => undefined, memory, backendName: backendName() };
}

/** tfjs `ready()`: the native backend is ready once loaded. */
export async function ready(): Promise<void> {}

/** tfjs `nextFrame()`: yields to the event loop. */
export function nextFrame(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** tfjs `enableProdMode()` / `enableDebugMode()`: no modes here. */
export function enableProdMode(): void {}
export function enableDebugMode(): void {}
