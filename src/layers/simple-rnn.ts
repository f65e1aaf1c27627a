// SimpleRNN: the fully connected recurrent layer, run as composed ops per step.
import type { Tensor } from '../tensor/tensor';
import { add } from '../ops/binary';
import { linear } from '../ops/linear';
import { matmul } from '../ops/matmul';
import { stack } from '../ops/movement';
import { registerLayer } from './registry';
import { type RNNArgs, RecurrentLayer, blend, maskColumn, stepOf } from './recurrent';

/** Fully connected RNN: h_t = activation(x_t W + b + h_{t-1} U). */
export class SimpleRNN extends RecurrentLayer {
  readonly className = 'SimpleRNN';
  protected readonly gateCount = 1;
  readonly stateCount = 1;
  constructor(args: RNNArgs) {
    super(args, 'simple_rnn');
  }

  protected run(x: Tensor, states: Tensor[], mask: Tensor | null): { seq: () => Tensor; finals: Tensor[] } {
    const xp = linear(x, this.kernel!, this.bias);
    let h = states[0]!;
    const outs: Tensor[] = [];
    for (let t = 0; t < x.shape[1]!; t++) {
      const next = this.activation.apply(add(stepOf(xp, t), matmul(h, this.recurrentKernel!)));
      h = blend(next, h, mask && maskColumn(mask, t));
      outs.push(h);
    }
    return { seq: () => stack(outs, 1), finals: [h] };
  }
}

/** Factories under their tfjs-layers names. */
export const simpleRnnFactories = {
  simpleRNN: (args: RNNArgs) => new SimpleRNN(args),
};

registerLayer('SimpleRNN', SimpleRNN, { wrappable: true });
