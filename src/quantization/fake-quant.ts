// Fake quantization for quantization-aware training: values rounded onto the int8 / uint8 grid the
// converted model will use (same rounding as the integer kernels and quantizeWeights), kept in
// float32. The gradient is the straight-through estimator: it passes where the value lies inside
// the grid's clamping range and is 0 where the value was clamped.
import { Tensor } from '../tensor/tensor';
import { record } from '../autograd/tape';
import { mul } from '../ops/binary';
import { roundHalfEven } from '../ops/quant-kernels';
import { type ActivationQuant, floatValues } from './activation-grid';

function straightThrough(x: Tensor, out: Float32Array, pass: Float32Array, op: string): Tensor {
  const y = Tensor.fromArray(out, x.shape.slice());
  return record(y, op, [x], (g) => [mul(g, Tensor.fromArray(pass, x.shape.slice()))]);
}

/** x on a uint8 grid: (clamp(round(x / scale) + zp, 0, 255) - zp) * scale. */
export function fakeQuantActivation(x: Tensor, grid: ActivationQuant): Tensor {
  const v = floatValues(x);
  const { scale, zeroPoint } = grid;
  const lo = (0 - zeroPoint) * scale;
  const hi = (255 - zeroPoint) * scale;
  const out = new Float32Array(v.length);
  const pass = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const q = Math.min(255, Math.max(0, roundHalfEven(Math.fround(v[i]! / scale)) + zeroPoint));
    out[i] = (q - zeroPoint) * scale;
    pass[i] = v[i]! >= lo && v[i]! <= hi ? 1 : 0;
  }
  return straightThrough(x, out, pass, 'fakeQuantActivation');
}

/**
 * w on the symmetric int8 grid with one scale per last-axis channel (max |w| / 127, as quantize);
 * the range covers every value, so the gradient passes everywhere.
 */
export function fakeQuantWeights(w: Tensor, perChannel: boolean): Tensor {
  const v = floatValues(w);
  const channels = w.shape[w.rank - 1]!;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < v.length; i++) maxAbs[i % channels] = Math.max(maxAbs[i % channels]!, Math.abs(v[i]!));
  if (!perChannel) maxAbs.fill(maxAbs.reduce((a, b) => Math.max(a, b), 0));
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? Math.fround(m / 127) : 1));
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = scales[i % channels]!;
    const q = Math.min(127, Math.max(-127, roundHalfEven(Math.fround(v[i]! / s))));
    out[i] = q * s;
  }
  return straightThrough(w, out, new Float32Array(v.length).fill(1), 'fakeQuantWeights');
}
