import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { mul } from '../ops/binary';
import { reshape } from '../ops/views';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import { registerLayer } from './registry';

/** Options of `layers.masking`. */
export interface MaskingArgs extends LayerArgs {
  /** A time step whose features all equal this value is padding (default 0). */
  maskValue?: number;
}

/**
 * Marks padded time steps (Keras Masking): on [batch, time, ...features], a step whose features
 * all equal `maskValue` gets mask 0. The output is the input with those steps zeroed, and the
 * [batch, time] mask flows to the following layers of the model, where recurrent layers carry
 * their state over masked steps.
 */
export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(args: MaskingArgs = {}) {
    super(args, 'masking');
    const v = args.maskValue ?? 0;
    if (typeof v !== 'number' || Number.isNaN(v)) argError('masking', 'maskValue', 'a number', describe(args.maskValue));
    this.maskValue = v;
  }

  /** The [batch, time] mask of x: 1 where some feature differs from maskValue. */
  private maskOf(x: Tensor): Tensor {
    if (x.rank < 3) argError(this.name, 'inputs', 'a tensor [batch, time, ...features]', `shape [${x.shape.join(',')}]`);
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const F = x.size / Math.max(1, B * T);
    const src = x.contiguousCopy();
    const out = Tensor.empty([B, T], 'float32');
    for (let s = 0; s < B * T; s++) {
      const base = src.offset + s * F;
      let keep = 0;
      for (let f = 0; f < F; f++) {
        if (src.buffer[base + f] !== this.maskValue) {
          keep = 1;
          break;
        }
      }
      out.buffer[s] = keep;
    }
    return out;
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    // Zeroing masked steps (as Keras) keeps layers that ignore masks from reading the pad value.
    const m = this.maskOf(x);
    return mul(x, reshape(m, [x.shape[0]!, x.shape[1]!, ...new Array<number>(x.rank - 2).fill(1)]));
  }

  override computeMask(inputs: Tensor | Tensor[]): Tensor {
    return this.maskOf(Array.isArray(inputs) ? inputs[0]! : inputs);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

/** Factories under their tfjs-layers names. */
export const maskingFactories = {
  masking: (args: MaskingArgs = {}) => new Masking(args),
};

registerLayer('Masking', Masking);
