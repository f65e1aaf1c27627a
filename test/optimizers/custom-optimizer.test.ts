// An optimizer written outside the library, against the public API only: it trains through fit and
// applyGradients, keeps its state in named slots, gets clipping and weight decay from the base
// class, serializes by class name and resumes after model.save / loadModel exactly where an
// uninterrupted run would be.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { BACKENDS, expectValues, onBackend, param, runSteps } from './helpers';

interface AdamaxOptions extends tf.optimizers.OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Keras's Adamax: m = b1 m + (1 - b1) g; u = max(b2 u, |g|); p -= lr / (1 - b1^t) * m / (u + eps). */
class Adamax extends tf.Optimizer {
  readonly className = 'Adamax';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamaxOptions = {}) {
    super(options, { learningRate: 0.001, optionKeys: ['beta1', 'beta2', 'epsilon'] });
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }

  protected override buildSlots(variable: tf.Tensor): void {
    this.addSlot(variable, 'momentum');
    this.addSlot(variable, 'norm');
  }

  protected override updateStep(gradient: tf.Tensor, variable: tf.Tensor, learningRate: number): void {
    const m = this.getSlot(variable, 'momentum');
    const u = this.getSlot(variable, 'norm');
    const t = this.iterations + 1;
    this.assign(m, tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1)));
    this.assign(u, tf.maximum(tf.mul(u, this.beta2), tf.abs(gradient)));
    this.assignSub(variable, tf.div(tf.mul(m, learningRate / (1 - this.beta1 ** t)), tf.add(u, this.epsilon)));
  }

  override getConfig(): tf.optimizers.OptimizerConfig {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
tf.registerOptimizer(Adamax);

const P0 = [1, -2];
const G = [0.5, -1];

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-custom-optimizer-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function regressionData(): { x: tf.Tensor; y: tf.Tensor } {
  tf.manualSeed(11);
  const x = tf.randn([48, 3]);
  const y = tf.sum(tf.mul(x, tf.tensor([0.5, -1, 2])), -1, true);
  return { x, y };
}

function mlp(): tf.LayersModel {
  tf.manualSeed(5);
  return tf.sequential([tf.layers.dense({ units: 6, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 1 })]);
}

const weightValues = (m: tf.LayersModel) => m.trainableWeights.map((w) => Array.from(w.dataSync()));

describe.each(BACKENDS)('a user-defined optimizer on the %s backend', (backend) => {
  it('applies its update through applyGradients, keeping state in named slots', () =>
    onBackend(backend, () => {
      const o = new Adamax({ learningRate: 0.1 });
      const p = param(P0);
      o.applyGradients([[p, tf.tensor(G)]]);
      // m = 0.1 g; u = |g|; step 1 moves by lr / 0.1 * m / u = [0.1, -0.1]
      expectValues(p.dataSync(), [0.9, -1.9]);
      expect(o.getSlotNames(p)).toEqual(['momentum', 'norm']);
      expectValues(o.getSlot(p, 'momentum').dataSync(), [0.05, -0.1]);
      expectValues(o.getSlot(p, 'norm').dataSync(), [0.5, 1]);
      o.applyGradients([[p, tf.tensor(G)]]);
      // m = [0.095, -0.19]; u stays |g|; lr_t = 0.1 / 0.19
      expectValues(p.dataSync(), [0.8, -1.8]);
      expect(o.iterations).toBe(2);
      expect(o.getWeights().map((w) => w.name)).toEqual(['iter', 'param0/momentum', 'param0/norm']);
    }));

  it('gets clipping and weight decay from the base class', () =>
    onBackend(backend, () => {
      const [p1] = runSteps(new Adamax({ learningRate: 0.1, clipValue: 0.6, weightDecay: 0.5 }), P0, [G]);
      // g -> [0.5, -0.6]; p decays by lr * wd = 0.05 to [0.95, -1.9]; then moves by [0.1, -0.1]
      expectValues(p1!, [0.85, -1.8]);
      const [q1] = runSteps(new Adamax({ learningRate: 0.1, globalClipNorm: 0.5 }), P0, [[3, 4]]);
      // g -> [0.3, 0.4]; a first step moves each coordinate by lr * sign(g)
      expectValues(q1!, [0.9, -2.1]);
    }));

  it('works with minimize and step', () =>
    onBackend(backend, () => {
      const o = new Adamax({ learningRate: 0.1 });
      const p = param(P0);
      const cost = o.minimize(() => tf.sum(tf.mul(p, tf.tensor(G))), true, [p]);
      expect(cost!.item()).toBeCloseTo(2.5, 6);
      expectValues(p.dataSync(), [0.9, -1.9]);
      const q = param(P0);
      q.grad = tf.tensor(G);
      new Adamax({ learningRate: 0.1 }).step([q]);
      expectValues(q.dataSync(), [0.9, -1.9]);
    }));

  it('trains a model through fit and resumes after save and loadModel as if never interrupted', async () => {
    await onBackend(backend, async () => {
      const { x, y } = regressionData();
      const fitArgs = { batchSize: 8, shuffle: false, verbose: 0 as const };

      const straight = mlp();
      straight.compile({ optimizer: new Adamax({ learningRate: 0.02 }), loss: 'meanSquaredError' });
      const history = await straight.fit(x, y, { ...fitArgs, epochs: 6 });
      const losses = history.history['loss'] as number[];
      expect(losses[5]!).toBeLessThan(losses[0]! * 0.7);

      const first = mlp();
      first.compile({ optimizer: new Adamax({ learningRate: 0.02 }), loss: 'meanSquaredError' });
      await first.fit(x, y, { ...fitArgs, epochs: 3 });
      const opt = first.optimizer as Adamax;
      expect(opt.iterations).toBe(18);
      for (const w of first.trainableWeights) {
        expect(opt.getSlotNames(w)).toEqual(['momentum', 'norm']);
        expect(Math.max(...opt.getSlot(w, 'norm').dataSync())).toBeGreaterThan(0);
      }

      const dir = tmpDir();
      await first.save(dir);
      expect(fs.existsSync(path.join(dir, 'optimizer.safetensors'))).toBe(true);
      const resumed = await tf.loadModel(dir);
      const restored = resumed.optimizer!;
      expect(restored).toBeInstanceOf(Adamax);
      expect(restored.getConfig()).toEqual(opt.getConfig());
      expect(restored.iterations).toBe(18);
      resumed.trainableWeights.forEach((w, i) => {
        for (const slot of ['momentum', 'norm']) {
          expect(Array.from(restored.getSlot(w, slot).dataSync())).toEqual(Array.from(opt.getSlot(first.trainableWeights[i]!, slot).dataSync()));
        }
      });

      await resumed.fit(x, y, { ...fitArgs, epochs: 3 });
      expect(restored.iterations).toBe(36);
      const a = weightValues(resumed);
      const b = weightValues(straight);
      a.forEach((w, i) => expectValues(w, b[i]!, 1e-6, `weight ${i}`));
    });
  });
});

describe('registration and configs', () => {
  it('is found by name and rebuilt from its config', () => {
    const o = new Adamax({ learningRate: 0.01, beta2: 0.99, clipNorm: 2 });
    const json = JSON.parse(JSON.stringify(tf.optimizers.serializeOptimizer(o)));
    expect(json).toEqual({
      className: 'Adamax',
      config: { learningRate: 0.01, weightDecay: null, clipNorm: 2, globalClipNorm: null, clipValue: null, beta1: 0.9, beta2: 0.99, epsilon: 1e-7 },
    });
    const back = tf.optimizers.deserializeOptimizer(json);
    expect(back).toBeInstanceOf(Adamax);
    expect(back.getConfig()).toEqual(o.getConfig());
    expect(tf.optimizers.getOptimizer('ADAMAX')).toBeInstanceOf(Adamax);
    // Keras spellings convert as for the built-ins.
    const keras = tf.optimizers.deserializeOptimizer({ class_name: 'Adamax', config: { learning_rate: 0.5, beta_1: 0.8 } }) as Adamax;
    expect([keras.learningRate, keras.beta1]).toEqual([0.5, 0.8]);
  });

  it('refuses unknown option keys, and unregistered classes with a hint', () => {
    expect(() => new Adamax({ lr: 0.1 } as never)).toThrow(/Adamax: argument 'lr' expected one of the options learningRate, .*beta1, beta2, epsilon/);
    expect(() => tf.optimizers.deserializeOptimizer({ className: 'Lamb', config: {} })).toThrow(/register other classes with registerOptimizer.*got "Lamb"/);
    expect(() => tf.registerOptimizer(42 as never)).toThrow(/registerOptimizer: argument 'cls' expected an Optimizer subclass/);
  });

  it('gives clear errors for slot misuse', () => {
    class Broken extends tf.Optimizer {
      readonly className = 'Broken';
      constructor() {
        super({}, { learningRate: 0.1 });
      }
      protected override buildSlots(variable: tf.Tensor): void {
        this.addSlot(variable, 'a');
        this.addSlot(variable, 'a');
      }
      protected override updateStep(): void {}
    }
    expect(() => new Broken().build([param([1])])).toThrow(/Broken.addSlot: argument 'name' expected a new slot name \(the variable already has 'a'\)/);
    const o = new Adamax();
    const p = param([1, 2]);
    expect(() => o.getSlot(p, 'momentum')).toThrow(/getSlot: .*no state for this variable yet/);
    o.build([p]);
    expect(() => o.getSlot(p, 'velocity')).toThrow(/it has slots 'momentum', 'norm'.*got "velocity"/);
    expect(o.getSlotNames(param([3]))).toEqual([]);
  });

  it('starts slots from a number or a tensor', () => {
    class Seeded extends tf.Optimizer {
      readonly className = 'Seeded';
      constructor() {
        super(undefined, { learningRate: 1 });
      }
      protected override buildSlots(variable: tf.Tensor): void {
        this.addSlot(variable, 'filled', 0.25);
        this.addSlot(variable, 'copy', variable);
        this.addSlot(variable, 'row', tf.tensor([1, 2]));
      }
      protected override updateStep(gradient: tf.Tensor, variable: tf.Tensor): void {
        this.assign(variable, tf.add(this.getSlot(variable, 'copy'), gradient));
      }
    }
    const o = new Seeded();
    const p = param([5, 6, 7, 8], [2, 2]);
    o.applyGradients([[p, tf.tensor([[1, 1], [1, 1]])]]);
    expect(Array.from(o.getSlot(p, 'filled').dataSync())).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(o.getSlot(p, 'copy').dataSync())).toEqual([5, 6, 7, 8]);
    expect(Array.from(o.getSlot(p, 'row').dataSync())).toEqual([1, 2, 1, 2]);
    expect(Array.from(p.dataSync())).toEqual([6, 7, 8, 9]);
  });
});
