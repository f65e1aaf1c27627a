// Models are layers: nested in a Sequential or a functional graph they train, save and load
// (same names, same predictions), summarize, plot and export to ONNX; layer.output cuts a trained
// model into a new one sharing the same weight objects.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { plotModel } from '../../src/vis/plot-model';
import { expectOnnxMatches } from '../helpers/onnx-roundtrip';
import { exportOnnxBytes } from '../../src/onnx/export';

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-nested-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const values = (t: tf.Tensor | tf.Tensor[]): number[] => Array.from((t as tf.Tensor).dataSync());

function gan(): { generator: tf.Sequential; discriminator: tf.Sequential; combined: tf.LayersModel } {
  tf.manualSeed(3);
  const generator = tf.sequential({
    name: 'generator',
    layers: [tf.layers.dense({ units: 6, activation: 'relu', inputShape: [2] }), tf.layers.dense({ units: 4, activation: 'tanh' })],
  });
  const discriminator = tf.sequential({
    name: 'discriminator',
    layers: [tf.layers.dense({ units: 5, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
  });
  const z = tf.input({ shape: [2] });
  const combined = tf.model({ inputs: z, outputs: discriminator.apply(generator.apply(z)) as tf.SymbolicTensor, name: 'gan' });
  return { generator, discriminator, combined };
}

describe('models as layers', () => {
  it('a Sequential can be added to a Sequential, and a model applied to a symbolic tensor, sharing weight objects', () => {
    const { generator, discriminator, combined } = gan();
    const stacked = tf.sequential([generator, discriminator]);
    expect(stacked.layers).toEqual([generator, discriminator]);
    expect(combined.layers.slice(1)).toEqual([generator, discriminator]);
    expect(stacked.trainableWeights).toEqual([...generator.trainableWeights, ...discriminator.trainableWeights]);
    expect(combined.trainableWeights.every((w, i) => w === stacked.trainableWeights[i])).toBe(true);
    const z = tf.randn([7, 2]);
    const direct = discriminator.predictOnBatch(generator.predictOnBatch(z) as tf.Tensor);
    expect(values(stacked.predictOnBatch(z))).toEqual(values(direct));
    expect(values(combined.predictOnBatch(z))).toEqual(values(direct));
    expect(combined.outputShapes).toEqual([[null, 1]]);
  });

  it('freezing a nested model freezes its layers: fit of the combined model leaves it unchanged', async () => {
    const { generator, discriminator, combined } = gan();
    discriminator.trainable = false;
    expect(discriminator.layers.every((l) => !l.trainable)).toBe(true);
    expect(combined.trainableWeights).toEqual(generator.trainableWeights);
    const before = discriminator.getWeights().map(values);
    const genBefore = generator.getWeights().map(values);
    combined.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy' });
    await combined.fit(tf.randn([16, 2]), tf.ones([16, 1]), { epochs: 2, batchSize: 8, verbose: 0 });
    expect(discriminator.getWeights().map(values)).toEqual(before);
    expect(generator.getWeights().map(values)).not.toEqual(genBefore);
    discriminator.trainable = true;
    expect(combined.trainableWeights.length).toBe(8);
  });

  it('nested models save and load: weights named by model/layer/weight, identical predictions, still trainable', async () => {
    const { combined } = gan();
    combined.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const z = tf.randn([5, 2]);
    await combined.fit(z, tf.ones([5, 1]), { epochs: 1, verbose: 0 });
    const dir = tmpDir();
    await combined.save(dir);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(saved.modelTopology.config.layers.map((l: { className: string }) => l.className)).toEqual(['InputLayer', 'Sequential', 'Sequential']);
    const loaded = await tf.loadModel(dir);
    expect(loaded.layers.map((l) => l.className)).toEqual(['InputLayer', 'Sequential', 'Sequential']);
    expect(loaded.getLayer('generator')).toBeInstanceOf(tf.Sequential);
    expect(loaded.weightsInfo.map((w) => w.name)).toEqual(combined.weightsInfo.map((w) => w.name));
    expect(loaded.weightsInfo[0]!.name).toMatch(/^generator\/dense(_\d+)?\/kernel$/);
    expect(values(loaded.predictOnBatch(z))).toEqual(values(combined.predictOnBatch(z)));
    const h = await loaded.fit(z, tf.ones([5, 1]), { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history['loss']![0])).toBe(true);
    // And a Sequential holding a Sequential.
    const { generator, discriminator } = gan();
    const stacked = tf.sequential([generator, discriminator]);
    const dir2 = tmpDir();
    await stacked.save(dir2);
    const back = await tf.loadModel(dir2);
    expect(back).toBeInstanceOf(tf.Sequential);
    expect(values(back.predictOnBatch(z))).toEqual(values(stacked.predictOnBatch(z)));
  });

  it('summary lists a nested model as one row with its parameter count, and plotModel draws it as one node', async () => {
    const { combined, generator } = gan();
    const lines: string[] = [];
    combined.summary(70, (l) => lines.push(l));
    const row = lines.find((l) => l.startsWith('generator (Sequential)'))!;
    expect(row).toContain('[null,4]');
    expect(row.trim().endsWith(String(generator.countParams()))).toBe(true);
    expect(lines.join('\n')).toContain(`Total params: ${combined.countParams()}`);
    const dir = tmpDir();
    const svg = await plotModel(combined, path.join(dir, 'gan.svg'));
    expect(svg).toContain('generator');
    expect(svg).toContain('Sequential');
  });

  it('a model applied twice (shared, siamese) computes, saves, loads and exports with both calls', async () => {
    tf.manualSeed(9);
    const tower = tf.sequential({ name: 'tower', layers: [tf.layers.dense({ units: 3, activation: 'tanh', inputShape: [4] })] });
    const a = tf.input({ shape: [4], name: 'left' });
    const b = tf.input({ shape: [4], name: 'right' });
    const diff = tf.layers.subtract({}).apply([tower.apply(a) as tf.SymbolicTensor, tower.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const siamese = tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 1 }).apply(diff) as tf.SymbolicTensor });
    expect(tower.inboundNodes).toHaveLength(2);
    const xa = tf.randn([3, 4]);
    const xb = tf.randn([3, 4]);
    const expected = values(siamese.predictOnBatch([xa, xb]));
    const dir = tmpDir();
    await siamese.save(dir);
    const loaded = await tf.loadModel(dir);
    expect(values(loaded.predictOnBatch([xa, xb]))).toEqual(expected);
    await expectOnnxMatches(siamese, [[xa, xb]]);
  });

  it('exports nested models to ONNX (inlined) matching onnxruntime', async () => {
    const { combined, generator, discriminator } = gan();
    await expectOnnxMatches(combined, [tf.randn([3, 2]), tf.randn([1, 2])]);
    await expectOnnxMatches(tf.sequential([generator, discriminator]), [tf.randn([2, 2])]);
    // An imported ONNX model nested under a new head: saved, loaded and exported again.
    const imported = tf.importOnnx(exportOnnxBytes(generator));
    const z = tf.input({ shape: [2] });
    const top = tf.model({ inputs: z, outputs: tf.layers.dense({ units: 2 }).apply(imported.apply(z)) as tf.SymbolicTensor });
    const x = tf.randn([3, 2]);
    const expected = values(top.predictOnBatch(x));
    expect(expected.every(Number.isFinite)).toBe(true);
    await expectOnnxMatches(top, [x]);
    const dir = tmpDir();
    await top.save(dir);
    const back = await tf.loadModel(dir);
    values(back.predictOnBatch(x)).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});

describe('layer.output and model.inputs', () => {
  it('tf.model({ inputs: base.inputs, outputs: base.getLayer(name).output }) shares the trained layers', async () => {
    tf.manualSeed(5);
    const base = tf.sequential([
      tf.layers.dense({ units: 6, activation: 'relu', inputShape: [3], name: 'hidden' }),
      tf.layers.dense({ units: 4, activation: 'relu', name: 'feat' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }),
    ]);
    const feat = tf.model({ inputs: base.inputs as tf.SymbolicTensor[], outputs: base.getLayer('feat').output });
    expect(feat.getLayer('feat')).toBe(base.getLayer('feat'));
    expect(feat.trainableWeights).toEqual([...base.getLayer('hidden').trainableWeights, ...base.getLayer('feat').trainableWeights]);
    expect(base.getLayer('feat').input).toBe(base.getLayer('hidden').output);
    expect(base.input).toBe(base.inputs[0]);
    expect(base.output).toBe(base.getLayer('head').output);
    const x = tf.randn([4, 3]);
    base.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
    const before = values(feat.predictOnBatch(x));
    await base.fit(x, tf.tensor([0, 1, 0, 1], [4], 'int32'), { epochs: 2, verbose: 0 });
    // Training the base trained the cut model: they are the same weights.
    expect(values(feat.predictOnBatch(x))).not.toEqual(before);
    const head = tf.layers.dense({ units: 3, name: 'new_head' }).apply(feat.output as tf.SymbolicTensor) as tf.SymbolicTensor;
    const transfer = tf.model({ inputs: base.inputs as tf.SymbolicTensor[], outputs: head });
    expect(transfer.layers.map((l) => l.name)).toEqual([base.inputs[0]!.sourceLayer.name, 'hidden', 'feat', 'new_head']);
  });

  it('an imported ONNX model is cut at a node\'s output the same way', () => {
    tf.manualSeed(6);
    const original = tf.sequential([tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 2 })]);
    const imported = tf.importOnnx(exportOnnxBytes(original));
    const relu = imported.layers.find((l) => l.getConfig()['opType'] === 'Relu' || /relu/i.test(l.name))!;
    const body = tf.model({ inputs: imported.inputs as tf.SymbolicTensor[], outputs: relu.output });
    const x = tf.randn([5, 3]);
    const hidden = tf.noGrad(() => original.layers[0]!.apply(x) as tf.Tensor);
    values(body.predictOnBatch(x)).forEach((v, i) => expect(v).toBeCloseTo(hidden.dataSync()[i]!, 5));
  });

  it('layer.output is refused clearly before a symbolic call and when ambiguous', () => {
    const d = tf.layers.dense({ units: 2, name: 'lonely' });
    expect(() => d.output).toThrow(/lonely.output: the layer has not been called on a symbolic input yet/);
    d.apply(tf.input({ shape: [3] }));
    d.apply(tf.input({ shape: [3] }));
    expect(() => d.output).toThrow(/called 2 times.*getOutputAt/);
    expect((d.getOutputAt(1) as tf.SymbolicTensor).shape).toEqual([null, 2]);
  });

  it('a model applied to a symbolic tensor of the wrong shape is refused', () => {
    const { generator } = gan();
    expect(() => generator.apply(tf.input({ shape: [3] }))).toThrow(/generator: argument 'inputs' expected input shape \[null,2\], got \[null,3\]/);
  });
});

describe('a Sequential without an input shape', () => {
  const make = () => tf.sequential([tf.layers.dense({ units: 5, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })]);
  const x = tf.randn([70, 4]);
  const y = tf.oneHot(tf.randint(0, 3, [70]), 3);

  it('wires on its first predict (several batches)', async () => {
    const p = (await make().predict(x, { batchSize: 32 })) as tf.Tensor;
    expect(p.shape).toEqual([70, 3]);
  });

  it('compiles before wiring, then fits and evaluates on the first call', async () => {
    const m = make();
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 2, verbose: 0 });
    expect(h.history['loss']).toHaveLength(2);
    const m2 = make();
    m2.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const logs = await m2.evaluate(x, y);
    expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss']);
    expect(m2.inputShapes).toEqual([[null, 4]]);
  });

  it('wires on its first apply, symbolic or eager', () => {
    const m = make();
    const out = m.apply(tf.input({ shape: [4] })) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 3]);
    expect((make().apply(x) as tf.Tensor).shape).toEqual([70, 3]);
  });

  it('add() after wiring calls only the new layer, so each layer keeps one output; pop() removes it', () => {
    const m = tf.sequential([tf.layers.dense({ units: 5, inputShape: [4] })]);
    const d2 = tf.layers.dense({ units: 2 });
    m.add(d2);
    m.add(tf.layers.dense({ units: 1 }));
    expect(m.layers.every((l) => l.inboundNodes.length === 1)).toBe(true);
    m.pop();
    expect(m.outputs[0]).toBe(d2.output);
    expect(m.outputShapes).toEqual([[null, 2]]);
  });
});
