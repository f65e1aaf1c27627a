/**
 * `tensorforge/tfjs`: the API of `@tensorflow/tfjs-node` as Node scripts use it, over tensorforge,
 * so tfjs code runs by changing its import line. Everything of the main API is here too; where
 * tfjs's conventions differ (synchronous predict/evaluate returning tensors, `{ xs, ys }`
 * datasets, `tf.data.csv`, tfjs's model.json + weights.bin on `save('file://...')`) this entry
 * point adapts through wrappers around the same models, layers and kernels.
 *
 * @example
 * const tf = require('tensorforge/tfjs'); // was require('@tensorflow/tfjs-node')
 */
import './tensor';
import './gradients';
import type { Tensor } from '../tensor/tensor';
import { setBackend as setNativeBackend, type BackendName } from '../backend/backend';
import * as mainTrain from '../optimizers/train';
import { Optimizer } from '../optimizers';

export * from '../index';
export { tidy, keep, dispose, memory, engine, ready, nextFrame, enableProdMode, enableDebugMode, type MemoryInfo } from './engine';
export { tensor, tensor1d, tensor2d, tensor3d, tensor4d, tensor5d, tensor6d, scalar, fill, range, randomNormal, randomUniform, variable, type Variable, type TensorLike } from './tensor';
export { sequential, model, input, loadLayersModel, TfjsLayersModel, TfjsLayersModel as LayersModel, TfjsLayersModel as Sequential, type TfjsFitArgs, type SaveResult } from './model';
export { layers } from './layers';

/** tfjs's `tf.train`: the optimizer factories and the Optimizer base class. */
export const train = { ...mainTrain, Optimizer };
export { variableGrads } from './gradients';
export { unstack, linspace, moments, buffer, TensorBuffer } from './ops';
export { TfjsLayersModel as Model } from './model';
export { node } from './node';
export * as util from './util';
export * as data from './data';
export * as io from './io';
export * as test_util from './test-util';
export { Callback, CustomCallback, type CustomCallbackArgs } from './callback';

/** tfjs's rank-named tensor types: all the one Tensor class here. */
export type Scalar = Tensor;
export type Tensor1D = Tensor;
export type Tensor2D = Tensor;
export type Tensor3D = Tensor;
export type Tensor4D = Tensor;
export type Tensor5D = Tensor;
export type Tensor6D = Tensor;
export type Rank = 'R0' | 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6';

/** tfjs `setBackend(name)`: tfjs's backend names ('tensorflow', 'cpu', ...) all mean the native backend here. */
export async function setBackend(name: string): Promise<boolean> {
  if (name === 'native' || name === 'js') setNativeBackend(name as BackendName);
  return true;
}

/** Versions as tfjs reports them. */
export const version = { 'tfjs-core': '4.22.0', 'tfjs-node': '4.22.0', tensorforge: '0.1.0' };
export const version_core = '4.22.0';
