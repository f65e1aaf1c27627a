// model.apply(x, { training }) on every kind of model: the training flag reaches each layer through
// the call context, the tape records (gradients match finite differences), and a custom loop
// written as TF's GradientTape loop trains.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { exportOnnxBytes } from '../../src/onnx/export';
import type { CallContext } from '../../src/layers/layer';

const values = (t: tf.Tensor | tf.Tensor[]): number[] => Array.from((t as tf.Tensor).dataSync());

/** Records the training flag each call sees (what preprocessing/augmentation layers read). */
class FlagProbe extends tf.Layer {
  readonly className = 'FlagProbe';
  readonly seen: boolean[] = [];
  call(x: tf.Tensor, ctx: CallContext): tf.Tensor {
    this.seen.push(ctx.training);
    return x;
  }
}

describe('model.apply(x, { training })', () => {
  it('passes the flag to dropout, batch normalization and any layer, through nested models', () => {
    tf.manualSeed(1);
    const probe = new FlagProbe({});
    const inner = tf.sequential([tf.layers.dense({ units: 8, inputShape: [4] }), probe, tf.layers.dropout({ rate: 0.5 })]);
    const bn = tf.layers.batchNormalization({ momentum: 0.5 });
    const x = tf.input({ shape: [4] });
    const model = tf.model({ inputs: x, outputs: bn.apply(inner.apply(x)) as tf.SymbolicTensor });
    const data = tf.add(tf.mul(tf.randn([64, 4]), 3), 5);
    const movingBefore = values(bn.weightsInfo[2]!.value);
    const a = model.apply(data) as tf.Tensor;
    const b = model.apply(data, { training: false }) as tf.Tensor;
    expect(values(a)).toEqual(values(b));
    expect(values(bn.weightsInfo[2]!.value)).toEqual(movingBefore);
    const innerOut = inner.apply(data, { training: true }) as tf.Tensor;
    // Dropout at rate 0.5 zeroes about half the activations and doubles the rest.
    const zeros = values(innerOut).filter((v) => v === 0).length;
    expect(zeros / innerOut.size).toBeGreaterThan(0.35);
    expect(zeros / innerOut.size).toBeLessThan(0.65);
    const t = model.apply(data, { training: true }) as tf.Tensor;
    // Batch statistics: each output feature has mean ~0 over the batch; the moving mean moved.
    const colMeans = values(tf.mean(t, 0));
    colMeans.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
    expect(values(bn.weightsInfo[2]!.value)).not.toEqual(movingBefore);
    expect(probe.seen).toEqual([false, false, true, true]);
  });

  it('a call made with { training: false } on a symbolic tensor stays in inference mode during fit, and after save/load', async () => {
    tf.manualSeed(12);
    const bn = tf.layers.batchNormalization({ momentum: 0.5 });
    const base = tf.sequential([tf.layers.dense({ units: 4, inputShape: [3] }), bn, tf.layers.dropout({ rate: 0.9 })]);
    const x = tf.input({ shape: [3] });
    // Keras's transfer-learning recipe: x = base_model(x, training=False)
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1 }).apply(base.apply(x, { training: false })) as tf.SymbolicTensor });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const moving = () => values(bn.weightsInfo[2]!.value);
    const before = moving();
    const data = tf.add(tf.randn([32, 3]), 4);
    await model.fit(data, tf.ones([32, 1]), { epochs: 2, verbose: 0 });
    expect(moving()).toEqual(before);
    // The fixed mode also wins over model.apply(x, { training: true }): no dropout, no batch statistics.
    expect(values(model.apply(data, { training: true }))).toEqual(values(model.apply(data)));
    // Called directly in training mode, the same base does update its statistics.
    base.apply(data, { training: true });
    expect(moving()).not.toEqual(before);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-apply-'));
    try {
      await model.save(dir);
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const baseEntry = saved.modelTopology.config.layers.find((l: { className: string }) => l.className === 'Sequential');
      expect(baseEntry.inboundNodes[0].training).toBe(false);
      const loaded = await tf.loadModel(dir);
      expect(values(loaded.apply(data, { training: true }))).toEqual(values(loaded.apply(data)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a frozen batch normalization runs in inference form even in training mode (fine-tuning)', () => {
    const bn = tf.layers.batchNormalization({});
    const m = tf.sequential([tf.layers.dense({ units: 3, inputShape: [2] }), bn]);
    bn.trainable = false;
    const x = tf.randn([16, 2]);
    expect(values(m.apply(x, { training: true }))).toEqual(values(m.apply(x, { training: false })));
  });

  it('records the tape: valueAndGrad over trainableWeights matches finite differences', () => {
    tf.manualSeed(7);
    const x = tf.input({ shape: [3] });
    const h = tf.layers.dense({ units: 4, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
    const inner = tf.sequential([tf.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })]);
    const model = tf.model({ inputs: x, outputs: inner.apply(h) as tf.SymbolicTensor });
    const xb = tf.randn([5, 3]);
    const yb = tf.oneHot(tf.tensor([0, 1, 1, 0, 1], [5], 'int32'), 2);
    const lossOf = () => tf.mean(tf.losses.categoricalCrossentropy(yb, model.apply(xb, { training: true }) as tf.Tensor));
    const weights = model.trainableWeights;
    const { value, grads } = tf.valueAndGrad(lossOf)(weights);
    expect(grads.map((g) => g.shape)).toEqual(weights.map((w) => w.shape));
    const eps = 1e-2;
    weights.forEach((w, wi) => {
      const buf = w.buffer;
      for (const k of [0, w.size - 1]) {
        const at = w.offset + k;
        const orig = buf[at]!;
        // Writes to the internal buffer bump the version, as the library's own in-place writes do,
        // so that weights packed for inference are packed again.
        const write = (v: number): void => {
          buf[at] = v;
          w.storage.version++;
        };
        write(orig + eps);
        const up = tf.noGrad(() => lossOf().item());
        write(orig - eps);
        const down = tf.noGrad(() => lossOf().item());
        write(orig);
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(grads[wi]!.dataSync()[k]! - numeric)).toBeLessThan(2e-3 + 1e-2 * Math.abs(numeric));
      }
    });
    expect(Number.isFinite(value.item())).toBe(true);
  });

  it('a GradientTape-style loop with apply and an optimizer trains a model with dropout', () => {
    tf.manualSeed(2);
    const model = tf.sequential([
      tf.layers.dense({ units: 16, activation: 'relu', inputShape: [2] }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 1 }),
    ]);
    const x = tf.randn([64, 2]);
    const y = tf.sum(tf.mul(x, tf.tensor([[2, -1]])), 1, true);
    const opt = tf.optimizers.adam({ learningRate: 0.03 });
    const loss = () => tf.mean(tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor));
    const first = tf.noGrad(() => tf.mean(tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor)).item());
    for (let i = 0; i < 150; i++) {
      const { grads } = tf.valueAndGrad(loss)(model.trainableWeights);
      opt.applyGradients(model.trainableWeights.map((w, k) => [w, grads[k]!] as const));
    }
    const last = tf.noGrad(() => tf.mean(tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor)).item());
    expect(last).toBeLessThan(first * 0.1);
  });

  it('predict/predictOnBatch do not record, so differentiating through them is an Error, not zeros', () => {
    const model = tf.sequential([tf.layers.dense({ units: 2, inputShape: [3], name: 'only' })]);
    const x = tf.randn([4, 3]);
    expect(() => tf.valueAndGrad(() => tf.sum(model.predictOnBatch(x) as tf.Tensor))(model.trainableWeights)).toThrow(
      /valueAndGrad: f's result does not depend on any of its 2 arguments \(the first: weight 'only\/kernel', Tensor\(float32, shape \[3,2\]\)\).*inside noGrad, predict or predictOnBatch/);
  });

  it('an imported ONNX model applies with the tape recording, as the original does', () => {
    tf.manualSeed(4);
    const original = tf.sequential([tf.layers.dense({ units: 5, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 2 })]);
    const imported = tf.importOnnx(exportOnnxBytes(original));
    const x = tf.randn([6, 3]);
    const f = (m: tf.LayersModel) => () => tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor));
    const a = tf.valueAndGrad(f(original))(original.trainableWeights);
    const b = tf.valueAndGrad(f(imported))(imported.trainableWeights);
    expect(b.value.item()).toBeCloseTo(a.value.item(), 4);
    const norm = (gs: tf.Tensor[]) => gs.reduce((s, g) => s + tf.sum(tf.square(g)).item(), 0);
    expect(norm(b.grads)).toBeCloseTo(norm(a.grads), 3);
    expect(norm(b.grads)).toBeGreaterThan(0);
    // And nested in a new model with a head on top.
    const z = tf.input({ shape: [3] });
    const top = tf.model({ inputs: z, outputs: tf.layers.dense({ units: 1 }).apply(imported.apply(z)) as tf.SymbolicTensor });
    expect((top.apply(x, { training: true }) as tf.Tensor).shape).toEqual([6, 1]);
  });
});
