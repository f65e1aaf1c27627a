// How channel (structured) pruning crosses each layer class, registered by className:
//   producers  whose output channels (filters / units) may be removed, and which weight axes hold them;
//   rules      what a layer downstream of removed channels does with them: passes them through
//              (activation, pooling, BatchNormalization - slicing its parameters - depthwise
//              convolution, Flatten), or consumes them (slicing its kernel's input axis), or refuses.
// A class without a rule stops the pruning of every producer that reaches it (the safe default).
import { argError, describe } from '../errors';
import type { Layer, LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { normalizeAxis } from '../tensor/shape';

/** Channels travelling along one axis of a tensor: `kept` (ascending) of `total`, at `axis` (batch = axis 0). */
export interface ChannelSet {
  axis: number;
  total: number;
  kept: number[];
}

/** One weight axis to keep only some indices of. */
export interface WeightSlice {
  weight: string;
  axis: number;
  kept: number[];
}

/** A rule's answer: the channels on the layer's output (absent: consumed here), its slices and config changes. */
export type ChannelStep = { next?: ChannelSet; slices?: WeightSlice[]; config?: LayerConfig } | { refuse: string };

/** The rule of a layer class, given the incoming channels and the layer call's input and output shapes. */
export type ChannelRule = (layer: Layer, channels: ChannelSet, inShape: ShapeWithBatch, outShape: ShapeWithBatch | null) => ChannelStep;

/** A layer class whose output channels can be removed. */
export interface ChannelProducer {
  /** The weight holding one slice per output channel (its importance is that slice's norm). */
  weight(layer: Layer): string;
  /** That weight's output-channel axis. */
  weightAxis(layer: Layer): number;
  /** The output tensor's channel axis (rank includes the batch). */
  outputAxis(layer: Layer, outRank: number): number;
  /** The config entry holding the channel count ('units', 'filters'). */
  configKey: string;
  /** Why this instance cannot be pruned (e.g. grouped convolution), or null. */
  refuse?(layer: Layer): string | null;
}

const rules = new Map<string, ChannelRule>();
const producers = new Map<string, ChannelProducer>();

/** Registers how channel pruning crosses layers of class `className` (see this module's header). */
export function registerChannelRule(className: string, rule: ChannelRule): void {
  if (typeof className !== 'string' || className === '') argError('pruning.registerChannelRule', 'className', 'a non-empty string', describe(className));
  if (typeof rule !== 'function') argError('pruning.registerChannelRule', 'rule', 'a function', describe(rule));
  rules.set(className, rule);
}

/** Registers a layer class whose output channels `pruneChannels` may remove. */
export function registerChannelProducer(className: string, producer: ChannelProducer): void {
  if (typeof className !== 'string' || className === '') argError('pruning.registerChannelProducer', 'className', 'a non-empty string', describe(className));
  if (typeof producer !== 'object' || producer === null || typeof producer.weight !== 'function') {
    argError('pruning.registerChannelProducer', 'producer', '{ weight, weightAxis, outputAxis, configKey }', describe(producer));
  }
  producers.set(className, producer);
}

export function channelRule(className: string): ChannelRule | undefined {
  return rules.get(className);
}

export function channelProducer(className: string): ChannelProducer | undefined {
  return producers.get(className);
}

// ---- built-in classes ---------------------------------------------------------------------------

type Fields = { dataFormat?: string; groups?: number; depthMultiplier?: number; axis?: number; keepDims?: boolean; activation?: { name: string } };
const fields = (layer: Layer) => layer as unknown as Fields;

/** The channel axis of a layer with a dataFormat on a rank-`rank` tensor. */
function formatAxis(layer: Layer, rank: number): number {
  return fields(layer).dataFormat === 'channelsFirst' ? 1 : rank - 1;
}

const axisMismatch = (layer: Layer, want: number, got: number) =>
  ({ refuse: `${layer.className} '${layer.name}' works on axis ${want} but the channels are on axis ${got}` });

/** Index c * m + j for every kept c and j < m: channels that each input channel fans out to. */
export function expand(kept: number[], m: number): number[] {
  return kept.flatMap((c) => Array.from({ length: m }, (_, j) => c * m + j));
}

const pass: ChannelRule = (_layer, channels) => ({ next: channels });
const spatialPass: ChannelRule = (layer, channels, inShape) => {
  const axis = formatAxis(layer, inShape.length);
  return axis === channels.axis ? { next: channels } : axisMismatch(layer, axis, channels.axis);
};

for (const name of ['Activation', 'Dropout']) registerChannelRule(name, pass);
for (const name of ['MaxPooling2D', 'AveragePooling2D', 'UpSampling2D', 'ZeroPadding2D']) registerChannelRule(name, spatialPass);
for (const name of ['GlobalAveragePooling2D', 'GlobalMaxPooling2D']) {
  registerChannelRule(name, (layer, channels, inShape) => {
    const axis = formatAxis(layer, inShape.length);
    if (axis !== channels.axis) return axisMismatch(layer, axis, channels.axis);
    return { next: { ...channels, axis: fields(layer).keepDims ? axis : 1 } };
  });
}

registerChannelRule('BatchNormalization', (layer, channels, inShape) => {
  const axis = normalizeAxis(layer.name, fields(layer).axis ?? -1, inShape.length);
  if (axis !== channels.axis) return axisMismatch(layer, axis, channels.axis);
  const slices = layer.weightsInfo.map((w) => ({ weight: w.name, axis: 0, kept: channels.kept }));
  return { next: channels, slices };
});

registerChannelRule('LayerNormalization', (layer) => ({ refuse: `LayerNormalization '${layer.name}' normalizes across channels, so removing some changes the others` }));

registerChannelRule('Flatten', (layer, channels, inShape) => {
  const dims = inShape.slice(1);
  if (!dims.every((d): d is number => typeof d === 'number')) return { refuse: `Flatten '${layer.name}' has an input shape with unknown dimensions` };
  // Row-major flattening: element p has channel (p / stride) % total along the channel axis.
  const stride = dims.slice(channels.axis).reduce((a, b) => a * b, 1);
  const size = dims.reduce((a, b) => a * b, 1);
  const keep = new Uint8Array(channels.total);
  channels.kept.forEach((c) => (keep[c] = 1));
  const kept: number[] = [];
  for (let p = 0; p < size; p++) if (keep[Math.floor(p / stride) % channels.total]) kept.push(p);
  return { next: { axis: 1, total: size, kept } };
});

registerChannelRule('DepthwiseConv2D', (layer, channels, inShape) => {
  const axis = formatAxis(layer, inShape.length);
  if (axis !== channels.axis) return axisMismatch(layer, axis, channels.axis);
  const m = fields(layer).depthMultiplier ?? 1;
  const kept = expand(channels.kept, m);
  const slices = [{ weight: 'kernel', axis: 3, kept }];
  if (layer.weightsInfo.some((w) => w.name === 'bias')) slices.push({ weight: 'bias', axis: 0, kept });
  return { next: { axis, total: channels.total * m, kept }, slices };
});

/** A layer that reads the channels through one kernel axis and mixes them (the walk ends there). */
function consumer(weight: string, kernelAxis: number, channelAxis: (layer: Layer, rank: number) => number): ChannelRule {
  return (layer, channels, inShape) => {
    const axis = channelAxis(layer, inShape.length);
    if (axis !== channels.axis) return axisMismatch(layer, axis, channels.axis);
    if ((fields(layer).groups ?? 1) !== 1) return { refuse: `${layer.className} '${layer.name}' is grouped (groups ${fields(layer).groups}): its groups tie the input channels` };
    return { slices: [{ weight, axis: kernelAxis, kept: channels.kept }] };
  };
}

const lastAxis = (_layer: Layer, rank: number) => rank - 1;
registerChannelRule('Dense', consumer('kernel', 0, lastAxis));
registerChannelRule('Conv2D', consumer('kernel', 2, formatAxis));
registerChannelRule('Conv1D', consumer('kernel', 1, formatAxis));
registerChannelRule('Conv2DTranspose', consumer('kernel', 3, formatAxis));
for (const name of ['SimpleRNN', 'LSTM', 'GRU']) registerChannelRule(name, consumer('kernel', 0, lastAxis));
registerChannelRule('Bidirectional', (layer, channels, inShape) => {
  if (channels.axis !== inShape.length - 1) return axisMismatch(layer, inShape.length - 1, channels.axis);
  return { slices: ['forward/kernel', 'backward/kernel'].map((weight) => ({ weight, axis: 0, kept: channels.kept })) };
});
registerChannelRule('SeparableConv2D', (layer, channels, inShape) => {
  const axis = formatAxis(layer, inShape.length);
  if (axis !== channels.axis) return axisMismatch(layer, axis, channels.axis);
  const m = fields(layer).depthMultiplier ?? 1;
  return { slices: [{ weight: 'depthwise_kernel', axis: 2, kept: channels.kept }, { weight: 'pointwise_kernel', axis: 2, kept: expand(channels.kept, m) }] };
});

const grouped = (layer: Layer) => ((fields(layer).groups ?? 1) !== 1 ? `it is grouped (groups ${fields(layer).groups}), which ties its filters` : null);
registerChannelProducer('Dense', { weight: () => 'kernel', weightAxis: () => 1, outputAxis: lastAxis, configKey: 'units' });
registerChannelProducer('Conv2D', { weight: () => 'kernel', weightAxis: () => 3, outputAxis: formatAxis, configKey: 'filters', refuse: grouped });
registerChannelProducer('Conv1D', { weight: () => 'kernel', weightAxis: () => 2, outputAxis: formatAxis, configKey: 'filters', refuse: grouped });
registerChannelProducer('Conv2DTranspose', { weight: () => 'kernel', weightAxis: () => 2, outputAxis: formatAxis, configKey: 'filters' });
registerChannelProducer('SeparableConv2D', { weight: () => 'pointwise_kernel', weightAxis: () => 3, outputAxis: formatAxis, configKey: 'filters' });
