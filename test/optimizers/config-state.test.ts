// getConfig/fromConfig round trips, getOptimizer lookups, and exporting/importing optimizer state
// so that training resumes exactly where it stopped.
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src';
import * as opt from '../../src/optimizers';
import { schedules } from '../../src/optimizers';
import { BACKENDS, onBackend, param } from './helpers';

const makers: [string, () => opt.Optimizer][] = [
  ['sgd', () => opt.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, clipValue: 2 })],
  ['adagrad', () => opt.adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.3, epsilon: 1e-6, clipNorm: 3 })],
  ['rmsprop', () => opt.rmsprop({ learningRate: 0.01, rho: 0.8, momentum: 0.3, centered: true, globalClipNorm: 4 })],
  ['adam', () => opt.adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-8, amsgrad: true, weightDecay: 0.01 })],
  ['adamw', () => opt.adamw({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5 }), weightDecay: 0.01 })],
  ['adadelta', () => opt.adadelta({ learningRate: 0.5, rho: 0.9, epsilon: 1e-6, clipValue: 1 })],
  ['adamax', () => opt.adamax({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.01 })],
];

describe('config', () => {
  it.each(makers)('%s: getConfig survives JSON and rebuilds an identical optimizer', (_name, make) => {
    const o = make();
    const json = JSON.parse(JSON.stringify(opt.serializeOptimizer(o)));
    const back = opt.deserializeOptimizer(json);
    expect(back.constructor).toBe(o.constructor);
    expect(back.getConfig()).toEqual(o.getConfig());
    expect(opt.getOptimizer(json).getConfig()).toEqual(o.getConfig());
    const cls = o.constructor as unknown as { fromConfig(c: opt.OptimizerConfig): opt.Optimizer };
    expect(cls.fromConfig(o.getConfig()).getConfig()).toEqual(o.getConfig());
  });

  it('lists every option in the config, unset ones as null', () => {
    expect(opt.adam().getConfig()).toEqual({
      learningRate: 0.001,
      weightDecay: null,
      clipNorm: null,
      globalClipNorm: null,
      clipValue: null,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    });
    expect(opt.adamw().getConfig()['weightDecay']).toBe(0.004);
  });

  it('getOptimizer takes names in any case, instances and configs', () => {
    expect(opt.getOptimizer('ADAM')).toBeInstanceOf(opt.Adam);
    expect(opt.getOptimizer('RmsProp')).toBeInstanceOf(opt.RMSprop);
    expect(opt.getOptimizer('sgd')).toBeInstanceOf(opt.SGD);
    expect(opt.getOptimizer('adagrad')).toBeInstanceOf(opt.Adagrad);
    expect(opt.getOptimizer('AdamW')).toBeInstanceOf(opt.AdamW);
    expect(opt.getOptimizer('Adadelta')).toBeInstanceOf(opt.Adadelta);
    expect(opt.getOptimizer('adamax')).toBeInstanceOf(opt.Adamax);
    const o = opt.adam();
    expect(opt.getOptimizer(o)).toBe(o);
    expect(() => opt.getOptimizer('nadam')).toThrow(
      /getOptimizer: argument 'identifier' expected one of 'sgd', 'adagrad', 'rmsprop', 'adam', 'adamw', 'adadelta', 'adamax' \(case-insensitive\), got "nadam"/,
    );
    expect(() => opt.getOptimizer(42 as never)).toThrow(/getOptimizer: argument 'identifier'/);
    expect(() => opt.getOptimizer({ className: 'Nadam', config: {} })).toThrow(/className' expected the class of one of/);
  });

  it('reads Keras and tfjs configs', () => {
    const keras = opt.getOptimizer({
      class_name: 'Adam',
      config: {
        name: 'adam', learning_rate: 0.002, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-8, amsgrad: false,
        weight_decay: null, clipnorm: 1.5, global_clipnorm: null, clipvalue: null, use_ema: false,
        ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null,
      },
    } as never) as opt.Adam;
    expect([keras.learningRate, keras.beta1, keras.beta2, keras.epsilon, keras.clipNorm]).toEqual([0.002, 0.8, 0.99, 1e-8, 1.5]);
    const sched = opt.getOptimizer({
      class_name: 'SGD',
      config: { learning_rate: { class_name: 'ExponentialDecay', config: { initial_learning_rate: 0.1, decay_steps: 1, decay_rate: 0.5 } } },
    } as never);
    expect(sched.learningRateSchedule?.className).toBe('ExponentialDecay');
    expect(() => opt.getOptimizer({ class_name: 'Adam', config: { use_ema: true } } as never)).toThrow(/use_ema.*not supported/);
    const tfjs = opt.getOptimizer({ className: 'RMSProp', config: { learningRate: 0.01, decay: 0.8, momentum: 0.1, epsilon: 1e-6, centered: true } }) as opt.RMSprop;
    expect([tfjs.rho, tfjs.momentum, tfjs.centered]).toEqual([0.8, 0.1, true]);
    const momentum = opt.getOptimizer({ className: 'Momentum', config: { learningRate: 0.1, momentum: 0.9, useNesterov: true } }) as opt.SGD;
    expect([momentum.momentum, momentum.nesterov]).toEqual([0.9, true]);
  });
});

/** Two parameters, with gradients that differ by step so the state matters. */
function gradsAt(step: number): [number[], number[][]] {
  return [
    [Math.sin(step), Math.cos(step) - 0.3, 0.2 * step],
    [[0.5 - 0.1 * step, 0.3], [Math.sin(2 * step), -1]],
  ];
}

function apply(o: opt.Optimizer, ps: Tensor[], step: number): void {
  const [a, b] = gradsAt(step);
  o.applyGradients([[ps[0]!, tensor(a)], [ps[1]!, tensor(b)]]);
}

describe.each(BACKENDS)('state export/import on the %s backend', (backend) => {
  it.each(makers)('%s: a restored optimizer continues bit for bit', (_name, make) =>
    onBackend(backend, () => {
      const original = make();
      const ps = [param([1, -1, 0.5]), param([0.1, 0.2, 0.3, 0.4], [2, 2])];
      for (let s = 0; s < 3; s++) apply(original, ps, s);

      // "Save": config as JSON, state as plain arrays; "load" into fresh tensors and a new optimizer.
      const config = JSON.parse(JSON.stringify(opt.serializeOptimizer(original)));
      const saved = original.getWeights().map((w) => ({ name: w.name, values: Array.from(w.tensor.dataSync()), shape: [...w.tensor.shape], dtype: w.tensor.dtype }));
      const copies = ps.map((p) => param(Array.from(p.dataSync()), [...p.shape]));
      const restored = opt.deserializeOptimizer(config);
      restored.setWeights(saved.map((w) => ({ name: w.name, tensor: tensor(w.values, w.shape, w.dtype) })), copies);
      expect(restored.iterations).toBe(3);
      expect(restored.learningRate).toBe(original.learningRate);

      for (let s = 3; s < 6; s++) {
        apply(original, ps, s);
        apply(restored, copies, s);
      }
      ps.forEach((p, i) => expect(Array.from(copies[i]!.dataSync())).toEqual(Array.from(p.dataSync())));
    }),
  );

  it('names weights by parameter order and Keras slot names', () => {
    onBackend(backend, () => {
      const o = opt.rmsprop({ momentum: 0.5, centered: true });
      apply(o, [param([1, 2, 3]), param([1, 2, 3, 4], [2, 2])], 0);
      expect(o.getWeights().map((w) => w.name)).toEqual([
        'iter',
        'param0/velocity', 'param0/momentum', 'param0/average_gradient',
        'param1/velocity', 'param1/momentum', 'param1/average_gradient',
      ]);
      expect(o.getWeights()[0]!.tensor.dtype).toBe('int32');
      const a = opt.adagrad({ initialAccumulatorValue: 0.25 });
      a.build([param([0, 0])]);
      expect(Array.from(a.getWeights()[1]!.tensor.dataSync())).toEqual([0.25, 0.25]);
    });
  });

  it('refuses state that does not fit, changing nothing', () => {
    onBackend(backend, () => {
      const p = param([1, 2, 3]);
      const source = opt.sgd({ momentum: 0.9 });
      source.applyGradients([[p, tensor([1, 1, 1])]]);
      const target = opt.adam();
      expect(() => target.setWeights(source.getWeights(), [p])).toThrow(/setWeights: argument 'weights' expected 3 tensors \(the iteration count, then 2 slots for 1 parameters.*got 2/);
      const adam = opt.adam();
      adam.build([p]);
      const w = adam.getWeights();
      expect(() => adam.setWeights([w[0]!, w[1]!, { name: 'param0/velocity', tensor: tensor([1, 2]) }])).toThrow(/shape \[3\]/);
      expect(() => adam.setWeights([w[0]!, w[2]!, w[1]!])).toThrow(/the 'momentum' slot of Adam/);
      expect(() => adam.setWeights([tensor(-1), w[1]!.tensor, w[2]!.tensor])).toThrow(/iteration count/);
      expect(adam.iterations).toBe(0);
    });
  });
});
