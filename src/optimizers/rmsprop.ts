import { M } from './fused-update';
import { booleanOption, numberOption, readOptions } from './options';
import { COMMON_OPTION_KEYS, Optimizer, type OptimizerConfig, type OptimizerOptions, type SlotLayout, optionsFromConfig } from './optimizer';

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

const KEYS = [...COMMON_OPTION_KEYS, 'rho', 'momentum', 'epsilon', 'centered'];

/**
 * RMSprop, as Keras: `v = rho * v + (1 - rho) * g^2`; centered also keeps `a = rho * a + (1 - rho) * g`
 * and divides by `sqrt(v - a^2 + epsilon)` instead of `sqrt(v + epsilon)`; the increment
 * `lr * g / sqrt(...)` is applied directly or through momentum `m = momentum * m + increment; p -= m`.
 */
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  protected readonly kind = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    const fn = 'rmsprop';
    const o = readOptions(fn, options, KEYS);
    super(fn, o, { learningRate: 0.001 });
    this.rho = numberOption(fn, 'rho', o['rho'], 0.9, { min: 0, max: 1, maxExclusive: true });
    this.momentum = numberOption(fn, 'momentum', o['momentum'], 0, { min: 0, max: 1 });
    this.epsilon = numberOption(fn, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
    this.centered = booleanOption(fn, 'centered', o['centered'], false);
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

  protected slotLayout(): SlotLayout {
    return ['velocity', this.momentum > 0 ? 'momentum' : null, this.centered ? 'average_gradient' : null];
  }

  protected writeHyperparameters(meta: Float64Array): void {
    meta[M.h0] = this.rho;
    meta[M.h1] = 1 - this.rho;
    meta[M.h2] = this.momentum;
    meta[M.h3] = this.centered ? 1 : 0;
    meta[M.h4] = this.epsilon;
  }

  protected ownConfig(): OptimizerConfig {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

/** `new RMSprop(options)`: `optimizers.rmsprop({ learningRate: 1e-3, momentum: 0.9 })`. */
export function rmsprop(options?: RMSpropOptions): RMSprop {
  return new RMSprop(options);
}
