// The unary op table is what makes one definition enough: these checks fail when an entry's
// names do not reach the package root, the ONNX importer, the exporter or the layers.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { resolveActivation } from '../../src/activations/activations';
import { checkOnnxModel } from '../../src/onnx/check-model';
import { exportOnnxBytes } from '../../src/onnx/export';
import { readOnnxModel } from '../../src/onnx/read-model';
import { onnxParamDefaults, unaryEntries } from '../../src/ops/unary-table';

const entries = unaryEntries();
const seq = (layer: tf.Layer, shape: number[]) => {
  const x = tf.input({ shape });
  return tf.model({ inputs: x, outputs: layer.apply(x) as tf.SymbolicTensor });
};

describe('unary op table', () => {
  it('holds every unary op, each registered in the op registry and exported by name from the package root', () => {
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['relu', 'hardSwish', 'mish', 'softsign', 'hardSigmoid', 'selu', 'silu']));
    const api = tf as unknown as Record<string, unknown>;
    for (const e of entries) {
      expect(typeof api[e.name], e.name).toBe('function');
      expect(tf.listOps().find((o) => o.name === e.name)?.onnx, e.name).toBe(e.onnx?.op ?? null);
    }
  });

  it('every ONNX operator of an entry imports', () => {
    const supported = tf.supportedOnnxOps();
    for (const e of entries) if (e.onnx?.op) expect(supported, e.onnx.op).toContain(e.onnx.op);
  });

  it('every activation resolves by its name and aliases, and exports at the lowest and highest opset', () => {
    for (const e of entries.filter((k) => k.activation)) {
      const name = e.activation!.name ?? e.name;
      for (const alias of [name, ...(e.activation!.aliases ?? [])]) expect(resolveActivation('t', alias).name, alias).toBe(name);
      expect(tf.ACTIVATION_NAMES).toContain(name);
      for (const opset of [13, 21]) checkOnnxModel(exportOnnxBytes(seq(tf.layers.activation({ activation: name as tf.ActivationName }), [4]), { opset }));
    }
  });

  it('parameters are written as ONNX attributes with the library values; importing uses ONNX defaults', () => {
    const leaky = entries.find((e) => e.name === 'leakyRelu')!;
    expect(onnxParamDefaults(leaky)).toEqual([0.01]);
    const node = readOnnxModel(exportOnnxBytes(seq(tf.layers.activation({ activation: 'leakyRelu' }), [4]))).graph.nodes[0]!;
    expect(node.opType).toBe('LeakyRelu');
    expect(node.attributes['alpha'] as number).toBeCloseTo(0.2, 6);
  });

  it('activations with a recurrent-op name export inside an LSTM; the others are refused naming the supported ones', () => {
    for (const e of entries.filter((k) => k.activation)) {
      const name = (e.activation!.name ?? e.name) as tf.ActivationName;
      const m = seq(tf.layers.lstm({ units: 2, activation: name, recurrentActivation: name, name: 'rnn' }), [3, 2]);
      if (e.activation!.rnn) {
        const lstm = readOnnxModel(exportOnnxBytes(m)).graph.nodes.find((n) => n.opType === 'LSTM')!;
        expect(lstm.attributes['activations'], name).toContain(e.activation!.rnn);
      } else {
        expect(() => exportOnnxBytes(m), name).toThrow(/which ONNX recurrent ops do not offer \(supported: .*softsign/);
      }
    }
  });
});
