import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import type { DataArray } from '../tensor/dtype';
import { type Shape } from '../tensor/shape';
import { Tensor, setStridedCopy } from '../tensor/tensor';
import { registerOp } from './registry';
import { forEachRow, lastStride, toTensor } from './util';

interface View {
  offset: number;
  strides: readonly number[];
}

/** Copies the strided view `src` (of `shape`) into the strided view `dst`. Never recorded. */
export function copyView(shape: Shape, src: DataArray, srcView: View, dst: DataArray, dstView: View): void {
  const addon = activeAddon();
  if (addon) {
    addon.stridedCopy(src, dst, pack.stridedCopy({
      ndim: shape.length, srcOffset: srcView.offset, dstOffset: dstView.offset,
      shape, srcStrides: srcView.strides, dstStrides: dstView.strides,
    }));
    return;
  }
  const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const ss = lastStride(srcView.strides);
  const ds = lastStride(dstView.strides);
  forEachRow(shape, [srcView, dstView], ([so, doff]) => {
    for (let j = 0; j < len; j++) dst[doff! + j * ds] = src[so! + j * ss]!;
  });
}

/** A contiguous copy of any view (the kernel behind `contiguous()` and reading views). */
export function materialize(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape, x.dtype);
  copyView(x.shape, x.buffer, x, out.buffer, { offset: 0, strides: out.strides });
  return out;
}
setStridedCopy(materialize);

/** Returns `x` itself when already contiguous, else a contiguous copy; gradients pass straight through. */
export function contiguous(x: Tensor): Tensor {
  const t = toTensor('contiguous', 'x', x);
  if (t.isContiguous) return t;
  return record(materialize(t), 'contiguous', [t], (g) => [g]);
}

/** The channels-last view of an [N, C, H, W] tensor (an unrecorded transpose: the checks below test the copy, not gradients). */
const toPixels = (x: Tensor): Tensor => new Tensor(x.storage, [0, 2, 3, 1].map((p) => x.shape[p]!), [0, 2, 3, 1].map((p) => x.strides[p]!), x.offset, x.dtype);

registerOp({
  name: 'contiguous',
  onnx: 'Identity',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[3, 4]], run: (x) => contiguous(x) },
    // Channel planes interleaved into pixels (an NCHW image batch made NHWC): 3 and 4 channels
    // (unrolled) and 5, over more than one block of pixels.
    { label: 'planes to pixels, 3 channels', shapes: [[2, 3, 37, 41]], run: (x) => contiguous(toPixels(x)), grad: false },
    { label: 'planes to pixels, 4 channels', shapes: [[1, 4, 5, 7]], run: (x) => contiguous(toPixels(x)), grad: false },
    { label: 'planes to pixels, 5 channels', shapes: [[2, 5, 33, 40]], run: (x) => contiguous(toPixels(x)), grad: false },
  ],
});

