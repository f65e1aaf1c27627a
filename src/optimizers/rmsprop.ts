import { add, div, mul, sub } from '../ops/binary';
import { sqrt, square } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { FusedKernel, type FusedUpdate } from './fused-kernel';
import { booleanOption, numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

/** Options of {@link RMSprop}. */
export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.001 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the squared-gradient average, in [0, 1). Default 0.9 (tfjs calls it `decay`). */
  rho?: number;
  /** Momentum in [0, 1]. Default 0. */
  momentum?: number;
  /** Added under the square root. Default 1e-7 (Keras). */
  epsilon?: number;
  /** Normalize by the estimated variance (subtract the squared mean gradient). Default false. */
  centered?: boolean;
}

const OWN_KEYS = ['rho', 'momentum', 'epsilon', 'centered'];

/**
 * RMSprop, as Keras: `v = rho * v + (1 - rho) * g^2`; centered also keeps `a = rho * a + (1 - rho) * g`
 * and divides by `sqrt(v - a^2 + epsilon)` instead of `sqrt(v + epsilon)`; the increment
 * `lr * g / sqrt(...)` is applied directly or through momentum `m = momentum * m + increment; p -= m`.
 */
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private readonly fused = new FusedKernel('rmsprop', RMSprop.prototype, (h) => {
    h.rho = this.rho;
    h.oneMinusRho = 1 - this.rho;
    h.momentum = this.momentum;
    h.centered = this.centered ? 1 : 0;
    h.epsilon = this.epsilon;
  });

  constructor(options: RMSpropOptions = {}) {
    const name = 'rmsprop';
    super(options, { name, learningRate: 0.001, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.rho = numberOption(name, 'rho', o['rho'], 0.9, { min: 0, max: 1, maxExclusive: true });
    this.momentum = numberOption(name, 'momentum', o['momentum'], 0, { min: 0, max: 1 });
    this.epsilon = numberOption(name, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
    this.centered = booleanOption(name, 'centered', o['centered'], false);
  }

  /** Rebuilds an RMSprop from {@link getConfig} output (or a Keras config, or tfjs's, where `decay` is rho). */
  static fromConfig(config: OptimizerConfig): RMSprop {
    const c: OptimizerConfig = { ...config };
    if (c['decay'] !== undefined && c['rho'] === undefined) {
      c['rho'] = c['decay']!;
      delete c['decay'];
    }
    return new RMSprop(optionsFromConfig('RMSprop.fromConfig', c) as RMSpropOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    this.addSlot(variable, 'velocity');
    if (this.momentum > 0) this.addSlot(variable, 'momentum');
    if (this.centered) this.addSlot(variable, 'average_gradient');
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const oneMinusRho = 1 - this.rho;
    const v = this.getSlot(variable, 'velocity');
    this.assign(v, add(mul(v, this.rho), mul(square(gradient), oneMinusRho)));
    let denominator: Tensor;
    if (this.centered) {
      const a = this.getSlot(variable, 'average_gradient');
      this.assign(a, add(mul(a, this.rho), mul(gradient, oneMinusRho)));
      denominator = add(sub(v, square(a)), this.epsilon);
    } else {
      denominator = add(v, this.epsilon);
    }
    const increment = div(mul(gradient, learningRate), sqrt(denominator));
    if (this.momentum > 0) {
      const m = this.getSlot(variable, 'momentum');
      this.assign(m, add(mul(m, this.momentum), increment));
      this.assignSub(variable, m);
    } else {
      this.assignSub(variable, increment);
    }
  }

  /** @internal */
  protected override fusedKernel(): FusedUpdate {
    return this.fused;
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

registerOptimizer(RMSprop);

/** `new RMSprop(options)`: `optimizers.rmsprop({ learningRate: 1e-3, momentum: 0.9 })`. */
export function rmsprop(options?: RMSpropOptions): RMSprop {
  return new RMSprop(options);
}
