// GRU: the fused native sequence op with the default activations and resetAfter, composed ops otherwise.
import type { Tensor } from '../tensor/tensor';
import { resolveActivation } from '../activations/activations';
import { add, mul, sub } from '../ops/binary';
import { linear } from '../ops/linear';
import { matmul } from '../ops/matmul';
import { stack } from '../ops/movement';
import { gruSequence } from '../ops/rnn-cells';
import { reshape, slice } from '../ops/views';
import type { LayerConfig } from './layer';
import { registerLayer } from './registry';
import { type Act, type GatedRNNArgs, RecurrentLayer, blend, maskColumn, stepOf } from './recurrent';

export interface GRUArgs extends GatedRNNArgs {
  /** Keras's default (true): the reset gate multiplies h U + b_rec (cuDNN-compatible form). */
  resetAfter?: boolean;
}

/** Gated recurrent unit (Cho 2014), Keras gate order z, r, h; resetAfter (default) as Keras 2 / cuDNN. */
export class GRU extends RecurrentLayer {
  readonly className: string = 'GRU';
  protected readonly gateCount = 3;
  readonly stateCount = 1;
  readonly recurrentActivation: Act;
  readonly resetAfter: boolean;
  constructor(args: GRUArgs) {
    super(args, 'gru');
    this.recurrentActivation = resolveActivation('gru', args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation);
    this.resetAfter = args.resetAfter ?? true;
  }

  protected override biasShape(): number[] {
    // resetAfter: separate input and recurrent biases, [2, 3 * units], as Keras.
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  get fused(): boolean {
    return this.resetAfter && this.activation.name === 'tanh' && this.recurrentActivation.name === 'sigmoid';
  }

  /** x · kernel + bias for every step at once; int8 subclasses replace the product. */
  protected projectInput(x: Tensor, bias: Tensor | null): Tensor {
    return linear(x, this.kernel!, bias);
  }

  /**
   * h · (columns of recurrentKernel) (+ bias) for one step: 'all' (resetAfter), or without resetAfter
   * 'zr' (update and reset gates) and 'h' (the candidate, whose input r * h depends on the reset gate).
   * Int8 subclasses replace the product.
   */
  protected projectState(h: Tensor, columns: 'all' | 'zr' | 'h', bias: Tensor | null): Tensor {
    const U = this.recurrentKernel!;
    const H = this.units;
    const u = columns === 'all' ? U : columns === 'zr' ? slice(U, [0, 0], [H, 2 * H]) : slice(U, [0, 2 * H], [H, H]);
    const p = matmul(h, u);
    return bias ? add(p, bias) : p;
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const U = this.recurrentKernel!;
    let bIn: Tensor | null = this.bias;
    let bRec: Tensor | null = null;
    if (this.bias && this.resetAfter) {
      bIn = reshape(slice(this.bias, [0, 0], [1, 3 * H]), [3 * H]);
      bRec = reshape(slice(this.bias, [1, 0], [1, 3 * H]), [3 * H]);
    }
    const xp = this.projectInput(x, bIn);
    if (this.fused) {
      const Y = gruSequence(xp, U, bRec, states[0]!, mask);
      return { seq: () => Y, finals: [reshape(slice(Y, [0, T - 1, 0], [B, 1, H]), [B, H])] };
    }
    let h = states[0]!;
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const xt = stepOf(xp, t);
      const xg = (k: number) => slice(xt, [0, k * H], [B, H]);
      let hNext: Tensor;
      if (this.resetAfter) {
        const hp = this.projectState(h, 'all', bRec);
        const hg = (k: number) => slice(hp, [0, k * H], [B, H]);
        const z = sigma(add(xg(0), hg(0)));
        const r = sigma(add(xg(1), hg(1)));
        const hh = this.activation.apply(add(xg(2), mul(r, hg(2))));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      } else {
        const hzr = this.projectState(h, 'zr', null);
        const z = sigma(add(xg(0), slice(hzr, [0, 0], [B, H])));
        const r = sigma(add(xg(1), slice(hzr, [0, H], [B, H])));
        const hh = this.activation.apply(add(xg(2), this.projectState(mul(r, h), 'h', null)));
        hNext = add(mul(z, h), mul(sub(1, z), hh));
      }
      h = blend(hNext, h, mask && maskColumn(mask, t));
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h] };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, resetAfter: this.resetAfter };
  }
}

/** Factories under their tfjs-layers names. */
export const gruFactories = {
  gru: (args: GRUArgs) => new GRU(args),
};

registerLayer('GRU', GRU, { wrappable: true });
