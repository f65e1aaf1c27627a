// The activations a convolution or GEMM can apply in its epilogue, while its output is still in
// cache. Graph compilers (the ONNX importer) ask here whether an activation that follows a
// convolution or a matrix product can be folded into it, by the unary op's name and parameters,
// so adding an epilogue to the kernels makes every caller use it without further edits.
//
// The epilogue runs the unary op's own native kernel on each output tile, so a fused and an
// unfused graph compute the same values; the backward rules below are written with ops.
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { greater, less, mul, sub } from './binary';
import { where } from './where';
import { unaryEntries } from './unary-table';

/**
 * An activation applied in a convolution's or GEMM's epilogue: `'linear'` (none), a parameterless
 * op by name, or a descriptor carrying the op's parameters. Each is the unary op of the same name
 * in src/ops/unary.ts (relu6 is `{ name: 'clip', min: 0, max: 6 }`).
 */
export type FusedActivation =
  | 'linear'
  | 'relu'
  | 'sigmoid'
  | 'silu'
  | 'hardSwish'
  | 'gelu'
  | { readonly name: 'clip'; readonly min: number; readonly max: number }
  | { readonly name: 'leakyRelu'; readonly alpha: number }
  | { readonly name: 'hardSigmoid'; readonly alpha: number; readonly beta: number };

/** A checked FusedActivation as the kernels take it: the unary op's name (null: none) and its p0, p1. */
export interface ResolvedActivation {
  readonly name: 'relu' | 'sigmoid' | 'silu' | 'hardSwish' | 'gelu' | 'clip' | 'leakyRelu' | 'hardSigmoid' | null;
  readonly p0: number;
  readonly p1: number;
}

export const NO_ACTIVATION: ResolvedActivation = { name: null, p0: 0, p1: 0 };

const SIMPLE = new Set(['relu', 'sigmoid', 'silu', 'hardSwish', 'gelu']);
const EXPECTED = "'linear', 'relu', 'sigmoid', 'silu', 'hardSwish', 'gelu', { name: 'clip', min, max }, { name: 'leakyRelu', alpha } or { name: 'hardSigmoid', alpha, beta }";

function num(v: unknown, allowInfinite: boolean): v is number {
  return typeof v === 'number' && !Number.isNaN(v) && (allowInfinite || Number.isFinite(v));
}

/** Checks an `activation` argument of `fn` and returns it in kernel terms. */
export function resolveFusedActivation(fn: string, a: unknown): ResolvedActivation {
  if (a === undefined || a === null || a === 'linear') return NO_ACTIVATION;
  if (typeof a === 'string' && SIMPLE.has(a)) return { name: a as ResolvedActivation['name'], p0: 0, p1: 0 };
  if (typeof a === 'object' && !Array.isArray(a)) {
    const d = a as Record<string, unknown>;
    if (d['name'] === 'clip' && num(d['min'], true) && num(d['max'], true) && d['min'] <= d['max']) {
      return { name: 'clip', p0: d['min'], p1: d['max'] };
    }
    if (d['name'] === 'leakyRelu' && num(d['alpha'], false)) return { name: 'leakyRelu', p0: d['alpha'], p1: 0 };
    if (d['name'] === 'hardSigmoid' && num(d['alpha'], false) && num(d['beta'], false)) {
      return { name: 'hardSigmoid', p0: d['alpha'], p1: d['beta'] };
    }
  }
  return argError(fn, 'activation', `${EXPECTED} (clip needs min <= max)`, describe(a));
}

/**
 * Whether the activation's derivative can be read off its output y, so the forward need not keep
 * its input: true for relu, clip, sigmoid, hardSigmoid and leakyRelu with alpha >= 0.
 */
export function gradFromOutput(a: ResolvedActivation): boolean {
  switch (a.name) {
    case null:
    case 'relu':
    case 'clip':
    case 'sigmoid':
    case 'hardSigmoid':
      return true;
    case 'leakyRelu':
      return a.p0 >= 0;
    default:
      return false;
  }
}

/** gy * act'(z) from the output y = act(z) (only for gradFromOutput activations; relu is the caller's). */
export function activationGradFromOutput(a: ResolvedActivation, gy: Tensor, y: Tensor): Tensor {
  switch (a.name) {
    case null:
      return gy;
    case 'clip':
      // Inside (min, max) the slope is 1; a value at a bound is taken as clipped.
      return mul(gy, mul(greater(y, a.p0), less(y, a.p1)));
    case 'sigmoid':
      return mul(gy, mul(y, sub(1, y)));
    case 'hardSigmoid':
      return mul(gy, mul(mul(greater(y, 0), less(y, 1)), a.p0));
    case 'leakyRelu':
      return mul(gy, where(greater(y, 0), 1, a.p0));
    case 'relu':
      return mul(gy, greater(y, 0));
    default:
      throw new Error(`activation ${a.name} needs its input for the gradient`);
  }
}

/** The activation as its standalone unary op (recorded, differentiable). */
export function applyActivation(a: ResolvedActivation, z: Tensor): Tensor {
  if (a.name === null) return z;
  const entry = unaryEntries().find((e) => e.name === a.name);
  if (!entry) throw new Error(`unary op '${a.name}' is not defined`);
  return entry.apply(z, a.p0, a.p1);
}

/**
 * The epilogue for the unary op `name` (a name of src/ops/unary.ts's table, with its p0 and p1;
 * missing parameters take the op's defaults), or null when the kernels cannot apply it in their
 * epilogue.
 */
export function toFusedActivation(name: string, p0?: number, p1?: number): FusedActivation | null {
  switch (name) {
    case 'relu':
    case 'sigmoid':
    case 'silu':
    case 'hardSwish':
    case 'gelu':
      return name;
    case 'clip': {
      const min = p0 ?? -Infinity;
      const max = p1 ?? Infinity;
      return Number.isNaN(min) || Number.isNaN(max) || min > max ? null : { name: 'clip', min, max };
    }
    case 'leakyRelu': {
      const alpha = p0 ?? 0.2;
      return Number.isFinite(alpha) ? { name: 'leakyRelu', alpha } : null;
    }
    case 'hardSigmoid': {
      const alpha = p0 ?? 0.2;
      const beta = p1 ?? 0.5;
      return Number.isFinite(alpha) && Number.isFinite(beta) ? { name: 'hardSigmoid', alpha, beta } : null;
    }
    default:
      return null;
  }
}
