// The activation table layers, the ONNX exporter and the recurrent converters read. Activations
// that are unary ops come from the unary op table (src/ops/unary.ts states their names, ONNX form
// and recurrent-op name); only the two that are not unary ops, linear and softmax, are written here.
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { softmax } from '../ops/softmax';
import '../ops/unary'; // fills the unary op table
import type { UnaryActivationName } from '../ops/unary';
import { type OnnxEmitter, type UnaryEntry, emitUnaryOnnx, unaryEntries } from '../ops/unary-table';
import { attachLogits } from './logits';

export type { OnnxEmitter } from '../ops/unary-table';

/** Activation names accepted by layers (tfjs-layers names; Keras snake_case and other aliases also resolve). */
export type ActivationName = 'linear' | 'softmax' | UnaryActivationName;

/** One activation: what layers apply and how ONNX writes it. */
export interface Activation {
  readonly name: ActivationName;
  /** Other names that resolve to it. */
  readonly aliases: readonly string[];
  apply(x: Tensor): Tensor;
  /** Writes it as ONNX nodes on `x`; `axis` is where softmax normalizes (the feature axis). */
  onnx(e: OnnxEmitter, x: string, axis: number): string;
  /** Its name (and alpha/beta) in the `activations` of ONNX LSTM/GRU/RNN, or null when they lack it. */
  readonly rnn: { readonly name: string; readonly alpha?: number; readonly beta?: number } | null;
}

const linear: Activation = {
  name: 'linear',
  aliases: [],
  apply: (x) => x,
  onnx: (_e, x) => x,
  rnn: { name: 'Affine', alpha: 1, beta: 0 },
};

const softmaxActivation: Activation = {
  name: 'softmax',
  aliases: [],
  apply: (x) => attachLogits(softmax(x, -1), 'softmax', x),
  onnx: (e, x, axis) => e.node('Softmax', [x], { axis: { int: axis } }),
  rnn: null,
};

function fromUnary(entry: UnaryEntry): Activation | null {
  const act = entry.activation;
  if (!act) return null;
  const values = entry.params.map((p) => p.value);
  const name = (act.name ?? entry.name) as ActivationName;
  // Crossentropy losses read the logits behind a sigmoid output (see logits.ts).
  const apply = name === 'sigmoid' ? (x: Tensor) => attachLogits(entry.apply(x), 'sigmoid', x) : (x: Tensor) => entry.apply(x);
  return {
    name,
    aliases: act.aliases ?? [],
    apply,
    onnx: (e, x) => emitUnaryOnnx(entry, e, x),
    rnn: act.rnn ? { name: act.rnn, alpha: values[0], beta: values[1] } : null,
  };
}

const table = new Map<string, Activation>();
for (const a of [linear, ...unaryEntries().map(fromUnary), softmaxActivation]) if (a) table.set(a.name, a);

/** Every name and alias, lower-cased, so 'LeakyReLU' or 'HardSwish' resolve too. */
const byLowerName = new Map<string, Activation>();
for (const a of table.values()) for (const n of [a.name, ...a.aliases]) byLowerName.set(n.toLowerCase(), a);

export const ACTIVATION_NAMES = [...table.keys()] as ActivationName[];

/** Resolves an activation by name (undefined/null means linear); unknown names list the valid ones. */
export function resolveActivation(fn: string, name: string | null | undefined): Activation {
  if (name === undefined || name === null) return linear;
  const found = typeof name === 'string' ? table.get(name) ?? byLowerName.get(name.toLowerCase()) : undefined;
  if (!found) argError(fn, 'activation', `one of ${ACTIVATION_NAMES.join(', ')}`, describe(name));
  return found;
}
