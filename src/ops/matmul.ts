import { activeAddon } from '../backend/backend';
import { type Packed, pack } from '../backend/binding';
import { record } from '../autograd/tape';
import { argError } from '../errors';
import { broadcastShapes, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast } from './cast';
import { sumTo } from './reduce';
import { registerOp } from './registry';
import { reshape, transpose } from './views';
import { toTensor } from './util';
import type { PackedPanels } from './packed-weights';

/** How one operand is handed to GEMM: its (possibly copied) tensor, transpose flag and leading dim. */
interface Operand {
  t: Tensor;
  trans: boolean;
  ld: number;
}

// A transposed view is passed as a transpose flag instead of being copied.
function layout(t: Tensor, trans: boolean): Operand {
  const r = t.rank;
  const rows = t.shape[r - 2]!;
  const cols = t.shape[r - 1]!;
  const s0 = t.strides[r - 2]!;
  const s1 = t.strides[r - 1]!;
  if ((s1 === 1 || cols <= 1) && (rows <= 1 || s0 >= Math.max(cols, 1))) {
    return { t, trans, ld: rows <= 1 ? Math.max(cols, 1) : s0 };
  }
  if ((s0 === 1 || rows <= 1) && (cols <= 1 || s1 >= Math.max(rows, 1))) {
    return { t, trans: !trans, ld: cols <= 1 ? Math.max(rows, 1) : s1 };
  }
  const c = t.contiguousCopy();
  return { t: c, trans, ld: Math.max(cols, 1) };
}

function batchOffsets(t: Tensor, batch: readonly number[]): number[] {
  const n = sizeOf(batch);
  const lead = batch.length - (t.rank - 2);
  const strides = batch.map((d, i) => {
    const k = i - lead;
    return k < 0 || t.shape[k] === 1 ? 0 : t.strides[k]!;
  });
  const offs = new Array<number>(n);
  const idx = new Array<number>(batch.length).fill(0);
  let off = t.offset;
  for (let i = 0; i < n; i++) {
    offs[i] = off;
    for (let d = batch.length - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < batch[d]!) break;
      off -= strides[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
  return offs;
}

/** @internal */
export interface Plan {
  out: Tensor;
  a: Operand;
  b: Operand;
  m: number;
  n: number;
  k: number;
  relu: boolean;
  /** Element offsets of each batch entry's A, B and C matrices. */
  aOffs: readonly number[];
  bOffs: readonly number[];
  cOffs: readonly number[];
  /** B as the kernels' panels, when the caller has them (a weight packed once: see packedWeight). */
  packedB?: PackedPanels | null;
}

const firstEntry: readonly number[] = [0];

/** @internal lays out C = op(A) op(B) (+ bias, relu) for the GEMM kernels */
export function plan(a: Tensor, b: Tensor, ta: boolean, tb: boolean, relu = false): Plan {
  const [ar, ac] = [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  const [br, bc] = [b.shape[b.rank - 2]!, b.shape[b.rank - 1]!];
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const kb = tb ? bc : br;
  const n = tb ? br : bc;
  if (k !== kb) {
    argError('matmul', 'b', `inner dimension ${k} (a has shape [${a.shape.join(',')}]${ta ? ', transposed' : ''})`,
      `shape [${b.shape.join(',')}]${tb ? ', transposed' : ''} with inner dimension ${kb}`);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = Tensor.empty([...batch, m, n], 'float32');
  const A = layout(a, ta);
  const B = layout(b, tb);
  const nb = sizeOf(batch);
  const aOffs = batchOffsets(A.t, batch);
  const bOffs = batchOffsets(B.t, batch);
  const cOffs = nb === 1 ? firstEntry : Array.from({ length: nb }, (_, i) => i * m * n);
  return { out, a: A, b: B, m, n, k, relu, aOffs, bOffs, cOffs };
}

/** The native GEMM's arguments for a plan (C dense, alpha 1, beta 0). */
/** A unary op (by its addon code) applied to each finished block of C. */
export interface GemmUnary {
  readonly code: number;
  readonly p0: number;
  readonly p1: number;
}

function gemmArgs(p: Plan, unary: GemmUnary | null, accumulate: boolean): Packed<'gemm'> {
  return pack.gemm({
    transA: p.a.trans ? 1 : 0, transB: p.b.trans ? 1 : 0, m: p.m, n: p.n, k: p.k, lda: p.a.ld, ldb: p.b.ld,
    ldc: Math.max(p.n, 1), alpha: 1, beta: accumulate ? 1 : 0, activation: unary ? 2 + unary.code : p.relu ? 1 : 0, batch: p.aOffs.length,
    aOffsets: p.aOffs, bOffsets: p.bOffs, cOffsets: p.cOffs,
  });
}

/**
 * @internal runs a planned GEMM on the native backend, with an optional fused bias and relu, or a
 * unary op applied per finished block (native only: the caller applies it itself on the js backend).
 * With `accumulate`, C's contents are added to the product before the bias and the unary op (the
 * caller fills p.out first: a residual connection joining the GEMM's epilogue).
 */
export function runGemm(p: Plan, bias: Tensor | null = null, unary: GemmUnary | null = null, accumulate = false): void {
  const addon = activeAddon();
  if (addon) {
    addon.gemm(p.a.t.buffer as Float32Array, p.b.t.buffer as Float32Array, p.out.buffer as Float32Array, gemmArgs(p, unary, accumulate),
      bias ? (bias.buffer as Float32Array).subarray(bias.offset, bias.offset + bias.size) : null, unary?.p0 ?? 0, unary?.p1 ?? 0,
      p.packedB?.data ?? null, p.packedB?.width ?? 0);
    return;
  }
  referenceGemm(p, bias, accumulate);
}

/** The reference GEMM: i-k-j loops with float64 accumulation, one batch entry at a time. */
function referenceGemm(p: Plan, bias: Tensor | null, accumulate = false): void {
  const { m, n, k } = p;
  const ad = p.a.t.buffer;
  const bd = p.b.t.buffer;
  const cd = p.out.buffer;
  const acc = new Float64Array(n);
  const { ld: lda, trans: ta } = p.a;
  const { ld: ldb, trans: tb } = p.b;
  for (let bi = 0; bi < p.aOffs.length; bi++) {
    const ao = p.aOffs[bi]!;
    const bo = p.bOffs[bi]!;
    const co = p.cOffs[bi]!;
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let kk = 0; kk < k; kk++) {
        const aik = ad[ao + (ta ? kk * lda + i : i * lda + kk)]!;
        if (tb) {
          for (let j = 0; j < n; j++) acc[j]! += aik * bd[bo + j * ldb + kk]!;
        } else {
          const row = bo + kk * ldb;
          for (let j = 0; j < n; j++) acc[j]! += aik * bd[row + j]!;
        }
      }
      // As the kernels: the product rounded to float32, plus C, then plus the bias.
      if (accumulate) for (let j = 0; j < n; j++) acc[j] = Math.fround(Math.fround(acc[j]!) + cd[co + i * n + j]!);
      if (bias) {
        const bd2 = bias.buffer;
        for (let j = 0; j < n; j++) acc[j]! += bd2[bias.offset + j]!;
      }
      if (p.relu) {
        for (let j = 0; j < n; j++) cd[co + i * n + j] = acc[j]! > 0 ? acc[j]! : acc[j] !== acc[j] ? NaN : 0;
      } else {
        for (let j = 0; j < n; j++) cd[co + i * n + j] = acc[j]!;
      }
    }
  }
}

function prepare(fn: string, aIn: Tensor, bIn: Tensor): { a: Tensor; b: Tensor } {
  let a = toTensor(fn, 'a', aIn);
  let b = toTensor(fn, 'b', bIn);
  if (a.rank === 0) argError(fn, 'a', 'a tensor of rank >= 1', 'a scalar');
  if (b.rank === 0) argError(fn, 'b', 'a tensor of rank >= 1', 'a scalar');
  if (a.dtype !== 'float32') a = cast(a, 'float32');
  if (b.dtype !== 'float32') b = cast(b, 'float32');
  return { a, b };
}

function recordMatmul(out: Tensor, a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor {
  return record(out, 'matmul', [a, b], (g) => {
    // d op(A) = g op(B)^T and d op(B) = op(A)^T g, transposed back when A or B came in transposed.
    const gOpA = matmulCore(g, b, false, !tb);
    const gOpB = matmulCore(a, g, !ta, false);
    const ga = ta ? swapLast(gOpA) : gOpA;
    const gb = tb ? swapLast(gOpB) : gOpB;
    return [sumTo(ga, a.shape), sumTo(gb, b.shape)];
  });
}

function swapLast(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  perm[t.rank - 2] = t.rank - 1;
  perm[t.rank - 1] = t.rank - 2;
  return transpose(t, perm);
}

/** @internal matmul of rank >= 2 operands, recorded on the tape */
export function matmulCore(a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor {
  const p = plan(a, b, ta, tb);
  runGemm(p);
  return recordMatmul(p.out, a, b, ta, tb);
}

/** Rank-1 operands act as a row (a) or column (b) vector whose axis is dropped from the result, as in NumPy. */
function withVectors(a: Tensor, b: Tensor, run: (a2: Tensor, b2: Tensor) => Tensor): Tensor {
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const out = run(a2, b2);
  if (a.rank > 1 && b.rank > 1) return out;
  const shape = out.shape.slice();
  if (b.rank === 1) shape.pop();
  if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
  return reshape(out, shape);
}

/**
 * Matrix product over the last two axes with NumPy broadcasting of leading (batch) axes.
 * `transposeA`/`transposeB` use the transpose of that operand's last two axes (tfjs matMul).
 * Transposed views are read in place, without a copy.
 */
export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const p = prepare('matmul', a, b);
  return withVectors(p.a, p.b, (x, y) => matmulCore(x, y, transposeA && p.a.rank > 1, transposeB && p.b.rank > 1));
}
/** tfjs name of {@link matmul}. */
export const matMul = matmul;

/**
 * {@link matmul} computed off the JS thread on the native backend (the event loop keeps running);
 * its inputs and output stay pinned until the promise settles.
 */
export async function matmulAsync(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Promise<Tensor> {
  const p0 = prepare('matmulAsync', a, b);
  const addon = activeAddon();
  if (!addon) return matmul(p0.a, p0.b, transposeA, transposeB);
  let pending: Promise<void> | null = null;
  const pinned: Tensor[] = [];
  const out = withVectors(p0.a, p0.b, (x, y) => {
    const ta = transposeA && p0.a.rank > 1;
    const tb = transposeB && p0.b.rank > 1;
    const p = plan(x, y, ta, tb);
    // The native side pins the typed arrays; pinning the storages too keeps the JS pool from
    // recycling them (after dispose or collection of their tensors) while the kernel runs.
    pinned.push(p.a.t, p.b.t, p.out);
    for (const t of pinned) t.storage.pin();
    // The argument block is shared; the async entry reads it before returning.
    pending = addon.gemmAsync(p.a.t.buffer as Float32Array, p.b.t.buffer as Float32Array, p.out.buffer as Float32Array, gemmArgs(p, null, false), null);
    return recordMatmul(p.out, x, y, ta, tb);
  });
  try {
    await pending;
  } finally {
    for (const t of pinned) t.storage.unpin();
  }
  return out;
}

registerOp({
  name: 'matmul',
  onnx: 'MatMul',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[3, 4], [4, 5]], run: (a, b) => matmul(a, b) },
    { label: 'odd sizes', shapes: [[7, 33], [33, 9]], run: (a, b) => matmul(a, b), grad: false },
    { label: 'transposeA', shapes: [[4, 3], [4, 2]], run: (a, b) => matmul(a, b, true, false) },
    { label: 'transposeB', shapes: [[3, 4], [5, 4]], run: (a, b) => matmul(a, b, false, true) },
    { label: 'both transposed', shapes: [[4, 3], [5, 4]], run: (a, b) => matmul(a, b, true, true) },
    { label: 'batched broadcast', shapes: [[2, 1, 3, 4], [3, 4, 2]], run: (a, b) => matmul(a, b) },
    { label: 'vector-matrix', shapes: [[4], [4, 3]], run: (a, b) => matmul(a, b) },
    { label: 'matrix-vector', shapes: [[3, 4], [4]], run: (a, b) => matmul(a, b) },
    { label: 'batched-vector', shapes: [[2, 3, 4], [4]], run: (a, b) => matmul(a, b) },
    { label: 'k = 0', shapes: [[3, 0], [0, 2]], run: (a, b) => matmul(a, b) },
    { label: 'large', shapes: [[65, 257], [257, 70]], run: (a, b) => matmul(a, b), grad: false },
  ],
});
