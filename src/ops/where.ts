import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { broadcastShapes, broadcastStrides } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast } from './cast';
import { sumTo } from './reduce';
import { registerOp } from './registry';
import { forEachRow, lastStride, toTensor } from './util';
import { zerosLike } from './creation';

/** Picks `a` where `condition` is non-zero and `b` elsewhere, broadcasting all three (float32 result). */
export function where(condition: Tensor | number, a: Tensor | number, b: Tensor | number): Tensor {
  let c = toTensor('where', 'condition', condition);
  let x = toTensor('where', 'a', a);
  let y = toTensor('where', 'b', b);
  if (c.dtype !== 'float32') c = cast(c, 'float32');
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  if (y.dtype !== 'float32') y = cast(y, 'float32');
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape, 'condition', 'a'), y.shape, 'a', 'b');
  const out = Tensor.empty(shape, 'float32');
  const view = (t: Tensor) => ({ offset: t.offset, strides: broadcastStrides(t.shape, t.strides, shape) });
  const [cv, xv, yv] = [view(c), view(x), view(y)] as const;
  const views = [cv, xv, yv];
  const addon = activeAddon();
  if (addon) {
    addon.where(c.buffer as Float32Array, x.buffer as Float32Array, y.buffer as Float32Array, out.buffer as Float32Array, pack.where({
      ndim: shape.length, condOffset: cv.offset, aOffset: xv.offset, bOffset: yv.offset,
      shape, condStrides: cv.strides, aStrides: xv.strides, bStrides: yv.strides,
    }));
  } else {
    const cd = c.buffer;
    const xd = x.buffer;
    const yd = y.buffer;
    const od = out.buffer;
    const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const [sc, sx, sy] = views.map((v) => lastStride(v.strides)) as [number, number, number];
    let o = 0;
    forEachRow(shape, views, ([co, xo, yo]) => {
      for (let j = 0; j < len; j++) od[o++] = cd[co! + j * sc] !== 0 ? xd[xo! + j * sx]! : yd[yo! + j * sy]!;
    });
  }
  return record(out, 'where', [c, x, y], (g) => {
    const zero = zerosLike(g);
    return [null, sumTo(where(c, g, zero), x.shape), sumTo(where(c, zero, g), y.shape)];
  });
}

registerOp({
  name: 'where',
  onnx: 'Where',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[3, 4], [3, 4], [3, 4]], run: (c, a, b) => where(c, a, b) },
    { label: 'broadcast', shapes: [[3, 1], [4], [1, 1]], run: (c, a, b) => where(c, a, b) },
  ],
});
