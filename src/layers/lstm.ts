// LSTM: the fused native sequence op with the default activations, composed ops otherwise.
import type { Tensor } from '../tensor/tensor';
import { resolveActivation } from '../activations/activations';
import { add, mul } from '../ops/binary';
import { linear } from '../ops/linear';
import { matmul } from '../ops/matmul';
import { stack } from '../ops/movement';
import { lstmSequence } from '../ops/rnn-cells';
import { reshape, slice } from '../ops/views';
import type { LayerConfig } from './layer';
import { registerLayer } from './registry';
import { type Act, type GatedRNNArgs, RecurrentLayer, blend, maskColumn, stepOf } from './recurrent';
import type { ShapeWithBatch } from './symbolic-tensor';

export interface LSTMArgs extends GatedRNNArgs {
  /** Initialize the forget-gate bias to 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

/** Long short-term memory (Hochreiter 1997), Keras gate order i, f, c, o. */
export class LSTM extends RecurrentLayer {
  readonly className: string = 'LSTM';
  protected readonly gateCount = 4;
  readonly stateCount = 2;
  readonly recurrentActivation: Act;
  readonly unitForgetBias: boolean;
  constructor(args: LSTMArgs) {
    super(args, 'lstm');
    this.recurrentActivation = resolveActivation('lstm', args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation);
    this.unitForgetBias = args.unitForgetBias ?? true;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    super.build(inputShape);
    if (this.bias && this.unitForgetBias) {
      const H = this.units;
      this.bias.buffer.fill(1, this.bias.offset + H, this.bias.offset + 2 * H);
    }
  }

  /** Whether the fused native path applies (the default activations). */
  get fused(): boolean {
    return this.activation.name === 'tanh' && this.recurrentActivation.name === 'sigmoid';
  }

  /** x · kernel + bias for every step at once; int8 subclasses replace the product. */
  protected projectInput(x: Tensor, bias: Tensor | null): Tensor {
    return linear(x, this.kernel!, bias);
  }

  /** h · recurrentKernel for one step; int8 subclasses replace the product. */
  protected projectState(h: Tensor): Tensor {
    return matmul(h, this.recurrentKernel!);
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const H = this.units;
    const xp = this.projectInput(x, this.bias);
    if (this.fused) {
      const Y = lstmSequence(xp, this.recurrentKernel!, states[0]!, states[1]!, mask);
      const last = (off: number) => reshape(slice(Y, [0, T - 1, off], [B, 1, H]), [B, H]);
      return { seq: () => slice(Y, [0, 0, 0], [B, T, H]), finals: [last(0), last(H)] };
    }
    let [h, c] = states as [Tensor, Tensor];
    const outs: Tensor[] = [];
    const sigma = this.recurrentActivation.apply;
    for (let t = 0; t < T; t++) {
      const z = add(stepOf(xp, t), this.projectState(h));
      const gate = (k: number) => slice(z, [0, k * H], [B, H]);
      const cNext = add(mul(sigma(gate(1)), c), mul(sigma(gate(0)), this.activation.apply(gate(2))));
      const hNext = mul(sigma(gate(3)), this.activation.apply(cNext));
      const m = mask && maskColumn(mask, t);
      h = blend(hNext, h, m);
      c = blend(cNext, c, m);
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h, c] };
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, unitForgetBias: this.unitForgetBias };
  }
}

/** Factories under their tfjs-layers names. */
export const lstmFactories = {
  lstm: (args: LSTMArgs) => new LSTM(args),
};

registerLayer('LSTM', LSTM, { wrappable: true });
