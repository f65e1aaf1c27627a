// checkOnnxModel: valid models (ours and PyTorch's) pass; each structural rule, broken on purpose,
// is reported with the offending name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttributeType, DataType, decodeModel, encodeModel } from '../../src/onnx/proto';
import type { OnnxModelProto } from '../../src/onnx/proto';
import { checkOnnxModel, onnxModelProblems } from '../../src/onnx/check-model';

const FIXTURES = join(__dirname, '..', 'fixtures');

const f32 = (name: string, dims: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** x [batch, 2] -> MatMul(W) -> Relu -> y, with W a 2x2 float initializer. */
function validModel(): OnnxModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'test',
    graph: {
      name: 'g',
      input: [f32('x', ['batch', 2])],
      output: [f32('y', ['batch', 2])],
      initializer: [{ name: 'W', dims: [2, 2], dataType: DataType.FLOAT, floatData: [1, 2, 3, 4] }],
      node: [
        { opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['h'] },
        { opType: 'Relu', name: 'relu', input: ['h'], output: ['y'] },
      ],
    },
  };
}

function broken(edit: (m: OnnxModelProto) => void): OnnxModelProto {
  const m = validModel();
  edit(m);
  return m;
}

describe('checkOnnxModel', () => {
  it('accepts a valid model as an object and as bytes', () => {
    expect(onnxModelProblems(validModel())).toEqual([]);
    expect(() => checkOnnxModel(encodeModel(validModel()))).not.toThrow();
  });

  it('accepts the PyTorch fixtures', () => {
    for (const name of ['mlp', 'cnn', 'lstm', 'gru']) {
      expect(onnxModelProblems(new Uint8Array(readFileSync(join(FIXTURES, `${name}.onnx`)))), name).toEqual([]);
    }
  });

  const cases: [string, (m: OnnxModelProto) => void, RegExp][] = [
    ['missing ir_version', (m) => delete m.irVersion, /ir_version is missing/],
    ['empty opset_import', (m) => (m.opsetImport = []), /opset_import is empty/],
    ['a node domain without an opset import', (m) => (m.graph!.node![1]!.domain = 'com.example'), /domain 'com.example'/],
    ['an input nobody defines', (m) => (m.graph!.node![0]!.input = ['x', 'V']), /reads 'V', which is not a graph input/],
    ['nodes out of topological order', (m) => m.graph!.node!.reverse(), /reads 'h'/],
    ['a value assigned twice', (m) => (m.graph!.node![1]!.output = ['h']), /'h' is defined more than once/],
    ['a node output named like a graph input', (m) => (m.graph!.node![0]!.output = ['x']), /'x' is defined more than once/],
    ['a graph output never produced', (m) => (m.graph!.output = [f32('z', ['batch', 2])]), /output 'z' is never produced/],
    ['a graph input without element type', (m) => (m.graph!.input![0]!.type!.tensorType!.elemType = 0), /input 'x' has no valid element type/],
    ['a graph output without shape', (m) => delete m.graph!.output![0]!.type!.tensorType!.shape, /output 'y' has no shape/],
    ['a dimension without size or symbol', (m) => (m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = {}), /dim 0 is neither/],
    ['an initializer with too little data', (m) => (m.graph!.initializer![0]!.floatData = [1, 2, 3]), /'W' holds 3 values, expected 4/],
    ['an initializer with wrong raw_data length', (m) => {
      const t = m.graph!.initializer![0]!;
      delete t.floatData;
      t.rawData = new Uint8Array(12);
    }, /'W' has 12 bytes of raw_data, expected 16/],
    ['an initializer without data type', (m) => delete m.graph!.initializer![0]!.dataType, /'W' has no valid data_type/],
    ['negative dims', (m) => (m.graph!.initializer![0]!.dims = [2, -2]), /invalid dims/],
    ['an empty input name', (m) => (m.graph!.input![0]!.name = ''), /has an empty name/],
    ['a node without op_type', (m) => (m.graph!.node![1]!.opType = ''), /has no op_type/],
    ['a node without outputs', (m) => (m.graph!.node![1]!.output = []), /has no outputs/],
    ['a duplicated attribute', (m) => (m.graph!.node![1]!.attribute = [
      { name: 'a', type: AttributeType.INT, i: 1 }, { name: 'a', type: AttributeType.INT, i: 2 }]), /attribute 'a' twice/],
    ['an attribute without type', (m) => (m.graph!.node![1]!.attribute = [{ name: 'a', i: 1 }]), /attribute 'a' has no valid type/],
    ['no graph outputs', (m) => (m.graph!.output = []), /has no outputs/],
  ];
  for (const [label, edit, message] of cases) {
    it(`reports ${label}`, () => {
      const problems = onnxModelProblems(broken(edit));
      expect(problems.join('\n')).toMatch(message);
      expect(() => checkOnnxModel(broken(edit))).toThrow(/checkOnnxModel: the model is not valid ONNX/);
    });
  }

  it('an initializer may double as a graph input (its default value)', () => {
    const m = broken((g) => g.graph!.input!.push(f32('W', [2, 2])));
    expect(onnxModelProblems(m)).toEqual([]);
  });

  it('omitted optional inputs and outputs ("") are allowed', () => {
    const m = broken((g) => {
      g.graph!.node![0]!.input = ['x', 'W', ''];
      g.graph!.node![1]!.output = ['y', ''];
    });
    expect(onnxModelProblems(m)).toEqual([]);
  });

  it('lists every problem at once', () => {
    const m = broken((g) => {
      delete g.irVersion;
      g.graph!.node![0]!.input = ['x', 'V'];
    });
    expect(onnxModelProblems(m)).toHaveLength(2);
  });

  it('garbage and truncated bytes are reported, not thrown from protobuf', () => {
    expect(onnxModelProblems(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))[0]).toMatch(/not an ONNX ModelProto/);
    const bytes = encodeModel(validModel());
    expect(() => checkOnnxModel(bytes.subarray(0, bytes.length - 7))).toThrow(/checkOnnxModel/);
    expect(onnxModelProblems(null as unknown as Uint8Array)[0]).toMatch(/expected ONNX bytes/);
  });

  it('round-trips through decodeModel unchanged in validity', () => {
    expect(onnxModelProblems(decodeModel(encodeModel(validModel())))).toEqual([]);
  });
});
