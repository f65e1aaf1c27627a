// Export of the core, normalization and merge layers: each model runs in onnxruntime-node at
// batch sizes 1 and 3 from one exported file and matches predictOnBatch within 1e-4.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { Layer, LayersModel } from '../../../src';
import { ACTIVATION_NAMES, type ActivationName } from '../../../src/activations/activations';
import { readOnnxModel } from '../../../src/onnx/read-model';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { expectOnnxMatches, expectOnnxMatchesAtBatches, onnxOpTypes, randomizeWeights } from '../../helpers/onnx-roundtrip';

const seq = (inputShape: number[], layers: Layer[], dtype?: 'int32'): LayersModel => {
  const x = tf.input({ shape: inputShape, dtype });
  let y = x;
  for (const l of layers) y = l.apply(y);
  return tf.model({ inputs: x, outputs: y });
};

/** Integer ids in [0, n) as a [batch, time] int32 (or float32) tensor. */
function ids(batch: number, time: number, n: number, seed: number, dtype: 'int32' | 'float32' = 'int32'): tf.Tensor {
  const v = Array.from({ length: batch * time }, (_, k) => (k * 7 + seed * 3 + Math.floor(k / time)) % n);
  return tf.tensor(v, [batch, time], dtype);
}

describe('exportOnnx: Dense', () => {
  it('rank 2 (Gemm) with bias and activation', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([5], [tf.layers.dense({ units: 4, activation: 'tanh' })]));
    expect(onnxOpTypes(bytes)).toEqual(['Gemm', 'Tanh']);
  });

  it('rank 2 without bias', async () => {
    await expectOnnxMatchesAtBatches(seq([5], [tf.layers.dense({ units: 3, useBias: false })]));
  });

  it('rank 3 and rank 4 inputs (MatMul + Add on the last axis)', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([4, 5], [tf.layers.dense({ units: 3, activation: 'relu' })]));
    expect(onnxOpTypes(bytes)).toEqual(['MatMul', 'Add', 'Relu']);
    await expectOnnxMatchesAtBatches(seq([2, 3, 5], [tf.layers.dense({ units: 2 })]));
  });

  it('rank 3 without bias', async () => {
    await expectOnnxMatchesAtBatches(seq([4, 5], [tf.layers.dense({ units: 3, useBias: false, activation: 'softmax' })]));
  });
});

describe('exportOnnx: Activation', () => {
  for (const name of ACTIVATION_NAMES) {
    it(`${name}`, async () => {
      // Wide inputs reach the saturating and negative branches of every activation.
      await expectOnnxMatchesAtBatches(seq([3, 6], [tf.layers.activation({ activation: name })]), { lo: -4, hi: 4 });
    });
  }

  it('gelu uses the Gelu op from opset 20 and the erf form before', async () => {
    const m = seq([6], [tf.layers.activation({ activation: 'gelu' })]);
    const at20 = await expectOnnxMatchesAtBatches(m, { opset: 20, lo: -4, hi: 4 });
    expect(onnxOpTypes(at20.bytes)).toEqual(['Gelu']);
    const at17 = await expectOnnxMatchesAtBatches(m, { opset: 17, lo: -4, hi: 4 });
    expect(onnxOpTypes(at17.bytes)).toContain('Erf');
  });

  it('hardSwish uses HardSwish from opset 14 and x * HardSigmoid(x, 1/6, 1/2) at 13', async () => {
    const m = seq([8], [tf.layers.activation({ activation: 'hardSwish' })]);
    const at14 = await expectOnnxMatchesAtBatches(m, { opset: 14, lo: -5, hi: 5 });
    expect(onnxOpTypes(at14.bytes)).toEqual(['HardSwish']);
    const at13 = await expectOnnxMatchesAtBatches(m, { opset: 13, lo: -5, hi: 5 });
    expect(onnxOpTypes(at13.bytes)).toEqual(['HardSigmoid', 'Mul']);
  });

  it('mish uses Mish from opset 18 and x * tanh(softplus(x)) before', async () => {
    const m = seq([8], [tf.layers.activation({ activation: 'mish' })]);
    const at18 = await expectOnnxMatchesAtBatches(m, { opset: 18, lo: -6, hi: 6 });
    expect(onnxOpTypes(at18.bytes)).toEqual(['Mish']);
    const at17 = await expectOnnxMatchesAtBatches(m, { opset: 17, lo: -6, hi: 6 });
    expect(onnxOpTypes(at17.bytes)).toEqual(['Softplus', 'Tanh', 'Mul']);
  });

  it('softsign, hardSigmoid and selu are their ONNX ops with the library parameters; swish is x * Sigmoid(x)', async () => {
    const cases: [ActivationName, string[], Record<string, number>][] = [
      ['softsign', ['Softsign'], {}],
      ['hardSigmoid', ['HardSigmoid'], { alpha: 0.2, beta: 0.5 }],
      ['selu', ['Selu'], { alpha: 1.6732632423543772, gamma: 1.0507009873554805 }],
      ['swish', ['Sigmoid', 'Mul'], {}],
    ];
    for (const [activation, ops, attrs] of cases) {
      const { bytes } = await expectOnnxMatchesAtBatches(seq([8], [tf.layers.activation({ activation })]), { lo: -4, hi: 4 });
      expect(onnxOpTypes(bytes), activation).toEqual(ops);
      const node = readOnnxModel(bytes).graph.nodes[0]!;
      for (const [k, v] of Object.entries(attrs)) {
        expect(node.attributeKinds[k], `${activation} ${k}`).toBe('float');
        expect(node.attributes[k] as number, `${activation} ${k}`).toBeCloseTo(v, 6);
      }
    }
  });

  it('Dense with each non-linear activation applies it after the projection', async () => {
    for (const activation of ['softmax', 'gelu', 'selu', 'swish', 'hardSigmoid', 'hardSwish', 'mish', 'softsign'] as const) {
      await expectOnnxMatchesAtBatches(seq([5], [tf.layers.dense({ units: 4, activation })]), { lo: -3, hi: 3 });
    }
  });
});

describe('exportOnnx: Dropout, Flatten, Reshape', () => {
  it('Dropout is left out of the inference graph', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([5], [tf.layers.dense({ units: 4 }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 2 })]));
    expect(onnxOpTypes(bytes)).toEqual(['Gemm', 'Gemm']);
  });

  it('Flatten of rank 3 and 4 inputs keeps row-major order', async () => {
    await expectOnnxMatchesAtBatches(seq([3, 4], [tf.layers.flatten(), tf.layers.dense({ units: 2 })]));
    await expectOnnxMatchesAtBatches(seq([2, 3, 4], [tf.layers.flatten()]));
  });

  it('Reshape with an explicit and an inferred (-1) dimension', async () => {
    await expectOnnxMatchesAtBatches(seq([12], [tf.layers.reshape({ targetShape: [3, 4] })]));
    await expectOnnxMatchesAtBatches(seq([2, 6], [tf.layers.reshape({ targetShape: [-1, 3] }), tf.layers.dense({ units: 2 })]));
  });
});

describe('exportOnnx: Embedding', () => {
  it('int32 ids gather rows directly', async () => {
    const m = seq([4], [tf.layers.embedding({ inputDim: 7, outputDim: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })], 'int32');
    randomizeWeights(m);
    const { bytes } = await expectOnnxMatches(m, [ids(1, 4, 7, 1), ids(3, 4, 7, 2)]);
    expect(onnxOpTypes(bytes)[0]).toBe('Gather');
  });

  it('float ids are cast (truncated) to integers first', async () => {
    const m = seq([4], [tf.layers.embedding({ inputDim: 6, outputDim: 3 })]);
    randomizeWeights(m);
    const { bytes } = await expectOnnxMatches(m, [ids(1, 4, 6, 1, 'float32'), ids(3, 4, 6, 3, 'float32')]);
    expect(onnxOpTypes(bytes).slice(0, 2)).toEqual(['Cast', 'Gather']);
  });

  it('maskZero feeding layers that ignore masks exports as a plain lookup', async () => {
    const m = seq([5], [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }), tf.layers.dense({ units: 2 })], 'int32');
    randomizeWeights(m);
    await expectOnnxMatches(m, [ids(1, 5, 6, 0), ids(3, 5, 6, 4)]);
  });

  it('maskZero feeding a recurrent layer keeps its state over the padded steps, as the layer does', async () => {
    const m = seq([5], [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }), tf.layers.lstm({ units: 2 })], 'int32');
    randomizeWeights(m);
    // Zeros (padding) sit at the start, middle and end of different rows.
    const padded = tf.tensor([[0, 0, 3, 1, 2], [4, 0, 5, 0, 1], [2, 3, 1, 0, 0]], [3, 5], 'int32');
    await expectOnnxMatches(m, [ids(1, 5, 6, 1), padded]);
  });

  it('maskZero with an unknown sequence length feeding an RNN is refused, naming the layer', () => {
    const m = seq([null as unknown as number], [tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }), tf.layers.gru({ units: 2, name: 'masked_gru' })], 'int32');
    expect(() => exportOnnxBytes(m)).toThrow(/masked_gru.*GRU.*mask.*sequence length is unknown/);
  });
});

describe('exportOnnx: Masking', () => {
  /** Inputs whose some steps are entirely the mask value (those steps get zeroed). */
  function padded(batch: number, seed: number): tf.Tensor {
    const v: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < 4; t++) for (let f = 0; f < 3; f++) v.push((t + b + seed) % 3 === 0 ? 2 : ((b * 12 + t * 3 + f + seed) % 7) / 3 - 1);
    }
    return tf.tensor(v, [batch, 4, 3]);
  }

  it('zeroes the masked steps (the mask reaches no mask-consuming layer)', async () => {
    const m = seq([4, 3], [tf.layers.masking({ maskValue: 2 }), tf.layers.dense({ units: 2 })]);
    randomizeWeights(m);
    await expectOnnxMatches(m, [padded(1, 0), padded(3, 1)]);
  });

  it('a mask reaching an RNN (directly or through Dense) is honoured', async () => {
    const direct = seq([4, 3], [tf.layers.masking({ maskValue: 2 }), tf.layers.simpleRNN({ units: 2, returnSequences: true })]);
    randomizeWeights(direct);
    await expectOnnxMatches(direct, [padded(1, 0), padded(3, 1)]);
    const through = seq([4, 3], [tf.layers.masking({ maskValue: 2 }), tf.layers.dense({ units: 3 }), tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }) })]);
    randomizeWeights(through);
    await expectOnnxMatches(through, [padded(1, 2), padded(3, 0)]);
  });

  it('a mask dropped on the way (Flatten) does not block export', async () => {
    const m = seq([4, 3], [tf.layers.masking({ maskValue: 2 }), tf.layers.flatten(), tf.layers.reshape({ targetShape: [4, 3] }), tf.layers.lstm({ units: 2 })]);
    randomizeWeights(m);
    await expectOnnxMatches(m, [padded(1, 0), padded(3, 2)]);
  });
});

describe('exportOnnx: BatchNormalization (moving statistics)', () => {
  it('on [batch, features]', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([5], [tf.layers.batchNormalization({ epsilon: 0.01 })]));
    expect(onnxOpTypes(bytes)).toEqual(['BatchNormalization']);
  });

  it('channels-last images and sequences (feature axis moved to 1 and back)', async () => {
    await expectOnnxMatchesAtBatches(seq([4, 5, 3], [tf.layers.batchNormalization()]));
    await expectOnnxMatchesAtBatches(seq([6, 3], [tf.layers.batchNormalization()]));
  });

  it('channels-first images (axis 1) and a middle axis', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([3, 4, 5], [tf.layers.batchNormalization({ axis: 1 })]));
    expect(onnxOpTypes(bytes)).toEqual(['BatchNormalization']);
    await expectOnnxMatchesAtBatches(seq([3, 4, 5], [tf.layers.batchNormalization({ axis: 2 })]));
  });

  it('without center and scale', async () => {
    await expectOnnxMatchesAtBatches(seq([5], [tf.layers.batchNormalization({ center: false, scale: false })]));
  });

  it('after training (moving statistics updated by fit)', async () => {
    const m = seq([4], [tf.layers.dense({ units: 3 }), tf.layers.batchNormalization({ momentum: 0.5 }), tf.layers.dense({ units: 1 })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    tf.manualSeed(3);
    await m.fit(tf.randn([16, 4]), tf.randn([16, 1]), { epochs: 2, batchSize: 8, verbose: 0 });
    await expectOnnxMatchesAtBatches(m, { randomize: false });
  });
});

describe('exportOnnx: LayerNormalization', () => {
  it('last axis uses the LayerNormalization op from opset 17', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(seq([3, 6], [tf.layers.layerNormalization({ epsilon: 1e-5 })]));
    expect(onnxOpTypes(bytes)).toEqual(['LayerNormalization']);
  });

  it('is decomposed for opsets 13-16 (ReduceMean axes as attribute) and a non-last axis', async () => {
    const m = seq([3, 6], [tf.layers.layerNormalization()]);
    const { bytes } = await expectOnnxMatchesAtBatches(m, { opset: 13 });
    expect(onnxOpTypes(bytes)).toContain('ReduceMean');
    expect(onnxOpTypes(bytes)).not.toContain('LayerNormalization');
    await expectOnnxMatchesAtBatches(m, { opset: 16 });
    // axis 1 of [batch, 3, 6]: the ONNX op would normalize over axes 1 and 2 together.
    const mid = await expectOnnxMatchesAtBatches(seq([3, 6], [tf.layers.layerNormalization({ axis: 1 })]), { opset: 18 });
    expect(onnxOpTypes(mid.bytes)).toContain('ReduceMean');
  });

  it('without center / scale, at opsets 13, 17 and 21', async () => {
    for (const opset of [13, 17, 21]) {
      await expectOnnxMatchesAtBatches(seq([6], [tf.layers.layerNormalization({ center: false })]), { opset });
      await expectOnnxMatchesAtBatches(seq([6], [tf.layers.layerNormalization({ scale: false })]), { opset });
    }
  });
});

describe('exportOnnx: merge layers', () => {
  function merged(make: () => Layer, shapes: number[][]): LayersModel {
    const xs = shapes.map((s) => tf.input({ shape: s }));
    const projected = xs.map((x) => tf.layers.dense({ units: x.shape[x.shape.length - 1]! }).apply(x));
    return tf.model({ inputs: xs, outputs: make().apply(projected) as tf.SymbolicTensor });
  }

  const cases: [string, () => Layer, number[][]][] = [
    ['Add of three', () => tf.layers.add(), [[4], [4], [4]]],
    ['Subtract', () => tf.layers.subtract(), [[2, 4], [2, 4]]],
    ['Multiply of three', () => tf.layers.multiply(), [[4], [4], [4]]],
    ['Average', () => tf.layers.average(), [[3, 4], [3, 4]]],
    ['Maximum', () => tf.layers.maximum(), [[4], [4], [4]]],
    ['Minimum', () => tf.layers.minimum(), [[4], [4]]],
    ['Add broadcasting a size-1 axis', () => tf.layers.add(), [[3, 4], [1, 4]]],
    ['Concatenate on the last axis', () => tf.layers.concatenate(), [[3, 2], [3, 4]]],
    ['Concatenate on axis 1', () => tf.layers.concatenate({ axis: 1 }), [[2, 4], [3, 4]]],
  ];
  for (const [label, make, shapes] of cases) {
    it(label, async () => {
      await expectOnnxMatchesAtBatches(merged(make, shapes));
    });
  }

  it('a residual block (the same tensor feeds two branches)', async () => {
    const x = tf.input({ shape: [6] });
    const h = tf.layers.dense({ units: 6, activation: 'relu' }).apply(x);
    const y = tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
    await expectOnnxMatchesAtBatches(tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2 }).apply(y) }));
  });
});
