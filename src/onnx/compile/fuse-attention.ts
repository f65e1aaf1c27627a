// Multi-head attention's output layout: an imported transformer computes attention per head as
// [B, H, T, Dv], then Transpose(0, 2, 1, 3) and Reshape to [B, T, H·Dv] for the output projection.
// The transpose makes the reshape a copy (a pass over the output per layer, plus two steps). The
// kernel can write each row straight into [B, T, H, Dv] instead: the FusedAttention node and the
// Transpose after it become one step whose output the Reshape views.
import { attentionHeadsLast } from '../../ops/attention';
import { permuteView } from '../../ops/views';
import type { Tensor } from '../../tensor/tensor';
import { asFloat } from '../import/op-spec';
import { type IrGraph, type IrNode, consumers, onlyUse } from './ir';

const HEADS_LAST = '0,2,1,3';

function rank4Float(t: Tensor | undefined): t is Tensor {
  return t !== undefined && t.rank === 4 && t.dtype === 'float32';
}

/** The same [B, H] leading dims (no broadcasting between q, k and v). */
function sameLead(a: Tensor, b: Tensor): boolean {
  return a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1];
}

/** Joins each rank-4 FusedAttention with the heads-last Transpose that is its only reader. Returns the count. */
export function fuseAttentionHeadsLast(g: IrGraph): number {
  const uses = consumers(g);
  let count = 0;
  g.nodes.forEach((n, k) => {
    if (n.op !== 'FusedAttention' || n.outputs.length !== 1 || n.attrs!.ints('unsqueeze', []).length) return;
    const y = n.outputs[0]!;
    const u = uses[y]!;
    if (u.length !== 1 || !onlyUse(g, uses, y, u[0]!)) return;
    const tr = g.nodes[u[0]!]!;
    if (tr.op !== 'Transpose' || tr.outputs.length !== 1 || tr.attrs!.ints('perm')?.join(',') !== HEADS_LAST) return;
    const [q, kT, v] = n.inputs;
    if (q?.kind !== 'value' || kT?.kind !== 'value' || v?.kind !== 'value') return;
    const rq = g.recorded[q.id], rk = g.recorded[kT.id], rv = g.recorded[v.id], ry = g.recorded[y];
    if (!rank4Float(rq) || !rank4Float(rk) || !rank4Float(rv) || !rank4Float(ry)) return;
    const kPerm = n.attrs!.ints('k_perm', []);
    if (kPerm.length !== 0 && kPerm.length !== 4) return;
    // k as [B, H, Tk, D]: kᵀ (after its absorbed Transpose) with the last two axes swapped.
    const toK = kPerm.length ? [0, 1, 3, 2].map((a) => kPerm[a]!) : [0, 1, 3, 2];
    const kShape = toK.map((a) => rk.shape[a]!);
    if (!sameLead(rq, rv) || rq.shape[0] !== kShape[0] || rq.shape[1] !== kShape[1]) return;
    const scale = n.attrs!.float('scale', 1);
    const node: IrNode = {
      op: 'Attention', name: n.name, inputs: n.inputs.slice(), outputs: tr.outputs.slice(), attrs: null, opset: 0,
      run: (ins) => [attentionHeadsLast(asFloat(ins[0]!), permuteView(asFloat(ins[1]!), toK), asFloat(ins[2]!), { scale, mask: ins[3] ? asFloat(ins[3]) : null })],
    };
    g.nodes[k] = node;
    tr.outputs = tr.outputs.map(() => -1);
    count++;
  });
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}
