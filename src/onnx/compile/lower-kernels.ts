// Convolutions and dense layers lowered for the plan: each weight packed once into the layout the
// kernels read (conv filters [kh, kw, Cin/groups, Cout] for channels-last, GEMM weights [in, out]),
// the window geometry resolved for the plan's input shape, and MatMul + bias Add merged into one
// linear() whose epilogue adds the bias.
import { materialize } from '../../ops/copy';
import { transpose } from '../../ops/views';
import type { Tensor } from '../../tensor/tensor';
import { convTransposeGeometry, spatial } from '../import/ops/nn';
import type { OpContext } from '../import/op-spec';
import { type IrGraph, type IrNode, consumers, derive, fixed, onlyUse } from './ir';

function packed(t: Tensor, perm: number[]): Tensor {
  return materialize(transpose(t, perm));
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
  n.kernel = {
    kind: 'conv2d', weight: derive(g.derived, w, 'hwio', () => packed(w, [2, 3, 1, 0])), bias, activation: 'linear',
    strides: s.strides as [number, number], dilations: s.dilations as [number, number], pads: s.pads, groups: n.attrs!.int('group', 1),
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
