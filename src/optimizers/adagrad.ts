import { add, div, mul } from '../ops/binary';
import { sqrt, square } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { FusedKernel, type FusedUpdate } from './fused-kernel';
import { numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

/** Options of {@link Adagrad}. */
export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Starting value of the squared-gradient accumulator. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added under the square root. Default 1e-7 (Keras). */
  epsilon?: number;
}

const OWN_KEYS = ['initialAccumulatorValue', 'epsilon'];

/** Adagrad, as Keras: `acc += g^2; p -= lr * g / sqrt(acc + epsilon)`. */
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  private readonly fused = new FusedKernel('adagrad', Adagrad.prototype, (h) => {
    h.epsilon = this.epsilon;
  });

  constructor(options: AdagradOptions = {}) {
    const name = 'adagrad';
    super(options, { name, learningRate: 0.001, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.initialAccumulatorValue = numberOption(name, 'initialAccumulatorValue', o['initialAccumulatorValue'], 0.1, { min: 0 });
    this.epsilon = numberOption(name, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
  }

  /** Rebuilds an Adagrad from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): Adagrad {
    return new Adagrad(optionsFromConfig('Adagrad.fromConfig', config) as AdagradOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    this.addSlot(variable, 'accumulator', this.initialAccumulatorValue);
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const acc = this.getSlot(variable, 'accumulator');
    this.assignAdd(acc, square(gradient));
    this.assignSub(variable, div(mul(gradient, learningRate), sqrt(add(acc, this.epsilon))));
  }

  /** @internal */
  protected override fusedKernel(): FusedUpdate {
    return this.fused;
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

registerOptimizer(Adagrad);

/** `new Adagrad(options)`: `optimizers.adagrad({ learningRate: 0.01 })`. */
export function adagrad(options?: AdagradOptions): Adagrad {
  return new Adagrad(options);
}
