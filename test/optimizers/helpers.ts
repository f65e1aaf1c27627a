import { expect } from 'vitest';
import { type BackendName, type Tensor, backendInfo, setBackend, tensor } from '../../src';
import type { GradientPairs, Optimizer } from '../../src/optimizers';

/** The backends to run each case on: always js, plus native when the addon is built. */
export const BACKENDS: BackendName[] = backendInfo().nativeAvailable ? ['js', 'native'] : ['js'];

/** Runs `fn` with `backend` active, restoring the previous one. */
export function onBackend<T>(backend: BackendName, fn: () => T): T {
  const prev = backendInfo().backend;
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend(prev);
  }
}

/** A trainable parameter (contiguous float32 leaf, requiresGrad). */
export function param(values: number[] | Float32Array, shape?: number[]): Tensor {
  return tensor(values instanceof Float32Array ? values : values, shape ?? [values.length], { requiresGrad: true });
}

/** Asserts each value within `rtol` of the expected (relative, with an absolute floor of rtol). */
export function expectValues(actual: ArrayLike<number>, expected: readonly number[], rtol = 2e-6, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tol = rtol * Math.max(1, Math.abs(e));
    if (!(Math.abs(a - e) <= tol)) throw new Error(`${what}[${i}] is ${a}, expected ${e} (tolerance ${tol})`);
  }
}

/** Applies `grads` (one list per step) to a fresh copy of `start`, returning the value after each step. */
export function runSteps(opt: Optimizer, start: number[], grads: number[][]): number[][] {
  const p = param(start);
  return grads.map((g) => {
    opt.applyGradients([[p, tensor(g)]] as GradientPairs);
    return Array.from(p.dataSync());
  });
}
