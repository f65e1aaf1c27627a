import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The shared PyTorch CNN fixture (Conv-ReLU-MaxPool-Flatten-Linear, channels-first) and its inputs. */
export function cnnFixture(): { model: LayersModel; x: Tensor; shape: number[] } {
  const dir = join(__dirname, '../fixtures');
  const io = JSON.parse(readFileSync(join(dir, 'cnn.io.json'), 'utf8')) as { inputs: Record<string, { shape: number[]; data: number[] }> };
  const input = Object.values(io.inputs)[0]!;
  return { model: tf.importOnnx(join(dir, 'cnn.onnx')), x: tf.tensor(input.data, input.shape), shape: input.shape };
}
