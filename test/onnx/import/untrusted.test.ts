// Files are untrusted: attribute values outside the spec are errors (not a second reading of the
// same file), and declared sizes are checked against the memory budget before any probe batch.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import';
import { buildOnnx } from '../../helpers/onnx-graph';

function avgPool(attrs: Record<string, number | number[]>): Uint8Array {
  return buildOnnx({
    inputs: [{ name: 'x', shape: ['n', 1, 4, 4] }],
    outputs: ['y'],
    nodes: [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], ...attrs } }],
  });
}

describe('ONNX attributes outside the spec', () => {
  for (const [name, value] of [['count_include_pad', -2], ['count_include_pad', 2], ['ceil_mode', 1000000]] as const) {
    it(`AveragePool ${name}=${value} is an Error naming the attribute`, () => {
      expect(() => importOnnx(avgPool({ [name]: value }))).toThrow(new RegExp(`attribute '${name}' must be 0 or 1, got ${value}`));
    });
  }

  it('the spec values 0 and 1 still import', () => {
    expect(() => importOnnx(avgPool({ count_include_pad: 1, ceil_mode: 0 }))).not.toThrow();
  });

  it('pooling pads not smaller than the kernel are an Error (onnxruntime refuses them too)', () => {
    expect(() => importOnnx(avgPool({ pads: [0, 0, 2, 0] }))).toThrow(/pads must be smaller than kernel_shape.*axis 0 has kernel 2 and pads \[0, 2\]/);
    const maxPool1d = buildOnnx({
      inputs: [{ name: 'x', shape: ['n', 4, 12] }],
      outputs: ['y'],
      nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2], pads: [65535, 0], strides: [2] } }],
    });
    expect(() => importOnnx(maxPool1d)).toThrow(/pads must be smaller than kernel_shape/);
    expect(() => importOnnx(avgPool({ pads: [1, 1, 1, 1] }))).not.toThrow();
  });

  it('ReduceSum keepdims=2 is an Error', () => {
    const bytes = buildOnnx({
      opset: 13,
      inputs: [{ name: 'x', shape: ['n', 3] }],
      outputs: ['y'],
      nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 2 } }],
    });
    expect(() => importOnnx(bytes)).toThrow(/attribute 'keepdims' must be 0 or 1, got 2/);
  });
});

describe('ONNX declared sizes', () => {
  it('a graph input declaring a 2^28 dim is refused before the probe batches are allocated', () => {
    const bytes = buildOnnx({
      inputs: [{ name: 'x', shape: ['n', 2 ** 28] }],
      outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expect(bytes.length).toBeLessThan(1000);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => importOnnx(bytes)).toThrow(/importOnnx: the probe batch for graph input 'x' of shape \[2,268435456\].*over the memory budget/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
