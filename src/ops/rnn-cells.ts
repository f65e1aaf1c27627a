// Recurrent cells with fused gate math: one native pass turns the gate pre-activations of a step into
// the new state (sigmoid/tanh fused), and one native pass turns the state gradients back into the
// gradients of the pre-activations. The sequence ops run a whole recurrence (one GEMM per step for the
// recurrent projection of all gates, then the fused cell) as a single tape entry whose backward is
// backpropagation through time with the fused backward kernels.
import { activeAddon } from '../backend/backend';
import { nativeAddon, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError } from '../errors';
import { Tensor } from '../tensor/tensor';
import { add } from './binary';
import { cast } from './cast';
import { linear } from './linear';
import { matmul } from './matmul';
import { concat } from './movement';
import { registerOp } from './registry';
import { tanh } from './unary';
import { toTensor } from './util';
import { slice } from './views';

type F32 = Float32Array;

/** A row-major matrix inside a typed array: element (r, c) is a[off + r * ld + c]. */
interface Mat {
  a: F32;
  off: number;
  ld: number;
}
const NONE: Mat | null = null;

function at(m: Mat, extra: number, ld = m.ld): Mat {
  return { a: m.a, off: m.off + extra, ld };
}

/** A rank-2 tensor as a matrix, read in place when its rows are contiguous. */
function matOf(t: Tensor): Mat {
  const cols = t.shape[1]!;
  const rows = t.shape[0]!;
  if ((t.strides[1] === 1 || cols <= 1) && (rows <= 1 || t.strides[0]! >= cols)) {
    return { a: t.buffer as F32, off: t.offset, ld: rows <= 1 ? Math.max(cols, 1) : t.strides[0]! };
  }
  const c = t.contiguousCopy();
  return { a: c.buffer as F32, off: c.offset, ld: Math.max(cols, 1) };
}

function contiguousMat(t: Tensor, cols: number): Mat {
  const c = t.contiguousCopy();
  return { a: c.buffer as F32, off: c.offset, ld: cols };
}

const hasNative = nativeAddon() !== null;

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const isMasked = (mask: Mat | null, b: number): boolean => mask !== null && mask.a[mask.off + b * mask.ld] === 0;

// ---------------------------------------------------------------------------------------------
// Raw kernels: native when the native backend is active, else the reference loops below (which
// mirror native/kernels/rnn/rnn_body.cpp).

/** C = op(A) op(B) + beta C (+ bias per column). */
function gemmRaw(ta: boolean, tb: boolean, m: number, n: number, k: number, A: Mat, B: Mat, C: Mat, beta: number, bias: F32 | null = null): void {
  if (m === 0 || n === 0) return;
  const addon = activeAddon();
  if (addon) {
    addon.gemm(A.a, B.a, C.a, pack.gemm({
      transA: ta ? 1 : 0, transB: tb ? 1 : 0, m, n, k, lda: A.ld, ldb: B.ld, ldc: C.ld, alpha: 1, beta, activation: 0, batch: 1,
      aOffsets: [A.off], bOffsets: [B.off], cOffsets: [C.off],
    }), bias);
    return;
  }
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let kk = 0; kk < k; kk++) {
      const aik = A.a[A.off + (ta ? kk * A.ld + i : i * A.ld + kk)]!;
      if (tb) for (let j = 0; j < n; j++) acc[j]! += aik * B.a[B.off + j * B.ld + kk]!;
      else {
        const row = B.off + kk * B.ld;
        for (let j = 0; j < n; j++) acc[j]! += aik * B.a[row + j]!;
      }
    }
    const row = C.off + i * C.ld;
    for (let j = 0; j < n; j++) {
      let v = beta === 0 ? acc[j]! : acc[j]! + beta * C.a[row + j]!;
      if (bias) v += bias[j]!;
      C.a[row + j] = v;
    }
  }
}

function lstmForwardRaw(B: number, H: number, xp: Mat, hp: Mat | null, cp: Mat, hprev: Mat | null, mask: Mat | null, h: Mat, c: Mat, gates: Mat): void {
  const addon = activeAddon();
  if (addon) {
    addon.lstmCellForward(xp.a, hp?.a ?? null, cp.a, hprev?.a ?? null, mask?.a ?? null, h.a, c.a, gates.a, pack.lstmCellForward({
      batch: B, units: H, xpOffset: xp.off, xpLd: xp.ld, hpOffset: hp?.off ?? 0, hpLd: hp?.ld ?? 0, cPrevOffset: cp.off,
      cPrevLd: cp.ld, hPrevOffset: hprev?.off ?? 0, hPrevLd: hprev?.ld ?? 0, maskOffset: mask?.off ?? 0, maskLd: mask?.ld ?? 0,
      hOffset: h.off, hLd: h.ld, cOffset: c.off, cLd: c.ld, gatesOffset: gates.off,
    }));
    return;
  }
  for (let b = 0; b < B; b++) {
    const g = gates.off + b * 4 * H;
    const ho = h.off + b * h.ld;
    const co = c.off + b * c.ld;
    const cpo = cp.off + b * cp.ld;
    if (isMasked(mask, b)) {
      for (let j = 0; j < H; j++) {
        h.a[ho + j] = hprev!.a[hprev!.off + b * hprev!.ld + j]!;
        c.a[co + j] = cp.a[cpo + j]!;
      }
      gates.a.fill(0, g, g + 4 * H);
      continue;
    }
    for (let j = 0; j < 4 * H; j++) {
      const z = Math.fround(xp.a[xp.off + b * xp.ld + j]! + (hp ? hp.a[hp.off + b * hp.ld + j]! : 0));
      gates.a[g + j] = j >= 2 * H && j < 3 * H ? Math.tanh(z) : sig(z);
    }
    for (let j = 0; j < H; j++) {
      const cn = Math.fround(gates.a[g + H + j]! * cp.a[cpo + j]! + gates.a[g + j]! * gates.a[g + 2 * H + j]!);
      c.a[co + j] = cn;
      h.a[ho + j] = gates.a[g + 3 * H + j]! * Math.tanh(cn);
    }
  }
}

function lstmBackwardRaw(B: number, H: number, gates: Mat, cp: Mat, c: Mat, dh1: Mat, dh2: Mat | null, dc1: Mat | null, dc2: Mat | null,
  mask: Mat | null, dz: Mat, dcp: Mat, dhp: Mat | null): void {
  const addon = activeAddon();
  if (addon) {
    addon.lstmCellBackward(gates.a, cp.a, c.a, dh1.a, dh2?.a ?? null, dc1?.a ?? null, dc2?.a ?? null, mask?.a ?? null, dz.a, dcp.a,
      dhp?.a ?? null, pack.lstmCellBackward({
        batch: B, units: H, gatesOffset: gates.off, cPrevOffset: cp.off, cPrevLd: cp.ld, cOffset: c.off, cLd: c.ld,
        dhOffset: dh1.off, dhLd: dh1.ld, dh2Offset: dh2?.off ?? 0, dh2Ld: dh2?.ld ?? 0, dcOffset: dc1?.off ?? 0, dcLd: dc1?.ld ?? 0,
        dc2Offset: dc2?.off ?? 0, dc2Ld: dc2?.ld ?? 0, maskOffset: mask?.off ?? 0, maskLd: mask?.ld ?? 0, dzOffset: dz.off,
        dzLd: dz.ld, dcPrevOffset: dcp.off, dcPrevLd: dcp.ld, dhPassOffset: dhp?.off ?? 0, dhPassLd: dhp?.ld ?? 0,
      }));
    return;
  }
  for (let b = 0; b < B; b++) {
    const g = gates.off + b * 4 * H;
    const z = dz.off + b * dz.ld;
    const m = isMasked(mask, b);
    for (let j = 0; j < H; j++) {
      const dh = Math.fround(dh1.a[dh1.off + b * dh1.ld + j]! + (dh2 ? dh2.a[dh2.off + b * dh2.ld + j]! : 0));
      const dc = Math.fround((dc1 ? dc1.a[dc1.off + b * dc1.ld + j]! : 0) + (dc2 ? dc2.a[dc2.off + b * dc2.ld + j]! : 0));
      if (m) {
        dz.a[z + j] = dz.a[z + H + j] = dz.a[z + 2 * H + j] = dz.a[z + 3 * H + j] = 0;
        dcp.a[dcp.off + b * dcp.ld + j] = dc;
        if (dhp) dhp.a[dhp.off + b * dhp.ld + j] = dh;
        continue;
      }
      const i = gates.a[g + j]!, f = gates.a[g + H + j]!, gg = gates.a[g + 2 * H + j]!, o = gates.a[g + 3 * H + j]!;
      const tc = Math.tanh(c.a[c.off + b * c.ld + j]!);
      const dct = dc + dh * o * (1 - tc * tc);
      dz.a[z + j] = dct * gg * i * (1 - i);
      dz.a[z + H + j] = dct * cp.a[cp.off + b * cp.ld + j]! * f * (1 - f);
      dz.a[z + 2 * H + j] = dct * i * (1 - gg * gg);
      dz.a[z + 3 * H + j] = dh * tc * o * (1 - o);
      dcp.a[dcp.off + b * dcp.ld + j] = dct * f;
      if (dhp) dhp.a[dhp.off + b * dhp.ld + j] = 0;
    }
  }
}

function gruForwardRaw(B: number, H: number, xp: Mat, hp: Mat, hprev: Mat, mask: Mat | null, h: Mat, gates: Mat): void {
  const addon = activeAddon();
  if (addon) {
    addon.gruCellForward(xp.a, hp.a, hprev.a, mask?.a ?? null, h.a, gates.a, pack.gruCellForward({
      batch: B, units: H, xpOffset: xp.off, xpLd: xp.ld, hpOffset: hp.off, hpLd: hp.ld, hPrevOffset: hprev.off, hPrevLd: hprev.ld,
      maskOffset: mask?.off ?? 0, maskLd: mask?.ld ?? 0, hOffset: h.off, hLd: h.ld, gatesOffset: gates.off,
    }));
    return;
  }
  for (let b = 0; b < B; b++) {
    const g = gates.off + b * 3 * H;
    const x = xp.off + b * xp.ld;
    const r0 = hp.off + b * hp.ld;
    const hpo = hprev.off + b * hprev.ld;
    const ho = h.off + b * h.ld;
    if (isMasked(mask, b)) {
      for (let j = 0; j < H; j++) h.a[ho + j] = hprev.a[hpo + j]!;
      gates.a.fill(0, g, g + 3 * H);
      continue;
    }
    for (let j = 0; j < H; j++) {
      const z = Math.fround(sig(Math.fround(xp.a[x + j]! + hp.a[r0 + j]!)));
      const r = Math.fround(sig(Math.fround(xp.a[x + H + j]! + hp.a[r0 + H + j]!)));
      const hh = Math.fround(Math.tanh(Math.fround(xp.a[x + 2 * H + j]! + r * hp.a[r0 + 2 * H + j]!)));
      gates.a[g + j] = z;
      gates.a[g + H + j] = r;
      gates.a[g + 2 * H + j] = hh;
      h.a[ho + j] = z * hprev.a[hpo + j]! + (1 - z) * hh;
    }
  }
}

function gruBackwardRaw(B: number, H: number, gates: Mat, hp: Mat, hprev: Mat, dh1: Mat, dh2: Mat | null, mask: Mat | null,
  dxp: Mat, dhp: Mat, dhd: Mat): void {
  const addon = activeAddon();
  if (addon) {
    addon.gruCellBackward(gates.a, hp.a, hprev.a, dh1.a, dh2?.a ?? null, mask?.a ?? null, dxp.a, dhp.a, dhd.a, pack.gruCellBackward({
      batch: B, units: H, gatesOffset: gates.off, hpOffset: hp.off, hpLd: hp.ld, hPrevOffset: hprev.off, hPrevLd: hprev.ld,
      dhOffset: dh1.off, dhLd: dh1.ld, dh2Offset: dh2?.off ?? 0, dh2Ld: dh2?.ld ?? 0, maskOffset: mask?.off ?? 0, maskLd: mask?.ld ?? 0,
      dxpOffset: dxp.off, dxpLd: dxp.ld, dhpOffset: dhp.off, dhpLd: dhp.ld, dhDirectOffset: dhd.off, dhDirectLd: dhd.ld,
    }));
    return;
  }
  for (let b = 0; b < B; b++) {
    const g = gates.off + b * 3 * H;
    const xo = dxp.off + b * dxp.ld;
    const ho = dhp.off + b * dhp.ld;
    const m = isMasked(mask, b);
    for (let j = 0; j < H; j++) {
      const dh = Math.fround(dh1.a[dh1.off + b * dh1.ld + j]! + (dh2 ? dh2.a[dh2.off + b * dh2.ld + j]! : 0));
      if (m) {
        dxp.a[xo + j] = dxp.a[xo + H + j] = dxp.a[xo + 2 * H + j] = 0;
        dhp.a[ho + j] = dhp.a[ho + H + j] = dhp.a[ho + 2 * H + j] = 0;
        dhd.a[dhd.off + b * dhd.ld + j] = dh;
        continue;
      }
      const z = gates.a[g + j]!, r = gates.a[g + H + j]!, hh = gates.a[g + 2 * H + j]!;
      const dah = dh * (1 - z) * (1 - hh * hh);
      const daz = dh * (hprev.a[hprev.off + b * hprev.ld + j]! - hh) * z * (1 - z);
      const dar = dah * hp.a[hp.off + b * hp.ld + 2 * H + j]! * r * (1 - r);
      dxp.a[xo + j] = daz;
      dxp.a[xo + H + j] = dar;
      dxp.a[xo + 2 * H + j] = dah;
      dhp.a[ho + j] = daz;
      dhp.a[ho + H + j] = dar;
      dhp.a[ho + 2 * H + j] = dah * r;
      dhd.a[dhd.off + b * dhd.ld + j] = dh * z;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Argument checking

function floatArg(fn: string, arg: string, v: unknown): Tensor {
  const t = toTensor(fn, arg, v);
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

function expectShape(fn: string, arg: string, t: Tensor, shape: number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    argError(fn, arg, `shape [${shape.join(',')}]`, `shape [${t.shape.join(',')}]`);
  }
}

function gateInput(fn: string, arg: string, v: unknown, gates: number): { t: Tensor; B: number; H: number } {
  const t = floatArg(fn, arg, v);
  if (t.rank !== 2 || t.shape[1]! % gates !== 0) argError(fn, arg, `a rank-2 tensor [batch, ${gates} * units]`, `shape [${t.shape.join(',')}]`);
  return { t, B: t.shape[0]!, H: t.shape[1]! / gates };
}

/** A [batch, time] mask as a contiguous float matrix (non-zero = real step), or null. */
function maskMat(fn: string, mask: Tensor | null | undefined, B: number, T: number): Mat | null {
  if (mask === null || mask === undefined) return null;
  const m = floatArg(fn, 'mask', mask);
  expectShape(fn, 'mask', m, [B, T]);
  return contiguousMat(m, T);
}

// ---------------------------------------------------------------------------------------------
// Single-step cells

/**
 * One LSTM step from the gate pre-activations z = x W + h U + b, [batch, 4 * units] in Keras gate
 * order (i, f, c, o), plus an optional second projection `hp` summed into z (so x W + b and h U need
 * no separate add). Returns [h, c]: c = sigmoid(f) * cPrev + sigmoid(i) * tanh(g), h = sigmoid(o) * tanh(c).
 */
export function lstmCell(zIn: Tensor, cPrevIn: Tensor, hpIn?: Tensor | null): [Tensor, Tensor] {
  const { t: z, B, H } = gateInput('lstmCell', 'z', zIn, 4);
  const cPrev = floatArg('lstmCell', 'cPrev', cPrevIn);
  expectShape('lstmCell', 'cPrev', cPrev, [B, H]);
  const hp = hpIn === undefined || hpIn === null ? null : floatArg('lstmCell', 'hp', hpIn);
  if (hp) expectShape('lstmCell', 'hp', hp, [B, 4 * H]);
  const hc = Tensor.empty([B, 2 * H], 'float32');
  const gates = Tensor.empty([B, 4 * H], 'float32');
  const hcM: Mat = { a: hc.buffer as F32, off: hc.offset, ld: 2 * H };
  const gM: Mat = { a: gates.buffer as F32, off: gates.offset, ld: 4 * H };
  const cpM = matOf(cPrev);
  lstmForwardRaw(B, H, matOf(z), hp ? matOf(hp) : null, cpM, NONE, NONE, hcM, at(hcM, H), gM);
  const out = record(hc, 'lstmCell', hp ? [z, cPrev, hp] : [z, cPrev], (g) => {
    const gm = contiguousMat(g, 2 * H);
    const dz = Tensor.empty([B, 4 * H], 'float32');
    const dcp = Tensor.empty([B, H], 'float32');
    lstmBackwardRaw(B, H, gM, cpM, at(hcM, H), gm, NONE, at(gm, H), NONE, NONE,
      { a: dz.buffer as F32, off: dz.offset, ld: 4 * H }, { a: dcp.buffer as F32, off: dcp.offset, ld: H }, NONE);
    return hp ? [dz, dcp, copyOf(dz)] : [dz, dcp];
  });
  return [slice(out, [0, 0], [B, H]), slice(out, [0, H], [B, H])];
}

function copyOf(t: Tensor): Tensor {
  const c = Tensor.empty(t.shape.slice(), 'float32');
  c.buffer.set(t.buffer.subarray(t.offset, t.offset + t.size), c.offset);
  return c;
}

/**
 * One GRU step in Keras's reset_after form (gate order z, r, h): xp = x W + b_in and
 * hp = hPrev U + b_rec, both [batch, 3 * units]; z = sigmoid(xz + hz), r = sigmoid(xr + hr),
 * hh = tanh(xh + r * hh_rec), h = z * hPrev + (1 - z) * hh.
 */
export function gruCell(xpIn: Tensor, hpIn: Tensor, hPrevIn: Tensor): Tensor {
  const { t: xp, B, H } = gateInput('gruCell', 'xp', xpIn, 3);
  const hp = floatArg('gruCell', 'hp', hpIn);
  expectShape('gruCell', 'hp', hp, [B, 3 * H]);
  const hPrev = floatArg('gruCell', 'hPrev', hPrevIn);
  expectShape('gruCell', 'hPrev', hPrev, [B, H]);
  const h = Tensor.empty([B, H], 'float32');
  const gates = Tensor.empty([B, 3 * H], 'float32');
  const gM: Mat = { a: gates.buffer as F32, off: gates.offset, ld: 3 * H };
  const hpM = matOf(hp);
  const hprevM = matOf(hPrev);
  gruForwardRaw(B, H, matOf(xp), hpM, hprevM, NONE, { a: h.buffer as F32, off: h.offset, ld: H }, gM);
  return record(h, 'gruCell', [xp, hp, hPrev], (g) => {
    const dxp = Tensor.empty([B, 3 * H], 'float32');
    const dhp = Tensor.empty([B, 3 * H], 'float32');
    const dhd = Tensor.empty([B, H], 'float32');
    gruBackwardRaw(B, H, gM, hpM, hprevM, contiguousMat(g, H), NONE, NONE, { a: dxp.buffer as F32, off: dxp.offset, ld: 3 * H },
      { a: dhp.buffer as F32, off: dhp.offset, ld: 3 * H }, { a: dhd.buffer as F32, off: dhd.offset, ld: H });
    return [dxp, dhp, dhd];
  });
}

/** One simple-RNN step: tanh(x W + b + hPrev U), with existing (native) ops. */
export function simpleRnnCell(x: Tensor, hPrev: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias?: Tensor | null): Tensor {
  return tanh(add(linear(x, kernel, bias), matmul(hPrev, recurrentKernel)));
}

// ---------------------------------------------------------------------------------------------
// Whole sequences

function seqInput(fn: string, v: unknown, gates: number, H: number): { t: Tensor; B: number; T: number } {
  const t = floatArg(fn, 'xp', v);
  if (t.rank !== 3 || t.shape[2] !== gates * H) argError(fn, 'xp', `a rank-3 tensor [batch, time, ${gates * H}]`, `shape [${t.shape.join(',')}]`);
  return { t, B: t.shape[0]!, T: t.shape[1]! };
}

/** hPrev of every (row, step) as a [batch * time, units] matrix, rows in the order of [batch, time] sequences. */
function hPrevRows(B: number, T: number, H: number, hPrevAt: (t: number) => Mat): Mat {
  const all = Tensor.empty([B * T, H], 'float32');
  const m: Mat = { a: all.buffer as F32, off: all.offset, ld: H };
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const src = hPrevAt(t);
      const from = src.off + b * src.ld;
      m.a.set(src.a.subarray(from, from + H), m.off + (b * T + t) * H);
    }
  }
  return m;
}

/**
 * An LSTM over a whole sequence. xp = x W + b for every step, [batch, time, 4 * units];
 * recurrentKernel [units, 4 * units]; h0, c0 [batch, units]; mask [batch, time] (0 = padded step:
 * the state is carried over unchanged). Returns [batch, time, 2 * units]: h and c after every step.
 * Per step: one GEMM (h U for all four gates) and one fused cell pass; backward is BPTT with the fused
 * backward kernel and two GEMMs per step.
 */
export function lstmSequence(xpIn: Tensor, recurrentKernel: Tensor, h0In: Tensor, c0In: Tensor, mask?: Tensor | null): Tensor {
  const fn = 'lstmSequence';
  const U = floatArg(fn, 'recurrentKernel', recurrentKernel);
  if (U.rank !== 2 || U.shape[1] !== 4 * U.shape[0]!) argError(fn, 'recurrentKernel', 'shape [units, 4 * units]', `shape [${U.shape.join(',')}]`);
  const H = U.shape[0]!;
  const { t: xp, B, T } = seqInput(fn, xpIn, 4, H);
  const h0 = floatArg(fn, 'h0', h0In);
  const c0 = floatArg(fn, 'c0', c0In);
  expectShape(fn, 'h0', h0, [B, H]);
  expectShape(fn, 'c0', c0, [B, H]);
  const maskM = maskMat(fn, mask, B, T);
  const xpM = contiguousMat(xp, 4 * H);
  const uM = contiguousMat(U, 4 * H);
  const h0M = matOf(h0);
  const c0M = matOf(c0);
  const Y = Tensor.empty([B, T, 2 * H], 'float32');
  const G = Tensor.empty([T, B, 4 * H], 'float32');
  const yM: Mat = { a: Y.buffer as F32, off: Y.offset, ld: 2 * H * T };
  const gM: Mat = { a: G.buffer as F32, off: G.offset, ld: 4 * H };
  const hPrevAt = (t: number): Mat => (t === 0 ? h0M : at(yM, (t - 1) * 2 * H));
  const cPrevAt = (t: number): Mat => (t === 0 ? c0M : at(yM, (t - 1) * 2 * H + H));
  const maskAt = (t: number): Mat | null => (maskM ? at(maskM, t) : null);
  const addon = activeAddon();
  if (addon) {
    addon.lstmSequenceForward(xpM.a, uM.a, h0M.a, c0M.a, maskM?.a ?? null, yM.a, gM.a, pack.lstmSequenceForward({
      batch: B, time: T, units: H, xpOffset: xpM.off, uOffset: uM.off, h0Offset: h0M.off, h0Ld: h0M.ld, c0Offset: c0M.off, c0Ld: c0M.ld,
      maskOffset: maskM?.off ?? 0, yOffset: yM.off, gatesOffset: gM.off,
    }));
  } else {
    const hpT = Tensor.empty([B, 4 * H], 'float32');
    const hpM: Mat = { a: hpT.buffer as F32, off: hpT.offset, ld: 4 * H };
    for (let t = 0; t < T; t++) {
      const hPrev = hPrevAt(t);
      gemmRaw(false, false, B, 4 * H, H, hPrev, uM, hpM, 0);
      lstmForwardRaw(B, H, at(xpM, t * 4 * H, 4 * H * T), hpM, cPrevAt(t), hPrev, maskAt(t), at(yM, t * 2 * H), at(yM, t * 2 * H + H),
        at(gM, t * B * 4 * H));
    }
  }
  return record(Y, fn, [xp, U, h0, c0], (g) => {
    const gm: Mat = { ...contiguousMat(g, 2 * H), ld: 2 * H * T };
    const dXP = Tensor.empty([B, T, 4 * H], 'float32');
    const dU = Tensor.empty([H, 4 * H], 'float32');
    const dh = Tensor.empty([B, H], 'float32');
    const dc = Tensor.empty([B, H], 'float32');
    const dxM: Mat = { a: dXP.buffer as F32, off: dXP.offset, ld: 4 * H * T };
    const duM: Mat = { a: dU.buffer as F32, off: dU.offset, ld: 4 * H };
    const dhM: Mat = { a: dh.buffer as F32, off: dh.offset, ld: H };
    const dcM: Mat = { a: dc.buffer as F32, off: dc.offset, ld: H };
    const bwd = activeAddon();
    if (bwd) {
      bwd.lstmSequenceBackward(uM.a, h0M.a, c0M.a, maskM?.a ?? null, yM.a, gM.a, gm.a, dxM.a, duM.a, dhM.a, dcM.a, pack.lstmSequenceBackward({
        batch: B, time: T, units: H, uOffset: uM.off, h0Offset: h0M.off, h0Ld: h0M.ld, c0Offset: c0M.off, c0Ld: c0M.ld,
        maskOffset: maskM?.off ?? 0, yOffset: yM.off, gatesOffset: gM.off, dyOffset: gm.off, dxpOffset: dxM.off, duOffset: duM.off,
        dh0Offset: dhM.off, dc0Offset: dcM.off,
      }));
      return [dXP, dU, dh, dc];
    }
    dh.buffer.fill(0, dh.offset, dh.offset + dh.size);
    dc.buffer.fill(0, dc.offset, dc.offset + dc.size);
    for (let t = T - 1; t >= 0; t--) {
      const dz = at(dxM, t * 4 * H);
      lstmBackwardRaw(B, H, at(gM, t * B * 4 * H), cPrevAt(t), at(yM, t * 2 * H + H), dhM, at(gm, t * 2 * H), dcM, at(gm, t * 2 * H + H),
        maskAt(t), dz, dcM, dhM);
      gemmRaw(false, true, B, H, 4 * H, dz, uM, dhM, 1);
    }
    // dU = the sum over steps of hPrev^T dz: one product over every (row, step), as the native kernel does.
    gemmRaw(true, false, H, 4 * H, B * T, hPrevRows(B, T, H, hPrevAt), { ...dxM, ld: 4 * H }, duM, 0);
    return [dXP, dU, dh, dc];
  });
}

/**
 * A GRU (reset_after) over a whole sequence. xp = x W + b_in, [batch, time, 3 * units];
 * recurrentKernel [units, 3 * units]; recurrentBias [3 * units] or null; h0 [batch, units];
 * mask [batch, time]. Returns h after every step, [batch, time, units].
 */
export function gruSequence(xpIn: Tensor, recurrentKernel: Tensor, recurrentBias: Tensor | null, h0In: Tensor, mask?: Tensor | null): Tensor {
  const fn = 'gruSequence';
  const U = floatArg(fn, 'recurrentKernel', recurrentKernel);
  if (U.rank !== 2 || U.shape[1] !== 3 * U.shape[0]!) argError(fn, 'recurrentKernel', 'shape [units, 3 * units]', `shape [${U.shape.join(',')}]`);
  const H = U.shape[0]!;
  const { t: xp, B, T } = seqInput(fn, xpIn, 3, H);
  const bRec = recurrentBias === null || recurrentBias === undefined ? null : floatArg(fn, 'recurrentBias', recurrentBias);
  if (bRec) expectShape(fn, 'recurrentBias', bRec, [3 * H]);
  const bRecC = bRec ? bRec.contiguousCopy() : null;
  const bRecA = bRecC ? (bRecC.buffer as F32).subarray(bRecC.offset, bRecC.offset + 3 * H) : null;
  const h0 = floatArg(fn, 'h0', h0In);
  expectShape(fn, 'h0', h0, [B, H]);
  const maskM = maskMat(fn, mask, B, T);
  const xpM = contiguousMat(xp, 3 * H);
  const uM = contiguousMat(U, 3 * H);
  const h0M = matOf(h0);
  const Y = Tensor.empty([B, T, H], 'float32');
  const G = Tensor.empty([T, B, 3 * H], 'float32');
  const HP = Tensor.empty([T, B, 3 * H], 'float32');
  const yM: Mat = { a: Y.buffer as F32, off: Y.offset, ld: H * T };
  const gM: Mat = { a: G.buffer as F32, off: G.offset, ld: 3 * H };
  const hpM: Mat = { a: HP.buffer as F32, off: HP.offset, ld: 3 * H };
  const hPrevAt = (t: number): Mat => (t === 0 ? h0M : at(yM, (t - 1) * H));
  const maskAt = (t: number): Mat | null => (maskM ? at(maskM, t) : null);
  const addon = activeAddon();
  if (addon) {
    addon.gruSequenceForward(xpM.a, uM.a, bRecA, h0M.a, maskM?.a ?? null, yM.a, gM.a, hpM.a, pack.gruSequenceForward({
      batch: B, time: T, units: H, xpOffset: xpM.off, uOffset: uM.off, biasOffset: 0, h0Offset: h0M.off, h0Ld: h0M.ld,
      maskOffset: maskM?.off ?? 0, yOffset: yM.off, gatesOffset: gM.off, hpOffset: hpM.off,
    }));
  } else {
    for (let t = 0; t < T; t++) {
      const hPrev = hPrevAt(t);
      const hp = at(hpM, t * B * 3 * H);
      gemmRaw(false, false, B, 3 * H, H, hPrev, uM, hp, 0, bRecA);
      gruForwardRaw(B, H, at(xpM, t * 3 * H, 3 * H * T), hp, hPrev, maskAt(t), at(yM, t * H), at(gM, t * B * 3 * H));
    }
  }
  const inputs = bRec ? [xp, U, bRec, h0] : [xp, U, h0];
  return record(Y, fn, inputs, (g) => {
    const gm: Mat = { ...contiguousMat(g, H), ld: H * T };
    const dXP = Tensor.empty([B, T, 3 * H], 'float32');
    const dU = Tensor.empty([H, 3 * H], 'float32');
    const db = Tensor.empty([3 * H], 'float32');
    const dh = Tensor.empty([B, H], 'float32');
    const dxM: Mat = { a: dXP.buffer as F32, off: dXP.offset, ld: 3 * H * T };
    const duM: Mat = { a: dU.buffer as F32, off: dU.offset, ld: 3 * H };
    const dhM: Mat = { a: dh.buffer as F32, off: dh.offset, ld: H };
    const dbA = db.buffer as F32;
    const bwd = activeAddon();
    if (bwd) {
      bwd.gruSequenceBackward(uM.a, h0M.a, maskM?.a ?? null, yM.a, gM.a, hpM.a, gm.a, dxM.a, duM.a, bRec ? dbA : null, dhM.a,
        pack.gruSequenceBackward({
          batch: B, time: T, units: H, uOffset: uM.off, h0Offset: h0M.off, h0Ld: h0M.ld, maskOffset: maskM?.off ?? 0, yOffset: yM.off,
          gatesOffset: gM.off, hpOffset: hpM.off, dyOffset: gm.off, dxpOffset: dxM.off, duOffset: duM.off, dbOffset: db.offset,
          dh0Offset: dhM.off,
        }));
      return bRec ? [dXP, dU, db, dh] : [dXP, dU, dh];
    }
    // The gradient of hp at every (row, step), so dU and db are one product and one sum over all of
    // them, as the native kernel computes them.
    const dHP = Tensor.empty([B, T, 3 * H], 'float32');
    const dhpAll: Mat = { a: dHP.buffer as F32, off: dHP.offset, ld: 3 * H * T };
    dh.buffer.fill(0, dh.offset, dh.offset + dh.size);
    for (let t = T - 1; t >= 0; t--) {
      const dhpM = at(dhpAll, t * 3 * H);
      gruBackwardRaw(B, H, at(gM, t * B * 3 * H), at(hpM, t * B * 3 * H), hPrevAt(t), dhM, at(gm, t * H), maskAt(t), at(dxM, t * 3 * H),
        dhpM, dhM);
      gemmRaw(false, true, B, H, 3 * H, dhpM, uM, dhM, 1);
    }
    const rows = { ...dhpAll, ld: 3 * H };
    gemmRaw(true, false, H, 3 * H, B * T, hPrevRows(B, T, H, hPrevAt), rows, duM, 0);
    db.buffer.fill(0, db.offset, db.offset + db.size);
    if (bRec) {
      for (let r = 0; r < B * T; r++) {
        for (let j = 0; j < 3 * H; j++) dbA[db.offset + j] = dbA[db.offset + j]! + rows.a[rows.off + r * 3 * H + j]!;
      }
    }
    return bRec ? [dXP, dU, db, dh] : [dXP, dU, dh];
  });
}

// ---------------------------------------------------------------------------------------------

registerOp({
  name: 'lstmCell',
  onnx: 'LSTM',
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: [
    { shapes: [[2, 12], [2, 3]], domain: 'unit', run: (z, c) => concat(lstmCell(z, c), 1) },
    { label: 'two projections', shapes: [[3, 16], [3, 4], [3, 16]], domain: 'unit', run: (z, c, hp) => concat(lstmCell(z, c, hp), 1) },
  ],
});

registerOp({
  name: 'gruCell',
  onnx: 'GRU',
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: [
    { shapes: [[2, 9], [2, 9], [2, 3]], domain: 'unit', run: (xp, hp, h) => gruCell(xp, hp, h) },
    { label: 'batch 3, 5 units', shapes: [[3, 15], [3, 15], [3, 5]], domain: 'unit', run: (xp, hp, h) => gruCell(xp, hp, h) },
  ],
});

registerOp({
  name: 'simpleRnnCell',
  onnx: 'RNN',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [{ shapes: [[2, 3], [2, 4], [3, 4], [4, 4], [4]], domain: 'unit', run: (x, h, w, u, b) => simpleRnnCell(x, h, w, u, b) }],
});

registerOp({
  name: 'lstmSequence',
  onnx: null,
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: [
    { shapes: [[2, 3, 12], [3, 12], [2, 3], [2, 3]], domain: 'unit', run: (xp, u, h, c) => lstmSequence(xp, u, h, c) },
  ],
});

registerOp({
  name: 'gruSequence',
  onnx: null,
  kind: 'kernel',
  native: hasNative,
  differentiable: true,
  checks: [
    { shapes: [[2, 3, 12], [4, 12], [12], [2, 4]], domain: 'unit', run: (xp, u, b, h) => gruSequence(xp, u, b, h) },
    { label: 'no recurrent bias', shapes: [[3, 2, 9], [3, 9], [3, 3]], domain: 'unit', run: (xp, u, h) => gruSequence(xp, u, null, h) },
  ],
});
