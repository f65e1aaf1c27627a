import { expect } from 'vitest';
import type { Tensor } from '../../src';

/**
 * Asserts two tensors have the same shape and dtype and values within `rtol` relative, with an
 * absolute floor of `atol * max(1, max |expected|)` for results that cancel to near zero.
 * NaN must match NaN and infinities must match exactly.
 */
export function expectClose(actual: Tensor, expected: Tensor, rtol = 1e-5, atol = 1e-6, what = ''): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what} dtype`).toBe(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let scale = 1;
  for (let i = 0; i < e.length; i++) if (Number.isFinite(e[i]!)) scale = Math.max(scale, Math.abs(e[i]!));
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) || !Number.isFinite(y)) {
      if (!Object.is(x, y) && !(Number.isNaN(x) && Number.isNaN(y))) {
        throw new Error(`${what}: element ${i} is ${x}, expected ${y}`);
      }
      continue;
    }
    const tol = rtol * Math.abs(y) + atol * scale;
    if (!(Math.abs(x - y) <= tol)) {
      throw new Error(`${what}: element ${i} is ${x}, expected ${y} (|diff| ${Math.abs(x - y)} > ${tol})`);
    }
  }
}
