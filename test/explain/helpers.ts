import * as tf from '../../src';
import type { LayersModel, Tensor } from '../../src';

/** A small smooth classifier: [N, 6] -> tanh(8) -> softmax(3). */
export function smoothMlp(): LayersModel {
  tf.manualSeed(7);
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: 'tanh', inputShape: [6] }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** The model's output unit `k` for each sample, as float64 numbers. */
export function scoreOf(model: LayersModel, x: Tensor, k: number): number[] {
  const y = model.predictOnBatch(x) as Tensor;
  const d = y.dataSync();
  const units = y.shape[1]!;
  return Array.from({ length: y.shape[0]! }, (_, i) => d[i * units + k]!);
}

export function sampleRows(t: Tensor): number[][] {
  const d = t.dataSync();
  const n = t.shape[0]!;
  const per = t.size / n;
  return Array.from({ length: n }, (_, i) => Array.from(d.subarray(i * per, (i + 1) * per)));
}
