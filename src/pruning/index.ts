// tf.pruning: magnitude pruning during training, stripping, and structured (channel) pruning.
export { polynomialDecay, constantSparsity, type PruningSchedule, type PolynomialDecayOptions, type ConstantSparsityOptions } from './schedule';
export { prune, isPruned, type PruneOptions } from './prune';
export { updateCallback, PruningCallback } from './update-callback';
export { strip, sparsity, type SparsityReport, type LayerSparsity } from './strip';
export { registerPrunableWeight, prunableWeightNames } from './prunable';
