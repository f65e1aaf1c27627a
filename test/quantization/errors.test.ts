// Bad options and tampered files fail with Errors that name what was wrong.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { saveTemp } from './digits';

function small(): tf.LayersModel {
  tf.manualSeed(1);
  return tf.sequential([tf.layers.dense({ units: 4, activation: 'relu', inputShape: [6] }), tf.layers.dense({ units: 2 })]);
}

describe('quantize options', () => {
  const model = small();
  const cal = tf.randn([8, 6]);
  it('names the bad option, what was expected and what came', () => {
    expect(() => tf.quantization.quantize(model, { mode: 'int4' as never })).toThrow(/quantization\.quantize: argument 'options\.mode' expected 'dynamic', 'static' or 'float16', got "int4"/);
    expect(() => tf.quantization.quantize(model, { mode: 'static' })).toThrow(/argument 'options\.calibrationData' expected input samples in 'static' mode/);
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: cal, calibration: 'kl' as never })).toThrow(/'options\.calibration' expected 'minmax', 'percentile' or 'entropy', got "kl"/);
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: cal, perChannel: 'yes' as never })).toThrow(/'options\.perChannel' expected a boolean/);
    expect(() => tf.quantization.quantize(model, { mode: 'dynamic', calibrationData: cal })).toThrow(/'options\.calibrationData' expected nothing outside 'static' mode/);
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: [1, 2] as never })).toThrow(/'options\.calibrationData' expected a Tensor or a list of Tensors/);
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: cal, percentile: 20 })).toThrow(/'options\.percentile' expected a number in \(50, 100\]/);
    expect(() => tf.quantization.quantize(model, { mode: 'dynamic', perchannel: true } as never)).toThrow(/'options\.perchannel' expected one of the options/);
    expect(() => tf.quantization.quantize({} as never, { mode: 'dynamic' })).toThrow(/argument 'model' expected a LayersModel/);
    expect(() => tf.quantization.quantize(model, null as never)).toThrow(/argument 'options' expected \{ mode, \.\.\. \}/);
  });

  it('calibration data that does not fit the model is reported by the model', () => {
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: tf.randn([8, 5]) })).toThrow(/6|shape/);
    const nan = tf.Tensor.fromArray(new Float32Array(6).fill(NaN), [1, 6]);
    expect(() => tf.quantization.quantize(model, { mode: 'static', calibrationData: nan })).toThrow(/quantization\.quantize: layer '.*': the calibration data gives NaN at its input/);
  });

  it('an int8 model cannot be saved in tfjs format', async () => {
    const q = tf.quantization.quantize(model, { mode: 'dynamic' });
    await expect(q.save(fs.mkdtempSync(path.join(os.tmpdir(), 'tf-q-tfjs-')), { format: 'tfjs' })).rejects.toThrow(/is a QuantizedDense, which tfjs's format cannot hold/);
  });

  it('an int8 model refuses to train', async () => {
    const q = tf.quantization.quantize(model, { mode: 'dynamic' });
    q.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(q.fit(tf.randn([4, 6]), tf.randn([4, 2]), { epochs: 1, verbose: 0 })).rejects.toThrow(/quantized layers are inference-only/);
  });
});

describe('loadModel checks stored dtypes', () => {
  /** Rewrites the first tensor with dtype `from` to say `to` (data offsets are relative, so they stay valid). */
  function retag(file: string, from: string, to: string): void {
    const bytes = fs.readFileSync(file);
    const len = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + len).toString('utf8');
    const next = header.replace(`"dtype":"${from}"`, `"dtype":"${to}"`);
    expect(next).not.toBe(header);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(Buffer.byteLength(next)));
    fs.writeFileSync(file, Buffer.concat([size, Buffer.from(next, 'utf8'), bytes.subarray(8 + len)]));
  }

  it('an int8 weight stored as U8 is an Error naming the weight, expected and found', async () => {
    const q = tf.quantization.quantize(small(), { mode: 'dynamic' });
    const { dir } = await saveTemp(q, 'retag-i8');
    retag(path.join(dir, 'model.safetensors'), 'I8', 'U8');
    await expect(tf.loadModel(dir)).rejects.toThrow(new RegExp(`weight '${q.layers[0]!.name}/kernel' is stored as U8, the layer expects I8`));
  });

  it('a float16 weight stored as BF16 is an Error too', async () => {
    const q = tf.quantization.quantize(small(), { mode: 'float16' });
    const { dir } = await saveTemp(q, 'retag-f16');
    retag(path.join(dir, 'model.safetensors'), 'F16', 'BF16');
    await expect(tf.loadModel(dir)).rejects.toThrow(/is stored as BF16, the layer expects F16/);
  });

  it('a float model whose weight is stored as F16 is refused (the layer expects F32)', async () => {
    const m = small();
    const { dir } = await saveTemp(tf.quantization.quantize(m, { mode: 'float16' }), 'f16-as-f32');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightDtypes?: unknown };
    delete json.weightDtypes;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(tf.loadModel(dir)).rejects.toThrow(/is stored as F16, the layer expects F32/);
  });
});
