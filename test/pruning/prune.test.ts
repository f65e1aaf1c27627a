import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

function mlp(): tf.Sequential {
  return tf.sequential([
    tf.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }),
    tf.layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

function data(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.randn([n, 20]);
  const labels = tf.argmax(tf.matmul(x, tf.randn([20, 4])), -1);
  return { x, y: tf.oneHot(labels, 4) };
}

const zeros = (t: tf.Tensor) => Array.from(t.dataSync()).filter((v) => v === 0).length;

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

  it('masks keep pruned weights zero through fit with the callback, and masks follow the schedule', async () => {
    tf.manualSeed(4);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(256);
    const schedule = tf.pruning.polynomialDecay({ initialSparsity: 0.3, finalSparsity: 0.9, beginStep: 0, endStep: 12, frequency: 4 });
    tf.pruning.prune(model, { schedule });
    const sparsities: number[] = [];
    const pruned = new Set<number>();
    const probe: tf.Callback = {
      onBatchEnd: () => {
        const k = model.layers[0]!.weights[0]!.dataSync();
        sparsities.push(zeros(model.layers[0]!.weights[0]!) / k.length);
        // Once pruned, an entry stays zero (masks only grow under a rising schedule).
        for (const i of pruned) expect(k[i]).toBe(0);
        k.forEach((v, i) => v === 0 && pruned.add(i));
      },
    };
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback(), probe] });
    // 32 steps; masks at steps 0, 4, 8, 12 with sparsity 0.3 -> 0.9.
    expect(sparsities).toHaveLength(32);
    const expected = (s: number) => Math.round(schedule.sparsityAt(s) * 640) / 640;
    expect(sparsities[0]).toBeCloseTo(expected(0), 10);
    expect(sparsities[5]).toBeCloseTo(expected(4), 10);
    expect(sparsities[31]).toBeCloseTo(0.9, 10);
    expect(sparsities[0]).toBeLessThan(sparsities[5]!);
    // The weights did train (loss went somewhere and kept weights moved).
    expect(tf.pruning.sparsity(model).layers[1]!.sparsity).toBeCloseTo(Math.round(0.9 * 128) / 128, 10);
  });

  it('without masks the optimizer would regrow weights: the callback is what keeps them zero', async () => {
    tf.manualSeed(5);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(64);
    tf.pruning.prune(model, { targetSparsity: 0.5 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(tf.pruning.sparsity(model).layers[0]!.sparsity).toBeLessThan(0.1);
    tf.pruning.prune(model, { targetSparsity: 0.5 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
    expect(tf.pruning.sparsity(model).layers[0]!.sparsity).toBe(0.5);
  });

  it('step() keeps masks and the schedule in a custom loop (trainOnBatch) as the callback does in fit', async () => {
    tf.manualSeed(8);
    const model = mlp();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = data(32);
    tf.pruning.prune(model, { schedule: tf.pruning.polynomialDecay({ initialSparsity: 0.2, finalSparsity: 0.6, endStep: 4, frequency: 2, power: 1 }) });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      await model.trainOnBatch(x, y);
      tf.pruning.step(model);
      seen.push(tf.pruning.sparsity(model).layers[0]!.sparsity);
    }
    // Masks at steps 0 (0.2), 2 (0.4) and 4 (0.6); pruned entries stay zero in between.
    const at = (s: number) => Math.round(s * 640) / 640;
    expect(seen).toEqual([at(0.2), at(0.4), at(0.4), at(0.6), at(0.6), at(0.6)]);
    expect(() => tf.pruning.step(mlp())).toThrow(/pruning.step: model .* is not pruned/);
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

  it('strip gives a plain model with the zeros baked in that predicts the same', async () => {
    tf.manualSeed(7);
    const model = mlp();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const { x, y } = data(64);
    tf.pruning.prune(model, { targetSparsity: 0.8 });
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, callbacks: [tf.pruning.updateCallback()] });
    const stripped = tf.pruning.strip(model);
    expect(stripped).not.toBe(model);
    expect(tf.pruning.isPruned(stripped)).toBe(false);
    expect(tf.pruning.isPruned(model)).toBe(true);
    expect(Array.from((stripped.predictOnBatch(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(x) as tf.Tensor).dataSync()));
    expect(stripped.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    // Compiled like the original, with its own optimizer.
    expect(stripped.optimizer).not.toBe(model.optimizer);
    expect(stripped.optimizer!.className).toBe(model.optimizer!.className);
    await stripped.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
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
