// Builds small ONNX models in memory for the ORT comparison. Every operand is a graph input
// (not an initializer) unless a case asks otherwise, so ORT cannot constant-fold the op away or
// pre-pack a weight that tensorforge would have to handle at run time.
import { createRequire } from 'node:module';

// The library's own ONNX schema (dist/, built by npm run bench before it runs): one copy to maintain.
const { AttributeType, DataType, encodeModel } = createRequire(import.meta.url)('../dist/onnx/proto.js');

export const IR_VERSION = 8;
export const OPSET = 17;

function valueInfo(name, dims, elemType = DataType.FLOAT) {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

function attribute(name, value) {
  if (Number.isInteger(value)) return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'number') return { name, type: AttributeType.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value) };
  if (Array.isArray(value) && value.every(Number.isInteger)) return { name, type: AttributeType.INTS, ints: value };
  if (Array.isArray(value)) return { name, type: AttributeType.FLOATS, floats: value };
  throw new Error(`unsupported attribute ${name}=${String(value)}`);
}

/** A float32 initializer (weights baked into the model), for cases that model inference on fixed weights. */
export function initializer(name, dims, data) {
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  return { name, dims, dataType: DataType.FLOAT, rawData: Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength) };
}

/**
 * One-node model: `{ opType, inputs: [{name, dims}], outputs: [{name, dims}], attrs?, initializers? }`.
 * Returns the encoded ModelProto bytes, ready for InferenceSession.create().
 */
export function singleOpModel({ opType, inputs, outputs, attrs = {}, initializers = [] }) {
  return encodeModel({
    irVersion: IR_VERSION,
    producerName: 'tensorforge-bench',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: `${opType.toLowerCase()}_bench`,
      node: [{
        name: opType,
        opType,
        input: inputs.map((i) => i.name).concat(initializers.map((t) => t.name)),
        output: outputs.map((o) => o.name),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }],
      input: inputs.map((i) => valueInfo(i.name, i.dims)),
      output: outputs.map((o) => valueInfo(o.name, o.dims)),
      initializer: initializers,
    },
  });
}
