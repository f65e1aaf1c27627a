// Adadelta and Adamax against @tensorflow/tfjs's own optimizers, step by step: the same starting
// values and gradients must give the same parameters (float32 rounding apart), through tfjs's
// `tf.train` spellings and through Keras-style options and configs.
//
// Adamax: tfjs and Keras agree, and so do we. Adadelta: tfjs-core (4.22) divides by the squared-
// gradient average of the previous step, where Keras (3's adadelta.py, and TF's ApplyAdadelta
// kernel behind Keras 2) and the paper's Algorithm 1 use the one just updated. We follow Keras, as
// the other optimizers do; the test pins both formulas in float64 and checks tfjs against its
// own and us against Keras's, so the one difference is measured, not assumed.
import * as tfjs from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as opt from '../../src/optimizers';
import * as train from '../../src/optimizers/train';
import { BACKENDS, expectValues, onBackend, param } from './helpers';

const START = [0.5, -1.25, 2, 0.01, -0.3, 0];

/** Gradients that change sign and size from step to step (and one exact zero), so every slot matters. */
function gradAt(step: number): number[] {
  return START.map((_, i) => (i === 5 && step % 2 === 0 ? 0 : Math.sin(1.7 * step + i) * (1 + i) * 0.3));
}

function runTfjs(o: tfjs.Optimizer, steps: number): number[][] {
  const v = tfjs.variable(tfjs.tensor1d(START), true, 'p');
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    o.applyGradients({ p: tfjs.tensor1d(gradAt(s)) });
    out.push(Array.from(v.dataSync()));
  }
  v.dispose();
  return out;
}

function runOurs(o: opt.Optimizer, steps: number): number[][] {
  const p = param(START);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    o.applyGradients([[p, tensor(gradAt(s))]]);
    out.push(Array.from(p.dataSync()));
  }
  return out;
}

const STEPS = 6;

/** Adadelta in float64: `previous` divides by last step's squared-gradient average (tfjs), else by the updated one (Keras). */
function adadeltaReference(lr: number, rho: number, eps: number, previous: boolean, steps: number): number[][] {
  const p = START.slice();
  const acc = START.map(() => 0);
  const accDelta = START.map(() => 0);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const g = gradAt(s);
    for (let i = 0; i < p.length; i++) {
      const before = acc[i]!;
      acc[i] = rho * before + (1 - rho) * g[i]! ** 2;
      const d = (Math.sqrt(accDelta[i]! + eps) / Math.sqrt((previous ? before : acc[i]!) + eps)) * g[i]!;
      accDelta[i] = rho * accDelta[i]! + (1 - rho) * d * d;
      p[i] = p[i]! - lr * d;
    }
    out.push(p.slice());
  }
  return out;
}

const adadeltaCases: [string, [number, number, number], () => opt.Optimizer][] = [
  ['defaults', [0.001, 0.95, 1e-7], () => train.adadelta()],
  ['lr 1, rho 0.8, epsilon 1e-4', [1, 0.8, 1e-4], () => train.adadelta(1, 0.8, 1e-4)],
  ['Keras options', [0.5, 0.9, 1e-6], () => opt.adadelta({ learning_rate: 0.5, rho: 0.9, epsilon: 1e-6 } as never)],
];

describe.each(BACKENDS)('Adadelta on the %s backend', (backend) => {
  it.each(adadeltaCases)('%s: Keras\'s rule; tfjs differs only by the accumulator it divides by', (_name, [lr, rho, eps], ours) => {
    // The float64 references reproduce tfjs and Keras respectively...
    const theirs = runTfjs(tfjs.train.adadelta(lr, rho, eps), STEPS);
    adadeltaReference(lr, rho, eps, true, STEPS).forEach((e, s) => expectValues(theirs[s]!, e, 2e-6, `tfjs vs its formula, step ${s + 1}`));
    const keras = adadeltaReference(lr, rho, eps, false, STEPS);
    // ...and ours follows Keras's.
    const actual = onBackend(backend, () => runOurs(ours(), STEPS));
    keras.forEach((e, s) => expectValues(actual[s]!, e, 2e-6, `step ${s + 1}`));
    expect(actual[STEPS - 1]).not.toEqual(START);
    // The two rules do differ on these gradients (the comparison above is not vacuous).
    expect(Math.abs(theirs[0]![1]! - actual[0]![1]!)).toBeGreaterThan(1e-4);
  });
});

const cases: [string, () => tfjs.Optimizer, () => opt.Optimizer][] = [
  ['adamax defaults', () => tfjs.train.adamax(), () => train.adamax()],
  ['adamax lr 0.05, beta1 0.8, beta2 0.95, epsilon 1e-5', () => tfjs.train.adamax(0.05, 0.8, 0.95, 1e-5), () => train.adamax(0.05, 0.8, 0.95, 1e-5)],
  ['adamax (Keras options)', () => tfjs.train.adamax(0.01, 0.85, 0.99), () => opt.adamax({ learning_rate: 0.01, beta_1: 0.85, beta_2: 0.99 } as never)],
  ['adamax with tfjs time-based decay 0.3', () => tfjs.train.adamax(0.05, 0.9, 0.999, undefined, 0.3), () => train.adamax(0.05, 0.9, 0.999, null, 0.3)],
];

describe.each(BACKENDS)('Adamax matches @tensorflow/tfjs on the %s backend', (backend) => {
  it.each(cases)('%s', (_name, theirs, ours) => {
    const expected = runTfjs(theirs(), STEPS);
    const actual = onBackend(backend, () => runOurs(ours(), STEPS));
    expected.forEach((e, s) => expectValues(actual[s]!, e, 2e-6, `step ${s + 1}`));
    // Not a vacuous match: the parameters moved.
    expect(actual[STEPS - 1]).not.toEqual(START);
  });
});

describe('Adadelta and Adamax configs', () => {
  it('rebuild from tfjs getConfig output', () => {
    const delta = tfjs.train.adadelta(0.3, 0.7, 1e-5);
    const d = opt.deserializeOptimizer(JSON.parse(JSON.stringify({ className: delta.getClassName(), config: delta.getConfig() }))) as opt.Adadelta;
    expect(d).toBeInstanceOf(opt.Adadelta);
    expect([d.learningRate, d.rho, d.epsilon]).toEqual([0.3, 0.7, 1e-5]);
    for (const max of [tfjs.train.adamax(0.03, 0.7, 0.9, 1e-5), tfjs.train.adamax(0.03, 0.7, 0.9, 1e-5, 0.5)]) {
      const m = opt.deserializeOptimizer(JSON.parse(JSON.stringify({ className: max.getClassName(), config: max.getConfig() })));
      expect(m).toBeInstanceOf(opt.Adamax);
      const expected = runTfjs(max, 4);
      runOurs(m, 4).forEach((a, s) => expectValues(a, expected[s]!, 2e-6, `Adamax (decay ${max.getConfig()['decay']}) step ${s + 1}`));
    }
  });

  it('read Keras configs and name their slots as Keras does', () => {
    const d = opt.getOptimizer({ class_name: 'Adadelta', config: { name: 'adadelta', learning_rate: 1, rho: 0.9, epsilon: 1e-6, use_ema: false } } as never) as opt.Adadelta;
    expect([d.learningRate, d.rho, d.epsilon]).toEqual([1, 0.9, 1e-6]);
    const m = opt.getOptimizer({ class_name: 'Adamax', config: { learning_rate: 0.002, beta_1: 0.8, beta_2: 0.9, epsilon: 1e-8 } } as never) as opt.Adamax;
    expect([m.learningRate, m.beta1, m.beta2, m.epsilon]).toEqual([0.002, 0.8, 0.9, 1e-8]);
    // Keras 2's legacy Adamax stored a time-based decay: the same inverse-time schedule.
    const legacy = opt.getOptimizer({ class_name: 'Adamax', config: { learning_rate: 0.01, decay: 0.5 } } as never);
    expect(legacy.learningRateSchedule?.getConfig()).toEqual({ initialLearningRate: 0.01, decaySteps: 1, decayRate: 0.5, staircase: false });
    const p = param([1, 2]);
    d.applyGradients([[p, tensor([0.1, 0.2])]]);
    m.applyGradients([[p, tensor([0.1, 0.2])]]);
    expect(d.getWeights().map((w) => w.name)).toEqual(['iter', 'param0/accumulated_grad', 'param0/accumulated_delta_var']);
    expect(m.getWeights().map((w) => w.name)).toEqual(['iter', 'param0/momentum', 'param0/norm']);
  });

  it('refuse bad options, naming them', () => {
    expect(() => opt.adadelta({ rho: 1 })).toThrow(/adadelta: argument 'rho' expected a finite number in \[0, 1\)/);
    expect(() => opt.adamax({ beta2: -0.1 })).toThrow(/adamax: argument 'beta2' expected a finite number in \[0, 1\)/);
    expect(() => opt.adamax({ lr: 0.1 } as never)).toThrow(/adamax: argument 'lr' expected one of the options/);
    expect(() => train.adamax(0.002, 0.9, 0.999, null, -0.1)).toThrow(/train.adamax: argument 'decay' expected a finite number >= 0/);
  });
});
