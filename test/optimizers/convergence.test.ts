// Every optimizer drives a simple quadratic to its minimum, through applyGradients with autograd
// gradients and through the tfjs-style minimize().
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import * as opt from '../../src/optimizers';
import * as train from '../../src/optimizers/train';
import { BACKENDS, onBackend, param } from './helpers';

const TARGET = [1, -2, 3];
const target = () => tf.tensor(TARGET);
const loss = (x: tf.Tensor) => tf.sum(tf.square(tf.sub(x, target())));

const cases: [string, () => opt.Optimizer, number][] = [
  ['sgd', () => opt.sgd({ learningRate: 0.1 }), 100],
  ['sgd momentum', () => opt.sgd({ learningRate: 0.05, momentum: 0.9 }), 200],
  ['sgd nesterov', () => opt.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }), 200],
  ['adagrad', () => opt.adagrad({ learningRate: 1 }), 300],
  ['rmsprop', () => opt.rmsprop({ learningRate: 0.05 }), 300],
  ['rmsprop centered momentum', () => opt.rmsprop({ learningRate: 0.01, momentum: 0.9, centered: true }), 300],
  ['adam', () => opt.adam({ learningRate: 0.1 }), 300],
  ['adam amsgrad', () => opt.adam({ learningRate: 0.1, amsgrad: true }), 300],
  ['adamw (minimum shifts slightly toward 0)', () => opt.adamw({ learningRate: 0.1, weightDecay: 0.001 }), 300],
];

describe.each(BACKENDS)('convergence on the %s backend', (backend) => {
  it.each(cases)('%s minimizes sum((x - c)^2)', (_name, make, steps) =>
    onBackend(backend, () => {
      const o = make();
      const x = param([0, 0, 0]);
      const first = loss(x).item();
      for (let i = 0; i < steps; i++) {
        const { grad } = tf.valueAndGrad(loss)(x);
        o.applyGradients([[x, grad]]);
      }
      expect(loss(x).item()).toBeLessThan(first * 1e-3);
      Array.from(x.dataSync()).forEach((v, i) => expect(Math.abs(v - TARGET[i]!)).toBeLessThan(0.05));
      expect(o.iterations).toBe(steps);
    }),
  );

  it('minimize() (tfjs) and step() with .grad (PyTorch) train too', () => {
    onBackend(backend, () => {
      const x = param([0, 0, 0]);
      const o = train.adam(0.1);
      let cost: tf.Tensor | null = null;
      for (let i = 0; i < 300; i++) cost = o.minimize(() => loss(x), true, [x]);
      expect(cost!.item()).toBeLessThan(1e-3);
      expect(x.grad).toBeNull();

      const y = param([0, 0, 0]);
      const s = train.momentum(0.05, 0.9);
      for (let i = 0; i < 200; i++) {
        y.grad = null;
        loss(y).backward();
        s.step([y]);
      }
      Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - TARGET[i]!)).toBeLessThan(0.05));
    });
  });

  it('the train.* factories build the matching optimizers', () => {
    expect(train.sgd(0.1)).toBeInstanceOf(opt.SGD);
    expect((train.rmsprop(0.01, 0.8, 0.1, 1e-6, true) as opt.RMSprop).rho).toBe(0.8);
    expect(train.adagrad(0.1, 0.2).initialAccumulatorValue).toBe(0.2);
    expect(train.adam(0.01, 0.8, 0.9).beta2).toBe(0.9);
  });
});
