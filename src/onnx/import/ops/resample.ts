// ONNX Resize for any output size, one axis at a time: each output position reads 1 (nearest), 2
// (linear) or 4 (cubic) input positions along the axis, so the axis is resampled as a weighted
// sum of gathers, which keeps it differentiable. Coordinates and rounding follow the operator's
// definition (and onnxruntime: linear clamps the source coordinate into the input, cubic clamps
// its taps).
import { add, mul } from '../../../ops/binary';
import { tensor } from '../../../ops/creation';
import { gather } from '../../../ops/movement';
import type { Tensor } from '../../../tensor/tensor';
import type { OpContext } from '../op-spec';
import { unsupported } from '../op-spec';

/** How a Resize node samples: its mode, coordinate transformation, rounding and cubic coefficient. */
export interface Sampling {
  mode: string;
  coordinates: string;
  nearest: string;
  cubicA: number;
}

const COORDINATES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Throws for the sampling forms this file does not implement. */
export function checkSampling(s: Sampling, ctx: OpContext): void {
  if (!['nearest', 'linear', 'cubic'].includes(s.mode)) unsupported(ctx, `Resize mode='${s.mode}'`);
  if (!COORDINATES.includes(s.coordinates)) unsupported(ctx, `Resize coordinate_transformation_mode='${s.coordinates}'`);
  if (s.mode === 'nearest' && !NEAREST.includes(s.nearest)) unsupported(ctx, `Resize nearest_mode='${s.nearest}'`);
}

/** The source coordinate of output position i along an axis of `len` resized to `out` at `scale`. */
function source(i: number, len: number, out: number, scale: number, coordinates: string): number {
  switch (coordinates) {
    case 'half_pixel': return (i + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return out > 1 ? (i + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return out > 1 ? (i * (len - 1)) / (out - 1) : 0;
    case 'tf_half_pixel_for_nn': return (i + 0.5) / scale;
    default: return i / scale; // asymmetric
  }
}

function round(c: number, nearest: string): number {
  switch (nearest) {
    case 'round_prefer_ceil': return Math.floor(c + 0.5);
    case 'floor': return Math.floor(c);
    case 'ceil': return Math.ceil(c);
    default: return Math.ceil(c - 0.5); // round_prefer_floor
  }
}

/** Keys' cubic convolution weights of the taps at floor(c) - 1 .. floor(c) + 2, t = c - floor(c). */
function cubicWeights(t: number, a: number): number[] {
  const far = (d: number) => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  const near = (d: number) => ((a + 2) * d - (a + 3)) * d * d + 1;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** Per tap: the source index and weight of every output position. */
function taps(len: number, out: number, scale: number, s: Sampling): { index: Int32Array; weight: Float32Array }[] {
  const count = s.mode === 'nearest' ? 1 : s.mode === 'linear' ? 2 : 4;
  const result = Array.from({ length: count }, () => ({ index: new Int32Array(out), weight: new Float32Array(out) }));
  const clampIndex = (k: number) => Math.min(Math.max(k, 0), len - 1);
  for (let i = 0; i < out; i++) {
    const c = source(i, len, out, scale, s.coordinates);
    if (s.mode === 'nearest') {
      result[0]!.index[i] = clampIndex(round(c, s.nearest));
      result[0]!.weight[i] = 1;
    } else if (s.mode === 'linear') {
      const x = Math.min(Math.max(c, 0), len - 1);
      const i0 = Math.floor(x);
      result[0]!.index[i] = i0;
      result[1]!.index[i] = Math.min(i0 + 1, len - 1);
      result[0]!.weight[i] = 1 - (x - i0);
      result[1]!.weight[i] = x - i0;
    } else {
      const f = Math.floor(c);
      cubicWeights(c - f, s.cubicA).forEach((w, k) => {
        result[k]!.index[i] = clampIndex(f - 1 + k);
        result[k]!.weight[i] = w;
      });
    }
  }
  return result;
}

/** x resampled along `axis` to `out` positions at `scale` (output length over input length, or the node's scale). */
export function resampleAxis(x: Tensor, axis: number, out: number, scale: number, s: Sampling): Tensor {
  const len = x.shape[axis]!;
  const weightShape = x.shape.map((_, i) => (i === axis ? out : 1));
  let y: Tensor | null = null;
  for (const tap of taps(len, out, scale, s)) {
    const picked = gather(x, tensor(tap.index, [out], 'int32'), axis);
    const term = s.mode === 'nearest' ? picked : mul(picked, tensor(tap.weight, weightShape));
    y = y ? add(y, term) : term;
  }
  return y!;
}
