import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { Layer, type LayerArgs, type LayerConfig, type Tensor } from '../../src';
import { getOnnxConverter } from '../../src/onnx/export/converter';
import { deserializeLayer, getLayerClass, layerClassNames } from '../../src/layers/registry';
import { TimeDistributed } from '../../src/layers/wrappers';
import { expectArrayClose, values } from '../helpers/layer-check';

interface GainArgs extends LayerArgs {
  gain?: number;
}

/** y = gain * x * w: a custom layer with a config option and one weight, registered by its static className. */
class GainForRegistryTest extends Layer {
  static readonly className: string = 'GainForRegistryTest';
  readonly className: string = 'GainForRegistryTest';
  readonly gain: number;
  w: Tensor | null = null;
  constructor(args: GainArgs = {}) {
    super(args);
    this.gain = args.gain ?? 1;
  }
  override build(shape: (number | null)[]): void {
    this.w = this.addWeight('w', [shape[shape.length - 1] as number], tf.initializers.randomUniform({ seed: 3 }));
  }
  call(x: Tensor | Tensor[]): Tensor {
    return tf.mul(tf.mul(x as Tensor, this.w!), this.gain);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), gain: this.gain };
  }
}

/** Registered through tfjs's spelling, wrappable by TimeDistributed. */
class WrappableGainForRegistryTest extends GainForRegistryTest {
  static override readonly className = 'WrappableGainForRegistryTest';
  override readonly className = 'WrappableGainForRegistryTest';
}

/** Registered without `wrappable`. */
class PlainGainForRegistryTest extends GainForRegistryTest {
  static override readonly className = 'PlainGainForRegistryTest';
  override readonly className = 'PlainGainForRegistryTest';
}

tf.registerLayer(GainForRegistryTest);
tf.serialization.registerClass(WrappableGainForRegistryTest, { wrappable: true });
tf.registerLayer('PlainGainForRegistryTest', PlainGainForRegistryTest);

async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-registry-'));
  try {
    await model.save(dir);
    return await tf.loadModel(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('layer registry', () => {
  it('every built-in factory makes a registered class, and every built-in class has a factory', () => {
    // Models nest as layers but are made by tf.model/tf.sequential; int8 and QAT layers by tf.quantization.
    const made = (c: string) => c === 'OnnxNode' || c === 'Model' || c === 'Sequential' || c.startsWith('Quantized') || c.startsWith('Qat');
    const registered = layerClassNames().filter((c) => !c.endsWith('ForRegistryTest') && !made(c));
    const factories = Object.keys(tf.layers);
    expect(factories.map((f) => registered.find((c) => c.toLowerCase() === f.toLowerCase()) ?? `no class for ${f}`).sort()).toEqual(registered);
    expect(new Set(factories).size).toBe(registered.length);
  });

  it('the wrappers may rebuild exactly the single-tensor layers', () => {
    expect(layerClassNames({ wrappable: true }).filter((c) => !c.endsWith('ForRegistryTest'))).toEqual([
      'Activation', 'AveragePooling2D', 'BatchNormalization', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'Dense', 'DepthwiseConv2D',
      'Dropout', 'Embedding', 'Flatten', 'GRU', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'LSTM', 'LayerNormalization',
      'MaxPooling2D', 'Reshape', 'SeparableConv2D', 'SimpleRNN', 'UpSampling2D', 'ZeroPadding2D',
    ]);
  });

  it('a custom layer registered by its static className saves and loads with its weights and config', async () => {
    expect(getLayerClass('GainForRegistryTest')).toBe(GainForRegistryTest);
    const model = tf.sequential([new GainForRegistryTest({ gain: 3, inputShape: [4] }), tf.layers.dense({ units: 2 })]);
    const x = tf.tensor([[1, 2, 3, 4], [-1, 0.5, 0, 2]]);
    const loaded = await saveAndLoad(model);
    const layer = loaded.layers[0]!;
    expect(layer).toBeInstanceOf(GainForRegistryTest);
    expect((layer as GainForRegistryTest).gain).toBe(3);
    expectArrayClose(values(loaded.predictOnBatch(x) as Tensor), values(model.predictOnBatch(x) as Tensor));
  });

  it('TimeDistributed rebuilds a custom layer registered as wrappable, and names the choices otherwise', async () => {
    const inner = new WrappableGainForRegistryTest({ gain: 2 });
    const model = tf.sequential([tf.layers.timeDistributed({ layer: inner, inputShape: [3, 4] })]);
    const x = tf.tensor(Array.from({ length: 24 }, (_, i) => i / 10 - 1), [2, 3, 4]);
    const loaded = await saveAndLoad(model);
    const td = loaded.layers[0] as TimeDistributed;
    expect(td.layer).toBeInstanceOf(WrappableGainForRegistryTest);
    expectArrayClose(values(loaded.predictOnBatch(x) as Tensor), values(model.predictOnBatch(x) as Tensor));

    const spec = { className: 'PlainGainForRegistryTest', config: {} };
    expect(() => new TimeDistributed({ layer: spec })).toThrow(
      /timeDistributed: argument 'layer className' expected one of Activation, .*WrappableGainForRegistryTest.*, got "PlainGainForRegistryTest"/,
    );
    expect(deserializeLayer(spec.className, spec.config)).toBeInstanceOf(PlainGainForRegistryTest);
  });

  it('a fromConfig hook rebuilds the layer, and a converter given at registration is the ONNX converter', () => {
    class RenamedGainForRegistryTest extends GainForRegistryTest {
      override readonly className = 'RenamedGainForRegistryTest';
    }
    const converter: tf.LayerConverter = ({ inputs }) => [inputs[0]!];
    tf.registerLayer('RenamedGainForRegistryTest', RenamedGainForRegistryTest, {
      // An older config spelled the option `factor`.
      fromConfig: ({ factor, ...rest }) => new RenamedGainForRegistryTest({ ...rest, gain: factor as number }),
      onnx: converter,
    });
    const rebuilt = deserializeLayer('RenamedGainForRegistryTest', { name: 'old', factor: 5 });
    expect(rebuilt).toBeInstanceOf(RenamedGainForRegistryTest);
    expect((rebuilt as GainForRegistryTest).gain).toBe(5);
    expect(getOnnxConverter('RenamedGainForRegistryTest')).toBe(converter);
    // Registering the class again keeps the converter; registerOnnxConverter replaces it.
    tf.registerLayer('RenamedGainForRegistryTest', RenamedGainForRegistryTest, {});
    expect(getOnnxConverter('RenamedGainForRegistryTest')).toBe(converter);
    const other: tf.LayerConverter = ({ inputs }) => inputs.slice(0, 1);
    tf.registerOnnxConverter('RenamedGainForRegistryTest', other);
    expect(getOnnxConverter('RenamedGainForRegistryTest')).toBe(other);
  });

  it('bad registrations are rejected with clear errors', () => {
    expect(() => tf.registerLayer('', GainForRegistryTest)).toThrow(/registerLayer: argument 'className' expected a non-empty string, got ""/);
    expect(() => tf.registerLayer('X', 3 as never)).toThrow(/registerLayer: argument 'cls' expected a layer class for 'X', got 3/);
    expect(() => tf.registerLayer('X', GainForRegistryTest, { fromConfig: 'no' as never })).toThrow(/options.fromConfig' expected a function/);
    expect(() => tf.registerLayer('X', GainForRegistryTest, { onnx: {} as never })).toThrow(/options.onnx' expected a function/);
    expect(getLayerClass('X')).toBeUndefined();
  });

  it('registry.ts is a leaf: it imports no layer module at run time', () => {
    const file = path.join(__dirname, '../../src/layers/registry.ts');
    const runtime = [...fs.readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(runtime).toEqual(['../errors']);
  });
});
