import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { SPARSE_BITMASK, decodeWeights, encodeWeights, registerWeightEncoding } from '../../src/io/sparse-weights';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-sparse-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function mlp(): tf.Sequential {
  return tf.sequential([
    tf.layers.dense({ units: 64, activation: 'relu', inputShape: [100] }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
}

const fileSize = (dir: string) => fs.statSync(path.join(dir, 'model.safetensors')).size;

describe('sparse weight storage', () => {
  it('round-trips a tensor through the bitmask encoding, including odd sizes and an all-zero one', () => {
    tf.manualSeed(1);
    for (const shape of [[7, 13], [64, 3], [8, 8]]) {
      const dense = tf.randn(shape);
      const keep = tf.greater(tf.rand(shape), 0.7);
      const sparse = tf.where(keep, dense, tf.zeros(shape));
      const parts = SPARSE_BITMASK.encode(sparse)!;
      expect(parts).not.toBeNull();
      const back = SPARSE_BITMASK.decode(parts, shape, 'test');
      expect(Array.from(back.dataSync())).toEqual(Array.from(sparse.dataSync()));
    }
    const none = SPARSE_BITMASK.encode(tf.zeros([16, 8]))!;
    expect(none.values!.size).toBe(0);
    expect(Array.from(SPARSE_BITMASK.decode(none, [16, 8], 'test').dataSync()).every((v) => v === 0)).toBe(true);
    // Dense, small or rank-1 weights are left alone.
    expect(SPARSE_BITMASK.encode(tf.randn([16, 8]))).toBeNull();
    expect(SPARSE_BITMASK.encode(tf.zeros([1000]))).toBeNull();
  });

  it('saves an 80%-sparse model in a smaller file that loads back to identical predictions', async () => {
    tf.manualSeed(2);
    const model = mlp();
    const x = tf.rand([5, 100]);
    const denseDir = tmp();
    await model.save(denseDir);
    tf.pruning.prune(model, { targetSparsity: 0.8 });
    const sparseDir = tmp();
    await tf.pruning.strip(model).save(sparseDir);
    const ratio = fileSize(sparseDir) / fileSize(denseDir);
    // 1/32 for the mask + 0.2 for the values, plus the dense biases and the header.
    expect(ratio).toBeLessThan(0.3);
    const loaded = await tf.loadModel(sparseDir);
    expect(Array.from((loaded.predictOnBatch(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predictOnBatch(x) as tf.Tensor).dataSync()));
    expect(loaded.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
  });

  it('leaves the file of an unpruned model byte-for-byte as plain safetensors', async () => {
    tf.manualSeed(3);
    const model = mlp();
    const dir = tmp();
    await model.save(dir);
    const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(metadata)).toEqual(['format']);
    expect([...tensors.keys()]).toEqual(model.layers.flatMap((l) => l.weightsInfo.map((w) => `${l.name}/${w.name}`)));
    const plain = encodeSafetensors(new Map(model.layers.flatMap((l) => l.weightsInfo.map((w) => [`${l.name}/${w.name}`, w.value] as [string, tf.Tensor]))), { format: metadata['format']! });
    expect(Buffer.compare(Buffer.from(plain), bytes)).toBe(0);
  });

  it('corrupt encoded entries throw naming the file and weight', () => {
    const w = tf.where(tf.greater(tf.rand([8, 8]), 0.8), tf.ones([8, 8]), tf.zeros([8, 8]));
    const enc = encodeWeights(new Map([['d/kernel', w]]));
    const file = decodeSafetensors(encodeSafetensors(enc.tensors, enc.metadata));
    expect(Array.from(decodeWeights(file, 'f').get('d/kernel')!.dataSync())).toEqual(Array.from(w.dataSync()));
    const missing = { tensors: new Map([...file.tensors].filter(([k]) => !k.endsWith('#values'))), metadata: file.metadata };
    expect(() => decodeWeights(missing, 'm.safetensors')).toThrow(/m.safetensors.*'d\/kernel' misses its part 'values'/);
    const short = { tensors: new Map([...file.tensors].map(([k, t]) => [k, k.endsWith('#values') ? tf.zeros([1]) : t] as [string, tf.Tensor])), metadata: file.metadata };
    expect(() => decodeWeights(short, 'm.safetensors')).toThrow(/'d\/kernel'.*more entries than the 1 stored values/);
    const unknown = { tensors: file.tensors, metadata: { 'tensorforge.encodings': JSON.stringify({ 'd/kernel': { encoding: 'zip', shape: [8, 8], parts: {} } }) } };
    expect(() => decodeWeights(unknown, 'm.safetensors')).toThrow(/encoding "zip", known: sparse-bitmask/);
  });
  // Last: the encoding it registers stays registered for the rest of this file.
  it('takes registered encodings: first taker wins, save and load use them', async () => {
    // A toy encoding for constant tensors: one value instead of all of them.
    registerWeightEncoding({
      name: 'test-constant',
      encode: (t) => {
        const d = t.dataSync();
        return t.rank === 1 && t.size > 1 && d.every((v) => v === d[0]) ? { value: tf.tensor([d[0]!]) } : null;
      },
      decode: (parts, shape) => tf.full(shape, parts['value']!.dataSync()[0]!),
    });
    const model = tf.sequential([tf.layers.dense({ units: 6, inputShape: [4], biasInitializer: 'ones' })]);
    const dir = tmp();
    await model.save(dir);
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')));
    const bias = `${model.layers[0]!.name}/bias`;
    expect(tensors.has(`${bias}#value`)).toBe(true);
    expect(JSON.parse(metadata['tensorforge.encodings']!)[bias]).toEqual({ encoding: 'test-constant', shape: [6], parts: { value: `${bias}#value` } });
    const loaded = await tf.loadModel(dir);
    expect(Array.from(loaded.layers[0]!.weights[1]!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => registerWeightEncoding({ name: '' } as never)).toThrow(/registerWeightEncoding.*encoding.*\{ name, encode, decode \}/);
  });
});
