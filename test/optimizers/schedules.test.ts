// Learning-rate schedules: values at chosen steps (worked out by hand), use by an optimizer at its
// iteration count, and serialization.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as opt from '../../src/optimizers';
import { schedules } from '../../src/optimizers';
import { BACKENDS, expectValues, onBackend, param } from './helpers';

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 12);

describe('schedules', () => {
  it('exponentialDecay, continuous and staircase', () => {
    const s = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    close(s.call(0), 0.1);
    close(s.call(5), 0.1 * Math.SQRT1_2);
    close(s.call(20), 0.025);
    const st = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    close(st.call(9), 0.1);
    close(st.call(10), 0.05);
    close(st.call(29), 0.025);
  });

  it('inverseTimeDecay, continuous and staircase', () => {
    const s = schedules.inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    close(s.call(0), 0.1);
    close(s.call(5), 0.1 / 1.25);
    close(s.call(20), 0.05);
    const st = schedules.inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    close(st.call(9), 0.1);
    close(st.call(10), 0.1 / 1.5);
    expect(() => schedules.inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: -1 })).toThrow(/inverseTimeDecay: argument 'decayRate' expected a finite number >= 0/);
  });

  it('piecewiseConstantDecay (and its alias stepDecay): boundaries belong to the interval below', () => {
    for (const make of [schedules.piecewiseConstantDecay, schedules.stepDecay]) {
      const s = make({ boundaries: [100, 110], values: [1, 0.5, 0.1] });
      expect([0, 100, 101, 110, 111, 1e6].map((t) => s.call(t))).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
    }
  });

  it('cosineDecay with alpha, capped at decaySteps', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1 });
    close(s.call(0), 0.1);
    close(s.call(50), 0.1 * (0.9 * 0.5 + 0.1));
    close(s.call(100), 0.01);
    close(s.call(1000), 0.01);
  });

  it('cosineDecay with warmup rises linearly to warmupTarget, then decays from it', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.1, warmupSteps: 10 });
    close(s.call(0), 0);
    close(s.call(5), 0.05);
    close(s.call(10), 0.1);
    close(s.call(60), 0.05);
    close(s.call(110), 0);
    close(s.call(500), 0);
  });

  it('warmup wraps a schedule or a constant', () => {
    const inner = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    const s = schedules.warmup({ schedule: inner, warmupSteps: 4 });
    close(s.call(0), 0);
    close(s.call(2), 0.05);
    close(s.call(4), 0.1);
    close(s.call(14), 0.05);
    const c = schedules.warmup({ schedule: 0.2, warmupSteps: 10, initialLearningRate: 0.1 });
    close(c.call(5), 0.15);
    close(c.call(50), 0.2);
  });

  it('serializes to JSON and back, and reads Keras configs', () => {
    const list = [
      schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 7, decayRate: 0.9, staircase: true }),
      schedules.piecewiseConstantDecay({ boundaries: [3, 8], values: [0.3, 0.2, 0.1] }),
      schedules.inverseTimeDecay({ initialLearningRate: 0.2, decaySteps: 3, decayRate: 0.7, staircase: true }),
      schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 20, alpha: 0.2, warmupTarget: 0.1, warmupSteps: 5 }),
      schedules.warmup({ schedule: schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }), warmupSteps: 3, initialLearningRate: 0.01 }),
    ];
    for (const s of list) {
      const back = schedules.deserializeSchedule(JSON.parse(JSON.stringify(schedules.serializeSchedule(s))));
      expect(back.className).toBe(s.className);
      expect(back.getConfig()).toEqual(s.getConfig());
      for (const t of [0, 1, 4, 9, 16, 40]) expect(back.call(t)).toBe(s.call(t));
    }
    const keras = schedules.deserializeSchedule({
      class_name: 'ExponentialDecay',
      config: { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: true, name: 'ExponentialDecay' },
    });
    close(keras.call(10), 0.05);
    const inverse = schedules.deserializeSchedule({ class_name: 'InverseTimeDecay', config: { initial_learning_rate: 0.1, decay_steps: 2, decay_rate: 1, staircase: false, name: 'InverseTimeDecay' } });
    close(inverse.call(4), 0.1 / 3);
  });

  it('rejects bad options with clear errors', () => {
    expect(() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrow(
      /exponentialDecay: argument 'decaySteps' expected a finite number > 0, got 0/,
    );
    expect(() => schedules.piecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] })).toThrow(/values' expected an array of 3 numbers/);
    expect(() => schedules.piecewiseConstantDecay({ boundaries: [2, 1], values: [1, 2, 3] })).toThrow(/strictly increasing/);
    expect(() => schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 2 })).toThrow(/alpha' expected a finite number in \[0, 1\]/);
    expect(() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5, stairs: true } as never)).toThrow(/unknown option/);
    expect(() => schedules.warmup({ schedule: 'x' as never, warmupSteps: 3 })).toThrow(/warmup: argument 'schedule'/);
    expect(() => schedules.deserializeSchedule({ className: 'Nope', config: {} })).toThrow(/one of 'ExponentialDecay'/);
  });
});

describe.each(BACKENDS)('optimizers driven by a schedule on the %s backend', (backend) => {
  it('evaluates the schedule at iterations (0 on the first update)', () => {
    onBackend(backend, () => {
      const s = schedules.piecewiseConstantDecay({ boundaries: [1], values: [1, 0.1] });
      const o = opt.sgd({ learningRate: s });
      const p = param([0]);
      const values: number[] = [];
      for (let i = 0; i < 3; i++) {
        o.applyGradients([[p, tensor([1])]]);
        values.push(p.dataSync()[0]!);
      }
      // lr at iterations 0, 1, 2 = 1, 1, 0.1
      expectValues(values, [-1, -2, -2.1]);
      expect(o.iterations).toBe(3);
      expect(o.learningRate).toBeCloseTo(0.1, 12);
      expect(o.learningRateSchedule).toBe(s);
    });
  });
});

describe('setting the learning rate', () => {
  it('a number replaces a fixed rate (what reduceLROnPlateau does); a schedule-driven optimizer refuses one', () => {
    const o = opt.adam({ learningRate: 0.01 });
    o.learningRate = o.learningRate * 0.5;
    expect(o.learningRate).toBeCloseTo(0.005, 12);
    expect(o.getConfig()['learningRate']).toBeCloseTo(0.005, 12);
    expect(() => (o.learningRate = -1)).toThrow(/learningRate: argument 'learningRate' expected a finite number >= 0/);
    const s = opt.sgd({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) });
    expect(() => (s.learningRate = 0.5)).toThrow(/set by a CosineDecay schedule and cannot be set to a number/);
    s.learningRate = schedules.exponentialDecay({ initialLearningRate: 0.2, decaySteps: 1, decayRate: 1 });
    expect(s.learningRate).toBeCloseTo(0.2, 12);
  });
});
