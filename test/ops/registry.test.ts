// Registry-driven: every registered op, every check it declares, on every memory layout:
// native == reference (at each SIMD level the CPU has), NaN passes through alike on both backends,
// and the backward rule matches central finite differences on the reference backend.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import type { OpCheck, OpInfo } from '../../src/ops/registry';
import { unaryEntries } from '../../src/ops/unary-table';
import { Generator } from '../../src/random/generator';
import { expectClose } from '../helpers/compare';
import { type Layout, makeInput } from '../helpers/random-inputs';

const info = tf.backendInfo();
const levels = (['scalar', 'avx2', 'avx512'] as const).filter((l) =>
  ['scalar', 'avx2', 'avx512'].indexOf(l) <= ['scalar', 'avx2', 'avx512'].indexOf(info.hardwareSimd));

const FOUNDATION_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'neg', 'exp', 'log', 'sqrt', 'abs', 'maximum', 'minimum',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual', 'where', 'clip', 'relu', 'leakyRelu',
  'sigmoid', 'tanh', 'elu', 'gelu', 'softplus', 'sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'softmax',
  'logSoftmax', 'matmul', 'reshape', 'transpose', 'slice', 'concat', 'stack', 'gather', 'pad', 'broadcastTo', 'oneHot'];

function seedFor(op: string, label: string): number {
  let h = 2166136261;
  for (const c of `${op}/${label}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function inputsFor(op: OpInfo, check: OpCheck, label: string, layout: Layout): Tensor[] {
  const g = new Generator(seedFor(op.name, label));
  return check.shapes.map((shape, i) =>
    makeInput(g, shape, check.dtypes?.[i] ?? 'float32', check.domain ?? 'any', check.intRange ?? [0, 3], layout));
}

function withBackend<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

/** sum(f(xs) * w) in float64, so the finite differences see no float32 rounding of the sum. */
function weightedLoss(check: OpCheck, xs: Tensor[], w: Float64Array): number {
  const out = tf.noGrad(() => check.run(...xs)).dataSync();
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
  return s;
}

function gradCheck(op: OpInfo, check: OpCheck, label: string): void {
  withBackend('js', () => {
    const inputs = inputsFor(op, check, label, 'contiguous');
    const out = tf.noGrad(() => check.run(...inputs));
    const g = new Generator(seedFor(op.name, `${label}/w`));
    const w = Float64Array.from({ length: out.size }, () => g.uniform() * 2 - 1);
    const wT = tf.tensor(Array.from(w), out.shape.slice());
    const floatIdx = inputs.map((t, i) => (t.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
    const analytic = tf.grads((...fl: Tensor[]) => {
      const xs = inputs.slice();
      floatIdx.forEach((k, j) => (xs[k] = fl[j]!));
      return tf.sum(tf.mul(check.run(...xs), wT));
    })(floatIdx.map((k) => inputs[k]!));
    floatIdx.forEach((k, j) => {
      const base = Array.from(inputs[k]!.dataSync());
      const ga = analytic[j]!.dataSync();
      expect(analytic[j]!.shape).toEqual(inputs[k]!.shape);
      const eps = 1e-3;
      for (let e = 0; e < base.length; e++) {
        const at = (delta: number): number => {
          const v = base.slice();
          v[e] = v[e]! + delta;
          const xs = inputs.slice();
          xs[k] = tf.tensor(v, inputs[k]!.shape.slice());
          return weightedLoss(check, xs, w);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const tol = 1e-2 * Math.max(Math.abs(numeric), Math.abs(ga[e]!)) + 2e-3;
        if (!(Math.abs(numeric - ga[e]!) <= tol)) {
          throw new Error(`${op.name} ${label}: d/d input ${k} [${e}] analytic ${ga[e]} vs numeric ${numeric}`);
        }
      }
    });
  });
}

describe('op registry', () => {
  it('registers every foundation op, each with checks', () => {
    const names = tf.listOps().map((o) => o.name);
    for (const n of FOUNDATION_OPS) expect(names, n).toContain(n);
    for (const op of tf.listOps()) expect(op.checks.length, op.name).toBeGreaterThan(0);
  });

  it('has the native addon loaded unless the js backend was asked for', () => {
    if (process.env['TENSORFORGE_BACKEND'] !== 'js') {
      expect(info.nativeError).toBeNull();
      expect(info.backend).toBe('native');
    }
  });

  it.runIf(info.nativeAvailable)('has a native kernel for every non-view op of the foundation issue', () => {
    for (const op of tf.listOps()) {
      if (FOUNDATION_OPS.includes(op.name) && op.kind === 'kernel') expect(op.native, op.name).toBe(true);
    }
  });

  it.runIf(info.nativeAvailable)('has a native kernel for every unary op (the addon publishes each by name)', () => {
    const unary = unaryEntries().map((e) => e.name);
    expect(unary).toEqual(expect.arrayContaining(['hardSwish', 'mish', 'softsign', 'hardSigmoid', 'selu', 'silu']));
    for (const name of unary) expect(tf.listOps().find((o) => o.name === name)?.native, name).toBe(true);
  });
});

for (const op of tf.listOps()) {
  describe(op.name, () => {
    op.checks.forEach((check, ci) => {
      const label = check.label ?? `check ${ci}`;
      for (const layout of ['contiguous', 'transposed', 'offset'] as const) {
        it.runIf(info.nativeAvailable)(`${label} (${layout}): native == reference`, () => {
          const inputs = inputsFor(op, check, label, layout);
          const ref = withBackend('js', () => check.run(...inputs));
          for (const level of levels) {
            tf.setSimdLevel(level);
            const nat = withBackend('native', () => check.run(...inputs));
            expectClose(nat, ref, 1e-5, 1e-6, `${op.name} ${label} ${layout} ${level}`);
          }
          tf.setSimdLevel(info.hardwareSimd as 'avx512');
        });
      }
      it.runIf(info.nativeAvailable)(`${label}: NaN passes through alike on both backends`, () => {
        const inputs = inputsFor(op, check, label, 'contiguous').map((t) => {
          if (t.dtype !== 'float32' || t.size === 0) return t;
          const v = Array.from(t.dataSync());
          v[0] = NaN;
          if (v.length > 3) v[v.length - 2] = NaN;
          return tf.tensor(v, t.shape.slice());
        });
        const ref = withBackend('js', () => check.run(...inputs));
        const nat = withBackend('native', () => check.run(...inputs));
        expectClose(nat, ref, 1e-5, 1e-6, `${op.name} ${label} NaN`);
      });
      if (op.differentiable && check.grad !== false) {
        it(`${label}: backward == finite differences`, () => gradCheck(op, check, label));
      }
    });
  });
}
