import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

const values = (t: tf.Tensor | tf.Tensor[]) => Array.from((Array.isArray(t) ? t[0]! : t).dataSync());

function maxDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

/** Gives BatchNormalization layers non-trivial statistics. */
function randomizeBatchNorms(model: tf.LayersModel): void {
  for (const l of model.layers) {
    if (l.className !== 'BatchNormalization') continue;
    l.setWeights(l.weightsInfo.map((w) => (w.name === 'gamma' || w.name === 'moving_variance' ? tf.add(tf.rand(w.value.shape), 0.3) : tf.randn(w.value.shape))));
  }
}

/** A copy of `w` with entries whose index along `axis` satisfies `zero` set to 0. */
function zeroAlong(w: tf.Tensor, axis: number, zero: (i: number) => boolean): tf.Tensor {
  const data = Float32Array.from(w.dataSync());
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const C = w.shape[axis]!;
  for (let i = 0; i < data.length; i++) if (zero(Math.floor(i / inner) % C)) data[i] = 0;
  return tf.tensor(data, w.shape.slice());
}

function cnn(): tf.Sequential {
  return tf.sequential([
    tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [10, 10, 3] }),
    tf.layers.batchNormalization(),
    tf.layers.activation({ activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
    tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'sigmoid' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 12, activation: 'tanh' }),
    tf.layers.dropout({ rate: 0.2 }),
    tf.layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

describe('pruning.pruneChannels', () => {
  it('removes filters/units and equals the original with those channels zeroed where they are read', () => {
    tf.manualSeed(11);
    const model = cnn();
    randomizeBatchNorms(model);
    const plan = tf.pruning.channelPlan(model, { fraction: 0.5 });
    const [c1, , , , dw, c2, , d1, , d2] = model.layers;
    expect(plan.layers.map((l) => [l.name, l.kept.length, l.removed.length])).toEqual([[c1!.name, 4, 4], [c2!.name, 3, 3], [d1!.name, 6, 6]]);
    // The last Dense is a model output: left alone, and said so.
    expect(plan.skipped).toEqual([{ name: d2!.name, reason: 'its channels reach a model output' }]);

    const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5 });
    expect(pruned.countParams()).toBeLessThan(model.countParams() * 0.6);
    const shapes = pruned.layers.map((l) => l.weights.map((w) => w.shape.join('x')));
    expect(shapes).toEqual([['3x3x3x4', '4'], ['4', '4', '4', '4'], [], [], ['3x3x1x8', '8'], ['3x3x8x3', '3'], [], ['27x6', '6'], [], ['6x4', '4']]);

    // Reference: the original model with the removed channels' contributions zeroed where they
    // are read (the removed depthwise outputs of c1's removed channels c are 2c and 2c+1).
    const removed1 = new Set(plan.layers[0]!.removed);
    const removed2 = new Set(plan.layers[1]!.removed);
    const removed3 = new Set(plan.layers[2]!.removed);
    const ref = tf.pruning.strip(model);
    const [, , , , , rc2, , rd1, , rd2] = ref.layers;
    rc2!.setWeights([zeroAlong(rc2!.weights[0]!, 2, (i) => removed1.has(Math.floor(i / 2))), rc2!.weights[1]!]);
    rd1!.setWeights([zeroAlong(rd1!.weights[0]!, 0, (i) => removed2.has(i % 6)), rd1!.weights[1]!]);
    rd2!.setWeights([zeroAlong(rd2!.weights[0]!, 0, (i) => removed3.has(i)), rd2!.weights[1]!]);
    const x = tf.rand([5, 10, 10, 3]);
    expect(maxDiff(values(pruned.predictOnBatch(x)), values(ref.predictOnBatch(x)))).toBeLessThan(1e-6);
    // The original is unchanged and differs from the reference (something was really cut).
    expect(model.layers[0]!.weights[0]!.shape).toEqual([3, 3, 3, 8]);
    expect(maxDiff(values(model.predictOnBatch(x)), values(ref.predictOnBatch(x)))).toBeGreaterThan(1e-4);
  });

  it('carries channels into Conv1D, LSTM, Bidirectional GRU, SeparableConv2D, Conv2DTranspose and pooling consumers exactly', () => {
    tf.manualSeed(15);
    // Producers with relu/linear activations: zeroing a removed filter's kernel slice and bias
    // makes that channel exactly 0 downstream, which must equal removing it.
    const zeroProducers = (ref: tf.LayersModel, plan: tf.pruning.ChannelPlan) => {
      for (const p of plan.layers) {
        const l = ref.getLayer(p.name);
        const removed = new Set(p.removed);
        const kernelName = l.className === 'SeparableConv2D' ? 'pointwise_kernel' : 'kernel';
        const axis = l.className === 'Conv2DTranspose' ? 2 : l.weightsInfo.find((w) => w.name === kernelName)!.value.rank - 1;
        l.setWeights(l.weightsInfo.map((w) => (w.name === kernelName ? zeroAlong(w.value, axis, (i) => removed.has(i)) : w.name === 'bias' ? zeroAlong(w.value, 0, (i) => removed.has(i)) : w.value)));
      }
    };
    const check = (model: tf.LayersModel, x: tf.Tensor, expectPruned: number) => {
      const plan = tf.pruning.channelPlan(model, { fraction: 0.5 });
      expect(plan.layers).toHaveLength(expectPruned);
      const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5 });
      const ref = tf.pruning.strip(model);
      zeroProducers(ref, plan);
      expect(pruned.countParams()).toBeLessThan(model.countParams());
      expect(maxDiff(values(pruned.predictOnBatch(x)), values(ref.predictOnBatch(x)))).toBeLessThan(1e-5);
    };
    const seq = tf.sequential([
      tf.layers.conv1d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [9, 2] }),
      tf.layers.conv1d({ filters: 8, kernelSize: 2, padding: 'same' }),
      tf.layers.lstm({ units: 5, returnSequences: true }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }) as never }),
      tf.layers.dense({ units: 2 }),
    ]);
    check(seq, tf.randn([3, 9, 2]), 2);
    const img = tf.sequential([
      tf.layers.conv2dTranspose({ filters: 6, kernelSize: 3, strides: 2, inputShape: [4, 4, 3], activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.separableConv2d({ filters: 8, kernelSize: 3, depthMultiplier: 2, activation: 'relu' }),
      tf.layers.zeroPadding2d({ padding: 1 }),
      tf.layers.upSampling2d({ size: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }),
      tf.layers.globalMaxPooling2d(),
      tf.layers.dense({ units: 7, activation: 'relu' }),
      tf.layers.dense({ units: 2 }),
    ]);
    check(img, tf.randn([2, 4, 4, 3]), 4);
  });

  it('keeps the filters with the largest norms (l1 or l2)', () => {
    tf.manualSeed(12);
    const model = tf.sequential([tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 1 })]);
    // Unit norms: l1 = [3, 1.5, 2.4, 0.3]; l2 = [sqrt 3, 1.5, 1.39, 0.17]: L1 keeps 0, 2; L2 keeps 0, 1.
    const k = [[1, 1.5, 0.8, 0.1], [1, 0, 0.8, 0.1], [1, 0, 0.8, 0.1]];
    model.layers[0]!.setWeights([tf.tensor(k), tf.zeros([4])]);
    expect(tf.pruning.channelPlan(model, { fraction: 0.5 }).layers[0]!.kept).toEqual([0, 2]);
    expect(tf.pruning.channelPlan(model, { fraction: 0.5, criterion: 'l2' }).layers[0]!.kept).toEqual([0, 1]);
    expect(tf.pruning.channelPlan(model, { fraction: 0.99 }).layers[0]!.kept).toEqual([0]);
  });

  it('works on functional graphs with channelsFirst convs, global pooling and fan-out, and the result trains', async () => {
    tf.manualSeed(13);
    const inp = tf.input({ shape: [2, 8, 8] });
    const c = tf.layers.conv2d({ filters: 6, kernelSize: 3, dataFormat: 'channelsFirst', activation: 'relu' }).apply(inp) as tf.SymbolicTensor;
    const g = tf.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }).apply(c) as tf.SymbolicTensor;
    const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out_a' }).apply(g) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 1, name: 'out_b' }).apply(g) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: [a, b] });
    model.compile({ optimizer: 'adam', loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5 });
    expect(pruned.layers.map((l) => l.weights[0]?.shape.join('x'))).toEqual([undefined, '3x3x2x3', undefined, '3x3', '3x1']);
    const x = tf.rand([16, 2, 8, 8]);
    const y = [tf.oneHot(tf.randint(0, 3, [16]), 3), tf.randn([16, 1])];
    const before = values(pruned.layers[1]!.weights[0]!);
    const h = await pruned.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(h.history['loss']!.every(Number.isFinite)).toBe(true);
    expect(maxDiff(before, values(pruned.layers[1]!.weights[0]!))).toBeGreaterThan(0);
  });

  it('refuses channels an Add ties to an unprunable tensor (an identity skip from the input), unless skipUnsafe or other layers are chosen', () => {
    tf.manualSeed(14);
    const inp = tf.input({ shape: [6, 6, 4] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'res_conv' }).apply(inp) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'res_add' }).apply([inp, c1]) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 8, kernelSize: 3, name: 'head_conv' }).apply(sum) as tf.SymbolicTensor;
    const f = tf.layers.flatten().apply(c2) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2 }).apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5 })).toThrow(/cannot prune Conv2D 'res_conv': its channels meet, at Add 'res_add', channels of InputLayer '.*', which cannot be pruned with them.*skipUnsafe/);
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5, layers: ['res_conv'] })).toThrow(/res_conv.*res_add/);
    const plan = tf.pruning.channelPlan(model, { fraction: 0.5, skipUnsafe: true });
    expect(plan.layers.map((l) => l.name)).toEqual(['head_conv']);
    expect(plan.skipped.map((s) => s.name)).toContain('res_conv');
    const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5, layers: ['head_conv'] });
    expect(pruned.countParams()).toBeLessThan(model.countParams());
    const x = tf.rand([2, 6, 6, 4]);
    expect(values(pruned.predictOnBatch(x))).toHaveLength(4);
  });

  it('prunes the members of residual Adds together with one kept set, exactly', () => {
    tf.manualSeed(16);
    const inp = tf.input({ shape: [6, 6, 3] });
    const conv = (name: string, filters: number, activation: 'relu' | 'linear' = 'relu') =>
      tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, name });
    const a = conv('stem', 8).apply(inp) as tf.SymbolicTensor;
    const b1 = conv('b1_mid', 5).apply(a) as tf.SymbolicTensor;
    const b1o = conv('b1_out', 8, 'linear').apply(b1) as tf.SymbolicTensor;
    const s1 = tf.layers.add({ name: 'add1' }).apply([a, b1o]) as tf.SymbolicTensor;
    const r1 = tf.layers.activation({ activation: 'relu' }).apply(s1) as tf.SymbolicTensor;
    const b2o = conv('b2_out', 8, 'linear').apply(r1) as tf.SymbolicTensor;
    const s2 = tf.layers.add({ name: 'add2' }).apply([r1, b2o]) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d().apply(s2) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3 }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const plan = tf.pruning.channelPlan(model, { fraction: 0.5 });
    expect(plan.layers.map((l) => [l.name, l.kept.length])).toEqual([['stem', 4], ['b1_mid', 3], ['b1_out', 4], ['b2_out', 4]]);
    const tied = plan.layers.filter((l) => l.name !== 'b1_mid').map((l) => l.kept);
    expect(tied[1]).toEqual(tied[0]);
    expect(tied[2]).toEqual(tied[0]);
    const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5 });
    // Reference: the removed filters zeroed at their producers (relu/linear: the channels are 0).
    const ref = tf.pruning.strip(model);
    for (const p of plan.layers) {
      const l = ref.getLayer(p.name);
      const removed = new Set(p.removed);
      l.setWeights([zeroAlong(l.weights[0]!, 3, (i) => removed.has(i)), zeroAlong(l.weights[1]!, 0, (i) => removed.has(i))]);
    }
    const x = tf.randn([2, 6, 6, 3]);
    expect(maxDiff(values(pruned.predictOnBatch(x)), values(ref.predictOnBatch(x)))).toBeLessThan(1e-5);
    expect(pruned.countParams()).toBeLessThan(model.countParams() * 0.4);
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5, layers: ['stem'] })).toThrow(/cannot prune 'stem' alone: its channels are tied through Add 'add1', Add 'add2' to 'b1_out', 'b2_out'/);
    expect(tf.pruning.channelPlan(model, { fraction: 0.5, layers: ['stem', 'b1_out', 'b2_out'] }).layers.map((l) => l.name)).toEqual(['stem', 'b1_out', 'b2_out']);
  });

  it('prunes through Concatenate (inception and dense-block style): each input keeps its own channels at its offset', () => {
    tf.manualSeed(17);
    const inp = tf.input({ shape: [6, 6, 3] });
    const conv = (name: string, filters: number) => tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name });
    const a = conv('branch_a', 4).apply(inp) as tf.SymbolicTensor;
    const b = conv('branch_b', 6).apply(inp) as tf.SymbolicTensor;
    const c = tf.layers.concatenate({ name: 'cat1' }).apply([a, b, inp]) as tf.SymbolicTensor;
    const d = conv('grow', 5).apply(c) as tf.SymbolicTensor;
    const c2 = tf.layers.concatenate({ name: 'cat2' }).apply([c, d]) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(c2) as tf.SymbolicTensor;
    const f = tf.layers.flatten().apply(pooled) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2 }).apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const plan = tf.pruning.channelPlan(model, { fraction: 0.5 });
    expect(plan.layers.map((l) => [l.name, l.kept.length])).toEqual([['branch_a', 2], ['branch_b', 3], ['grow', 3]]);
    const pruned = tf.pruning.pruneChannels(model, { fraction: 0.5 });
    // grow reads 2 + 3 + 3 channels; the head reads 9 * (8 + 3) features.
    expect(pruned.getLayer('grow').weights[0]!.shape).toEqual([3, 3, 8, 3]);
    expect(pruned.getLayer(model.layers[model.layers.length - 1]!.name).weights[0]!.shape).toEqual([9 * 11, 2]);
    const ref = tf.pruning.strip(model);
    for (const p of plan.layers) {
      const l = ref.getLayer(p.name);
      const removed = new Set(p.removed);
      l.setWeights([zeroAlong(l.weights[0]!, 3, (i) => removed.has(i)), zeroAlong(l.weights[1]!, 0, (i) => removed.has(i))]);
    }
    const x = tf.randn([2, 6, 6, 3]);
    expect(maxDiff(values(pruned.predictOnBatch(x)), values(ref.predictOnBatch(x)))).toBeLessThan(1e-5);
    // Choosing one branch leaves the others whole.
    const one = tf.pruning.pruneChannels(model, { fraction: 0.5, layers: ['branch_b'] });
    expect(one.getLayer('grow').weights[0]!.shape).toEqual([3, 3, 10, 5]);
    // A concatenation whose output meets an Add would tie the concatenated channels: refused.
    const s = tf.layers.add().apply([c, tf.layers.conv2d({ filters: 13, kernelSize: 1, name: 'proj' }).apply(c) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const head = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(s) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const tiedModel = tf.model({ inputs: inp, outputs: head });
    expect(() => tf.pruning.pruneChannels(tiedModel, { fraction: 0.5 })).toThrow(/cannot prune Conv2D 'branch_a': its channels reach Concatenate 'cat1', whose output meets Add/);
  });

  it('rejects bad options and unprunable layers with clear errors', () => {
    const model = cnn();
    expect(() => tf.pruning.pruneChannels(model, { fraction: 1 })).toThrow(/fraction.*\[0, 1\).*got 1/);
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5, criterion: 'l3' as never })).toThrow(/criterion.*'l1' or 'l2'.*"l3"/);
    expect(() => tf.pruning.pruneChannels(model, null as never)).toThrow(/options/);
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5, layers: [model.layers[1]!.name] })).toThrow(/BatchNormalization has no removable output channels/);
    expect(() => tf.pruning.pruneChannels(model, { fraction: 0.5, layers: [model.layers[9]!] })).toThrow(/reach a model output/);
    const ln = tf.sequential([tf.layers.dense({ units: 4, inputShape: [3], name: 'd_ln' }), tf.layers.layerNormalization(), tf.layers.dense({ units: 2 })]);
    expect(() => tf.pruning.pruneChannels(ln, { fraction: 0.5 })).toThrow(/d_ln.*LayerNormalization.*normalizes across channels/);
  });
});
