// Bad options and bad applyGradients input give errors that name the argument and what was expected.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import * as opt from '../../src/optimizers';
import { param } from './helpers';

describe('optimizer errors', () => {
  it('rejects bad options', () => {
    expect(() => opt.adam({ beta1: 1.5 })).toThrow(/adam: argument 'beta1' expected a finite number in \[0, 1\), got 1.5/);
    expect(() => opt.adam({ beta2: 1 })).toThrow(/adam: argument 'beta2'/);
    expect(() => opt.sgd({ momentum: -0.1 })).toThrow(/sgd: argument 'momentum' expected a finite number in \[0, 1\], got -0.1/);
    expect(() => opt.sgd({ lr: 0.1 } as never)).toThrow(/sgd: argument 'lr' expected one of the options learningRate, .*momentum, nesterov, got an unknown option/);
    expect(() => opt.rmsprop({ rho: 1 })).toThrow(/rmsprop: argument 'rho'/);
    expect(() => opt.rmsprop({ centered: 'yes' } as never)).toThrow(/rmsprop: argument 'centered' expected a boolean, got "yes"/);
    expect(() => opt.adagrad({ epsilon: -1 })).toThrow(/adagrad: argument 'epsilon' expected a finite number >= 0/);
    expect(() => opt.adam({ learningRate: NaN })).toThrow(/adam: argument 'learningRate' expected a finite number >= 0 or a LearningRateSchedule, got NaN/);
    expect(() => opt.adam({ learningRate: '0.1' } as never)).toThrow(/learningRate/);
    expect(() => opt.adamw({ weightDecay: -1 })).toThrow(/adamw: argument 'weightDecay' expected a finite number >= 0, got -1/);
    expect(() => opt.adamw({ weightDecay: null })).toThrow(/adamw: argument 'weightDecay'.*AdamW needs one/);
    expect(() => opt.sgd('fast' as never)).toThrow(/sgd: argument 'options' expected an options object, got "fast"/);
  });

  it('rejects bad parameters and gradients', () => {
    const o = opt.sgd();
    const p = param([1, 2, 3]);
    expect(() => o.applyGradients([[p, tf.tensor([1, 2])]])).toThrow(/applyGradients: argument 'grads\[0\]\[1\]' expected a float32 gradient of shape \[3\], got Tensor\(float32, shape \[2\]\)/);
    expect(() => o.applyGradients([[p, tf.tensor([1, 2, 3], 'int32')]])).toThrow(/float32 gradient/);
    expect(() => o.applyGradients([[tf.tensor([[1, 2], [3, 4]]).transpose(), tf.zeros([2, 2])]])).toThrow(/expected a contiguous tensor/);
    expect(() => o.applyGradients([[tf.mul(p, 2), tf.zeros([3])]])).toThrow(/expected a leaf tensor/);
    expect(() => o.applyGradients([[tf.tensor([1], 'int32'), tf.zeros([1])]])).toThrow(/grads\[0\]\[0\]' expected a float32 tensor/);
    expect(() => o.applyGradients([[p, tf.zeros([3])], [p, tf.zeros([3])]])).toThrow(/each parameter at most once/);
    expect(() => o.applyGradients([[p, null]])).toThrow(/no gradients provided/);
    expect(() => o.applyGradients('x' as never)).toThrow(/applyGradients: argument 'grads' expected an array of \[param, grad\] pairs or a Map/);
    expect(() => o.applyGradients([[p]] as never)).toThrow(/a \[param, grad\] pair/);
    expect(() => o.step([p], [])).toThrow(/step: argument 'grads' expected an array of 1 gradients/);
    const d = param([1]);
    d.dispose();
    expect(() => o.applyGradients([[d, tf.zeros([1])]])).toThrow(/expected a live tensor, got a disposed tensor/);
    expect(o.iterations).toBe(0);
    expect(() => o.minimize(() => tf.sum(p), false)).toThrow(/minimize: argument 'varList'/);
  });

  it('accepts a Map, skips null gradients, and ignores an empty list', () => {
    const o = opt.sgd({ learningRate: 1 });
    const a = param([1]);
    const b = param([1]);
    o.applyGradients(new Map([[a, tf.tensor([0.5])], [b, null]]));
    expect([a.item(), b.item()]).toEqual([0.5, 1]);
    o.applyGradients([]);
    expect(o.iterations).toBe(1);
  });

  it('updates a gradient that shares the parameter\'s memory correctly', () => {
    const o = opt.sgd({ learningRate: 0.5 });
    const p = param([2, 4]);
    o.applyGradients([[p, p]]);
    expect(Array.from(p.dataSync())).toEqual([1, 2]);
  });
});
