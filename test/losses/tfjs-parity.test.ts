// The same inputs through tfjs (the library users port from) and through these losses and metrics.
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { tensor } from '../../src';
import * as losses from '../../src/losses';
import * as metrics from '../../src/metrics';
import { expectValues } from './reference';

const yt = [[0, 1, 0], [0, 0, 1], [1, 0, 0]];
const probs = [[0.2, 0.7, 0.1], [0.25, 0.25, 0.5], [0.05, 0.9, 0.05]];
const regTrue = [[1, 2, 3], [0, -1, 0.5], [2, 2, 2]];
const regPred = [[1.5, 1, 3], [2, -1, -1], [0, 4, 2.5]];

const ours = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
const theirs = (t: tf.Tensor) => Array.from(t.dataSync());

describe('parity with tfjs-layers', () => {
  it('losses', () => {
    expectValues(ours(losses.meanSquaredError(tensor(regTrue), tensor(regPred))), theirs(tf.metrics.meanSquaredError(tf.tensor(regTrue), tf.tensor(regPred))), 1e-5);
    expectValues(ours(losses.meanAbsoluteError(tensor(regTrue), tensor(regPred))), theirs(tf.metrics.meanAbsoluteError(tf.tensor(regTrue), tf.tensor(regPred))), 1e-5);
    expectValues(ours(losses.binaryCrossentropy(tensor(yt), tensor(probs))), theirs(tf.metrics.binaryCrossentropy(tf.tensor(yt), tf.tensor(probs))), 1e-5);
    expectValues(ours(losses.categoricalCrossentropy(tensor(yt), tensor(probs))), theirs(tf.metrics.categoricalCrossentropy(tf.tensor(yt), tf.tensor(probs))), 1e-5);
    // tfjs exports no sparse crossentropy metric; the sparse loss must equal the categorical one on one-hot labels.
    expectValues(ours(losses.sparseCategoricalCrossentropy(tensor([1, 2, 0], 'int32'), tensor(probs))),
      theirs(tf.metrics.categoricalCrossentropy(tf.tensor(yt), tf.tensor(probs))), 1e-5);
    // Saturated probabilities: both clip to [1e-7, 1 - 1e-7].
    const hard = [[0, 1, 0], [1, 0, 0], [0.5, 0.5, 0]];
    expectValues(ours(losses.binaryCrossentropy(tensor(yt), tensor(hard))), theirs(tf.metrics.binaryCrossentropy(tf.tensor(yt), tf.tensor(hard))), 1e-4);
  });

  it('per-sample accuracies and batch precision / recall', () => {
    expectValues(ours(metrics.binaryAccuracy(tensor(yt), tensor(probs))), theirs(tf.metrics.binaryAccuracy(tf.tensor(yt), tf.tensor(probs))));
    expectValues(ours(metrics.categoricalAccuracy(tensor(yt), tensor(probs))), theirs(tf.metrics.categoricalAccuracy(tf.tensor(yt), tf.tensor(probs))));
    expectValues(ours(metrics.sparseCategoricalAccuracy(tensor([1, 2, 0]), tensor(probs))),
      theirs(tf.metrics.sparseCategoricalAccuracy(tf.tensor([1, 2, 0]), tf.tensor(probs))));
    // tfjs's precision / recall take predictions already thresholded to 0/1; ours threshold at 0.5.
    const decided = probs.map((r) => r.map((p) => (p > 0.5 ? 1 : 0)));
    for (const [Metric, fn] of [[metrics.Precision, tf.metrics.precision], [metrics.Recall, tf.metrics.recall]] as const) {
      const m = new Metric();
      m.update(tensor(yt), tensor(probs));
      expectValues([m.result()], theirs(fn(tf.tensor(yt), tf.tensor(decided))), 1e-6);
    }
  });
});
