import { abs } from '../ops/unary';
import { add, div, maximum, mul, sub } from '../ops/binary';
import type { Tensor } from '../tensor/tensor';
import { numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';
import { InverseTimeDecay, serializeSchedule } from './schedules';

/** Options of {@link Adamax}. */
export interface AdamaxOptions extends OptimizerOptions {
  /** Default 0.001 (Keras; tfjs's `tf.train.adamax` defaults to 0.002). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the infinity norm, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the norm. Default 1e-7 (Keras). */
  epsilon?: number;
}

const OWN_KEYS = ['beta1', 'beta2', 'epsilon'];

/**
 * Adamax (Adam with the infinity norm), as Keras and tfjs: `m += (g - m) * (1 - beta1);
 * u = max(beta2 * u, |g|); p -= lr / (1 - beta1^t) * m / (u + epsilon)` at step t = iterations + 1,
 * with slots `momentum` (m) and `norm` (u).
 */
export class Adamax extends Optimizer {
  readonly className = 'Adamax';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamaxOptions = {}) {
    const name = 'adamax';
    super(options, { name, learningRate: 0.001, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.beta1 = numberOption(name, 'beta1', o['beta1'], 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = numberOption(name, 'beta2', o['beta2'], 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = numberOption(name, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
  }

  /**
   * Rebuilds an Adamax from {@link getConfig} output (or a Keras/tfjs config; tfjs's time-based
   * `decay` becomes an {@link InverseTimeDecay} of the rate, which is what it computes).
   */
  static fromConfig(config: OptimizerConfig): Adamax {
    const c: OptimizerConfig = { ...config };
    const decay = c['decay'];
    const key = 'learning_rate' in c ? 'learning_rate' : 'learningRate';
    const rate = c[key] ?? 0.001;
    if (typeof decay === 'number' && decay > 0 && typeof rate === 'number') {
      c[key] = serializeSchedule(new InverseTimeDecay({ initialLearningRate: rate, decaySteps: 1, decayRate: decay }));
      delete c['decay'];
    }
    return new Adamax(optionsFromConfig('Adamax.fromConfig', c) as AdamaxOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    this.addSlot(variable, 'momentum');
    this.addSlot(variable, 'norm');
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const m = this.getSlot(variable, 'momentum');
    const u = this.getSlot(variable, 'norm');
    this.assignAdd(m, mul(sub(gradient, m), 1 - this.beta1));
    this.assign(u, maximum(mul(u, this.beta2), abs(gradient)));
    // The bias correction in double, once per step (as Adam's alpha).
    const alpha = learningRate / (1 - this.beta1 ** (this.iterations + 1));
    this.assignSub(variable, div(mul(m, alpha), add(u, this.epsilon)));
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

registerOptimizer(Adamax);

/** `new Adamax(options)`: `optimizers.adamax({ learningRate: 0.002 })`. */
export function adamax(options?: AdamaxOptions): Adamax {
  return new Adamax(options);
}
