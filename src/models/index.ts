import type { Layer } from '../layers/layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import { LayersModel } from './layers-model';
import { Sequential } from './sequential';

/**
 * A linear stack of layers: `sequential([l1, l2])`, `sequential({ layers: [...] })`, or empty and
 * filled with `model.add(layer)` (tfjs).
 */
export function sequential(config?: Layer[] | { layers?: Layer[]; name?: string }): Sequential {
  return new Sequential(Array.isArray(config) ? { layers: config } : config ?? {});
}

/** A functional model from symbolic inputs to outputs (tfjs `tf.model`). */
export function model(args: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string }): LayersModel {
  return new LayersModel(args);
}

export { LayersModel, Sequential };
export { History } from './history';
export { loadModel } from './model-load';
export { foldBatchNorm } from './fold-batch-norm';
export type { CompileArgs, FitArgs, EvaluateArgs, PredictArgs, BatchSource } from './training';
