// GridSample (opset 16; 'linear'/'cubic' names from 20) on [N, C, H, W] inputs: each output pixel
// reads the input at the grid's normalized (x, y), bilinearly or at the nearest pixel, with zeros,
// border or reflection padding (PyTorch's F.grid_sample, spatial transformers). Built from ops:
// the source coordinates and the bilinear weights are arithmetic on the grid, the corner values
// GatherElements of the input, so gradients reach the input and the grid (as in PyTorch; nearest
// sampling gives the grid none).
import { noGrad } from '../../../autograd/tape';
import { add, div, equal, fmod, mul, sub } from '../../../ops/binary';
import { tensor } from '../../../ops/creation';
import { abs, clip, floor, round } from '../../../ops/unary';
import { reshape, slice } from '../../../ops/views';
import { where } from '../../../ops/where';
import type { Tensor } from '../../../tensor/tensor';
import { type OnnxOpSpec, type OpContext, asFloat, need, unsupported } from '../op-spec';
import { gatherElements } from './indexing';

interface Sampling {
  nearest: boolean;
  alignCorners: boolean;
  padding: string;
}

/** Grid coordinates in [-1, 1] as source pixel coordinates along an axis of `size`, padded as asked. */
function sourceCoordinate(g: Tensor, size: number, s: Sampling): Tensor {
  let c = s.alignCorners ? mul(add(g, 1), (size - 1) / 2) : div(sub(mul(add(g, 1), size), 1), 2);
  if (s.padding === 'border') return clip(c, 0, size - 1);
  if (s.padding !== 'reflection') return c;
  // Reflect about the edges (pixel centres when aligned, else the image's outer edges).
  const [lo, span] = s.alignCorners ? [0, size - 1] : [-0.5, size];
  if (span <= 0) return mul(c, 0);
  c = abs(sub(c, lo));
  const flips = noGrad(() => floor(div(c, span)));
  const extra = fmod(c, span);
  const even = noGrad(() => equal(fmod(flips, 2), 0));
  c = add(where(even, extra, sub(span, extra)), lo);
  return clip(c, 0, size - 1);
}

function gridSample(x: Tensor, grid: Tensor, s: Sampling, ctx: OpContext): Tensor {
  if (x.rank !== 4) unsupported(ctx, `GridSample of a rank-${x.rank} input`);
  const [n, c, h, w] = x.shape as unknown as [number, number, number, number];
  if (grid.rank !== 4 || grid.shape[0] !== n || grid.shape[3] !== 2) {
    throw new Error(`${ctx.where}: grid should be [${n}, H_out, W_out, 2], got [${grid.shape.join(',')}]`);
  }
  const [ho, wo] = [grid.shape[1]!, grid.shape[2]!];
  const points = ho * wo;
  const axis = (k: number) => reshape(slice(grid, [0, 0, 0, k], [n, ho, wo, 1]), [n, 1, points]);
  const ix = sourceCoordinate(axis(0), w, s);
  const iy = sourceCoordinate(axis(1), h, s);
  const flat = reshape(x, [n, c, h * w]);
  // The input at integer pixels (px, py) for every point, times 0 where the pixel lies outside.
  const at = (px: Tensor, py: Tensor): Tensor => {
    const xs = px.dataSync(), ys = py.dataSync();
    const idx = new Int32Array(n * c * points);
    const inside = new Float32Array(n * points);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < points; p++) {
        const [u, v] = [xs[b * points + p]!, ys[b * points + p]!];
        const ok = u >= 0 && u < w && v >= 0 && v < h;
        inside[b * points + p] = ok ? 1 : 0;
        const lin = ok ? v * w + u : 0;
        for (let ch = 0; ch < c; ch++) idx[(b * c + ch) * points + p] = lin;
      }
    }
    return mul(gatherElements(flat, idx, [n, c, points], 2), tensor(inside, [n, 1, points]));
  };
  let y: Tensor;
  if (s.nearest) {
    y = at(noGrad(() => round(ix)), noGrad(() => round(iy)));
  } else {
    const [x0, y0] = noGrad(() => [floor(ix), floor(iy)]);
    const [x1, y1] = noGrad(() => [add(x0!, 1), add(y0!, 1)]);
    const [wx1, wy1] = [sub(ix, x0!), sub(iy, y0!)];
    const [wx0, wy0] = [sub(1, wx1), sub(1, wy1)];
    y = add(add(mul(at(x0!, y0!), mul(wx0, wy0)), mul(at(x1!, y0!), mul(wx1, wy0))),
      add(mul(at(x0!, y1!), mul(wx0, wy1)), mul(at(x1!, y1!), mul(wx1, wy1))));
  }
  return reshape(y, [n, c, ho, wo]);
}

/** GridSample by ONNX name. */
export const gridSampleOps: Record<string, OnnxOpSpec> = {
  GridSample: {
    attributes: ['align_corners', 'mode', 'padding_mode'],
    validate(a, ctx) {
      const mode = a.string('mode', 'bilinear');
      if (!['bilinear', 'linear', 'nearest'].includes(mode)) unsupported(ctx, `mode='${mode}'`);
      const padding = a.string('padding_mode', 'zeros');
      if (!['zeros', 'border', 'reflection'].includes(padding)) unsupported(ctx, `padding_mode='${padding}'`);
    },
    run(inputs, a, ctx) {
      const s: Sampling = { nearest: a.string('mode', 'bilinear') === 'nearest', alignCorners: a.int('align_corners', 0) === 1, padding: a.string('padding_mode', 'zeros') };
      return [gridSample(asFloat(need(inputs, 0, ctx)), asFloat(need(inputs, 1, ctx)), s, ctx)];
    },
  },
};
