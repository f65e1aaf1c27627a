import { M, type Slots, type UpdateKind } from './fused-update';

// The pure-TypeScript update rules: the js backend's implementation and the specification the
// native kernel (native/kernels/optimizer_update_body.h) is tested against. Arithmetic is float64
// with state rounded to float32 when stored; the native kernel works in float32 throughout, so the
// two agree to about 1e-7 relative per step.

/** One update of `n` elements in place; `meta` as described at {@link M}. */
export function referenceStep(kind: UpdateKind, p: Float32Array, g: Float32Array, slots: Slots, meta: Float64Array): void {
  const po = meta[M.paramOffset]!;
  const go = meta[M.gradOffset]!;
  const n = meta[M.size]!;
  const lr = meta[M.lr]!;
  const scale = meta[M.gradScale]!;
  const clip = meta[M.clipValue]!;
  const decay = meta[M.decay]!;
  const h0 = meta[M.h0]!, h1 = meta[M.h1]!, h2 = meta[M.h2]!, h3 = meta[M.h3]!, h4 = meta[M.h4]!;
  const useClip = clip > 0;
  const useDecay = decay > 0;
  const gradAt = (i: number): number => {
    const x = g[go + i]! * scale;
    return useClip ? (x < -clip ? -clip : x > clip ? clip : x) : x;
  };
  const paramAt = (i: number): number => {
    const x = p[po + i]!;
    return useDecay ? x - x * decay : x;
  };
  const [s0, s1, s2] = slots;

  switch (kind) {
    case 'sgd': {
      const mu = h0;
      const nesterov = h1 !== 0;
      for (let i = 0; i < n; i++) {
        const gi = gradAt(i);
        const pi = paramAt(i);
        if (mu > 0) {
          const m = mu * s0![i]! - lr * gi;
          s0![i] = m;
          p[po + i] = nesterov ? pi + mu * m - lr * gi : pi + m;
        } else {
          p[po + i] = pi - lr * gi;
        }
      }
      return;
    }
    case 'adagrad': {
      const eps = h0;
      for (let i = 0; i < n; i++) {
        const gi = gradAt(i);
        const pi = paramAt(i);
        const acc = s0![i]! + gi * gi;
        s0![i] = acc;
        p[po + i] = pi - (lr * gi) / Math.sqrt(acc + eps);
      }
      return;
    }
    case 'rmsprop': {
      const rho = h0, oneMinusRho = h1, mu = h2, centered = h3 !== 0, eps = h4;
      for (let i = 0; i < n; i++) {
        const gi = gradAt(i);
        const pi = paramAt(i);
        const v = rho * s0![i]! + oneMinusRho * (gi * gi);
        s0![i] = v;
        let den: number;
        if (centered) {
          const avg = rho * s2![i]! + oneMinusRho * gi;
          s2![i] = avg;
          den = v - avg * avg + eps;
        } else {
          den = v + eps;
        }
        const inc = (lr * gi) / Math.sqrt(den);
        if (mu > 0) {
          const m = mu * s1![i]! + inc;
          s1![i] = m;
          p[po + i] = pi - m;
        } else {
          p[po + i] = pi - inc;
        }
      }
      return;
    }
    case 'adam': {
      const b1 = h0, b2 = h1, eps = h2, alpha = h3, amsgrad = h4 !== 0;
      for (let i = 0; i < n; i++) {
        const gi = gradAt(i);
        const pi = paramAt(i);
        const m = s0![i]! + (gi - s0![i]!) * b1;
        let v = s1![i]! + (gi * gi - s1![i]!) * b2;
        s0![i] = m;
        s1![i] = v;
        if (amsgrad) {
          // Same comparison as the kernel, so NaN handling matches too.
          const vmax = s2![i]! < v ? v : s2![i]!;
          s2![i] = vmax;
          v = vmax;
        }
        p[po + i] = pi - (m * alpha) / (Math.sqrt(v) + eps);
      }
      return;
    }
  }
}

/** Sum of squares of `x[offset, offset + n)` in float64. */
export function referenceSumSquares(x: Float32Array, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i]!;
    s += v * v;
  }
  return s;
}
