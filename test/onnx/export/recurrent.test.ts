// Export of SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed: gate orders, biases
// (resetAfter both ways), directions, returned sequences and states, initial states, activations.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { Layer, LayersModel, SymbolicTensor } from '../../../src';
import { exportOnnxBytes } from '../../../src/onnx/export';
import { expectOnnxMatches, expectOnnxMatchesAtBatches, onnxOpTypes, randomizeWeights, seededTensor } from '../../helpers/onnx-roundtrip';

const T = 5;
const F = 3;

function seq(layers: Layer[], inputShape = [T, F]): LayersModel {
  const x = tf.input({ shape: inputShape });
  let y = x;
  for (const l of layers) y = l.apply(y);
  return tf.model({ inputs: x, outputs: y });
}

/** A model exposing every output of a multi-output (returnState) call. */
function allOutputs(layer: Layer, inputShape = [T, F]): LayersModel {
  const x = tf.input({ shape: inputShape });
  const outs = layer.apply([x]) as SymbolicTensor | SymbolicTensor[];
  return tf.model({ inputs: x, outputs: Array.isArray(outs) ? outs : [outs] });
}

/** A model taking the initial states as extra inputs ([batch, units] each). */
function withInitialStates(layer: Layer, states: number, units: number): LayersModel {
  const x = tf.input({ shape: [T, F] });
  const hs = Array.from({ length: states }, () => tf.input({ shape: [units] }));
  const y = layer.apply([x, ...hs]) as SymbolicTensor;
  return tf.model({ inputs: [x, ...hs], outputs: y });
}

type Case = [label: string, make: () => LayersModel];

function runCases(cases: Case[], opsets: number[] = [17]): void {
  for (const [label, make] of cases) {
    it(label, async () => {
      for (const opset of opsets) await expectOnnxMatchesAtBatches(make(), { opset });
    });
  }
}

describe('exportOnnx: SimpleRNN', () => {
  runCases([
    ['last output', () => seq([tf.layers.simpleRNN({ units: 4 })])],
    ['returnSequences', () => seq([tf.layers.simpleRNN({ units: 4, returnSequences: true })])],
    ['goBackwards, last output', () => seq([tf.layers.simpleRNN({ units: 4, goBackwards: true })])],
    ['goBackwards, returnSequences (processing order)', () => seq([tf.layers.simpleRNN({ units: 4, goBackwards: true, returnSequences: true })])],
    ['relu activation, no bias', () => seq([tf.layers.simpleRNN({ units: 3, activation: 'relu', useBias: false })])],
    ['leakyRelu and softplus activations', () => seq([tf.layers.simpleRNN({ units: 3, activation: 'leakyRelu', returnSequences: true }), tf.layers.simpleRNN({ units: 2, activation: 'softplus' })])],
    ['returnState', () => allOutputs(tf.layers.simpleRNN({ units: 3, returnSequences: true, returnState: true }))],
    ['initial state as an input', () => withInitialStates(tf.layers.simpleRNN({ units: 3 }), 1, 3)],
  ]);
});

describe('exportOnnx: LSTM (Keras i,f,c,o gates -> ONNX i,o,f,c)', () => {
  runCases([
    ['last output', () => seq([tf.layers.lstm({ units: 4 })])],
    ['returnSequences', () => seq([tf.layers.lstm({ units: 4, returnSequences: true })])],
    ['goBackwards, returnSequences', () => seq([tf.layers.lstm({ units: 4, returnSequences: true, goBackwards: true })])],
    ['goBackwards, last output', () => seq([tf.layers.lstm({ units: 4, goBackwards: true })])],
    ['returnState [output, h, c]', () => allOutputs(tf.layers.lstm({ units: 3, returnState: true }))],
    ['returnState with sequences and goBackwards', () => allOutputs(tf.layers.lstm({ units: 3, returnState: true, returnSequences: true, goBackwards: true }))],
    ['no bias', () => seq([tf.layers.lstm({ units: 3, useBias: false })])],
    ['relu activation, hardSigmoid recurrent activation', () => seq([tf.layers.lstm({ units: 3, activation: 'relu', recurrentActivation: 'hardSigmoid', returnSequences: true })])],
    ['softsign activation', () => seq([tf.layers.lstm({ units: 3, activation: 'softsign' }), tf.layers.dense({ units: 2 })])],
    ['linear activation (Affine), elu recurrent activation', () => seq([tf.layers.lstm({ units: 3, activation: 'linear', recurrentActivation: 'elu' })])],
    ['initial h and c as inputs', () => withInitialStates(tf.layers.lstm({ units: 3, returnSequences: true }), 2, 3)],
    ['stacked, then Dense', () => seq([tf.layers.lstm({ units: 4, returnSequences: true }), tf.layers.lstm({ units: 3 }), tf.layers.dense({ units: 2 })])],
  ], [13, 17]);

  it('exports one LSTM node between time-major transposes', () => {
    const ops = onnxOpTypes(exportOnnxBytes(seq([tf.layers.lstm({ units: 2, returnSequences: true })])));
    expect(ops).toEqual(['Transpose', 'LSTM', 'Gather', 'Transpose']);
  });

  it('an activation ONNX recurrent ops lack is refused, naming it', () => {
    const m = seq([tf.layers.lstm({ units: 2, activation: 'selu', name: 'selu_lstm' })]);
    expect(() => exportOnnxBytes(m)).toThrow(/selu_lstm.*'selu'/);
  });
});

describe('exportOnnx: GRU (z, r, h gates)', () => {
  runCases([
    ['resetAfter (default): separate input and recurrent biases', () => seq([tf.layers.gru({ units: 4 })])],
    ['resetAfter, returnSequences', () => seq([tf.layers.gru({ units: 4, returnSequences: true })])],
    ['resetAfter false (linear_before_reset 0)', () => seq([tf.layers.gru({ units: 4, resetAfter: false })])],
    ['resetAfter false, returnSequences, goBackwards', () => seq([tf.layers.gru({ units: 4, resetAfter: false, returnSequences: true, goBackwards: true })])],
    ['resetAfter, goBackwards, last output', () => seq([tf.layers.gru({ units: 4, goBackwards: true })])],
    ['returnState', () => allOutputs(tf.layers.gru({ units: 3, returnState: true, returnSequences: true }))],
    ['no bias', () => seq([tf.layers.gru({ units: 3, useBias: false })])],
    ['tanh recurrent activation, relu activation', () => seq([tf.layers.gru({ units: 3, activation: 'relu', recurrentActivation: 'tanh' })])],
    ['initial state as an input', () => withInitialStates(tf.layers.gru({ units: 3, resetAfter: false }), 1, 3)],
  ], [13, 17]);
});

describe('exportOnnx: Bidirectional', () => {
  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    it(`LSTM, mergeMode ${mergeMode}, sequences and last output`, async () => {
      await expectOnnxMatchesAtBatches(seq([tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }), mergeMode })]));
      await expectOnnxMatchesAtBatches(seq([tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3 }), mergeMode })]));
    });
  }

  runCases([
    ['GRU resetAfter, concat, sequences', () => seq([tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) })])],
    ['GRU resetAfter false, sum', () => seq([tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, resetAfter: false }), mergeMode: 'sum' })])],
    ['SimpleRNN, ave, sequences', () => seq([tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }), mergeMode: 'ave' })])],
    ['inner layer going backwards, sequences', () => seq([tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true }) })])],
    ['inner layer going backwards, last output', () => seq([tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, goBackwards: true }), mergeMode: 'mul' })])],
    ['returnState (forward h, c then backward h, c)', () => allOutputs(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnState: true }) }))],
    ['initial states as inputs', () => withInitialStates(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true }) }), 4, 2)],
    ['non-default activations', () => seq([tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, activation: 'relu', recurrentActivation: 'hardSigmoid' }) })])],
  ], [13, 17]);

  it('exports a single bidirectional LSTM node', () => {
    const bytes = exportOnnxBytes(seq([tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) })]));
    expect(onnxOpTypes(bytes).filter((o) => o === 'LSTM')).toHaveLength(1);
  });
});

describe('exportOnnx: TimeDistributed', () => {
  runCases([
    ['Dense (MatMul on rank 3, no reshapes)', () => seq([tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'relu' }) })])],
    ['Dense after an LSTM', () => seq([tf.layers.lstm({ units: 4, returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'softmax' }) })])],
    ['Conv2D over frames', () => seq([tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }) })], [3, 5, 5, 2])],
    ['Flatten over frames', () => seq([tf.layers.timeDistributed({ layer: tf.layers.flatten() }), tf.layers.gru({ units: 2 })], [3, 2, 4])],
  ]);

  it('Dense needs no reshape', () => {
    const ops = onnxOpTypes(exportOnnxBytes(seq([tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) })])));
    expect(ops).toEqual(['MatMul', 'Add']);
  });
});

describe('exportOnnx: recurrent layers under a Keras mask (unrolled, state kept at masked steps)', () => {
  /** [batch, T, F] with whole steps equal to the mask value 0 at scattered positions. */
  function padded(batch: number, seed: number): tf.Tensor {
    const v: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < T; t++) {
        const masked = (t * 3 + b * 5 + seed) % 4 === 0;
        for (let f = 0; f < F; f++) v.push(masked ? 0 : (((b * 31 + t * 7 + f * 3 + seed) % 11) / 5 - 1) || 0.3);
      }
    }
    return tf.tensor(v, [batch, T, F]);
  }

  function masked(layer: Layer): LayersModel {
    const x = tf.input({ shape: [T, F] });
    const outs = layer.apply(tf.layers.masking().apply(x)) as SymbolicTensor | SymbolicTensor[];
    return tf.model({ inputs: x, outputs: Array.isArray(outs) ? outs : [outs] });
  }

  const cases: [string, () => Layer][] = [
    ['SimpleRNN, sequences', () => tf.layers.simpleRNN({ units: 3, returnSequences: true })],
    ['LSTM, last output', () => tf.layers.lstm({ units: 3 })],
    ['LSTM, sequences, goBackwards, returnState', () => tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true, returnState: true })],
    ['GRU resetAfter, sequences', () => tf.layers.gru({ units: 3, returnSequences: true })],
    ['GRU resetAfter false, goBackwards', () => tf.layers.gru({ units: 3, resetAfter: false, goBackwards: true })],
    ['LSTM with non-default activations', () => tf.layers.lstm({ units: 2, activation: 'relu', recurrentActivation: 'hardSigmoid', returnSequences: true })],
    ['Bidirectional LSTM concat, sequences', () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true }) })],
    ['Bidirectional GRU ave, last output, returnState', () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnState: true }), mergeMode: 'ave' })],
    ['Bidirectional SimpleRNN with a backwards inner layer, sum', () => tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2, goBackwards: true, returnSequences: true }), mergeMode: 'sum' })],
  ];
  for (const [label, make] of cases) {
    it(label, async () => {
      const model = masked(make());
      randomizeWeights(model, 3);
      const { bytes } = await expectOnnxMatches(model, [padded(1, 0), padded(3, 1)]);
      expect(onnxOpTypes(bytes)).toContain('Where');
    });
  }

  it('the mask changes the result on these inputs (so the comparison is meaningful)', () => {
    const layer = tf.layers.lstm({ units: 3 });
    const model = masked(layer);
    const x = tf.input({ shape: [T, F] });
    const unmasked = tf.model({ inputs: x, outputs: layer.apply(x) });
    const a = (model.predictOnBatch(padded(3, 1)) as tf.Tensor).dataSync();
    const b = (unmasked.predictOnBatch(padded(3, 1)) as tf.Tensor).dataSync();
    expect(Array.from(a).some((v, i) => Math.abs(v - b[i]!) > 1e-3)).toBe(true);
  });

  it('stacked masked LSTMs with initial states as inputs', async () => {
    const x = tf.input({ shape: [T, F] });
    const h0 = tf.input({ shape: [3] });
    const c0 = tf.input({ shape: [3] });
    const m = tf.layers.masking().apply(x);
    const s1 = tf.layers.lstm({ units: 3, returnSequences: true }).apply([m, h0, c0]) as SymbolicTensor;
    const y = tf.layers.lstm({ units: 2 }).apply(s1);
    const model = tf.model({ inputs: [x, h0, c0], outputs: y });
    randomizeWeights(model, 4);
    const inputs = (b: number, s: number) => [padded(b, s), seededTensor([b, 3], s + 1), seededTensor([b, 3], s + 2)];
    await expectOnnxMatches(model, [inputs(1, 1), inputs(3, 2)]);
  });
});
