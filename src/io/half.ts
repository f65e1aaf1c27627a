// IEEE 754 half (float16) and bfloat16 conversions. Node 20 has no Float16Array, and every reader of
// narrow floats (ONNX initializers and session outputs, safetensors, tfjs weight files) shares these.
// Float32 -> narrow rounds to nearest, ties to even, as numpy, PyTorch and onnxruntime do.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float value of IEEE half bits `h` (0..65535). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** IEEE half bits of `x` rounded to nearest even (overflow gives Infinity, NaN stays NaN). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full mantissa (with its hidden bit) into 10 bits.
    if (e < -10) return sign;
    const m = frac | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) !== 0)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (frac >>> 13);
  const rem = frac & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h += 1;
  return sign | h;
}

/** Float value of bfloat16 bits `b` (the high half of a float32). */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** Bfloat16 bits of `x` rounded to nearest even (NaN stays NaN). */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Decodes an array of half (or bfloat16) bit patterns to float32. */
export function decodeHalfArray(bits: Uint16Array, kind: 'float16' | 'bfloat16' = 'float16'): Float32Array {
  const out = new Float32Array(bits.length);
  if (kind === 'bfloat16') {
    const wide = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) wide[i] = bits[i]! << 16;
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]!);
  }
  return out;
}

/** Encodes float32 values as half (or bfloat16) bit patterns, rounding to nearest even. */
export function encodeHalfArray(values: ArrayLike<number>, kind: 'float16' | 'bfloat16' = 'float16'): Uint16Array {
  const out = new Uint16Array(values.length);
  const enc = kind === 'bfloat16' ? floatToBfloat16 : floatToHalf;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]!);
  return out;
}
