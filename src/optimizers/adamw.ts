import { argError } from '../errors';
import { Adam, type AdamOptions } from './adam';
import { type OptimizerConfig, optionsFromConfig } from './optimizer';
import { registerOptimizer } from './registry';

/** Options of {@link AdamW}: Adam's, with `weightDecay` defaulting to 0.004. */
export type AdamWOptions = AdamOptions;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), as Keras 3 `AdamW`: before each Adam
 * update `p -= p * weightDecay * lr`. The default weightDecay is Keras 3's 0.004; PyTorch's
 * `torch.optim.AdamW` defaults to 0.01 (and epsilon 1e-8), so pass those to match a PyTorch recipe.
 * Because the decay is multiplied by the current learning rate, it follows any schedule.
 */
export class AdamW extends Adam {
  override readonly className: string = 'AdamW';
  protected static override readonly fnName: string = 'adamw';
  protected static override readonly defaultWeightDecay: number | undefined = 0.004;

  constructor(options: AdamWOptions = {}) {
    super(options);
    if (this.weightDecay === null) argError('adamw', 'weightDecay', 'a finite number >= 0 (AdamW needs one)', 'null');
  }

  /** Rebuilds an AdamW from {@link getConfig} output (or a Keras config). */
  static override fromConfig(config: OptimizerConfig): AdamW {
    return new AdamW(optionsFromConfig('AdamW.fromConfig', config) as AdamWOptions);
  }
}

registerOptimizer(AdamW);

/** `new AdamW(options)`: `optimizers.adamw({ learningRate: 1e-3, weightDecay: 0.01 })`. */
export function adamw(options?: AdamWOptions): AdamW {
  return new AdamW(options);
}
