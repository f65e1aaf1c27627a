// The first steps of every optimizer against updates worked out by hand from the Keras formulas,
// on both backends. Start p = [1, -2]; unless noted the gradient is g = [0.5, -1] at every step,
// so g^2 = [0.25, 1].
import { describe, expect, it } from 'vitest';
import * as opt from '../../src/optimizers';
import { BACKENDS, expectValues, onBackend, runSteps } from './helpers';

const P0 = [1, -2];
const G = [0.5, -1];
const sqrt = Math.sqrt;

describe.each(BACKENDS)('hand-computed steps on the %s backend', (backend) => {
  const run = (o: opt.Optimizer, grads: number[][] = [G, G, G]) => onBackend(backend, () => runSteps(o, P0, grads));

  it('SGD: p -= lr * g', () => {
    const [p1, p2] = run(opt.sgd({ learningRate: 0.1 }), [G, G]);
    expectValues(p1!, [0.95, -1.9]);
    expectValues(p2!, [0.9, -1.8]);
  });

  it('SGD with momentum 0.9: v = 0.9 v - lr g; p += v', () => {
    const [p1, p2, p3] = run(opt.sgd({ learningRate: 0.1, momentum: 0.9 }));
    // v1 = [-0.05, 0.1]; v2 = 0.9 v1 - 0.1 g = [-0.095, 0.19]; v3 = [-0.1355, 0.271]
    expectValues(p1!, [0.95, -1.9]);
    expectValues(p2!, [0.855, -1.71]);
    expectValues(p3!, [0.7195, -1.439]);
  });

  it('SGD with Nesterov momentum: p += 0.9 v - lr g', () => {
    const [p1, p2] = run(opt.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), [G, G]);
    // p1 = p0 + 0.9 [-0.05, 0.1] - [0.05, -0.1]; p2 = p1 + 0.9 [-0.095, 0.19] - [0.05, -0.1]
    expectValues(p1!, [0.905, -1.81]);
    expectValues(p2!, [0.7695, -1.539]);
  });

  it('Adagrad: acc = 0.1 + sum g^2; p -= lr g / sqrt(acc + eps)', () => {
    const [p1, p2] = run(opt.adagrad({ learningRate: 0.1 }), [G, G]);
    const eps = 1e-7;
    const a1 = [0.35, 1.1];
    const a2 = [0.6, 2.1];
    const q1 = [1 - 0.05 / sqrt(a1[0]! + eps), -2 + 0.1 / sqrt(a1[1]! + eps)];
    expectValues(p1!, q1);
    expectValues(p2!, [q1[0]! - 0.05 / sqrt(a2[0]! + eps), q1[1]! + 0.1 / sqrt(a2[1]! + eps)]);
  });

  it('RMSprop: v = 0.9 v + 0.1 g^2; p -= lr g / sqrt(v + eps)', () => {
    const [p1, p2] = run(opt.rmsprop({ learningRate: 0.01 }), [G, G]);
    const eps = 1e-7;
    // v1 = [0.025, 0.1]; v2 = [0.0475, 0.19]
    const q1 = [1 - 0.005 / sqrt(0.025 + eps), -2 + 0.01 / sqrt(0.1 + eps)];
    expectValues(p1!, q1);
    expectValues(p2!, [q1[0]! - 0.005 / sqrt(0.0475 + eps), q1[1]! + 0.01 / sqrt(0.19 + eps)]);
  });

  it('RMSprop centered with momentum 0.5', () => {
    const [p1, p2] = run(opt.rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true, epsilon: 0 }), [G, G]);
    // a1 = 0.1 g = [0.05, -0.1]; denominator v1 - a1^2 = [0.0225, 0.09]; increment = m1 = [1/30, -1/30]
    const m1 = [0.005 / 0.15, -0.01 / 0.3];
    const q1 = [1 - m1[0]!, -2 - m1[1]!];
    expectValues(p1!, q1);
    // a2 = [0.095, -0.19]; v2 = [0.0475, 0.19]; denominator = [0.0475 - 0.009025, 0.19 - 0.0361]
    const inc2 = [0.005 / sqrt(0.038475), -0.01 / sqrt(0.1539)];
    const m2 = [0.5 * m1[0]! + inc2[0]!, 0.5 * m1[1]! + inc2[1]!];
    expectValues(p2!, [q1[0]! - m2[0]!, q1[1]! - m2[1]!]);
  });

  it('Adam: bias-corrected step size, epsilon outside the sqrt', () => {
    const [p1, p2, p3] = run(opt.adam({ learningRate: 0.1 }));
    const eps = 1e-7;
    // Step 1: m = 0.1 g = [0.05, -0.1]; v = 0.001 g^2 = [0.00025, 0.001]; alpha = 0.1 sqrt(0.001) / 0.1
    const a1 = sqrt(0.001);
    const q1 = [1 - (a1 * 0.05) / (sqrt(0.00025) + eps), -2 + (a1 * 0.1) / (sqrt(0.001) + eps)];
    expectValues(p1!, q1);
    // Step 2: m = [0.095, -0.19]; v = [0.00049975, 0.001999]; alpha = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2)
    const a2 = (0.1 * sqrt(0.001999)) / 0.19;
    const q2 = [q1[0]! - (a2 * 0.095) / (sqrt(0.00049975) + eps), q1[1]! + (a2 * 0.19) / (sqrt(0.001999) + eps)];
    expectValues(p2!, q2);
    // Step 3: m = [0.1355, -0.271]; v = [0.000749250, 0.002997001]; alpha = 0.1 sqrt(1 - 0.999^3) / (1 - 0.9^3)
    const a3 = (0.1 * sqrt(0.002997001)) / 0.271;
    expectValues(p3!, [q2[0]! - (a3 * 0.1355) / (sqrt(0.00074925025) + eps), q2[1]! + (a3 * 0.271) / (sqrt(0.002997001) + eps)]);
    // A first Adam step moves each coordinate by about lr, whatever the gradient's size.
    expect(Math.abs(p1![0]! - 0.9)).toBeLessThan(1e-5);
  });

  it('Adam with amsgrad divides by the largest second moment seen', () => {
    // Step 2's gradient is small, so v shrinks while v_hat keeps step 1's value.
    const [p1, p2] = run(opt.adam({ learningRate: 0.1, amsgrad: true }), [G, [0.01, 0]]);
    const eps = 1e-7;
    const a1 = sqrt(0.001);
    const q1 = [1 - (a1 * 0.05) / (sqrt(0.00025) + eps), -2 + (a1 * 0.1) / (sqrt(0.001) + eps)];
    expectValues(p1!, q1);
    // m2 = m1 + (g2 - m1) 0.1 = [0.046, -0.09]; v2 < v1 on both coordinates, so v_hat = v1.
    const a2 = (0.1 * sqrt(0.001999)) / 0.19;
    expectValues(p2!, [q1[0]! - (a2 * 0.046) / (sqrt(0.00025) + eps), q1[1]! + (a2 * 0.09) / (sqrt(0.001) + eps)]);
  });

  it('AdamW decays the parameter by lr * weightDecay before the Adam step', () => {
    const [p1, p2] = run(opt.adamw({ learningRate: 0.1, weightDecay: 0.1 }), [G, G]);
    const eps = 1e-7;
    const a1 = sqrt(0.001);
    // p * (1 - 0.1 * 0.1) then the same Adam step as above.
    const q1 = [0.99 - (a1 * 0.05) / (sqrt(0.00025) + eps), -1.98 + (a1 * 0.1) / (sqrt(0.001) + eps)];
    expectValues(p1!, q1);
    const a2 = (0.1 * sqrt(0.001999)) / 0.19;
    expectValues(p2!, [
      q1[0]! * 0.99 - (a2 * 0.095) / (sqrt(0.00049975) + eps),
      q1[1]! * 0.99 + (a2 * 0.19) / (sqrt(0.001999) + eps),
    ]);
  });

  it('weightDecay works on any optimizer (Keras 3): SGD', () => {
    const [p1] = run(opt.sgd({ learningRate: 0.1, weightDecay: 0.5 }), [G]);
    // p * (1 - 0.05) - 0.1 g
    expectValues(p1!, [0.95 - 0.05, -1.9 + 0.1]);
  });

  it('the defaults are Keras defaults', () => {
    expect(opt.sgd().learningRate).toBeCloseTo(0.01, 12);
    expect(opt.adam().learningRate).toBeCloseTo(0.001, 12);
    expect(opt.rmsprop().learningRate).toBeCloseTo(0.001, 12);
    expect(opt.adagrad().learningRate).toBeCloseTo(0.001, 12);
    expect(opt.adamw().learningRate).toBeCloseTo(0.001, 12);
    expect(opt.adamw().weightDecay).toBe(0.004);
    expect(opt.adam().epsilon).toBe(1e-7);
    expect(opt.adagrad().initialAccumulatorValue).toBe(0.1);
    expect(opt.rmsprop().rho).toBe(0.9);
  });
});
