// The memory budget: the largest single buffer the library will allocate for one tensor, one
// decoded file or one probe batch. Every size computed from user input or a file goes through here
// before anything is allocated or looped over, so a shape like [2^28, 2^28] or a model.json
// declaring `units: 1e7` is a clear Error instead of an out-of-memory kill or an hour-long loop.
import * as os from 'node:os';

const GIB = 1024 ** 3;

/** The default: the smaller of 8 GiB and three quarters of the machine's memory. */
export function defaultMemoryBudget(): number {
  return Math.min(8 * GIB, Math.floor(os.totalmem() * 0.75));
}

function budgetFromEnv(): number | null {
  const raw = process.env['TENSORFORGE_MEMORY_BUDGET'];
  if (raw === undefined || raw.trim() === '') return null;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new Error(`TENSORFORGE_MEMORY_BUDGET: expected a positive integer number of bytes, got ${JSON.stringify(raw)}`);
  }
  return v;
}

let budget: number | null = null;

/** The budget in bytes now in effect (setMemoryBudget, else TENSORFORGE_MEMORY_BUDGET, else the default). */
export function getMemoryBudget(): number {
  if (budget === null) budget = budgetFromEnv() ?? defaultMemoryBudget();
  return budget;
}

/**
 * Sets the largest single allocation (bytes) the library may make for a tensor, a decoded file or
 * a batch; `null` restores the default (TENSORFORGE_MEMORY_BUDGET, else min(8 GiB, 3/4 of total
 * memory)). Sizes above it are refused with an Error before any allocation or loop. Returns the
 * budget in effect.
 */
export function setMemoryBudget(bytes: number | null): number {
  if (bytes === null) {
    budget = null;
    return getMemoryBudget();
  }
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`setMemoryBudget: argument 'bytes' expected a positive integer or null, got ${String(bytes)}`);
  }
  budget = bytes;
  return budget;
}

function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= GIB) return `${(n / GIB).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}

function shapeText(shape: readonly number[]): string {
  const shown = shape.length > 8 ? [...shape.slice(0, 8), '...'] : shape;
  return `[${shown.join(',')}]`;
}

/** Throws unless `bytes` (a computed size) is a finite non-negative number within the budget. */
export function checkBytes(fn: string, what: string, bytes: number): void {
  const limit = getMemoryBudget();
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`${fn}: ${what} has an invalid size (${bytes} bytes)`);
  if (bytes > limit) {
    throw new Error(
      `${fn}: ${what} needs ${formatBytes(bytes)}, over the memory budget of ${formatBytes(limit)} ` +
        `(raise it with setMemoryBudget(bytes) or TENSORFORGE_MEMORY_BUDGET)`,
    );
  }
}

/**
 * The element count of `shape`, checked: every dimension a non-negative safe integer and the
 * product (times `bytesPerElement`) within the budget. Overflow-safe: the product is checked
 * against the budget as it grows, so it never leaves the exact integer range.
 */
export function checkedElements(fn: string, what: string, shape: readonly number[], bytesPerElement = 4): number {
  const limit = getMemoryBudget();
  let n = 1;
  let zero = false;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${fn}: ${what} has shape ${shapeText(shape)}; expected non-negative integer dimensions`);
    }
    if (d === 0) zero = true;
  }
  if (zero) return 0;
  for (const d of shape) {
    n *= d;
    if (n * bytesPerElement > limit) {
      let full = 1;
      for (const e of shape) full *= e;
      checkBytes(fn, `${what} of shape ${shapeText(shape)} (${full.toExponential(3)} elements)`, full * bytesPerElement);
    }
  }
  return n;
}

/** Throws unless `count` elements of `bytesPerElement` bytes fit the budget. */
export function checkCount(fn: string, what: string, count: number, bytesPerElement = 4): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new Error(`${fn}: ${what} has an invalid element count ${String(count)}`);
  }
  // The message only when it throws: building it formatted a number on every allocation.
  const bytes = count * bytesPerElement;
  if (!(bytes <= getMemoryBudget())) checkBytes(fn, `${what} (${count} elements)`, bytes);
  return count;
}

/**
 * Work bound for loops whose cost grows faster than their output (e.g. the orthogonal
 * initializer's Gram-Schmidt, O(rows * cols^2)): refuses more than 2^35 inner steps (tens of
 * seconds in JS) before starting, instead of blocking the event loop for hours.
 */
export const MAX_LOOP_STEPS = 2 ** 35;
export function checkWork(fn: string, what: string, steps: number, hint: string): void {
  if (!(steps <= MAX_LOOP_STEPS)) {
    throw new Error(`${fn}: ${what} needs ~${steps.toExponential(2)} steps, over the limit of 2^35; ${hint}`);
  }
}
