// Static quantization calibrated from a Dataset: quantize reads the batches (fit's { x, y } elements
// or bare input tensors), resolves to the same model as calibrating on the joined tensors, and
// names what is wrong with a Dataset it cannot use.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

function model(): tf.LayersModel {
  tf.manualSeed(3);
  return tf.sequential([
    tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3 }),
  ]);
}

/** The calibrated input grid of every int8 layer, in order. */
function grids(q: tf.LayersModel): unknown[] {
  return q.layers.filter((l) => l instanceof tf.quantization.QuantizedLayer).map((l) => (l as tf.quantization.QuantizedLayer).inputQuant);
}

describe('quantize with a calibration Dataset', () => {
  const m = model();
  const x = tf.rand([100, 8, 8, 1]);
  const y = tf.rand([100, 3]);
  const fromTensors = tf.quantization.quantize(m, { mode: 'static', calibrationData: x });

  it('{ x, y } batches (as fit takes) give the model calibrated on the joined tensors', async () => {
    const q = await tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.data.fromTensors(x, y).batch(32) });
    expect(grids(q)).toHaveLength(2);
    expect(grids(q)).toEqual(grids(fromTensors));
    expect(Array.from((q.predictOnBatch(x) as tf.Tensor).dataSync())).toEqual(Array.from((fromTensors.predictOnBatch(x) as tf.Tensor).dataSync()));
  });

  it('bare input tensors, and take() to use only some batches', async () => {
    const halves = [x.slice([0, 0, 0, 0], [50, 8, 8, 1]), x.slice([50, 0, 0, 0], [50, 8, 8, 1])];
    const q = await tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.data.fromIterable(halves) });
    expect(grids(q)).toEqual(grids(fromTensors));
    const firstHalf = await tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.data.fromIterable(halves).take(1) });
    expect(grids(firstHalf)).toEqual(grids(tf.quantization.quantize(m, { mode: 'static', calibrationData: halves[0]! })));
  });

  it('names an empty Dataset, unusable elements and a Dataset outside static mode', async () => {
    await expect(tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.data.fromTensors(x).batch(10).take(0) }))
      .rejects.toThrow(/quantization\.quantize: argument 'options\.calibrationData' expected a Dataset with at least one batch, got an empty Dataset/);
    await expect(tf.quantization.quantize(m, { mode: 'static', calibrationData: tf.data.fromIterable([{ image: x }]) as never }))
      .rejects.toThrow(/argument 'options\.calibrationData \(batch 0\)' expected elements \{ x: Tensor \| Tensor\[\] \} or input tensors/);
    expect(() => tf.quantization.quantize(m, { mode: 'dynamic', calibrationData: tf.data.fromTensors(x) }))
      .toThrow(/argument 'options\.calibrationData' expected nothing outside 'static' mode/);
  });
});
