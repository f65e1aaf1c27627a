// Export of MultiHeadAttention (MatMul/Softmax decomposition): self and cross attention, separate
// keys, output projections, explicit and causal masks, returned scores, dynamic sequence lengths.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src';
import type { LayersModel, SymbolicTensor, Tensor } from '../../../src';
import type { MultiHeadAttentionArgs } from '../../../src/layers';
import { expectOnnxMatches, expectOnnxMatchesAtBatches, onnxOpTypes, randomizeWeights, seededTensor } from '../../helpers/onnx-roundtrip';

function selfAttention(args: MultiHeadAttentionArgs, shape = [4, 6]): LayersModel {
  const x = tf.input({ shape });
  const y = tf.layers.multiHeadAttention(args).apply([x, x]);
  return tf.model({ inputs: x, outputs: y as SymbolicTensor | SymbolicTensor[] });
}

/** A 0/1 [batch, tq, tv] mask with at least one allowed key per query. */
function maskTensor(batch: number, tq: number, tv: number, seed: number): Tensor {
  const v = Array.from({ length: batch * tq * tv }, (_, k) => (k % tv === (Math.floor(k / tv) + seed) % tv || (k * 7 + seed) % 3 !== 0 ? 1 : 0));
  return tf.tensor(v, [batch, tq, tv]);
}

describe('exportOnnx: MultiHeadAttention', () => {
  it('self-attention, 2 heads', async () => {
    const { bytes } = await expectOnnxMatchesAtBatches(selfAttention({ numHeads: 2, keyDim: 3 }));
    expect(onnxOpTypes(bytes)).toContain('Softmax');
  });

  it('valueDim and outputShape differ from keyDim, no biases', async () => {
    await expectOnnxMatchesAtBatches(selfAttention({ numHeads: 3, keyDim: 2, valueDim: 4, outputShape: 5, useBias: false }));
  });

  it('cross-attention over query and value of different lengths and widths', async () => {
    const q = tf.input({ shape: [3, 4] });
    const v = tf.input({ shape: [5, 6] });
    const y = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([q, v]) as SymbolicTensor;
    await expectOnnxMatchesAtBatches(tf.model({ inputs: [q, v], outputs: y }));
  });

  it('separate key input', async () => {
    const q = tf.input({ shape: [3, 4] });
    const v = tf.input({ shape: [5, 6] });
    const k = tf.input({ shape: [5, 2] });
    const y = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 2 }).apply([q, v, k]) as SymbolicTensor;
    await expectOnnxMatchesAtBatches(tf.model({ inputs: [q, v, k], outputs: y }));
  });

  it('causal mask (static lengths)', async () => {
    await expectOnnxMatchesAtBatches(selfAttention({ numHeads: 2, keyDim: 3, useCausalMask: true }, [5, 4]));
  });

  it('returnAttentionScores gives [output, scores]', async () => {
    const { ortOutputs } = await expectOnnxMatchesAtBatches(selfAttention({ numHeads: 2, keyDim: 3, returnAttentionScores: true, useCausalMask: true }));
    expect(ortOutputs[1]!.map((o) => o.dims)).toEqual([[3, 4, 6], [3, 2, 4, 4]]);
  });

  it('explicit [batch, Tq, Tv] mask input, alone and with the causal mask', async () => {
    for (const useCausalMask of [false, true]) {
      const q = tf.input({ shape: [4, 6] });
      const v = tf.input({ shape: [4, 5] });
      const m = tf.input({ shape: [4, 4] });
      const y = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, attentionMaskInput: true, useCausalMask }).apply([q, v, m]) as SymbolicTensor;
      const model = tf.model({ inputs: [q, v, m], outputs: y });
      randomizeWeights(model, 5);
      const inputs = (b: number, s: number) => [seededTensor([b, 4, 6], s), seededTensor([b, 4, 5], s + 1), maskTensor(b, 4, 4, s)];
      const { bytes } = await expectOnnxMatches(model, [inputs(1, 1), inputs(3, 2)]);
      expect(onnxOpTypes(bytes)).toContain('Where');
    }
  });

  it('mask with a separate key input ([query, value, key, mask])', async () => {
    const q = tf.input({ shape: [3, 4] });
    const v = tf.input({ shape: [5, 4] });
    const k = tf.input({ shape: [5, 2] });
    const m = tf.input({ shape: [3, 5] });
    const y = tf.layers.multiHeadAttention({ numHeads: 1, keyDim: 4, attentionMaskInput: true }).apply([q, v, k, m]) as SymbolicTensor;
    const model = tf.model({ inputs: [q, v, k, m], outputs: y });
    randomizeWeights(model, 2);
    const inputs = (b: number, s: number) => [seededTensor([b, 3, 4], s), seededTensor([b, 5, 4], s + 1), seededTensor([b, 5, 2], s + 2), maskTensor(b, 3, 5, s)];
    await expectOnnxMatches(model, [inputs(1, 1), inputs(3, 2)]);
  });

  it('unknown sequence length: one export runs at several lengths (causal mask built with Range)', async () => {
    const x = tf.input({ shape: [null as unknown as number, 4] });
    const y = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 2, useCausalMask: true }).apply([x, x]) as SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3 }).apply(y) });
    randomizeWeights(model, 3);
    const { bytes } = await expectOnnxMatches(model, [seededTensor([1, 3, 4], 1), seededTensor([3, 5, 4], 2), seededTensor([2, 1, 4], 3)]);
    expect(onnxOpTypes(bytes)).toContain('Range');
  });

  it('a transformer-style block (attention, residual, layer norm, feed-forward) at opsets 13 and 21', async () => {
    const x = tf.input({ shape: [4, 8] });
    const a = tf.layers.multiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x]) as SymbolicTensor;
    const h = tf.layers.layerNormalization().apply(tf.layers.add().apply([x, a]) as SymbolicTensor);
    const f = tf.layers.dense({ units: 8 }).apply(tf.layers.dense({ units: 16, activation: 'gelu' }).apply(h));
    const out = tf.layers.layerNormalization().apply(tf.layers.add().apply([h, f]) as SymbolicTensor);
    const model = tf.model({ inputs: x, outputs: out });
    for (const opset of [13, 17, 21]) await expectOnnxMatchesAtBatches(model, { opset });
  });
});
