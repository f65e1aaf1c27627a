import * as fs from 'node:fs';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { scalar } from '../ops/creation';
import type { Tensor } from '../tensor/tensor';
import type { NamedTensor, Optimizer } from './optimizer';

// An optimizer's state in a checkpoint, keyed by the names of the variables it updates (so it can
// be restored into a rebuilt model whatever order the optimizer first saw them in):
// `iterations` (int32 scalar) and `<variable name>/<slot name>` for each slot.

/** A model variable with the name it is saved under (`<layer>/<weight>`). */
export type NamedVariable = readonly [name: string, variable: Tensor];

const ITERATIONS = 'iterations';
const FORMAT = 'tensorforge-optimizer-state';

/** The state as named tensors (the live slots, not copies); empty when the optimizer has none. */
export function optimizerStateTensors(optimizer: Optimizer, variables: readonly NamedVariable[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, variable] of variables) {
    for (const slot of optimizer.getSlotNames(variable)) out.set(`${name}/${slot}`, optimizer.getSlot(variable, slot));
  }
  if (out.size === 0 && optimizer.iterations === 0) return out;
  return new Map([[ITERATIONS, scalar(optimizer.iterations, 'int32')], ...out]);
}

/**
 * Restores state saved by {@link optimizerStateTensors} into an optimizer that has not updated any
 * variable yet (what a model gets when it is loaded and compiled again). Throws, naming `source`,
 * when a slot the optimizer keeps for a saved variable is missing or does not fit.
 */
export function restoreOptimizerState(optimizer: Optimizer, variables: readonly NamedVariable[], tensors: ReadonlyMap<string, Tensor>, source: string): void {
  const iterations = tensors.get(ITERATIONS);
  if (!iterations) throw new Error(`${source}: no '${ITERATIONS}' entry (not an optimizer state)`);
  const saved = variables.filter(([name]) => [...tensors.keys()].some((k) => k.startsWith(`${name}/`)));
  optimizer.build(saved.map(([, v]) => v));
  const weights: NamedTensor[] = [{ name: 'iter', tensor: iterations }];
  for (const [name, variable] of saved) {
    for (const slot of optimizer.getSlotNames(variable)) {
      const t = tensors.get(`${name}/${slot}`);
      if (!t) throw new Error(`${source}: no '${name}/${slot}' entry (slot '${slot}' of ${optimizer.className} for '${name}')`);
      weights.push({ name: `${name}/${slot}`, tensor: t });
    }
  }
  try {
    optimizer.setWeights(weights);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Writes the state to a safetensors file; returns false (writing nothing) when there is none. */
export async function saveOptimizerState(optimizer: Optimizer, variables: readonly NamedVariable[], file: string): Promise<boolean> {
  const tensors = optimizerStateTensors(optimizer, variables);
  if (tensors.size === 0) return false;
  await fs.promises.writeFile(file, encodeSafetensors(tensors, { format: FORMAT, className: optimizer.className }));
  return true;
}

/** Reads a file written by {@link saveOptimizerState} into `optimizer` (see {@link restoreOptimizerState}). */
export async function loadOptimizerState(optimizer: Optimizer, variables: readonly NamedVariable[], file: string): Promise<void> {
  const bytes = await fs.promises.readFile(file).catch((err: Error) => {
    throw new Error(`cannot read ${file}: ${err.message}`);
  });
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata['className'] !== undefined && metadata['className'] !== optimizer.className) {
    throw new Error(`${file} holds the state of optimizer class ${metadata['className']}; the model's optimizer is ${optimizer.className}`);
  }
  restoreOptimizerState(optimizer, variables, tensors, file);
}
