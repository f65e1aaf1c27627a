import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { Embedding } from '../../src/layers';
import { deserializeLayer } from '../../src/layers/registry';
import { checkLayerGradients, expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

// 5 ids x 3 dims: row i is [i, 10 i, -i] + 0.5.
const TABLE = Array.from({ length: 5 }, (_, i) => [i + 0.5, 10 * i + 0.5, -i + 0.5]);

function embeddingWith(args: Partial<ConstructorParameters<typeof Embedding>[0]> = {}): Embedding {
  const layer = tf.layers.embedding({ inputDim: 5, outputDim: 3, ...args });
  layer.apply(tf.tensor([[0]], 'int32'));
  layer.setWeights([tf.tensor(TABLE)]);
  return layer;
}

describe('Embedding', () => {
  it('looks up rows for int32 ids, output shape ids.shape + [outputDim]', () => {
    const y = embeddingWith().apply(tf.tensor([[0, 2], [4, 1]], 'int32'));
    expect(y.shape).toEqual([2, 2, 3]);
    expect(y.dtype).toBe('float32');
    expect(values(y)).toEqual([TABLE[0], TABLE[2], TABLE[4], TABLE[1]].flat());
  });

  it('accepts integer-valued float ids', () => {
    const layer = embeddingWith();
    const fromFloat = layer.apply(tf.tensor([[3, 0, 3]]));
    expect(values(fromFloat)).toEqual([TABLE[3], TABLE[0], TABLE[3]].flat());
    expect(values(fromFloat)).toEqual(values(layer.apply(tf.tensor([[3, 0, 3]], 'int32'))));
  });

  it('the embeddings weight has shape [inputDim, outputDim] and default uniform init in [-0.05, 0.05]', () => {
    const layer = tf.layers.embedding({ inputDim: 50, outputDim: 8 });
    layer.apply(tf.tensor([[1]], 'int32'));
    expect(layer.embeddings!.shape).toEqual([50, 8]);
    expect(layer.countParams()).toBe(400);
    const w = values(layer.embeddings!);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(new Set(w).size).toBeGreaterThan(300);
  });

  it('an id >= inputDim throws a clear error naming the id', () => {
    const layer = embeddingWith();
    expect(() => layer.apply(tf.tensor([[1, 5]], 'int32'))).toThrow(/5/);
    expect(() => layer.apply(tf.tensor([[7]]))).toThrow(/7/);
  });

  it('a negative id is out of range ([0, inputDim)) and throws', () => {
    const layer = embeddingWith();
    expect(() => layer.apply(tf.tensor([[-1]], 'int32'))).toThrow(/-1/);
  });

  it('gradient w.r.t. the embeddings (gather backward, repeated ids accumulate) by finite differences', () => {
    checkLayerGradients(embeddingWith(), tf.tensor([[1, 1, 3], [0, 1, 4]], 'int32'), { wrtInput: false });
  });

  it('gradient of sum(output) counts how often each id occurs', () => {
    const layer = embeddingWith();
    const ids = tf.tensor([[1, 1, 3], [1, 4, 4]], 'int32');
    const g = tf.grad((e: Tensor) => {
      void e;
      return tf.sum(layer.apply(ids));
    })(layer.embeddings!);
    const counts = [0, 3, 0, 1, 2];
    expect(values(g)).toEqual(counts.flatMap((c) => [c, c, c]));
  });

  it('native and js agree', () => {
    const layer = tf.layers.embedding({ inputDim: 20, outputDim: 6 });
    const ids = tf.tensor(seededValues(24, 5, 0, 20).map(Math.floor), [4, 6], 'int32');
    layer.apply(ids);
    const nat = onBackend('native', () => values(layer.apply(ids)));
    const js = onBackend('js', () => values(layer.apply(ids)));
    expectArrayClose(nat, js, 0, 0, 'native vs js');
  });

  it('computeOutputShape appends outputDim; inputLength sets the input shape', () => {
    const sym = tf.layers.embedding({ inputDim: 10, outputDim: 4 }).apply(tf.input({ shape: [7], dtype: 'int32' }));
    expect(sym.shape).toEqual([null, 7, 4]);
    expect(tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6 }).batchInputShape).toEqual([null, 6]);
  });

  it('rejects bad inputDim and outputDim', () => {
    expect(() => tf.layers.embedding({ inputDim: 0, outputDim: 3 })).toThrow(/inputDim/);
    expect(() => tf.layers.embedding({ inputDim: 4, outputDim: 1.5 })).toThrow(/outputDim/);
  });

  it('embeddingsRegularizer adds l2 * sum(embeddings^2)', () => {
    const layer = embeddingWith({ embeddingsRegularizer: tf.regularizers.l2({ l2: 0.1 }) });
    const expected = 0.1 * TABLE.flat().reduce((s, v) => s + v * v, 0);
    expect(layer.regularizationLosses()[0]!.item()).toBeCloseTo(expected, 3);
  });

  it('config round trip rebuilds the same layer (including its regularizer)', () => {
    const layer = tf.layers.embedding({
      inputDim: 5,
      outputDim: 3,
      inputLength: 4,
      embeddingsInitializer: tf.initializers.randomNormal({ seed: 3 }),
      embeddingsRegularizer: tf.regularizers.l1({ l1: 0.2 }),
    });
    const rebuilt = deserializeLayer('Embedding', JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>) as Embedding;
    expect(rebuilt.inputDim).toBe(5);
    expect(rebuilt.outputDim).toBe(3);
    expect(rebuilt.batchInputShape).toEqual([null, 4]);
    const ids = tf.tensor([[0, 1, 2, 3]], 'int32');
    layer.apply(ids);
    rebuilt.apply(ids);
    expect(values(rebuilt.embeddings!)).toEqual(values(layer.embeddings!));
    expect(rebuilt.regularizationLosses()).toHaveLength(1);
    expect(rebuilt.regularizationLosses()[0]!.item()).toBeCloseTo(layer.regularizationLosses()[0]!.item(), 5);
  });
});
