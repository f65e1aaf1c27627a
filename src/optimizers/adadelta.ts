import { add, div, mul, sub } from '../ops/binary';
import { sqrt, square } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

/** Options of {@link Adadelta}. */
export interface AdadeltaOptions extends OptimizerOptions {
  /** Default 0.001 (Keras and tfjs; the original paper's rule has no rate, i.e. 1). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of both running averages, in [0, 1). Default 0.95. */
  rho?: number;
  /** Added under both square roots. Default 1e-7 (Keras). */
  epsilon?: number;
}

const OWN_KEYS = ['rho', 'epsilon'];

/**
 * Adadelta, as Keras and tfjs: `a = rho * a + (1 - rho) * g^2;
 * d = sqrt(u + epsilon) / sqrt(a + epsilon) * g; u = rho * u + (1 - rho) * d^2; p -= lr * d`, with
 * `a` the squared-gradient average (slot `accumulated_grad`) and `u` the squared-update average
 * (slot `accumulated_delta_var`, read before it is updated).
 */
export class Adadelta extends Optimizer {
  readonly className = 'Adadelta';
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: AdadeltaOptions = {}) {
    const name = 'adadelta';
    super(options, { name, learningRate: 0.001, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.rho = numberOption(name, 'rho', o['rho'], 0.95, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = numberOption(name, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
  }

  /** Rebuilds an Adadelta from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): Adadelta {
    return new Adadelta(optionsFromConfig('Adadelta.fromConfig', config) as AdadeltaOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    this.addSlot(variable, 'accumulated_grad');
    this.addSlot(variable, 'accumulated_delta_var');
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const acc = this.getSlot(variable, 'accumulated_grad');
    const accDelta = this.getSlot(variable, 'accumulated_delta_var');
    this.assignAdd(acc, mul(sub(square(gradient), acc), 1 - this.rho));
    const delta = mul(div(sqrt(add(accDelta, this.epsilon)), sqrt(add(acc, this.epsilon))), gradient);
    this.assignAdd(accDelta, mul(sub(square(delta), accDelta), 1 - this.rho));
    this.assignSub(variable, mul(delta, learningRate));
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
}

registerOptimizer(Adadelta);

/** `new Adadelta(options)`: `optimizers.adadelta({ learningRate: 1 })`. */
export function adadelta(options?: AdadeltaOptions): Adadelta {
  return new Adadelta(options);
}
