import { activeAddon } from '../backend/backend';
import { nativeAddon } from '../backend/native-addon';
import { referenceStep, referenceSumSquares } from './reference-update';

/** The update rules the fused kernel implements (AdamW is Adam with weight decay). */
export type UpdateKind = 'sgd' | 'adagrad' | 'rmsprop' | 'adam';

/**
 * Layout of the Float64Array passed with every update, shared by the native kernel
 * (native/binding/optimizer_ops.cpp) and the reference:
 * [paramOffset, gradOffset, n, lr, gradScale, clipValue, decay, h0, h1, h2, h3, h4], where
 *   sgd:     h0 = momentum, h1 = nesterov (0/1)
 *   adagrad: h0 = epsilon
 *   rmsprop: h0 = rho, h1 = 1 - rho, h2 = momentum, h3 = centered (0/1), h4 = epsilon
 *   adam:    h0 = 1 - beta1, h1 = 1 - beta2, h2 = epsilon, h3 = alpha (lr with bias corrections), h4 = amsgrad (0/1)
 * gradScale multiplies the gradient (norm clipping), clipValue > 0 clamps it afterwards, and
 * decay > 0 shrinks the parameter first (p -= p * decay, decay = lr * weightDecay).
 */
export const M = {
  paramOffset: 0,
  gradOffset: 1,
  size: 2,
  lr: 3,
  gradScale: 4,
  clipValue: 5,
  decay: 6,
  h0: 7,
  h1: 8,
  h2: 9,
  h3: 10,
  h4: 11,
} as const;
export const META_LENGTH = 12;

/** Slots a kernel call reads: [s0, s1, s2], null where the configuration uses none. */
export type Slots = readonly [Float32Array | null, Float32Array | null, Float32Array | null];

const kindNames: readonly UpdateKind[] = ['sgd', 'adagrad', 'rmsprop', 'adam'];
// Resolved by name once, from the addon even on the js backend so switching backends needs no
// re-resolution; -1 when the loaded binary predates the optimizer kernels.
const nativeCodes: readonly number[] = kindNames.map((k) => nativeAddon()?.optimizerKinds?.indexOf(k) ?? -1);

/**
 * Applies one update to `n` parameter elements in place: natively in one pass when the native
 * backend is active, else with the TypeScript reference (same formulas, float64 arithmetic).
 */
export function fusedStep(kind: UpdateKind, param: Float32Array, grad: Float32Array, slots: Slots, meta: Float64Array): void {
  const addon = activeAddon();
  const code = nativeCodes[kindNames.indexOf(kind)]!;
  if (addon && code >= 0) addon.optimizerStep(code, param, grad, slots[0], slots[1], slots[2], meta);
  else referenceStep(kind, param, grad, slots, meta);
}

const sumMeta = new Float64Array(2);

/** Sum of squares of `x[offset, offset + n)` in float64 (for clipping by norm). */
export function sumSquares(x: Float32Array, offset: number, n: number): number {
  const addon = activeAddon();
  if (addon && typeof addon.optimizerSumSquares === 'function') {
    sumMeta[0] = offset;
    sumMeta[1] = n;
    return addon.optimizerSumSquares(x, sumMeta);
  }
  return referenceSumSquares(x, offset, n);
}
