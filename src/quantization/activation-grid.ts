// How quantized layers see float activations: the uint8 grid of a tensor (static: the calibrated
// scale and zero point; dynamic: measured per call, as ONNX DynamicQuantizeLinear) and the handoff
// of a requantized output to the next quantized layer.
//
// A quantized layer whose consumer is also quantized writes uint8 from the integer kernel (fused
// requantize) and hands the model a float32 tensor holding exactly the dequantized values
// (q - zeroPoint) * scale. The uint8 array rides beside that float buffer, so the next layer skips
// quantizing it again; when anything else reads the float tensor it sees the same numbers a
// QuantizeLinear/DequantizeLinear pair would give, so the handoff is a shortcut, never a
// different result.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { quantizeDynamic, quantizeLinear, type QuantActivation } from '../ops/quant-kernels';

/** Scale and zero point of a uint8 activation grid: x = (q - zeroPoint) * scale. */
export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
}

/** A float tensor's values on a uint8 grid. */
export interface QuantizedActivation extends ActivationQuant {
  data: Uint8Array;
}

// Keyed by the float tensor's storage (reshape views such as Flatten share it); the storage version
// guards against in-place writes after the handoff.
const handoff = new WeakMap<object, QuantizedActivation & { version: number }>();

/** The row-major float32 values of x, without copying when x is contiguous. */
export function floatValues(x: Tensor): Float32Array {
  const c = x.contiguousCopy();
  const buf = c.buffer;
  if (!(buf instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${x.dtype}`);
  return buf.subarray(c.offset, c.offset + c.size);
}

/**
 * The uint8 grid of x: with `grid` (static mode) x quantized with it, reusing a handed-off uint8
 * copy when x came requantized on the same grid; without (dynamic mode) parameters from x's own
 * min and max (including 0).
 */
export function quantizeActivation(x: Tensor, grid: ActivationQuant | null): QuantizedActivation {
  const c = x.contiguousCopy();
  const buf = c.buffer;
  if (!(buf instanceof Float32Array)) throw new Error(`quantized layer: expected a float32 input, got ${x.dtype}`);
  if (grid && c.offset === 0) {
    const prev = handoff.get(c.storage);
    if (prev && prev.version === c.storage.version && prev.data.length === c.size && prev.scale === grid.scale && prev.zeroPoint === grid.zeroPoint) return prev;
  }
  const values = buf.subarray(c.offset, c.offset + c.size);
  const data = new Uint8Array(values.length);
  if (grid) {
    quantizeLinear(values, values.length, grid.scale, grid.zeroPoint, data);
    return { data, scale: grid.scale, zeroPoint: grid.zeroPoint };
  }
  const q = quantizeDynamic(values, 1, values.length, data, false);
  return { data, scale: q.scales[0]!, zeroPoint: q.zeroPoints[0]! };
}

/**
 * A float32 tensor of the dequantized uint8 values, handing the uint8 copy to the next quantized
 * layer (unless `handOff` is false: the caller reuses `data`).
 */
export function dequantizedTensor(data: Uint8Array, shape: number[], grid: ActivationQuant, handOff = true): Tensor {
  const t = Tensor.empty(shape, 'float32');
  const out = t.buffer;
  const { scale, zeroPoint } = grid;
  for (let i = 0; i < data.length; i++) out[i] = (data[i]! - zeroPoint) * scale;
  if (handOff) handoff.set(t.storage, { data, scale, zeroPoint, version: t.storage.version });
  return t;
}

/** A fresh float32 tensor for a kernel to fill, and its array (pooled memory: no page faults per call). */
export function floatOutput(shape: number[]): { t: Tensor; out: Float32Array } {
  const t = Tensor.empty(shape, 'float32');
  return { t, out: t.buffer as Float32Array };
}

/** The integer kernels' fused form of an activation name, or null when it runs in float afterwards. */
export function fusedActivation(name: string): QuantActivation | null {
  return name === 'linear' ? 'none' : name === 'relu' ? 'relu' : name === 'relu6' ? 'relu6' : null;
}

/** Scale and zero point covering [min, max] (widened to include 0) on the uint8 grid. */
export function gridFromRange(min: number, max: number, symmetric: boolean): ActivationQuant {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new Error(`activation range [${min}, ${max}] is not a finite interval (calibration saw Infinity?)`);
  }
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (symmetric) {
    const a = Math.max(-lo, hi);
    const scale = Math.fround(a / 127);
    return { scale: scale > 0 ? scale : 1, zeroPoint: 128 };
  }
  let scale = Math.fround((hi - lo) / 255);
  if (!(scale > 0)) scale = 1;
  const zp = Math.round(-lo / scale);
  return { scale, zeroPoint: Math.min(255, Math.max(0, zp)) };
}

/** Checks a saved { scale, zeroPoint } (or null) from a layer config. */
export function checkGrid(fn: string, arg: string, v: unknown): ActivationQuant | null {
  if (v === null || v === undefined) return null;
  const g = v as Partial<ActivationQuant>;
  const ok = typeof g === 'object' && typeof g.scale === 'number' && Number.isFinite(g.scale) && g.scale > 0
    && Number.isInteger(g.zeroPoint) && g.zeroPoint! >= 0 && g.zeroPoint! <= 255;
  if (!ok) argError(fn, arg, '{ scale: a positive number, zeroPoint: an integer in 0..255 } or null', describe(v));
  return { scale: Math.fround(g.scale!), zeroPoint: g.zeroPoint! };
}
