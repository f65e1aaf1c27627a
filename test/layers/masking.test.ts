import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { deserializeLayer } from '../../src/layers/registry';
import { expectClose } from '../helpers/compare';

/** Ids of each sample, post- or pre-padded with 0 to length T, as a [B, T] tensor. */
function padIds(seqs: number[][], T: number, pre = false): tf.Tensor {
  return tf.tensor(seqs.map((s) => (pre ? [...new Array<number>(T - s.length).fill(0), ...s] : [...s, ...new Array<number>(T - s.length).fill(0)])));
}

/** Row b of a batch output, as its own [1, ...] tensor. */
function row(t: tf.Tensor, b: number): tf.Tensor {
  return tf.slice(t, [b, ...new Array<number>(t.rank - 1).fill(0)], [1, ...t.shape.slice(1)]).contiguous();
}

const seqs = [[3, 1, 4], [1, 5, 9, 2, 6], [5], [3, 5, 8, 9]];

describe('mask propagation', () => {
  for (const rnn of ['lstm', 'gru', 'simpleRNN'] as const) {
    it(`Embedding(maskZero) -> ${rnn}: a padded batch gives each sample's unpadded final output`, () => {
      tf.manualSeed(11);
      const model = tf.sequential([
        tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [null as unknown as number] }),
        tf.layers[rnn]({ units: 3 }),
      ]);
      for (const pre of [false, true]) {
        const y = model.predictOnBatch(padIds(seqs, 6, pre)) as tf.Tensor;
        seqs.forEach((s, b) => {
          const alone = model.predictOnBatch(tf.tensor([s])) as tf.Tensor;
          expectClose(row(y, b), alone, 1e-5, 1e-6, `${rnn} sample ${b}${pre ? ' (pre-padded)' : ''}`);
        });
      }
    });
  }

  it('flows through shape-preserving layers to a Bidirectional LSTM in a functional model', () => {
    tf.manualSeed(5);
    const ids = tf.input({ shape: [null as unknown as number] });
    let h = tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }).apply(ids);
    h = tf.layers.dense({ units: 6, activation: 'tanh' }).apply(h);
    h = tf.layers.dropout({ rate: 0.5 }).apply(h);
    h = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) }).apply(h);
    const out = tf.layers.gru({ units: 2 }).apply(h);
    const model = tf.model({ inputs: ids, outputs: out });
    const y = model.predictOnBatch(padIds(seqs, 7)) as tf.Tensor;
    seqs.forEach((s, b) => expectClose(row(y, b), model.predictOnBatch(tf.tensor([s])) as tf.Tensor, 1e-5, 1e-6, `sample ${b}`));
  });

  it('Masking marks steps whose features all equal maskValue and zeroes them', () => {
    tf.manualSeed(7);
    const layer = tf.layers.masking({ maskValue: -1 });
    const x = tf.tensor([[[1, 2], [-1, -1], [-1, 0]]]);
    // (+ 0 turns the -0 of -1 * 0 into 0)
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync(), (v) => v + 0)).toEqual([1, 2, 0, 0, -1, 0]);
    expect(Array.from(layer.computeMask(x).dataSync())).toEqual([1, 0, 1]);
    expect(deserializeLayer('Masking', layer.getConfig()).getConfig()).toEqual(layer.getConfig());

    const model = tf.sequential([tf.layers.masking({ inputShape: [null as unknown as number, 3] }), tf.layers.lstm({ units: 4 })]);
    const samples = [tf.randn([1, 2, 3]), tf.randn([1, 5, 3]), tf.randn([1, 4, 3])];
    const padded = tf.concat(samples.map((s) => tf.pad(s, [[0, 0], [0, 5 - s.shape[1]!], [0, 0]])), 0);
    const y = model.predictOnBatch(padded) as tf.Tensor;
    samples.forEach((s, b) => expectClose(row(y, b), model.predictOnBatch(s) as tf.Tensor, 1e-5, 1e-6, `sample ${b}`));
  });

  it('a layer whose output no longer lines up with the time steps drops the mask', () => {
    tf.manualSeed(9);
    const emb = tf.layers.embedding({ inputDim: 10, outputDim: 2, maskZero: true });
    const flat = tf.layers.flatten();
    const ids = padIds([[1, 2], [3]], 3);
    const e = emb.apply(ids) as tf.Tensor;
    const mask = emb.computeMask(ids, null, e);
    expect(Array.from(mask!.dataSync())).toEqual([1, 1, 0, 1, 0, 0]);
    expect(flat.computeMask(e, mask, flat.apply(e) as tf.Tensor)).toBeNull();
    expect(tf.layers.lstm({ units: 2 }).computeMask(e, mask, tf.zeros([2, 2]))).toBeNull();
    expect(tf.layers.dense({ units: 5 }).computeMask(e, mask, tf.zeros([2, 3, 5]))).toBe(mask);

    // Embedding -> Flatten -> reshape back -> LSTM: the LSTM sees no mask, so padding changes its output.
    const model = tf.sequential([
      tf.layers.embedding({ inputDim: 10, outputDim: 2, maskZero: true, inputShape: [3] }),
      tf.layers.flatten(),
      tf.layers.reshape({ targetShape: [3, 2] }),
      tf.layers.lstm({ units: 2 }),
    ]);
    const masked = tf.sequential([
      tf.layers.embedding({ inputDim: 10, outputDim: 2, maskZero: true, inputShape: [null as unknown as number] }),
      tf.layers.lstm({ units: 2 }),
    ]);
    masked.setWeights(model.getWeights());
    const withPad = model.predictOnBatch(padIds([[1]], 3)) as tf.Tensor;
    const maskedPad = masked.predictOnBatch(padIds([[1]], 3)) as tf.Tensor;
    const maskedAlone = masked.predictOnBatch(tf.tensor([[1]])) as tf.Tensor;
    expectClose(maskedPad, maskedAlone, 1e-5, 1e-6, 'masked');
    expect(tf.max(tf.abs(tf.sub(withPad, maskedPad))).item()).toBeGreaterThan(1e-4);
  });

  it('trains with masks (gradients flow through masked recurrences)', async () => {
    tf.manualSeed(2);
    const model = tf.sequential([
      tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [6] }),
      tf.layers.lstm({ units: 8 }),
      tf.layers.dense({ units: 1 }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const data = Array.from({ length: 32 }, (_, i) => Array.from({ length: 1 + (i % 6) }, (_, j) => 1 + ((i * 7 + j * 3) % 9)));
    const xs = padIds(data, 6);
    const ys = tf.tensor(data.map((s) => [s.length / 6]));
    const before = (await model.evaluate(xs, ys))['loss']!;
    await model.fit(xs, ys, { epochs: 40, batchSize: 8, verbose: 0 });
    expect((await model.evaluate(xs, ys))['loss']!).toBeLessThan(before * 0.5);
  });

  it('Embedding rejects a non-boolean maskZero and round-trips it', () => {
    expect(() => tf.layers.embedding({ inputDim: 3, outputDim: 2, maskZero: 1 as unknown as boolean })).toThrow(/maskZero/);
    const e = tf.layers.embedding({ inputDim: 3, outputDim: 2, maskZero: true });
    expect((deserializeLayer('Embedding', e.getConfig()) as tf.Layer & { maskZero: boolean }).maskZero).toBe(true);
  });
});
