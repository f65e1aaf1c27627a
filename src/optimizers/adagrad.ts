import { M } from './fused-update';
import { numberOption, readOptions } from './options';
import { COMMON_OPTION_KEYS, Optimizer, type OptimizerConfig, type OptimizerOptions, type SlotLayout, optionsFromConfig } from './optimizer';

/** Options of {@link Adagrad}. */
export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Starting value of the squared-gradient accumulator. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added under the square root. Default 1e-7 (Keras). */
  epsilon?: number;
}

const KEYS = [...COMMON_OPTION_KEYS, 'initialAccumulatorValue', 'epsilon'];

/** Adagrad, as Keras: `acc += g^2; p -= lr * g / sqrt(acc + epsilon)`. */
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  protected readonly kind = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(options: AdagradOptions = {}) {
    const fn = 'adagrad';
    const o = readOptions(fn, options, KEYS);
    super(fn, o, { learningRate: 0.001 });
    this.initialAccumulatorValue = numberOption(fn, 'initialAccumulatorValue', o['initialAccumulatorValue'], 0.1, { min: 0 });
    this.epsilon = numberOption(fn, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
  }

  /** Rebuilds an Adagrad from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): Adagrad {
    return new Adagrad(optionsFromConfig('Adagrad.fromConfig', config) as AdagradOptions);
  }

  protected slotLayout(): SlotLayout {
    return ['accumulator', null, null];
  }

  protected override slotInitialValue(): number {
    return this.initialAccumulatorValue;
  }

  protected writeHyperparameters(meta: Float64Array): void {
    meta[M.h0] = this.epsilon;
  }

  protected ownConfig(): OptimizerConfig {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** `new Adagrad(options)`: `optimizers.adagrad({ learningRate: 0.01 })`. */
export function adagrad(options?: AdagradOptions): Adagrad {
  return new Adagrad(options);
}
