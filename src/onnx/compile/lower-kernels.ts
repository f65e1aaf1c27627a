// Convolutions and dense layers lowered for the plan: each weight packed once into the layout the
// kernels read (conv filters [kh, kw, Cin/groups, Cout] for channels-last, GEMM weights [in, out]),
// the window geometry resolved for the plan's input shape, and MatMul + bias Add merged into one
// linear() whose epilogue adds the bias.
import { materialize } from '../../ops/copy';
import { slice, transpose } from '../../ops/views';
import type { Tensor } from '../../tensor/tensor';
import { convTransposeGeometry, spatial } from '../import/ops/nn';
import type { OpContext } from '../import/op-spec';
import { type IrGraph, type IrNode, consumers, derive, fixed, onlyUse } from './ir';

function packed(t: Tensor, perm: number[]): Tensor {
  return materialize(transpose(t, perm));
}

/**
 * The kernel taps [lo, hi] along one axis that read the input for some output position (the others
 * only ever read padding), or null when every tap does.
 */
function tapsInside(size: number, k: number, stride: number, dil: number, [padLo, padHi]: [number, number]): [number, number] | null {
  const out = Math.floor((size + padLo + padHi - dil * (k - 1) - 1) / stride) + 1;
  const reads = (t: number): boolean => {
    const first = t * dil - padLo;
    const last = first + (out - 1) * stride;
    const inside = first >= 0 ? first : first + Math.ceil(-first / stride) * stride;
    return inside <= Math.min(size - 1, last);
  };
  let lo = 0, hi = k - 1;
  while (lo <= hi && !reads(lo)) lo++;
  while (hi >= lo && !reads(hi)) hi--;
  return lo > hi || (lo === 0 && hi === k - 1) ? null : [lo, hi];
}

/**
 * A dilated convolution whose outer taps only ever read padding (DeepLab's atrous 3x3 convs at
 * dilation 24 and 36 over a 14x14 map are 1x1 convs in effect) runs with the taps that read the
 * input: the filter cropped and the padding reduced by what the cropped rows and columns spanned.
 * Only when the dropped taps are finite (0 * w must stay 0) and no padding turns negative.
 */
/** @internal exported for tests */
export function croppedTaps(w: Tensor, inHW: readonly number[], s: { strides: number[]; dilations: number[]; pads: [number, number][] }) {
  const ranges = [0, 1].map((i) => tapsInside(inHW[i]!, w.shape[2 + i]!, s.strides[i]!, s.dilations[i]!, s.pads[i]!) ?? [0, w.shape[2 + i]! - 1]) as [number, number][];
  const [r0, r1] = ranges[0]!;
  const [c0, c1] = ranges[1]!;
  if (r0 === 0 && c0 === 0 && r1 === w.shape[2]! - 1 && c1 === w.shape[3]! - 1) return null;
  const pads = s.pads.map(([lo, hi], i) => [lo - ranges[i]![0] * s.dilations[i]!, hi - (w.shape[2 + i]! - 1 - ranges[i]![1]) * s.dilations[i]!] as [number, number]);
  if (pads.some(([lo, hi]) => lo < 0 || hi < 0)) return null;
  const data = w.dataSync();
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  for (let i = 0; i < data.length; i++) {
    const ky = Math.floor(i / kw) % kh, kx = i % kw;
    const kept = ky >= r0 && ky <= r1 && kx >= c0 && kx <= c1;
    if (!kept && !Number.isFinite(data[i]!)) return null;
  }
  return { key: `hwio:${r0}-${r1}:${c0}-${c1}`, begin: [0, 0, r0, c0], size: [w.shape[0]!, w.shape[1]!, r1 - r0 + 1, c1 - c0 + 1], pads };
}

function lowerConv(g: IrGraph, n: IrNode): void {
  const x = n.inputs[0];
  const w = fixed(n.inputs[1] ?? null);
  const bias = n.inputs[2] ? fixed(n.inputs[2]) : null;
  if (x?.kind !== 'value' || !w || w.rank !== 4 || (n.inputs[2] && !bias) || (bias && bias.rank !== 1)) return;
  const rec = g.recorded[x.id];
  if (!rec || rec.rank !== 4 || rec.dtype !== 'float32' || w.dtype !== 'float32') return;
  const ctx = { where: `Conv node '${n.name}'` } as OpContext;
  const s = spatial(n.attrs!, ctx, rec.shape.slice(2), w.shape.slice(2));
  const crop = croppedTaps(w, rec.shape.slice(2), s);
  const weight = crop
    ? derive(g.derived, w, crop.key, () => packed(slice(w, crop.begin, crop.size), [2, 3, 1, 0]))
    : derive(g.derived, w, 'hwio', () => packed(w, [2, 3, 1, 0]));
  n.kernel = {
    kind: 'conv2d', weight, bias, activation: 'linear',
    strides: s.strides as [number, number], dilations: s.dilations as [number, number], pads: crop?.pads ?? s.pads, groups: n.attrs!.int('group', 1),
  };
}

function lowerConvTranspose(g: IrGraph, n: IrNode): void {
  const x = n.inputs[0];
  const w = fixed(n.inputs[1] ?? null);
  const bias = n.inputs[2] ? fixed(n.inputs[2]) : null;
  if (x?.kind !== 'value' || !w || w.rank !== 4 || (n.inputs[2] && !bias) || (bias && bias.rank !== 1)) return;
  const rec = g.recorded[x.id];
  if (!rec || rec.rank !== 4 || rec.dtype !== 'float32' || w.dtype !== 'float32') return;
  const geo = convTransposeGeometry(n.attrs!, rec.shape.slice(2), w.shape.slice(2), false);
  n.kernel = {
    kind: 'conv2dTranspose', weight: derive(g.derived, w, 'hwoi', () => packed(w, [2, 3, 1, 0])), bias, activation: 'linear',
    strides: geo.strides, dilations: geo.dilations, pads: geo.pads, groups: geo.groups, outSize: geo.outSize as [number, number],
  };
}

function lowerGemm(g: IrGraph, n: IrNode): void {
  const a = n.attrs!;
  const A = n.inputs[0];
  const B = fixed(n.inputs[1] ?? null);
  const C = n.inputs[2] ? fixed(n.inputs[2]) : null;
  if (A?.kind !== 'value' || !B || B.rank !== 2 || (n.inputs[2] && !C)) return;
  if (a.float('alpha', 1) !== 1 || a.int('transA', 0) !== 0) return;
  const transB = a.int('transB', 0) === 1;
  const out = B.shape[transB ? 0 : 1]!;
  if (C && (a.float('beta', 1) !== 1 || C.rank !== 1 || C.shape[0] !== out)) return;
  if (g.recorded[A.id]?.rank !== 2) return;
  n.kernel = { kind: 'linear', weight: transB ? derive(g.derived, B, 'transposed', () => packed(B, [1, 0])) : B, bias: C, activation: 'linear' };
}

/** MatMul(x, W) with a fixed 2-D W, and the bias Add after it when there is one. */
function lowerMatMul(g: IrGraph, n: IrNode, k: number, uses: number[][]): void {
  const x = n.inputs[0];
  const W = fixed(n.inputs[1] ?? null);
  if (x?.kind !== 'value' || !W || W.rank !== 2 || W.dtype !== 'float32') return;
  const rec = g.recorded[x.id];
  if (!rec || rec.rank < 2 || rec.dtype !== 'float32') return;
  n.kernel = { kind: 'linear', weight: W, bias: null, activation: 'linear' };
  const y = n.outputs[0]!;
  const reader = uses[y]!.length === 1 ? g.nodes[uses[y]![0]!]! : null;
  if (!reader || reader.op !== 'Add' || !onlyUse(g, uses, y, uses[y]![0]!) || uses[y]![0]! <= k) return;
  const other = reader.inputs[reader.inputs[0]?.kind === 'value' && reader.inputs[0].id === y ? 1 : 0];
  const b = fixed(other ?? null);
  if (!b || b.rank !== 1 || b.shape[0] !== W.shape[1] || b.dtype !== 'float32') return;
  n.kernel.bias = b;
  n.outputs[0] = reader.outputs[0]!;
  reader.outputs = reader.outputs.map(() => -1);
}

/** Lowers every Conv and ConvTranspose (2-D), Gemm and MatMul with fixed weights. */
export function lowerKernels(g: IrGraph): number {
  const uses = consumers(g);
  g.nodes.forEach((n, k) => {
    if (n.op === 'Conv') lowerConv(g, n);
    else if (n.op === 'ConvTranspose') lowerConvTranspose(g, n);
    else if (n.op === 'Gemm') lowerGemm(g, n);
    else if (n.op === 'MatMul') lowerMatMul(g, n, k, uses);
  });
  g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return g.nodes.filter((n) => n.kernel && n.kernel.kind !== 'channelAffine').length;
}
