// Convolution lowering: dilated taps that only ever read padding are cropped from the filter (the
// padding shrinks by what they spanned), which must leave every output as the uncompiled graph
// gives it, a NaN or inf in a dropped tap included.
import { describe, expect, it } from 'vitest';
import { croppedTaps } from '../../../src/onnx/compile/lower-kernels';
import { importOnnx } from '../../../src/onnx/import';
import { tensor } from '../../../src/ops/creation';
import type { Tensor } from '../../../src/tensor/tensor';
import { buildOnnx } from '../../helpers/onnx-graph';
import { compareCompiled, values } from '../../helpers/compiled-plan';

const filter = (cout: number, cin: number, k: number, seed: number, bad?: number) => {
  const data = values(cout * cin * k * k, seed);
  if (bad !== undefined) data[0] = bad;
  return { name: 'w', shape: [cout, cin, k, k], data };
};
const convGraph = (hw: [number, number], attrs: Record<string, number[]>, w: ReturnType<typeof filter>) => ({
  inputs: [{ name: 'x', shape: ['N', w.shape[1]!, hw[0], hw[1]] }], outputs: ['y'], initializers: [w],
  nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs }, { op: 'Relu', inputs: ['c'], outputs: ['y'] }],
});
const input = (c: number, h: number, w: number) => tensor(Float32Array.from(values(2 * c * h * w, 7)), [2, c, h, w]);

describe('croppedTaps', () => {
  const geometry = (pads: [number, number][], dilations: number[], strides = [1, 1]) => ({ pads, dilations, strides });
  it('keeps only the centre tap of DeepLab atrous 3x3 convs at dilation 24 over 14x14 (a 1x1 conv)', () => {
    const w = tensor(new Float32Array(2 * 3 * 9).fill(0.5), [2, 3, 3, 3]);
    const crop = croppedTaps(w, [14, 14], geometry([[24, 24], [24, 24]], [24, 24]));
    expect(crop).toMatchObject({ begin: [0, 0, 1, 1], size: [2, 3, 1, 1], pads: [[0, 0], [0, 0]] });
  });
  it('crops rows and columns independently and keeps taps that read the input anywhere', () => {
    const w = tensor(new Float32Array(9).fill(1), [1, 1, 3, 3]);
    // dilation 12 over 14 rows: the outer taps read rows 0-1 and 12-13, so nothing is cropped there.
    expect(croppedTaps(w, [14, 14], geometry([[12, 12], [12, 12]], [12, 12]))).toBeNull();
    expect(croppedTaps(w, [14, 6], geometry([[12, 12], [8, 8]], [12, 8]))).toMatchObject({ begin: [0, 0, 0, 1], size: [1, 1, 3, 1] });
  });
  it('keeps a non-finite dropped tap (0 * NaN is NaN)', () => {
    const data = new Float32Array(9).fill(1);
    data[0] = Number.NaN;
    expect(croppedTaps(tensor(data, [1, 1, 3, 3]), [14, 14], geometry([[24, 24], [24, 24]], [24, 24]))).toBeNull();
  });
});

describe('dilated convolutions in a plan equal the uncompiled graph', () => {
  const cases: [string, [number, number], Record<string, number[]>, number][] = [
    ['dilation 24, pads 24 (centre tap only)', [14, 14], { dilations: [24, 24], pads: [24, 24, 24, 24] }, 3],
    ['dilation 36 rows, 2 columns', [9, 12], { dilations: [36, 2], pads: [36, 2, 36, 2] }, 3],
    ['dilation 12 (nothing cropped)', [14, 14], { dilations: [12, 12], pads: [12, 12, 12, 12] }, 3],
    ['stride 2, dilation 8, uneven pads, 5x5', [11, 13], { dilations: [8, 8], pads: [9, 16, 17, 8], strides: [2, 2] }, 5],
  ];
  for (const [name, hw, attrs, k] of cases) {
    it(name, () => {
      compareCompiled(convGraph(hw, attrs, filter(4, 5, k, 3)), input(5, hw[0], hw[1]));
    });
  }
  it('a NaN in a tap that only reads padding makes every output NaN, as uncompiled', () => {
    const bytes = buildOnnx(convGraph([14, 14], { dilations: [24, 24], pads: [24, 24, 24, 24] }, filter(1, 2, 3, 5, Number.NaN)));
    const x = input(2, 14, 14);
    const compiled = (importOnnx(bytes).predictOnBatch(x) as Tensor).dataSync();
    const plain = (importOnnx(bytes, { compile: false }).predictOnBatch(x) as Tensor).dataSync();
    expect(Array.from(compiled).map(Number.isNaN)).toEqual(Array.from(plain).map(Number.isNaN));
    expect(Array.from(plain).every(Number.isNaN)).toBe(true);
  });
});
