import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

describe('pruning schedules', () => {
  it('polynomialDecay follows final + (initial - final) * (1 - t)^power and is clamped outside [begin, end]', () => {
    const s = tf.pruning.polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 10, endStep: 110, power: 3, frequency: 25 });
    expect(s.sparsityAt(0)).toBeCloseTo(0.2, 12);
    expect(s.sparsityAt(10)).toBeCloseTo(0.2, 12);
    // Halfway: 0.8 + (0.2 - 0.8) * 0.5^3 = 0.725.
    expect(s.sparsityAt(60)).toBeCloseTo(0.725, 12);
    expect(s.sparsityAt(110)).toBeCloseTo(0.8, 12);
    expect(s.sparsityAt(1000)).toBeCloseTo(0.8, 12);
    const linear = tf.pruning.polynomialDecay({ initialSparsity: 0, finalSparsity: 0.5, endStep: 100, power: 1 });
    expect(linear.sparsityAt(30)).toBeCloseTo(0.15, 12);
  });

  it('polynomialDecay updates every frequency steps from beginStep and at endStep, never outside', () => {
    const s = tf.pruning.polynomialDecay({ finalSparsity: 0.5, beginStep: 10, endStep: 110, frequency: 25 });
    const steps = Array.from({ length: 200 }, (_, i) => i).filter((i) => s.shouldUpdate(i));
    expect(steps).toEqual([10, 35, 60, 85, 110]);
    const odd = tf.pruning.polynomialDecay({ finalSparsity: 0.5, beginStep: 0, endStep: 10, frequency: 4 });
    expect(Array.from({ length: 20 }, (_, i) => i).filter((i) => odd.shouldUpdate(i))).toEqual([0, 4, 8, 10]);
  });

  it('constantSparsity is constant and updates every frequency steps until endStep (-1: forever)', () => {
    const s = tf.pruning.constantSparsity({ targetSparsity: 0.6, beginStep: 5, frequency: 10 });
    expect([0, 5, 1e6].map((i) => s.sparsityAt(i))).toEqual([0.6, 0.6, 0.6]);
    expect(Array.from({ length: 40 }, (_, i) => i).filter((i) => s.shouldUpdate(i))).toEqual([5, 15, 25, 35]);
    const ended = tf.pruning.constantSparsity({ targetSparsity: 0.6, beginStep: 0, endStep: 20, frequency: 10 });
    expect(Array.from({ length: 60 }, (_, i) => i).filter((i) => ended.shouldUpdate(i))).toEqual([0, 10, 20]);
    expect(ended.getConfig()).toEqual({ targetSparsity: 0.6, beginStep: 0, endStep: 20, frequency: 10 });
  });

  it('rejects bad options with the argument named', () => {
    expect(() => tf.pruning.polynomialDecay({ finalSparsity: 1, endStep: 10 })).toThrow(/finalSparsity.*\[0, 1\).*got 1/);
    expect(() => tf.pruning.polynomialDecay({ finalSparsity: 0.5, beginStep: 10, endStep: 10 })).toThrow(/endStep.*>= 11.*got 10/);
    expect(() => tf.pruning.polynomialDecay({ finalSparsity: 0.5, endStep: 10, power: 0 })).toThrow(/power/);
    expect(() => tf.pruning.polynomialDecay({ finalSparsity: 0.5, endStep: 10, frequency: 0 })).toThrow(/frequency/);
    expect(() => tf.pruning.constantSparsity({ targetSparsity: -0.1 })).toThrow(/targetSparsity.*got -0.1/);
    expect(() => tf.pruning.constantSparsity(null as never)).toThrow(/options/);
  });
});
