// Which weights magnitude pruning masks: registered by weight name (the last segment of the name,
// so wrapped layers' 'forward/kernel' and attention's 'query/kernel' count as 'kernel'). Biases and
// normalization parameters are never pruned: they are few and pruning them costs accuracy.
import { argError, describe } from '../errors';
import type { Layer, LayerWeight } from '../layers/layer';

const names = new Set<string>(['kernel', 'recurrent_kernel', 'embeddings', 'depthwise_kernel', 'pointwise_kernel']);

/**
 * Makes weights named `name` (the last '/'-segment of a layer's weight name) prunable by
 * `pruning.prune`. Built in: kernel (Dense, every convolution, attention projections, RNN input
 * kernels), recurrent_kernel, embeddings, depthwise_kernel, pointwise_kernel.
 */
export function registerPrunableWeight(name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('/')) argError('pruning.registerPrunableWeight', 'name', "a weight name without '/'", describe(name));
  names.add(name);
}

/** The prunable weight names, sorted. */
export function prunableWeightNames(): string[] {
  return [...names].sort();
}

/** The weights of `layer` that pruning masks. */
export function prunableWeights(layer: Layer): LayerWeight[] {
  return layer.weightsInfo.filter((w) => names.has(w.name.slice(w.name.lastIndexOf('/') + 1)) && w.value.dtype === 'float32');
}
