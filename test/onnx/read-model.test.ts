import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttributeType, DataType, decodeModel, encodeModel } from '../../src/onnx/proto';
import type { OnnxModelProto } from '../../src/onnx/proto';
import { readOnnxModel } from '../../src/onnx/read-model';
import type { OnnxGraph, OnnxTensor } from '../../src/onnx/read-model';

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixture = (name: string): string => join(FIXTURES, `${name}.onnx`);

/** Op types each fixture must contain (from the fixtures' README). */
const EXPECTED_OPS: Record<string, string[]> = {
  mlp: ['Gemm', 'Relu'],
  cnn: ['Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm'],
  lstm: ['LSTM', 'Transpose', 'Gather', 'Squeeze', 'Shape', 'Concat', 'ConstantOfShape', 'Unsqueeze', 'Gemm'],
  gru: ['GRU', 'Softmax', 'Transpose', 'Gather', 'Squeeze', 'Shape', 'Concat', 'ConstantOfShape', 'Unsqueeze', 'Gemm'],
};

interface IoJson {
  inputs: Record<string, { shape: number[] }>;
  outputs: Record<string, { shape: number[] }>;
  opset: number;
}

function initializerShapes(graph: OnnxGraph): Record<string, number[]> {
  return Object.fromEntries([...graph.initializers].map(([k, t]) => [k, t.shape]));
}

/** Deterministic bytes (xorshift32) so a failure reproduces. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < n; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

describe('readOnnxModel on the PyTorch fixtures', () => {
  for (const name of Object.keys(EXPECTED_OPS)) {
    it(`${name}: opset, io names and dtypes, op types, dynamic batch`, () => {
      const io = JSON.parse(readFileSync(join(FIXTURES, `${name}.io.json`), 'utf8')) as IoJson;
      const model = readOnnxModel(fixture(name));
      expect(model.producerName).toBe('pytorch');
      expect(model.opsets).toContainEqual({ domain: '', version: 13 });
      expect(io.opset).toBe(13);

      const { graph } = model;
      expect(graph.inputs.map((v) => v.name)).toEqual(['input']);
      expect(graph.outputs.map((v) => v.name)).toEqual(['output']);
      const input = graph.inputs[0]!;
      const output = graph.outputs[0]!;
      expect(input.elemType).toBe('float32');
      expect(output.elemType).toBe('float32');
      // Dynamic batch axis: symbolic first dim, the rest fixed and equal to the reference run's shape.
      expect(typeof input.shape?.[0]).toBe('string');
      expect(input.shape?.slice(1)).toEqual(io.inputs['input']!.shape.slice(1));
      expect(typeof output.shape?.[0]).toBe('string');
      expect(output.shape?.slice(1)).toEqual(io.outputs['output']!.shape.slice(1));

      const ops = new Set(graph.nodes.map((n) => n.opType));
      for (const op of EXPECTED_OPS[name]!) expect(ops, `${name} lacks ${op}`).toContain(op);
      for (const n of graph.nodes) expect(n.domain).toBe('');

      // Every initializer decodes to a Float32Array whose length matches its shape.
      for (const t of graph.initializers.values()) {
        expect(t.dtype).toBe('float32');
        expect(t.data).toBeInstanceOf(Float32Array);
        expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(Array.from(t.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    });
  }

  it('mlp: Gemm weights and attributes', () => {
    const { graph } = readOnnxModel(fixture('mlp'));
    expect(initializerShapes(graph)).toEqual({
      'net.0.weight': [64, 784],
      'net.0.bias': [64],
      'net.2.weight': [10, 64],
      'net.2.bias': [10],
    });
    expect(graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm']);
    const gemm = graph.nodes[0]!;
    expect(gemm.inputs).toEqual(['input', 'net.0.weight', 'net.0.bias']);
    expect(gemm.attributes).toEqual({ alpha: 1, beta: 1, transB: 1 });
    // raw_data is little-endian float32: compare against a direct read of the same bytes.
    const bias = graph.initializers.get('net.0.bias')!.data as Float32Array;
    const raw = decodeModel(readFileSync(fixture('mlp'))).graph!.initializer!.find((t) => t.name === 'net.0.bias')!.rawData!;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    expect(Array.from(bias)).toEqual(Array.from({ length: 64 }, (_, k) => view.getFloat32(4 * k, true)));
    expect(bias.byteOffset % 4).toBe(0);
    expect(bias.some((v) => v !== 0)).toBe(true);
  });

  it('cnn: conv kernel shapes and int-list attributes', () => {
    const { graph } = readOnnxModel(fixture('cnn'));
    expect(initializerShapes(graph)).toEqual({
      'conv.weight': [8, 1, 3, 3],
      'conv.bias': [8],
      'fc.weight': [10, 1352],
      'fc.bias': [10],
    });
    const conv = graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attributes).toMatchObject({ kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 });
    const pool = graph.nodes.find((n) => n.opType === 'MaxPool')!;
    expect(pool.attributes).toMatchObject({ kernel_shape: [2, 2], strides: [2, 2] });
  });

  it('lstm/gru: recurrent weights, hidden_size and tensor attributes', () => {
    const lstm = readOnnxModel(fixture('lstm')).graph;
    const lstmNode = lstm.nodes.find((n) => n.opType === 'LSTM')!;
    expect(lstmNode.attributes['hidden_size']).toBe(32);
    // W [1, 4*hidden, input], R [1, 4*hidden, hidden], B [1, 8*hidden].
    expect(lstmNode.inputs.slice(1, 4).map((k) => lstm.initializers.get(k)?.shape)).toEqual([
      [1, 128, 28],
      [1, 128, 32],
      [1, 256],
    ]);
    expect(initializerShapes(lstm)).toMatchObject({ 'fc.weight': [10, 32], 'fc.bias': [10] });

    const gru = readOnnxModel(fixture('gru')).graph;
    const gruNode = gru.nodes.find((n) => n.opType === 'GRU')!;
    expect(gruNode.attributes).toMatchObject({ hidden_size: 24, linear_before_reset: 1 });
    expect(gruNode.inputs.slice(1, 4).map((k) => gru.initializers.get(k)?.shape)).toEqual([
      [1, 72, 28],
      [1, 72, 24],
      [1, 144],
    ]);

    // ConstantOfShape's `value` and Constant's `value` are tensor attributes (float32 and int64).
    const fill = lstm.nodes.find((n) => n.opType === 'ConstantOfShape')!.attributes['value'] as OnnxTensor;
    expect(fill).toMatchObject({ dtype: 'float32', shape: [1] });
    expect(Array.from(fill.data as Float32Array)).toEqual([0]);
    const constants = lstm.nodes.filter((n) => n.opType === 'Constant').map((n) => n.attributes['value'] as OnnxTensor);
    expect(constants.length).toBeGreaterThan(0);
    for (const c of constants) {
      expect(c.dtype).toBe('int64');
      expect(c.data).toBeInstanceOf(BigInt64Array);
    }
  });
});

describe('encodeModel / decodeModel round trip', () => {
  const f32 = new Float32Array([1.5, -2, 3.25, 0]);
  const model: OnnxModelProto = {
    irVersion: 8,
    producerName: 'tensorforge-test',
    producerVersion: '0.1.0',
    modelVersion: 3,
    docString: 'round trip',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [{ key: 'author', value: 'tests' }],
    graph: {
      name: 'tiny',
      input: [
        {
          name: 'x',
          type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 4 }] } } },
        },
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, {}] } } } }],
      initializer: [
        // raw_data path: little-endian float32 bytes.
        { name: 'w', dims: [4, 1], dataType: DataType.FLOAT, rawData: new Uint8Array(f32.buffer) },
        // typed-field paths, including an int64 beyond 2^53 (tensor payloads keep bigint precision).
        { name: 'b', dims: [1], dataType: DataType.FLOAT, floatData: [0.5] },
        { name: 'ends', dims: [2], dataType: DataType.INT64, int64Data: [9223372036854775807n, -3n] },
        { name: 'mask', dims: [3], dataType: DataType.BOOL, int32Data: [1, 0, 1] },
        { name: 'd', dims: [], dataType: DataType.DOUBLE, doubleData: [Math.PI] },
        { name: 'labels', dims: [2], dataType: DataType.STRING, stringData: [Buffer.from('cat'), Buffer.from('dög')] },
      ],
      node: [
        { name: 'mm', opType: 'MatMul', input: ['x', 'w'], output: ['h'] },
        {
          name: 'act',
          opType: 'LeakyRelu',
          input: ['h'],
          output: ['y'],
          attribute: [
            { name: 'alpha', type: AttributeType.FLOAT, f: 0.25 },
            { name: 'axis', type: AttributeType.INT, i: -1 },
            { name: 'mode', type: AttributeType.STRING, s: Buffer.from('constant') },
            { name: 'perm', type: AttributeType.INTS, ints: [0, 2, 1] },
            { name: 'scales', type: AttributeType.FLOATS, floats: [0.5, 2] },
            { name: 'names', type: AttributeType.STRINGS, strings: [Buffer.from('a'), Buffer.from('b')] },
            { name: 'value', type: AttributeType.TENSOR, t: { dims: [2], dataType: DataType.INT32, int32Data: [7, -8] } },
            { name: 'body', type: AttributeType.GRAPH, g: { name: 'sub', node: [{ opType: 'Identity', input: ['a'], output: ['b'] }] } },
          ],
        },
      ],
    },
  };

  it('decodeModel returns what encodeModel wrote, with int64 fields as numbers', () => {
    const back = decodeModel(encodeModel(model));
    expect(back.irVersion).toBe(8);
    expect(back.modelVersion).toBe(3);
    expect(back.opsetImport).toEqual([{ domain: '', version: 13 }]);
    expect(back.metadataProps).toEqual([{ key: 'author', value: 'tests' }]);
    expect(back.graph?.input).toEqual(model.graph?.input);
    expect(back.graph?.initializer?.[0]?.dims).toEqual([4, 1]);
    expect(back.graph?.initializer?.[2]?.int64Data).toEqual([9223372036854775807n, -3n]);
    expect(back.graph?.node?.[1]?.attribute?.[3]?.ints).toEqual([0, 2, 1]);
    expect(back.graph?.node?.[1]?.attribute?.[1]?.i).toBe(-1);
  });

  it('readOnnxModel decodes every payload and attribute kind', () => {
    const m = readOnnxModel(encodeModel(model), 'tiny.onnx');
    expect(m).toMatchObject({ irVersion: 8, producerName: 'tensorforge-test', metadata: { author: 'tests' } });
    expect(m.opsets).toEqual([{ domain: '', version: 13 }]);
    expect(m.graph.inputs).toEqual([{ name: 'x', elemType: 'float32', shape: ['N', 4] }]);
    expect(m.graph.outputs).toEqual([{ name: 'y', elemType: 'float32', shape: ['N', null] }]);

    const init = m.graph.initializers;
    expect(init.get('w')).toEqual({ name: 'w', dtype: 'float32', shape: [4, 1], data: f32 });
    expect(init.get('b')?.data).toEqual(new Float32Array([0.5]));
    expect(init.get('ends')?.data).toEqual(new BigInt64Array([9223372036854775807n, -3n]));
    expect(init.get('mask')).toMatchObject({ dtype: 'bool', data: new Uint8Array([1, 0, 1]) });
    expect(init.get('d')).toMatchObject({ dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) });
    expect(init.get('labels')?.data).toEqual(['cat', 'dög']);

    const act = m.graph.nodes[1]!;
    expect(act.attributes).toMatchObject({
      alpha: 0.25,
      axis: -1,
      mode: 'constant',
      perm: [0, 2, 1],
      scales: [0.5, 2],
      names: ['a', 'b'],
      value: { dtype: 'int32', shape: [2], data: new Int32Array([7, -8]) },
    });
    const body = act.attributes['body'] as OnnxGraph;
    expect(body.name).toBe('sub');
    expect(body.nodes[0]).toMatchObject({ opType: 'Identity', inputs: ['a'], outputs: ['b'] });
  });

  it('drops initializers listed as graph inputs (IR < 4 style)', () => {
    const old: OnnxModelProto = {
      ...model,
      irVersion: 3,
      graph: {
        ...model.graph,
        input: [...(model.graph?.input ?? []), { name: 'w', type: { tensorType: { elemType: DataType.FLOAT } } }],
      },
    };
    expect(readOnnxModel(encodeModel(old)).graph.inputs.map((v) => v.name)).toEqual(['x']);
  });
});

describe('readOnnxModel rejects malformed data with clear errors', () => {
  const mlpBytes = (): Uint8Array => readFileSync(fixture('mlp'));

  it('names the file for a truncated fixture', () => {
    const bytes = mlpBytes();
    expect(() => readOnnxModel(bytes.subarray(0, bytes.length >> 1), 'mlp-half.onnx')).toThrow(
      /^mlp-half\.onnx: not a valid ONNX model: index out of range.*truncated file\?/,
    );
    // Every cut point must fail cleanly (an Error, never a crash or a silently partial model).
    for (const cut of [1, 2, 10, 100, 1000, bytes.length - 1]) {
      expect(() => readOnnxModel(bytes.subarray(0, cut), `cut-${cut}`)).toThrow(new RegExp(`^cut-${cut}: not a valid ONNX model: `));
    }
  });

  it('rejects an empty buffer', () => {
    expect(() => readOnnxModel(new Uint8Array(0))).toThrow('ONNX bytes: not a valid ONNX model: the data is empty (0 bytes)');
  });

  it('rejects random bytes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      expect(() => readOnnxModel(randomBytes(256, seed), `random-${seed}.bin`)).toThrow(
        new RegExp(`^random-${seed}\\.bin: not a valid ONNX model: `),
      );
    }
  });

  it('rejects a model without a graph or without an opset', () => {
    const noGraph = encodeModel({ irVersion: 8, opsetImport: [{ version: 13 }] });
    expect(() => readOnnxModel(noGraph, 'nograph.onnx')).toThrow('nograph.onnx: not a valid ONNX model: the model has no graph');
    const noOpset = encodeModel({ irVersion: 8, graph: { name: 'g' } });
    expect(() => readOnnxModel(noOpset, 'noopset.onnx')).toThrow(/noopset\.onnx: .*opset_import is empty/);
  });

  it('rejects tensor data that does not match its dims', () => {
    const bad = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: { initializer: [{ name: 'w', dims: [2, 3], dataType: DataType.FLOAT, rawData: new Uint8Array(20) }] },
    });
    expect(() => readOnnxModel(bad, 'bad.onnx')).toThrow(
      "bad.onnx: not a valid ONNX model: graph initializer 'w': raw_data has 20 bytes, expected 24 (6 float32 elements)",
    );
  });

  it('rejects a missing file and 64-bit header values beyond 2^53', () => {
    expect(() => readOnnxModel(join(FIXTURES, 'does-not-exist.onnx'))).toThrow(/does-not-exist\.onnx: cannot read ONNX model: /);
    const huge = encodeModel({ irVersion: 2 ** 60, opsetImport: [{ version: 13 }], graph: {} });
    expect(() => readOnnxModel(huge, 'huge.onnx')).toThrow(/huge\.onnx: not a valid ONNX model: ModelProto\.irVersion: .*beyond 2\^53/);
  });
});
