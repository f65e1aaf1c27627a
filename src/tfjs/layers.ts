// tfjs's `tf.layers`: the main layer factories (already under tfjs's names and options) plus
// tfjs's alternative names. GRU defaults to resetAfter false here, the only form tfjs can load,
// so models saved from tfjs code stay readable by tfjs.
import { Layer, layers as ours } from '../layers';
import type { GRUArgs } from '../layers/gru';

/** Layer factories as tfjs names them: `tf.layers.dense({ units: 10 })`. */
export const layers = {
  ...ours,
  gru: (args: GRUArgs) => ours.gru({ resetAfter: false, ...args }),
  maxPool2d: ours.maxPooling2d,
  avgPool2d: ours.averagePooling2d,
  avgPooling2d: ours.averagePooling2d,
  globalMaxPool2d: ours.globalMaxPooling2d,
  globalAvgPool2d: ours.globalAveragePooling2d,
  convolution2d: ours.conv2d,
  convolution1d: ours.conv1d,
  /** The layer base class (custom layers follow tensorforge's Layer API). */
  Layer,
};
