import type { Tensor } from './tensor';

// Tensors created while a scope is open, so that work which owns all its intermediates
// (valueAndGrad, backward, tidy) can hand their buffers back to the pool the moment it ends instead
// of waiting for the collector, whose finalizers only run once the event loop turns.
let current: Tensor[] | null = null;

/** @internal */
export function track(t: Tensor): void {
  if (current) current.push(t);
}

/**
 * Runs `fn`, then disposes every tensor it created except those `keep` picks from its result
 * (they, and views sharing their memory, stay valid and move to any enclosing scope, or to none
 * when `escape`: leaf gradients belong to their leaf, not to whatever scope ran backward()).
 * @internal
 */
export function scoped<T>(fn: () => T, keep: (result: T) => readonly Tensor[], escape = false): T {
  const parent = current;
  const mine: Tensor[] = [];
  current = mine;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    current = parent;
    for (const t of mine) t.dispose();
    throw err;
  }
  current = parent;
  const keepList = keep(result);
  // Most scopes keep one or two tensors (an op's result, an inference step's outputs): a Set per
  // scope cost more than looking through so short a list.
  const kept = keepList.length > 8 ? new Set(keepList) : null;
  for (const t of mine) {
    if (kept ? kept.has(t) : keepList.includes(t)) {
      if (!escape) parent?.push(t);
    }
    else t.dispose();
  }
  return result;
}

function collect(value: unknown, out: Tensor[], TensorClass: new (...args: never[]) => Tensor): void {
  if (value instanceof TensorClass) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, TensorClass);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, TensorClass);
  }
}

/** @internal tensors inside a result made of tensors, arrays and plain objects */
export function tensorsIn(value: unknown, TensorClass: new (...args: never[]) => Tensor): Tensor[] {
  const out: Tensor[] = [];
  collect(value, out, TensorClass);
  return out;
}

/**
 * Makes `into` the scope new tensors are collected in and returns the one it replaces, for
 * {@link closeScope}: a scope without scoped()'s closure and arrays, for callers that run many short
 * scopes and settle each one's tensors themselves (an inference plan's steps).
 * @internal
 */
export function openScope(into: Tensor[]): Tensor[] | null {
  const parent = current;
  current = into;
  return parent;
}

/** Restores the scope {@link openScope} replaced. @internal */
export function closeScope(parent: Tensor[] | null): void {
  current = parent;
}

/**
 * Runs `fn` outside every scope: tensors it creates belong to no tidy/valueAndGrad (layer weights
 * built lazily inside a training step must outlive it).
 */
export function untracked<T>(fn: () => T): T {
  const saved = current;
  current = null;
  try {
    return fn();
  } finally {
    current = saved;
  }
}
