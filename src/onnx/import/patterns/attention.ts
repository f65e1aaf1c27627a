// Recognises the attention core of imported transformers,
//   MatMul(q, kᵀ) -> [Mul or Div by a scalar]* -> [Unsqueeze] -> [Add(mask)] -> Softmax(last) -> MatMul(., v)
// and rewrites it into one FusedAttention node that runs scaledDotProductAttention (one native
// kernel instead of five nodes and the [Tq, Tk] intermediates). A Transpose producing kᵀ is
// absorbed (its perm kept as k_perm; transposes are views). On re-export the node writes the
// original chain back (src/onnx/import/export-node.ts).
import { scaledDotProductAttention } from '../../../ops/attention';
import { broadcastTo, reshape, transpose } from '../../../ops/views';
import type { Tensor } from '../../../tensor/tensor';
import type { OnnxNode } from '../../read-model';
import type { NodeAttributes } from '../attributes';
import { asFloat, need, type OnnxOpSpec, type OpContext } from '../op-spec';
import type { GraphView } from './graph-view';

/** The op type of fused attention nodes (inputs q, kᵀ, v and an optional additive mask). */
export const FUSED_ATTENTION = 'FusedAttention';

interface Chain {
  q: string;
  kT: string;
  scale: number;
  unsqueeze: number[] | null;
  mask: string | null;
  nodes: OnnxNode[];
}

/** Unsqueeze's axes: an attribute before opset 13, a constant input from 13. */
function unsqueezeAxes(n: OnnxNode, g: GraphView): number[] | null {
  const attr = n.attributes['axes'];
  if (Array.isArray(attr)) return attr as number[];
  return n.inputs[1] ? g.constant(n.inputs[1]) : null;
}

/** Walks back from the Softmax input to the first MatMul, collecting the chain's nodes. */
function walk(value: string, g: GraphView): Chain | null {
  const nodes: OnnxNode[] = [];
  let scale = 1;
  let mask: string | null = null;
  let unsqueeze: number[] | null = null;
  let cur = value;
  // Steps seen walking backwards: Add (mask) first, then Unsqueeze, then scalings, then MatMul.
  let stage = 0;
  for (;;) {
    if (!g.readOnly(cur)) return null;
    const n = g.producer(cur);
    if (!n || (n.domain !== '' && n.domain !== 'ai.onnx')) return null;
    nodes.push(n);
    if (n.opType === 'MatMul') return { q: n.inputs[0]!, kT: n.inputs[1]!, scale, unsqueeze, mask, nodes };
    if (n.opType === 'Add' && stage === 0) {
      // The mask is the operand that does not lead back to the MatMul.
      const [a, b] = n.inputs as [string, string];
      const rest = walk(a, g) ? a : walk(b, g) ? b : null;
      if (!rest) return null;
      mask = rest === a ? b : a;
      cur = rest;
      stage = 1;
    } else if (n.opType === 'Unsqueeze' && stage <= 1) {
      unsqueeze = unsqueezeAxes(n, g);
      if (!unsqueeze || unsqueeze.some((a) => a < 0)) return null;
      cur = n.inputs[0]!;
      stage = 2;
    } else if ((n.opType === 'Mul' || n.opType === 'Div') && stage <= 2) {
      const c1 = g.scalar(n.inputs[1]!);
      const c0 = n.opType === 'Mul' ? g.scalar(n.inputs[0]!) : null;
      if (c1 !== null) {
        scale = n.opType === 'Mul' ? scale * c1 : scale / c1;
        cur = n.inputs[0]!;
      } else if (c0 !== null) {
        scale *= c0;
        cur = n.inputs[1]!;
      } else {
        return null;
      }
      if (!Number.isFinite(scale)) return null;
      stage = 2;
    } else {
      return null;
    }
  }
}

function softmaxOverLast(n: OnnxNode, opset: number): boolean {
  const axis = n.attributes['axis'];
  // Before opset 13 Softmax flattens at `axis` (default 1); axis -1 is the last axis either way.
  return axis === -1 || (axis === undefined && opset >= 13);
}

/**
 * Rewrites every matched attention chain in `nodes` into a FusedAttention node placed where the
 * chain's last MatMul was (every input of the chain is produced before it). Returns the new list.
 */
export function fuseAttentionNodes(nodes: readonly OnnxNode[], g: GraphView, opset: number): OnnxNode[] {
  const replaced = new Map<OnnxNode, OnnxNode | null>();
  for (const s of nodes) {
    if (s.opType !== 'Softmax' || s.domain !== '' || !softmaxOverLast(s, opset) || replaced.has(s)) continue;
    const out = s.outputs[0]!;
    if (!g.readOnly(out)) continue;
    const m2 = nodes.find((n) => n.opType === 'MatMul' && n.inputs[0] === out && n.domain === '');
    if (!m2 || m2.inputs[1] === out) continue;
    const chain = walk(s.inputs[0]!, g);
    if (!chain || chain.nodes.some((n) => replaced.has(n))) continue;
    const attributes: OnnxNode['attributes'] = { scale: chain.scale };
    const attributeKinds: OnnxNode['attributeKinds'] = { scale: 'float' };
    // kᵀ from a Transpose read by nothing else: the node reads its input and transposes it itself
    // (a view), so k usually arrives with its rows contiguous instead of needing a copy.
    const tr = g.producedBy(chain.kT, 'Transpose');
    const perm = tr?.attributes['perm'];
    if (tr && Array.isArray(perm) && g.readOnly(chain.kT) && !replaced.has(tr)) {
      attributes['k_perm'] = perm as number[];
      attributeKinds['k_perm'] = 'ints';
      chain.kT = tr.inputs[0]!;
      chain.nodes.push(tr);
    }
    if (chain.unsqueeze) {
      attributes['unsqueeze'] = chain.unsqueeze;
      attributeKinds['unsqueeze'] = 'ints';
    }
    const fused: OnnxNode = {
      name: `${m2.name || s.name}/fused_attention`,
      opType: FUSED_ATTENTION,
      domain: '',
      inputs: [chain.q, chain.kT, m2.inputs[1]!, ...(chain.mask ? [chain.mask] : [])],
      outputs: m2.outputs.slice(),
      attributes,
      attributeKinds,
    };
    for (const n of [...chain.nodes, s]) replaced.set(n, null);
    replaced.set(m2, fused);
  }
  return rebuild(nodes, replaced);
}

/** The node list with each replaced node dropped or swapped for its fused node. */
export function rebuild(nodes: readonly OnnxNode[], replaced: ReadonlyMap<OnnxNode, OnnxNode | null>): OnnxNode[] {
  const out: OnnxNode[] = [];
  for (const n of nodes) {
    if (!replaced.has(n)) out.push(n);
    else if (replaced.get(n)) out.push(replaced.get(n)!);
  }
  return out;
}

/** `t` with size-1 axes inserted at `axes` (positions in the result). */
function insertAxes(t: Tensor, axes: readonly number[]): Tensor {
  const shape = t.shape.slice();
  for (const a of [...axes].sort((x, y) => x - y)) shape.splice(a, 0, 1);
  return reshape(t, shape);
}

function broadcastLead(shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const lead: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new Error(`FusedAttention: leading dims [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast`);
        d = v;
      }
    }
    lead.push(d);
  }
  return lead;
}

function runFusedAttention(inputs: readonly (Tensor | null)[], a: NodeAttributes, ctx: OpContext): Tensor[] {
  let q = asFloat(need(inputs, 0, ctx));
  let kT = asFloat(need(inputs, 1, ctx));
  const kPerm = a.ints('k_perm', []);
  if (kPerm.length) kT = transpose(kT, kPerm);
  const v0 = asFloat(need(inputs, 2, ctx));
  const mask = inputs[3] ? asFloat(inputs[3]) : null;
  const axes = a.ints('unsqueeze', []);
  if (axes.length) {
    q = insertAxes(q, axes);
    kT = insertAxes(kT, axes);
  }
  if (q.rank < 2 || kT.rank < 2 || v0.rank < 2) throw new Error(`${ctx.where}: q, kᵀ and v need rank >= 2`);
  const [tq, d] = q.shape.slice(-2) as [number, number];
  const tk = kT.shape[kT.rank - 1]!;
  const dv = v0.shape[v0.rank - 1]!;
  const lead = broadcastLead([q.shape.slice(0, -2), kT.shape.slice(0, -2), v0.shape.slice(0, -2), ...(mask && mask.rank > 2 ? [mask.shape.slice(0, -2)] : [])]);
  const perm = kT.shape.map((_, i) => i);
  perm.splice(-2, 2, kT.rank - 1, kT.rank - 2);
  // Broadcasting views only where a shape differs (the common case needs none).
  const to = (t: Tensor, shape: number[]): Tensor => (t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]) ? t : broadcastTo(t, shape));
  let k = to(transpose(kT, perm), [...lead, tk, d]);
  q = to(q, [...lead, tq, d]);
  let v = to(v0, [...lead, tk, dv]);
  let m = mask; // the op broadcasts the mask itself
  // The kernel takes [B, H, T, dim] (or [B, T, dim]): fold other leading dims into that form.
  const folded = lead.length === 0 ? [1] : lead.length <= 2 ? lead : [lead.slice(0, -1).reduce((x, y) => x * y, 1), lead[lead.length - 1]!];
  if (folded.join() !== lead.join()) {
    q = reshape(q, [...folded, tq, d]);
    k = reshape(k, [...folded, tk, d]);
    v = reshape(v, [...folded, tk, dv]);
    if (m) m = reshape(to(m, [...lead, tq, tk]), [...folded, tq, tk]);
  }
  const out = scaledDotProductAttention(q, k, v, { scale: a.float('scale', 1), mask: m });
  return [folded.join() === lead.join() ? out : reshape(out, [...lead, tq, dv])];
}

/** The FusedAttention op for the importer's op table. */
export const fusedAttentionOp: OnnxOpSpec = { attributes: ['scale', 'unsqueeze', 'k_perm'], run: runFusedAttention };
