import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { mlp, zeros } from './small-mlp';

describe('pruning.prune', () => {
  it('one-shot: zeros exactly the smallest-magnitude fraction of each kernel, leaves biases', () => {
    tf.manualSeed(3);
    const model = mlp();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    tf.pruning.prune(model, { targetSparsity: 0.75 });
    const [k0, b0, k1] = model.getWeights();
    expect(zeros(k0!)).toBe(Math.round(0.75 * 20 * 32));
    expect(zeros(k1!)).toBe(Math.round(0.75 * 32 * 4));
    expect(zeros(b0!)).toBe(32); // zero-initialized, untouched
    // The kept entries are the largest in magnitude and unchanged.
    const orig = before[0]!;
    const kept = Array.from(k0!.dataSync());
    const minKept = Math.min(...kept.filter((v) => v !== 0).map(Math.abs));
    const maxPruned = Math.max(...orig.filter((_, i) => kept[i] === 0).map(Math.abs));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
    kept.forEach((v, i) => v !== 0 && expect(v).toBe(orig[i]));
    const report = tf.pruning.sparsity(model);
    expect(report.layers.map((l) => [l.name, l.pruned])).toEqual(model.layers.map((l) => [l.name, true]));
    expect(report.layers[0]!.sparsity).toBeCloseTo(0.75, 3);
    expect(report.total).toBeCloseTo(0.75, 2);
  });

  it('prunes conv, embedding and recurrent kernels; layers restricts it', () => {
    tf.manualSeed(6);
    const conv = tf.sequential([
      tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 2] }),
      tf.layers.separableConv2d({ filters: 3, kernelSize: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ]);
    tf.pruning.prune(conv, { targetSparsity: 0.5, layers: [conv.layers[1]!.name] });
    const r = tf.pruning.sparsity(conv);
    expect(r.layers.map((l) => l.pruned)).toEqual([false, true, false]);
    expect(r.layers[1]!.sparsity).toBeCloseTo(0.5, 1);
    expect(r.layers[0]!.sparsity).toBe(0);
    const seq = tf.sequential([
      tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }),
      tf.layers.lstm({ units: 3 }),
    ]);
    tf.pruning.prune(seq, { targetSparsity: 0.5 });
    const names = seq.layers.flatMap((l) => l.weightsInfo.filter((w) => !w.name.includes('bias')).map((w) => zeros(w.value) / w.value.size));
    // embeddings, kernel, recurrent_kernel all at 50%.
    expect(names).toEqual([0.5, 0.5, 0.5]);
  });

  it('errors for bad options name the argument', async () => {
    const model = mlp();
    expect(() => tf.pruning.prune(model, {})).toThrow(/targetSparsity or schedule/);
    expect(() => tf.pruning.prune(model, { targetSparsity: 1.2 })).toThrow(/targetSparsity.*\[0, 1\).*1\.2/);
    expect(() => tf.pruning.prune(model, { targetSparsity: 0.5, schedule: tf.pruning.constantSparsity({ targetSparsity: 0.6 }) })).toThrow(/final sparsity 0.6/);
    expect(() => tf.pruning.prune(model, { schedule: { sparsityAt: 1 } as never })).toThrow(/schedule/);
    expect(() => tf.pruning.prune(model, { targetSparsity: 0.5, layers: ['nope'] })).toThrow(/layers\[0\].*"nope"/);
    const withDrop = tf.sequential([tf.layers.dense({ units: 2, inputShape: [3] }), tf.layers.dropout({ rate: 0.1 })]);
    expect(() => tf.pruning.prune(withDrop, { targetSparsity: 0.5, layers: [withDrop.layers[1]!] })).toThrow(/has none/);
    expect(() => tf.pruning.prune({} as never, { targetSparsity: 0.5 })).toThrow(/model.*LayersModel/);
    expect(() => tf.pruning.prune(tf.sequential([tf.layers.dense({ units: 2 })]), { targetSparsity: 0.5 })).toThrow(/not built/);
    const plain = mlp();
    plain.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(plain.fit(tf.zeros([4, 20]), tf.zeros([4, 4]), { verbose: 0, callbacks: [tf.pruning.updateCallback()] })).rejects.toThrow(/is not pruned/);
  });
});
