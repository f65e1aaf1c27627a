import { M } from './fused-update';
import { booleanOption, numberOption, readOptions } from './options';
import { COMMON_OPTION_KEYS, Optimizer, type OptimizerConfig, type OptimizerOptions, type SlotLayout, optionsFromConfig } from './optimizer';

/** Options of {@link SGD}. */
export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Velocity decay in [0, 1]; 0 (default) is plain gradient descent. */
  momentum?: number;
  /** Nesterov momentum (looks ahead along the velocity). Default false. */
  nesterov?: boolean;
}

const KEYS = [...COMMON_OPTION_KEYS, 'momentum', 'nesterov'];

/**
 * Gradient descent with optional (Nesterov) momentum, as Keras `SGD`:
 * `v = momentum * v - lr * g; p += v` (Nesterov: `p += momentum * v - lr * g`); without momentum `p -= lr * g`.
 */
export class SGD extends Optimizer {
  readonly className = 'SGD';
  protected readonly kind = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    const fn = 'sgd';
    const o = readOptions(fn, options, KEYS);
    super(fn, o, { learningRate: 0.01 });
    this.momentum = numberOption(fn, 'momentum', o['momentum'], 0, { min: 0, max: 1 });
    this.nesterov = booleanOption(fn, 'nesterov', o['nesterov'], false);
  }

  /** Rebuilds an SGD from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): SGD {
    return new SGD(optionsFromConfig('SGD.fromConfig', config, { useNesterov: 'nesterov' }) as SGDOptions);
  }

  protected slotLayout(): SlotLayout {
    return [this.momentum > 0 ? 'momentum' : null, null, null];
  }

  protected writeHyperparameters(meta: Float64Array): void {
    meta[M.h0] = this.momentum;
    meta[M.h1] = this.nesterov ? 1 : 0;
  }

  protected ownConfig(): OptimizerConfig {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** `new SGD(options)`: `optimizers.sgd({ learningRate: 0.1, momentum: 0.9 })`. */
export function sgd(options?: SGDOptions): SGD {
  return new SGD(options);
}
