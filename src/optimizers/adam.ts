import { M } from './fused-update';
import { booleanOption, numberOption, readOptions } from './options';
import { COMMON_OPTION_KEYS, Optimizer, type OptimizerConfig, type OptimizerOptions, type SlotLayout, optionsFromConfig } from './optimizer';

/** Options of {@link Adam}. */
export interface AdamOptions extends OptimizerOptions {
  /** Default 0.001 (Keras). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v). Default 1e-7, as Keras (PyTorch uses 1e-8). */
  epsilon?: number;
  /** Divide by the running maximum of the second moment (AMSGrad). Default false. */
  amsgrad?: boolean;
}

/** Option names of Adam (AdamW adds nothing new: weightDecay is common). */
export const ADAM_KEYS = [...COMMON_OPTION_KEYS, 'beta1', 'beta2', 'epsilon', 'amsgrad'];

/**
 * Adam, in Keras's formulation: `m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
 * p -= alpha * m / (sqrt(v) + epsilon)` with `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)` at
 * step t = iterations + 1. (Epsilon is added to the uncorrected sqrt(v), as in Keras and tfjs-layers
 * via TF; PyTorch adds it after bias correction, which differs only while v is tiny.)
 */
export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  protected readonly kind = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  /** Name in error messages; AdamW overrides it and the weight-decay default. */
  protected static readonly fnName: string = 'adam';
  protected static readonly defaultWeightDecay: number | undefined = undefined;

  constructor(options: AdamOptions = {}) {
    // new.target is AdamW when constructing one: its statics pick the name and the decay default.
    const cls = new.target as unknown as { fnName: string; defaultWeightDecay: number | undefined };
    const fn = cls.fnName;
    const o = readOptions(fn, options, ADAM_KEYS);
    super(fn, o, { learningRate: 0.001, weightDecay: cls.defaultWeightDecay });
    this.beta1 = numberOption(fn, 'beta1', o['beta1'], 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = numberOption(fn, 'beta2', o['beta2'], 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = numberOption(fn, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
    this.amsgrad = booleanOption(fn, 'amsgrad', o['amsgrad'], false);
  }

  /** Rebuilds an Adam from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): Adam {
    return new Adam(optionsFromConfig('Adam.fromConfig', config) as AdamOptions);
  }

  protected slotLayout(): SlotLayout {
    return ['momentum', 'velocity', this.amsgrad ? 'velocity_hat' : null];
  }

  protected writeHyperparameters(meta: Float64Array, learningRate: number, step: number): void {
    const correction1 = 1 - this.beta1 ** step;
    const correction2 = 1 - this.beta2 ** step;
    meta[M.h0] = 1 - this.beta1;
    meta[M.h1] = 1 - this.beta2;
    meta[M.h2] = this.epsilon;
    meta[M.h3] = (learningRate * Math.sqrt(correction2)) / correction1;
    meta[M.h4] = this.amsgrad ? 1 : 0;
  }

  protected ownConfig(): OptimizerConfig {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** `new Adam(options)`: `optimizers.adam({ learningRate: 1e-3 })`. */
export function adam(options?: AdamOptions): Adam {
  return new Adam(options);
}
