// Training-time fusion of layer calls: an imported BatchNormalization and the Relu / Clip reading its
// output run as one batchNormTraining with the activation. The fused forward pass and its gradients
// must equal the layer-by-layer ones; outputs read elsewhere must keep the pair apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { gradientsOf } from '../../src/autograd/backward';
import { importOnnx } from '../../src/onnx/import';
import type { LayersModel } from '../../src/models/layers-model';
import { planTrainingFusions } from '../../src/models/training-fusion';
import { buildOnnx } from '../helpers/onnx-graph';
import { expectArrayClose, seededValues, values } from '../helpers/layer-check';

const dir = join(__dirname, '../fixtures');

interface Io {
  inputs: Record<string, { shape: number[] }>;
}

function fixture(name: string): { model: LayersModel; x: tf.Tensor } {
  const io = JSON.parse(readFileSync(join(dir, `${name}.io.json`), 'utf8')) as Io;
  const shape = Object.values(io.inputs)[0]!.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  return { model: importOnnx(readFileSync(join(dir, `${name}.onnx`))), x: tf.tensor(seededValues(size, 5, -2, 2), shape) };
}

/** The training-mode output and the gradients of a weighted sum of it for every trainable weight; `plain` runs layer by layer. */
function trainingPass(model: LayersModel, x: tf.Tensor, plain: boolean): number[][] {
  // A tap sees every layer's own output, so the model runs no fused pair.
  const tap = plain ? () => undefined : undefined;
  const y = model.forward([x], { training: true, losses: [] }, tap)[0]!;
  const w = tf.tensor(seededValues(y.size, 9, -1, 1), y.shape.slice());
  const grads = gradientsOf(tf.sum(tf.mul(y, w)), model.trainableWeights);
  return [values(y), ...grads.map((g) => (g ? values(g) : []))];
}

describe('training fusions of imported graphs', () => {
  const cases: [string, number][] = [['bn-net', 2], ['mobile-block', 1]];
  for (const [name, pairs] of cases) {
    it(`${name}: BatchNormalization + Relu / Clip fuse in training, with the layer-by-layer values and gradients`, () => {
      const { model, x } = fixture(name);
      expect(planTrainingFusions(model.graphNodes, model.outputs).size).toBe(pairs);
      const fused = trainingPass(model, x, false);
      const plain = trainingPass(model, x, true);
      expect(fused.length).toBe(plain.length);
      fused.forEach((v, i) => expectArrayClose(v, plain[i]!, 1e-5, 1e-6, `${name} ${i === 0 ? 'output' : `gradient ${i - 1}`}`));
    });
  }

  it('keeps the pair apart when the normalized value is read elsewhere or is a model output', () => {
    const bn = (out: string) => ({
      op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: [out], name: 'bn', attrs: {},
    });
    const inits = [
      { name: 's', shape: [2], data: [1, 2] }, { name: 'b', shape: [2], data: [0, 1] },
      { name: 'm', shape: [2], data: [0, 0] }, { name: 'v', shape: [2], data: [1, 1] },
    ];
    const twoReaders = importOnnx(buildOnnx({
      inputs: [{ name: 'x', shape: ['N', 2, 3] }], outputs: ['z'], initializers: inits,
      nodes: [bn('y'), { op: 'Relu', inputs: ['y'], outputs: ['r'], name: 'relu' }, { op: 'Add', inputs: ['r', 'y'], outputs: ['z'], name: 'add' }],
    }));
    expect(planTrainingFusions(twoReaders.graphNodes, twoReaders.outputs).size).toBe(0);
    const bothOut = importOnnx(buildOnnx({
      inputs: [{ name: 'x', shape: ['N', 2, 3] }], outputs: ['y', 'r'], initializers: inits,
      nodes: [bn('y'), { op: 'Relu', inputs: ['y'], outputs: ['r'], name: 'relu' }],
    }));
    expect(planTrainingFusions(bothOut.graphNodes, bothOut.outputs).size).toBe(0);
    const alone = importOnnx(buildOnnx({
      inputs: [{ name: 'x', shape: ['N', 2, 3] }], outputs: ['r'], initializers: inits,
      nodes: [bn('y'), { op: 'Relu', inputs: ['y'], outputs: ['r'], name: 'relu' }],
    }));
    expect(planTrainingFusions(alone.graphNodes, alone.outputs).size).toBe(1);
    // Fused, the pair still trains as the two nodes do: same values, same running-statistics update.
    const x = tf.tensor(seededValues(12, 3, -2, 2), [2, 2, 3]);
    const a = trainingPass(alone, x, false);
    const b = trainingPass(alone, x, true);
    a.forEach((v, i) => expectArrayClose(v, b[i]!, 1e-5, 1e-6, `output or gradient ${i}`));
  });

  it('Keras layers: BatchNormalization then Activation("relu") fuse, with the layer-by-layer values and gradients', () => {
    const model = tf.sequential([
      tf.layers.conv2d({ filters: 6, kernelSize: 3, inputShape: [7, 7, 2] }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'tanh' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ]);
    const x = tf.tensor(seededValues(4 * 7 * 7 * 2, 21, -2, 2), [4, 7, 7, 2]);
    model.predict(x);
    expect(planTrainingFusions(model.graphNodes, model.outputs).size).toBe(1);
    const fused = trainingPass(model, x, false);
    const plain = trainingPass(model, x, true);
    fused.forEach((v, i) => expectArrayClose(v, plain[i]!, 1e-5, 1e-6, `keras ${i}`));
  });

  it('a frozen BatchNormalization does not fuse: it runs in inference form, then the activation', () => {
    const { model, x } = fixture('bn-net');
    for (const l of model.layers) if ((l as { opType?: string }).opType === 'BatchNormalization') l.trainable = false;
    const fused = trainingPass(model, x, false);
    const plain = trainingPass(model, x, true);
    fused.forEach((v, i) => expectArrayClose(v, plain[i]!, 1e-6, 1e-7, `frozen ${i}`));
  });
});
