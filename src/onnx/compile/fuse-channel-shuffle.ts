// ShuffleNet's channel shuffle, Reshape [N, C, H, W] -> [N, g, C/g, H, W], Transpose (0, 2, 1, 3, 4),
// Reshape back to [N, C, H, W], becomes one ChannelShuffle node. The three ops depend on the
// channels-first layout, so each shuffle used to cost a conversion to channels-first, a copy for
// the transposed reshape and a conversion back (with the slices after it) on every block; as one
// node it is a channel permutation that runs channels-last too (see layout.ts), one copy.
import { copyView, materialize } from '../../ops/copy';
import { reshape, transpose } from '../../ops/views';
import { Tensor } from '../../tensor/tensor';
import { type IrGraph, consumers, onlyUse } from './ir';

/**
 * Output channel j of a shuffle in `groups` groups of C / groups channels: input channel
 * (j % groups) * (C / groups) + floor(j / groups). x is [N, C, H, W], or [N, H, W, C] when `nhwc`.
 */
export function channelShuffle(xIn: Tensor, groups: number, nhwc: boolean): Tensor {
  const x = xIn.isContiguous ? xIn : materialize(xIn);
  const [n, a, b, c] = x.shape as [number, number, number, number];
  if (nhwc) {
    // Per pixel: out[j * groups + i] = in[i * (C / groups) + j]. Walked with the input's contiguous
    // run innermost (C / groups long), not the output's (groups long: 2 for ShuffleNet, 7x slower).
    const cg = c / groups;
    const out = Tensor.empty(x.shape, x.dtype);
    copyView([n * a * b, groups, cg], x.buffer, { offset: x.offset, strides: [c, cg, 1] }, out.buffer, { offset: 0, strides: [c, 1, groups] });
    return out;
  }
  return reshape(materialize(transpose(reshape(x, [n, groups, a / groups, b, c]), [0, 2, 1, 3, 4])), [n, a, b, c]);
}

function shapeIs(t: Tensor | undefined, want: readonly number[]): boolean {
  return t !== undefined && t.rank === want.length && t.shape.every((d, i) => d === want[i]);
}

/** Rewrites each Reshape-Transpose-Reshape channel shuffle into a ChannelShuffle node. Returns the count. */
export function fuseChannelShuffles(g: IrGraph): number {
  const uses = consumers(g);
  let count = 0;
  g.nodes.forEach((r1, k) => {
    if (r1.op !== 'Reshape' || r1.outputs.length !== 1 || r1.outputs[0]! < 0) return;
    const x = r1.inputs[0];
    if (x?.kind !== 'value') return;
    const xr = g.recorded[x.id];
    const mid = g.recorded[r1.outputs[0]!];
    if (!xr || xr.rank !== 4 || !mid || mid.rank !== 5) return;
    const [n, c, h, w] = xr.shape as [number, number, number, number];
    const groups = mid.shape[1]!;
    if (groups < 2 || c % groups !== 0 || !shapeIs(mid, [n, groups, c / groups, h, w])) return;
    const u1 = uses[r1.outputs[0]!]!;
    if (u1.length !== 1 || !onlyUse(g, uses, r1.outputs[0]!, u1[0]!)) return;
    const t = g.nodes[u1[0]!]!;
    const perm = t.attrs?.ints('perm');
    if (t.op !== 'Transpose' || t.outputs.length !== 1 || t.outputs[0]! < 0 || !perm || perm.join() !== '0,2,1,3,4') return;
    const u2 = uses[t.outputs[0]!]!;
    if (u2.length !== 1 || !onlyUse(g, uses, t.outputs[0]!, u2[0]!)) return;
    const r2 = g.nodes[u2[0]!]!;
    if (r2.op !== 'Reshape' || r2.outputs.length !== 1 || r2.outputs[0]! < 0 || !shapeIs(g.recorded[r2.outputs[0]!], xr.shape)) return;
    if (u1[0]! <= k || u2[0]! <= u1[0]!) return;
    r1.op = 'ChannelShuffle';
    r1.inputs = [x];
    r1.outputs = [r2.outputs[0]!];
    r1.attrs = null;
    r1.shuffleGroups = groups;
    r1.run = (ins) => [channelShuffle(ins[0]!, groups, false)];
    t.outputs = [-1];
    r2.outputs = [-1];
    count++;
  });
  if (count) g.nodes = g.nodes.filter((node) => node.outputs.some((o) => o >= 0));
  return count;
}

/**
 * A channels-last ChannelShuffle of a Concat of `groups` equal parts (ShuffleNet v2 joins its two
 * branches, then shuffles in 2 groups) as one step: part i's channel j goes straight to output
 * channel j * groups + i, each part read in place (a slice view too), so the Concat's copy of both
 * branches goes. Runs after assignLayout (the Concat's channel axis is then 3). Returns the count.
 */
export function fuseConcatShuffles(g: IrGraph): number {
  const uses = consumers(g);
  const producer = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && producer.set(o, k)));
  let count = 0;
  g.nodes.forEach((sh, k) => {
    const groups = sh.shuffleGroups;
    const x = sh.inputs[0];
    if (sh.op !== 'ChannelShuffle' || groups === undefined || x?.kind !== 'value' || sh.outputs.length !== 1 || sh.outputs[0]! < 0) return;
    const ck = producer.get(x.id);
    if (ck === undefined) return;
    const cat = g.nodes[ck]!;
    if (cat.op !== 'Concat' || cat.concatAxis !== 3 || cat.outputs[0] !== x.id || cat.inputs.length !== groups || !onlyUse(g, uses, x.id, k)) return;
    const xr = g.recorded[x.id];
    if (!xr || xr.rank !== 4 || xr.dtype !== 'float32') return;
    const [n, c, h, w] = xr.shape as [number, number, number, number];
    const cg = c / groups;
    const parts: number[] = [];
    for (const o of cat.inputs) {
      const r = o?.kind === 'value' ? g.recorded[o.id] : undefined;
      if (o?.kind !== 'value' || !r || r.dtype !== 'float32' || !shapeIs(r, [n, cg, h, w])) return;
      parts.push(o.id);
    }
    sh.inputs = parts.map((id) => ({ kind: 'value' as const, id }));
    sh.run = (ins) => {
      const out = Tensor.empty([n, h, w, c], 'float32');
      const dst = [h * w * c, w * c, c, groups];
      for (let i = 0; i < ins.length; i++) {
        const p = ins[i]!;
        copyView([n, h, w, cg], p.buffer, p, out.buffer, { offset: i, strides: dst });
      }
      return [out];
    };
    cat.outputs = [-1];
    count++;
  });
  if (count) g.nodes = g.nodes.filter((node) => node.outputs.some((o) => o >= 0));
  return count;
}
