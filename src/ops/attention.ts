// Fused scaled-dot-product attention: softmax(scale * q kᵀ + mask) v in one kernel per direction.
// The forward pass keeps each query row's log-sum-exp instead of the [Tq, Tk] probabilities, and
// the backward pass recomputes them per row (native/kernels/attention). The reference loops below
// mirror the native kernels operation for operation; attention dropout in training needs the
// probabilities themselves, so it runs as the unfused composite of ops instead.
import { activeAddon } from '../backend/backend';
import { pack } from '../backend/binding';
import { needsGrad, record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { globalGenerator, type Generator } from '../random/generator';
import { Tensor } from '../tensor/tensor';
import { add, mul, notEqual } from './binary';
import { cast } from './cast';
import { matmul } from './matmul';
import { registerOp } from './registry';
import { scratchF32 } from './scratch';
import { softmax } from './softmax';
import { toTensor } from './util';
import { broadcastTo } from './views';
import { where } from './where';

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /**
   * Broadcasts to [batch, heads, Tq, Tk] ([batch, Tq, Tk] for rank-3 inputs). A float32 mask is
   * added to the scaled logits (0 attend, -Infinity or a large negative number to mask); an int32
   * mask is a keep mask (non-zero attend). The mask is a constant: it gets no gradient.
   */
  mask?: Tensor | null;
  /** How the mask is read: 'additive' (the default for float32) or 'keep' (the default for int32). */
  maskMode?: 'additive' | 'keep';
  /**
   * The logit a keep mask puts at masked positions (default -Infinity: a fully masked row gives
   * NaN, as in PyTorch; -1e9 makes it attend uniformly, as Keras does).
   */
  maskedValue?: number;
  /** Query i attends only to keys j <= i (PyTorch's is_causal). Default false. */
  causal?: boolean;
  /** Multiplies q kᵀ (default 1 / sqrt(D)). */
  scale?: number;
  /** Attention dropout rate, applied to the probabilities when training (default 0). */
  dropout?: number;
  /** Training mode: enables dropout. Default false. */
  training?: boolean;
  /** Source of the dropout masks (default: the global generator). */
  generator?: Generator;
}

type F32 = Float32Array;

/** A [B, H, T, cols] operand read in place: element (b, h, t, c) is a[off + b sb + h sh + t st + c]. */
interface View {
  a: F32;
  off: number;
  sb: number;
  sh: number;
  st: number;
}

const MASK_NONE = 0;
const MASK_ADDITIVE = 1;
const MASK_KEEP = 2;

interface Problem {
  B: number;
  H: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  q: View;
  k: View;
  v: View;
  mask: View | null;
  maskKind: number;
  causal: boolean;
  scale: number;
  maskedValue: number;
  /** Strides of the forward output (b, h, i): dense [B, H, Tq, Dv] unless an inference plan asks for [B, Tq, H, Dv]. */
  out: { sb: number; sh: number; st: number };
}

/** t (rank 3 [B, T, C] or rank 4 [B, H, T, C]) as a view with a contiguous last dim. */
function viewOf(tIn: Tensor): View {
  const t = tIn.shape[tIn.rank - 1]! > 1 && tIn.strides[tIn.rank - 1] !== 1 ? tIn.contiguousCopy() : tIn;
  const s = t.strides;
  if (t.rank === 3) return { a: t.buffer as F32, off: t.offset, sb: s[0]!, sh: 0, st: s[1]! };
  return { a: t.buffer as F32, off: t.offset, sb: s[0]!, sh: s[1]!, st: s[2]! };
}

const f32 = Math.fround;

function forwardRef(p: Problem, out: F32, lse: F32): void {
  const { B, H, tq, tk, d, dv, q, k, v, mask } = p;
  const s = new Float64Array(tk);
  const acc = new Float64Array(dv);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = b * H + h;
      for (let i = 0; i < tq; i++) {
        const n = p.causal ? Math.min(tk, i + 1) : tk;
        const qo = q.off + b * q.sb + h * q.sh + i * q.st;
        const mo = mask ? mask.off + b * mask.sb + h * mask.sh + i * mask.st : 0;
        let m = -Infinity;
        for (let j = 0; j < n; j++) {
          const ko = k.off + b * k.sb + h * k.sh + j * k.st;
          let dotv = 0;
          for (let e = 0; e < d; e++) dotv += q.a[qo + e]! * k.a[ko + e]!;
          let logit = f32(p.scale * dotv);
          if (mask && p.maskKind === MASK_ADDITIVE) logit = f32(logit + mask.a[mo + j]!);
          else if (mask && mask.a[mo + j] === 0) logit = f32(p.maskedValue);
          s[j] = logit;
          if (logit > m) m = logit; // NaN never wins; it surfaces in the sum
        }
        const ro = b * p.out.sb + h * p.out.sh + i * p.out.st;
        if (m === -Infinity) {
          out.fill(NaN, ro, ro + dv);
          lse[head * tq + i] = -Infinity;
          continue;
        }
        acc.fill(0);
        let l = 0;
        for (let j = 0; j < n; j++) {
          const pj = Math.exp(s[j]! - m);
          l += pj;
          const vo = v.off + b * v.sb + h * v.sh + j * v.st;
          for (let e = 0; e < dv; e++) acc[e]! += pj * v.a[vo + e]!;
        }
        for (let e = 0; e < dv; e++) out[ro + e] = acc[e]! / l;
        lse[head * tq + i] = m + Math.log(l);
      }
    }
  }
}

function backwardRef(p: Problem, out: F32, dout: View, lse: F32, dq: F32, dk: F32, dvOut: F32): void {
  const { B, H, tq, tk, d, dv, q, k, v, mask } = p;
  dk.fill(0);
  dvOut.fill(0);
  dq.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = b * H + h;
      for (let i = 0; i < tq; i++) {
        const qo = q.off + b * q.sb + h * q.sh + i * q.st;
        const doo = dout.off + b * dout.sb + h * dout.sh + i * dout.st;
        const oo = (head * tq + i) * dv;
        let di = 0;
        for (let e = 0; e < dv; e++) di += dout.a[doo + e]! * out[oo + e]!;
        const L = lse[head * tq + i]!;
        const dqo = (head * tq + i) * d;
        const n = p.causal ? Math.min(tk, i + 1) : tk;
        const mo = mask ? mask.off + b * mask.sb + h * mask.sh + i * mask.st : 0;
        for (let j = 0; j < n; j++) {
          const ko = k.off + b * k.sb + h * k.sh + j * k.st;
          const vo = v.off + b * v.sb + h * v.sh + j * v.st;
          let dotv = 0;
          for (let e = 0; e < d; e++) dotv += q.a[qo + e]! * k.a[ko + e]!;
          let logit = p.scale * dotv;
          let live = true;
          if (mask && p.maskKind === MASK_ADDITIVE) logit += mask.a[mo + j]!;
          else if (mask && mask.a[mo + j] === 0) {
            logit = p.maskedValue;
            live = false;
          }
          const pj = Math.exp(logit - L);
          const dvo = (head * tk + j) * dv;
          for (let e = 0; e < dv; e++) dvOut[dvo + e]! += pj * dout.a[doo + e]!;
          if (!live) continue;
          let dp = 0;
          for (let e = 0; e < dv; e++) dp += dout.a[doo + e]! * v.a[vo + e]!;
          const ds = pj * (dp - di) * p.scale;
          const dko = (head * tk + j) * d;
          for (let e = 0; e < d; e++) {
            dq[dqo + e]! += ds * k.a[ko + e]!;
            dk[dko + e]! += ds * q.a[qo + e]!;
          }
        }
      }
    }
  }
}

/** The forward block; the backward block adds its own fields to these. */
function packShape(p: Problem) {
  const m = p.mask ?? NO_MASK;
  return {
    batch: p.B, heads: p.H, tq: p.tq, tk: p.tk, d: p.d, dv: p.dv,
    qOffset: p.q.off, qStrideB: p.q.sb, qStrideH: p.q.sh, qStrideT: p.q.st,
    kOffset: p.k.off, kStrideB: p.k.sb, kStrideH: p.k.sh, kStrideT: p.k.st,
    vOffset: p.v.off, vStrideB: p.v.sb, vStrideH: p.v.sh, vStrideT: p.v.st,
    maskOffset: m.off, maskStrideB: m.sb, maskStrideH: m.sh, maskStrideT: m.st,
    maskKind: p.maskKind, causal: p.causal ? 1 : 0, scale: p.scale, maskedValue: p.maskedValue,
    outOffset: 0, lseOffset: 0, outStrideB: p.out.sb, outStrideH: p.out.sh, outStrideT: p.out.st,
  };
}
const NO_MASK = { off: 0, sb: 0, sh: 0, st: 0 };

function forwardRaw(p: Problem, out: F32, lse: F32): void {
  const addon = activeAddon();
  if (!addon) return forwardRef(p, out, lse);
  addon.sdpaForward(p.q.a, p.k.a, p.v.a, p.mask?.a ?? null, out, lse, pack.sdpaForward(packShape(p)));
}

function backwardRaw(p: Problem, out: F32, dout: View, lse: F32, dq: F32, dk: F32, dv: F32): void {
  const addon = activeAddon();
  if (!addon) return backwardRef(p, out, dout, lse, dq, dk, dv);
  addon.sdpaBackward(p.q.a, p.k.a, p.v.a, p.mask?.a ?? null, out, dout.a, lse, dq, dk, dv, pack.sdpaBackward({
    ...packShape(p), doutOffset: dout.off, doutStrideB: dout.sb, doutStrideH: dout.sh,
    doutStrideT: dout.st, dqOffset: 0, dkOffset: 0, dvOffset: 0,
  }));
}

const FN = 'scaledDotProductAttention';

function floatTensor(arg: string, v: unknown): Tensor {
  const t = toTensor(FN, arg, v);
  if (t.dtype !== 'float32') argError(FN, arg, 'a float32 tensor', `dtype ${t.dtype}`);
  if (t.rank !== 3 && t.rank !== 4) argError(FN, arg, 'a tensor of rank 4 [batch, heads, time, dim] or rank 3 [batch, time, dim]', `shape [${t.shape.join(',')}]`);
  return t;
}

function shapeText(t: Tensor): string {
  return `shape [${t.shape.join(',')}]`;
}

/** The mask as a keep or additive view broadcast over [B, H, Tq, Tk]. */
function maskView(maskIn: Tensor, mode: 'additive' | 'keep' | undefined, lead: number[], tq: number, tk: number): { view: View; kind: number } {
  if (!(maskIn instanceof Tensor)) argError(FN, 'mask', 'a Tensor or null', describe(maskIn));
  const kind = (mode ?? (maskIn.dtype === 'float32' ? 'additive' : 'keep')) === 'additive' ? MASK_ADDITIVE : MASK_KEEP;
  if (kind === MASK_ADDITIVE && maskIn.dtype !== 'float32') argError(FN, 'mask', 'a float32 tensor for an additive mask', `dtype ${maskIn.dtype}`);
  const target = [...lead, tq, tk];
  const fits = maskIn.rank <= target.length &&
    maskIn.shape.every((s, i) => s === 1 || s === target[target.length - maskIn.rank + i]);
  if (!fits) argError(FN, 'mask', `a shape that broadcasts to [${target.join(',')}]`, shapeText(maskIn));
  let m = broadcastTo(maskIn.dtype === 'float32' ? maskIn : cast(maskIn, 'float32'), target);
  if (tk > 1 && m.strides[m.rank - 1] !== 1) m = m.contiguousCopy();
  return { view: viewOf(m), kind };
}

/** softmax(scale q kᵀ + mask) v as ops, with dropout on the probabilities: the training path with dropout. */
function composite(q: Tensor, k: Tensor, v: Tensor, p: Problem, options: AttentionOptions): Tensor {
  let logits = mul(matmul(q, k, false, true), p.scale);
  const mask = options.mask ?? null;
  if (mask) {
    if (p.maskKind === MASK_ADDITIVE) logits = add(logits, mask);
    else logits = where(notEqual(mask, 0), logits, p.maskedValue);
  }
  if (p.causal) {
    const tri = Tensor.empty([p.tq, p.tk], 'float32');
    for (let i = 0; i < p.tq; i++) for (let j = 0; j < p.tk; j++) tri.buffer[i * p.tk + j] = j <= i ? 1 : 0;
    logits = where(tri, logits, -Infinity);
  }
  const probs = softmax(logits, -1);
  const keep = 1 - options.dropout!;
  const drop = Tensor.empty(probs.shape.slice(), 'float32');
  const g = options.generator ?? globalGenerator();
  for (let i = 0; i < drop.size; i++) drop.buffer[i] = g.uniform() < keep ? 1 / keep : 0;
  return matmul(mul(probs, drop), v);
}

/**
 * Scaled dot-product attention, softmax(scale · q kᵀ + mask) v over the keys, for q [B, H, Tq, D],
 * k [B, H, Tk, D], v [B, H, Tk, Dv] (or rank 3 without the heads axis); returns [B, H, Tq, Dv].
 * One fused kernel per direction: the [Tq, Tk] probabilities are never stored. Differentiable in
 * q, k and v. With dropout in training the unfused composite of ops runs instead.
 */
export function scaledDotProductAttention(qIn: Tensor, kIn: Tensor, vIn: Tensor, options: AttentionOptions = {}): Tensor {
  const { q, k, v, p, lead } = problemOf(qIn, kIn, vIn, options);
  const rate = options.dropout ?? 0;
  if (options.training && rate > 0) return composite(q, k, v, p, { ...options, dropout: rate });

  const out = Tensor.empty([...lead, p.tq, p.dv], 'float32');
  // The log-sum-exp is kept only for a backward pass.
  const lse = needsGrad([q, k, v]) ? new Float32Array(p.B * p.H * p.tq) : scratchF32('sdpa.lse', p.B * p.H * p.tq);
  forwardRaw(p, out.buffer as F32, lse);
  return record(out, FN, [q, k, v], (g) => {
    const dq = Tensor.empty(q.shape.slice(), 'float32');
    const dk = Tensor.empty(k.shape.slice(), 'float32');
    const dvT = Tensor.empty(v.shape.slice(), 'float32');
    backwardRaw(p, out.buffer as F32, viewOf(g), lse, dq.buffer as F32, dk.buffer as F32, dvT.buffer as F32);
    return [dq, dk, dvT];
  });
}

/**
 * @internal inference only (nothing recorded, no dropout): attention of rank-4 q, k, v
 * [B, H, T, dim], returned with the heads axis after time, [B, Tq, H, Dv] contiguous (the kernel
 * writes each row there): the layout the output projection reads after merging the heads, which
 * otherwise costs a transpose copy per layer (an imported transformer's compiled plan).
 */
export function attentionHeadsLast(qIn: Tensor, kIn: Tensor, vIn: Tensor, options: Pick<AttentionOptions, 'mask' | 'maskMode' | 'maskedValue' | 'causal' | 'scale'> = {}): Tensor {
  if (qIn instanceof Tensor && qIn.rank !== 4) argError(FN, 'q', 'a tensor of rank 4 [batch, heads, time, dim]', shapeText(qIn));
  const { q, k, v, p } = problemOf(qIn, kIn, vIn, options);
  if (needsGrad([q, k, v])) throw new Error(`${FN}: the heads-last form is inference only (it records no gradient)`);
  const out = Tensor.empty([p.B, p.tq, p.H, p.dv], 'float32');
  p.out = { sb: p.tq * p.H * p.dv, sh: p.dv, st: p.H * p.dv };
  forwardRaw(p, out.buffer as F32, scratchF32('sdpa.lse', p.B * p.H * p.tq));
  return out;
}

/** The checked operands and kernel problem of a call. */
function problemOf(qIn: Tensor, kIn: Tensor, vIn: Tensor, options: AttentionOptions): { q: Tensor; k: Tensor; v: Tensor; p: Problem; lead: number[] } {
  const q = floatTensor('q', qIn);
  const k = floatTensor('k', kIn);
  const v = floatTensor('v', vIn);
  const r = q.rank;
  if (k.rank !== r || v.rank !== r) argError(FN, 'k', `the rank of q (${r}) for k and v`, `${shapeText(k)} and ${shapeText(v)}`);
  const lead = q.shape.slice(0, r - 2);
  const tq = q.shape[r - 2]!, d = q.shape[r - 1]!, tk = k.shape[r - 2]!, dv = v.shape[r - 1]!;
  if (k.shape.slice(0, r - 2).join() !== lead.join() || k.shape[r - 1] !== d) {
    argError(FN, 'k', `shape [${[...lead, 'Tk', d].join(',')}] (q's batch, heads and dim)`, shapeText(k));
  }
  if (v.shape.slice(0, r - 1).join() !== [...lead, tk].join()) {
    argError(FN, 'v', `shape [${[...lead, tk, 'Dv'].join(',')}] (k's batch, heads and time)`, shapeText(v));
  }
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) argError(FN, 'scale', 'a finite number', describe(scale));
  const rate = options.dropout ?? 0;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) argError(FN, 'dropout', 'a number in [0, 1)', describe(rate));
  const maskedValue = options.maskedValue ?? -Infinity;
  if (typeof maskedValue !== 'number' || Number.isNaN(maskedValue)) argError(FN, 'maskedValue', 'a number', describe(maskedValue));
  const masked = options.mask ? maskView(options.mask, options.maskMode, lead, tq, tk) : null;
  const B = lead[0]!, H = r === 4 ? lead[1]! : 1;
  const p: Problem = {
    B, H, tq, tk, d, dv, q: viewOf(q), k: viewOf(k), v: viewOf(v),
    mask: masked?.view ?? null, maskKind: masked?.kind ?? MASK_NONE, causal: options.causal === true, scale, maskedValue,
    out: { sb: H * tq * dv, sh: tq * dv, st: dv },
  };
  return { q, k, v, p, lead };
}

/** A fixed additive mask with one fully masked key per row pattern, for the checks. */
function testMask(shape: number[]): Tensor {
  const m = Tensor.empty(shape, 'float32');
  for (let i = 0; i < m.size; i++) m.buffer[i] = i % 5 === 2 ? -Infinity : ((i * 7) % 11) / 11 - 0.5;
  return m;
}

function keepMask(shape: number[]): Tensor {
  const m = Tensor.empty(shape, 'int32');
  for (let i = 0; i < m.size; i++) m.buffer[i] = i % 3 === 1 ? 0 : 1;
  return m;
}

registerOp({
  name: FN,
  onnx: null,
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4]], run: (q, k, v) => scaledDotProductAttention(q, k, v) },
    { label: 'Tq != Tk, D != Dv, scale', shapes: [[1, 2, 3, 6], [1, 2, 7, 6], [1, 2, 7, 5]], run: (q, k, v) => scaledDotProductAttention(q, k, v, { scale: 0.7 }) },
    { label: 'causal', shapes: [[2, 2, 6, 3], [2, 2, 6, 3], [2, 2, 6, 4]], run: (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }) },
    { label: 'causal, Tq < Tk', shapes: [[1, 1, 3, 4], [1, 1, 5, 4], [1, 1, 5, 4]], run: (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }) },
    {
      label: 'additive mask broadcast over heads',
      shapes: [[2, 2, 4, 3], [2, 2, 6, 3], [2, 2, 6, 2]],
      run: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: testMask([2, 1, 4, 6]) }),
    },
    {
      label: 'keep mask, masked value -1e9, rank 3',
      shapes: [[2, 5, 4], [2, 5, 4], [2, 5, 3]],
      run: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: keepMask([5, 5]), maskedValue: -1e9 }),
    },
    {
      label: 'long rows (several key blocks), mask',
      shapes: [[1, 2, 20, 8], [1, 2, 150, 8], [1, 2, 150, 8]],
      grad: false,
      run: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: testMask([20, 150]) }),
    },
    {
      label: 'long, causal (several row and key blocks)',
      shapes: [[1, 2, 150, 8], [1, 2, 150, 8], [1, 2, 150, 8]],
      grad: false,
      run: (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }),
    },
  ],
});
