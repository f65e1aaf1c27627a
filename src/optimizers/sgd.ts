import { add, mul, sub } from '../ops/binary';
import type { Tensor } from '../tensor/tensor';
import { FusedKernel, type FusedUpdate } from './fused-kernel';
import { booleanOption, numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

/** Options of {@link SGD}. */
export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Velocity decay in [0, 1]; 0 (default) is plain gradient descent. */
  momentum?: number;
  /** Nesterov momentum (looks ahead along the velocity). Default false. */
  nesterov?: boolean;
}

const OWN_KEYS = ['momentum', 'nesterov'];

/**
 * Gradient descent with optional (Nesterov) momentum, as Keras `SGD`:
 * `v = momentum * v - lr * g; p += v` (Nesterov: `p += momentum * v - lr * g`); without momentum `p -= lr * g`.
 */
export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly fused = new FusedKernel('sgd', SGD.prototype, (h) => {
    h.momentum = this.momentum;
    h.nesterov = this.nesterov ? 1 : 0;
  });

  constructor(options: SGDOptions = {}) {
    const name = 'sgd';
    super(options, { name, learningRate: 0.01, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.momentum = numberOption(name, 'momentum', o['momentum'], 0, { min: 0, max: 1 });
    this.nesterov = booleanOption(name, 'nesterov', o['nesterov'], false);
  }

  /** Rebuilds an SGD from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): SGD {
    return new SGD(optionsFromConfig('SGD.fromConfig', config, { useNesterov: 'nesterov' }) as SGDOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    if (this.momentum > 0) this.addSlot(variable, 'momentum');
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const step = mul(gradient, learningRate);
    if (this.momentum === 0) {
      this.assignSub(variable, step);
      return;
    }
    const m = this.getSlot(variable, 'momentum');
    this.assign(m, sub(mul(m, this.momentum), step));
    this.assign(variable, this.nesterov ? sub(add(variable, mul(m, this.momentum)), step) : add(variable, m));
  }

  /** @internal */
  protected override fusedKernel(): FusedUpdate {
    return this.fused;
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

registerOptimizer(SGD);

/** `new SGD(options)`: `optimizers.sgd({ learningRate: 0.1, momentum: 0.9 })`. */
export function sgd(options?: SGDOptions): SGD {
  return new SGD(options);
}
