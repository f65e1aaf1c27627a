import { add, div, maximum, mul, sub } from '../ops/binary';
import { sqrt, square } from '../ops/unary';
import type { Tensor } from '../tensor/tensor';
import { FusedKernel, type FusedUpdate } from './fused-kernel';
import { booleanOption, numberOption, readOptions } from './options';
import { Optimizer, type OptimizerConfig, type OptimizerOptions, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

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

const OWN_KEYS = ['beta1', 'beta2', 'epsilon', 'amsgrad'];

/**
 * Adam, in Keras's formulation: `m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
 * p -= alpha * m / (sqrt(v) + epsilon)` with `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)` at
 * step t = iterations + 1. (Epsilon is added to the uncorrected sqrt(v), as in Keras and tfjs-layers
 * via TF; PyTorch adds it after bias correction, which differs only while v is tiny.)
 */
export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  private readonly fused = new FusedKernel('adam', Adam.prototype, (h, learningRate, step) => {
    h.oneMinusBeta1 = 1 - this.beta1;
    h.oneMinusBeta2 = 1 - this.beta2;
    h.epsilon = this.epsilon;
    h.alpha = this.alpha(learningRate, step);
    h.amsgrad = this.amsgrad ? 1 : 0;
  });

  /** Name in error messages; AdamW overrides it and the weight-decay default. */
  protected static readonly fnName: string = 'adam';
  protected static readonly defaultWeightDecay: number | undefined = undefined;

  constructor(options: AdamOptions = {}) {
    // new.target is AdamW when constructing one: its statics pick the name and the decay default.
    const cls = new.target as unknown as { fnName: string; defaultWeightDecay: number | undefined };
    const name = cls.fnName;
    super(options, { name, learningRate: 0.001, weightDecay: cls.defaultWeightDecay, optionKeys: OWN_KEYS });
    const o = readOptions(name, options, null);
    this.beta1 = numberOption(name, 'beta1', o['beta1'], 0.9, { min: 0, max: 1, maxExclusive: true });
    this.beta2 = numberOption(name, 'beta2', o['beta2'], 0.999, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = numberOption(name, 'epsilon', o['epsilon'], 1e-7, { min: 0 });
    this.amsgrad = booleanOption(name, 'amsgrad', o['amsgrad'], false);
  }

  /** Rebuilds an Adam from {@link getConfig} output (or a Keras/tfjs config). */
  static fromConfig(config: OptimizerConfig): Adam {
    return new Adam(optionsFromConfig('Adam.fromConfig', config) as AdamOptions);
  }

  protected override buildSlots(variable: Tensor): void {
    this.addSlot(variable, 'momentum');
    this.addSlot(variable, 'velocity');
    if (this.amsgrad) this.addSlot(variable, 'velocity_hat');
  }

  protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
    const m = this.getSlot(variable, 'momentum');
    let v = this.getSlot(variable, 'velocity');
    this.assignAdd(m, mul(sub(gradient, m), 1 - this.beta1));
    this.assignAdd(v, mul(sub(square(gradient), v), 1 - this.beta2));
    if (this.amsgrad) {
      const vHat = this.getSlot(variable, 'velocity_hat');
      this.assign(vHat, maximum(vHat, v));
      v = vHat;
    }
    const alpha = this.alpha(learningRate, this.iterations + 1);
    this.assignSub(variable, div(mul(m, alpha), add(sqrt(v), this.epsilon)));
  }

  /** The step size with both bias corrections folded in, computed in double once per step. */
  private alpha(learningRate: number, step: number): number {
    return (learningRate * Math.sqrt(1 - this.beta2 ** step)) / (1 - this.beta1 ** step);
  }

  /** @internal */
  protected override fusedKernel(): FusedUpdate {
    return this.fused;
  }

  override getConfig(): OptimizerConfig {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

registerOptimizer(Adam);

/** `new Adam(options)`: `optimizers.adam({ learningRate: 1e-3 })`. */
export function adam(options?: AdamOptions): Adam {
  return new Adam(options);
}
