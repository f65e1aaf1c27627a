// tf.pruning: magnitude pruning during training, stripping, and structured (channel) pruning.
export { polynomialDecay, constantSparsity, type PruningSchedule, type PolynomialDecayOptions, type ConstantSparsityOptions } from './schedule';
export { prune, isPruned, type PruneOptions } from './prune';
export { updateCallback, step, PruningCallback } from './update-callback';
export { strip, sparsity, type SparsityReport, type LayerSparsity } from './strip';
export { registerPrunableWeight, prunableWeightNames } from './prunable';
export { pruneChannels } from './prune-channels';
export { channelPlan, type ChannelPlan, type PlannedLayer, type PruneChannelsOptions } from './channel-plan';
export { registerChannelRule, registerChannelProducer, type ChannelRule, type ChannelProducer, type ChannelSet, type ChannelStep, type WeightSlice } from './channel-rules';
