import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { add, div, mul } from '../ops/binary';
import { abs, clip, elu, gelu, leakyRelu, relu, sigmoid, softplus, tanh } from '../ops/unary';
import { softmax } from '../ops/softmax';
import { attachLogits } from './logits';

/** Activation names accepted by layers (tfjs-layers names; Keras snake_case also resolves). */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'sigmoid'
  | 'hardSigmoid'
  | 'tanh'
  | 'softmax'
  | 'softplus'
  | 'softsign'
  | 'swish';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const table: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu,
  leakyRelu: (x) => leakyRelu(x, 0.2),
  elu: (x) => elu(x, 1),
  selu: (x) => mul(elu(x, SELU_ALPHA), SELU_SCALE),
  gelu,
  sigmoid: (x) => attachLogits(sigmoid(x), 'sigmoid', x),
  // tfjs's piecewise-linear form: clip(0.2 x + 0.5, 0, 1).
  hardSigmoid: (x) => clip(add(mul(x, 0.2), 0.5), 0, 1),
  tanh,
  softmax: (x) => attachLogits(softmax(x, -1), 'softmax', x),
  softplus,
  softsign: (x) => div(x, add(abs(x), 1)),
  swish: (x) => mul(x, sigmoid(x)),
};

const aliases: Record<string, ActivationName> = {
  leaky_relu: 'leakyRelu',
  leakyrelu: 'leakyRelu',
  hard_sigmoid: 'hardSigmoid',
  silu: 'swish',
};

export const ACTIVATION_NAMES = Object.keys(table) as ActivationName[];

/** Resolves an activation by name (undefined/null means linear); unknown names list the valid ones. */
export function resolveActivation(fn: string, name: string | null | undefined): { name: ActivationName; apply: (x: Tensor) => Tensor } {
  if (name === undefined || name === null) return { name: 'linear', apply: table.linear };
  const key = (typeof name === 'string' && (name in table ? name : aliases[name] ?? aliases[name.toLowerCase()])) as ActivationName | undefined;
  if (!key || !(key in table)) argError(fn, 'activation', `one of ${ACTIVATION_NAMES.join(', ')}`, describe(name));
  return { name: key, apply: table[key] };
}
