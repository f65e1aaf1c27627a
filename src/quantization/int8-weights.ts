// Symmetric int8 weights: q = clamp(round(w / scale), -127, 127) with one scale per output channel
// (the last axis of a Keras kernel) or one for the whole tensor. -128 is never used, so the grid is
// symmetric around 0 as ONNX's int8 weights with zero point 0 expect.
import { Tensor } from '../tensor/tensor';
import { roundHalfEven } from '../ops/quant-kernels';
import { tensorLabel } from '../autograd/labels';
import { floatValues } from './activation-grid';

/** Int8 values (held in an int32 tensor, the layers' storage dtype is int8) and their scales. */
export interface Int8Weights {
  /** Same shape as the float weight, values in [-127, 127]. */
  q: Tensor;
  /** [channels] float32 scales (one entry repeated when per-tensor). */
  scales: Tensor;
}

/**
 * Quantizes w with `channels` groups along its last axis (`channelAxisLast`) or its first
 * (embedding rows); `perChannel` false uses one scale repeated for every channel.
 */
export function quantizeWeights(w: Tensor, perChannel: boolean, axis: 'last' | 'first' = 'last'): Int8Weights {
  const v = floatValues(w);
  const channels = axis === 'last' ? w.shape[w.rank - 1]! : w.shape[0]!;
  const inner = axis === 'last' ? 1 : v.length / channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < v.length; i++) {
    const c = axis === 'last' ? i % channels : Math.floor(i / inner);
    const a = Math.abs(v[i]!);
    if (!Number.isFinite(a)) throw new Error(`quantization: weight '${tensorLabel(w) ?? 'tensor'}' holds ${v[i]}; cannot quantize non-finite weights`);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  if (!perChannel) maxAbs.fill(maxAbs.reduce((a, b) => Math.max(a, b), 0));
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c]! > 0 ? Math.fround(maxAbs[c]! / 127) : 1;
  const q = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = axis === 'last' ? i % channels : Math.floor(i / inner);
    const r = roundHalfEven(Math.fround(v[i]! / scales[c]!));
    q[i] = r > 127 ? 127 : r < -127 ? -127 : r;
  }
  return { q: Tensor.fromArray(q, w.shape.slice()), scales: Tensor.fromArray(scales, [channels]) };
}

/** The float weight back from int8 values and scales (last-axis or first-axis channels). */
export function dequantizeWeights(q: Tensor, scales: Tensor, axis: 'last' | 'first' = 'last'): Tensor {
  const qc = q.contiguousCopy();
  const qv = qc.buffer.subarray(qc.offset, qc.offset + qc.size);
  const s = floatValues(scales);
  const channels = s.length;
  const inner = axis === 'last' ? 1 : qv.length / channels;
  const out = new Float32Array(qv.length);
  for (let i = 0; i < qv.length; i++) out[i] = qv[i]! * s[axis === 'last' ? i % channels : Math.floor(i / inner)]!;
  return Tensor.fromArray(out, q.shape.slice());
}

/** The int8 bytes of an int32 tensor of int8 values. */
export function int8Values(q: Tensor): Int8Array {
  const c = q.contiguousCopy();
  return Int8Array.from(c.buffer.subarray(c.offset, c.offset + c.size));
}
