// Gradient clipping (Keras clipvalue / clipnorm / global_clipnorm) on both backends, with SGD at
// learning rate 1 so the parameter change is exactly minus the clipped gradient.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as opt from '../../src/optimizers';
import { BACKENDS, expectValues, onBackend, param } from './helpers';

describe.each(BACKENDS)('gradient clipping on the %s backend', (backend) => {
  const step = (o: opt.Optimizer, grads: number[][]): number[][] =>
    onBackend(backend, () => {
      const ps = grads.map((g) => param(new Array<number>(g.length).fill(0)));
      o.applyGradients(ps.map((p, i) => [p, tensor(grads[i]!)] as const));
      return ps.map((p) => Array.from(p.dataSync()));
    });

  it('clipValue clamps each element', () => {
    const [p] = step(opt.sgd({ learningRate: 1, clipValue: 0.6 }), [[0.5, -1, 2, -0.25]]);
    expectValues(p!, [-0.5, 0.6, -0.6, 0.25]);
  });

  it('clipNorm rescales each gradient to at most that L2 norm, separately', () => {
    // |[3, 4]| = 5 -> scaled by 1/5; |[0.3, 0.4]| = 0.5 is under the limit and unchanged.
    const [a, b] = step(opt.sgd({ learningRate: 1, clipNorm: 1 }), [[3, 4], [0.3, 0.4]]);
    expectValues(a!, [-0.6, -0.8]);
    expectValues(b!, [-0.3, -0.4]);
  });

  it('globalClipNorm rescales all gradients by one factor', () => {
    // Joint norm sqrt(9 + 16 + 144) = 13 -> every gradient times 5 / 13.
    const [a, b] = step(opt.sgd({ learningRate: 1, globalClipNorm: 5 }), [[3, 4], [0, 12]]);
    expectValues(a!, [-15 / 13, -20 / 13]);
    expectValues(b!, [0, -60 / 13]);
    // Under the limit nothing changes.
    const [c] = step(opt.sgd({ learningRate: 1, globalClipNorm: 100 }), [[3, 4]]);
    expectValues(c!, [-3, -4]);
  });

  it('clipping happens before the update rule (Adam sees the clipped gradient)', () => {
    // With clipValue 0.1 every coordinate of g = [5, -5] becomes +-0.1, and Adam's first step is ~lr * sign.
    const [p] = step(opt.adam({ learningRate: 0.1, clipValue: 0.1 }), [[5, -5]]);
    expectValues(p!, [-0.1, 0.1], 1e-5);
  });

  it('propagates NaN like Keras: a NaN gradient poisons the update instead of being clipped away', () => {
    const [a] = step(opt.sgd({ learningRate: 1, clipValue: 1 }), [[NaN, 2]]);
    expect(Number.isNaN(a![0]!)).toBe(true);
    expect(a![1]).toBe(-1);
    const [b, c] = step(opt.sgd({ learningRate: 1, globalClipNorm: 1 }), [[Infinity, 0], [1, 1]]);
    expect(b!.every(Number.isNaN) && c!.every(Number.isNaN)).toBe(true);
  });

  it('allows only one kind of clipping', () => {
    expect(() => opt.sgd({ clipNorm: 1, clipValue: 1 })).toThrow(/at most one of clipNorm, globalClipNorm and clipValue.*clipNorm and clipValue/);
    expect(() => opt.adam({ clipNorm: 0 })).toThrow(/adam: argument 'clipNorm' expected a finite number > 0, got 0/);
  });
});
