// Channel concatenations that share leading parts written once into one buffer. DenseNet joins every
// layer's new 32 channels to all the block's earlier features (Concat(x0, y1), Concat(x0, y1, y2),
// ...): run one by one, each Concat copies everything before it again, O(L^2) copying per block.
// Here every Concat whose parts are a prefix of a longer one's becomes a channel slice of that
// longest Concat's output (the group's buffer): each part is copied into the buffer once, by the
// first Concat of the group that has it, and each Concat's value is a view of the buffer's leading
// channels (rows wider apart than their channels: channelAffine reads such rows in place).
import { copyView } from '../../ops/copy';
import { untracked } from '../../tensor/scope';
import { Tensor } from '../../tensor/tensor';
import { type IrGraph, type IrNode, consumers } from './ir';

interface Member {
  node: IrNode;
  /** Index in g.nodes (plan order). */
  at: number;
  parts: number[];
}

/** Rewrites each group of prefix-sharing channels-last Concats; returns how many Concats became slices. */
export function concatInPlace(g: IrGraph): number {
  const outputs = new Set(g.outputs);
  const candidates: Member[] = [];
  g.nodes.forEach((n, at) => {
    if (n.op !== 'Concat' || n.concatAxis !== 3 || n.outputs.length !== 1 || n.outputs[0]! < 0 || outputs.has(n.outputs[0]!)) return;
    const parts: number[] = [];
    for (const o of n.inputs) {
      if (o?.kind !== 'value') return;
      const rec = g.recorded[o.id];
      if (!rec || rec.rank !== 4 || rec.dtype !== 'float32' || rec.shape[1] === 0) return;
      parts.push(o.id);
    }
    const out = g.recorded[n.outputs[0]!];
    if (!out || out.rank !== 4 || out.dtype !== 'float32') return;
    candidates.push({ node: n, at, parts });
  });
  // Longest first: each Concat joins the group of the first longer list it is a prefix of.
  const byLength = candidates.slice().sort((a, b) => b.parts.length - a.parts.length || a.at - b.at);
  const groups: Member[][] = [];
  for (const c of byLength) {
    const group = groups.find((gr) => isPrefix(c.parts, gr[0]!.parts));
    if (group) group.push(c);
    else groups.push([c]);
  }
  let rewritten = 0;
  for (const group of groups) {
    // One Concat alone copies what it copies now.
    if (group.length < 2) continue;
    rewriteGroup(g, group);
    rewritten += group.length;
  }
  return rewritten;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function rewriteGroup(g: IrGraph, group: Member[]): void {
  const hostParts = group[0]!.parts;
  // Recorded values are channels-first: [N, C, H, W].
  const first = g.recorded[hostParts[0]!]!.shape;
  const [n, h, w] = [first[0]!, first[2]!, first[3]!];
  const offsets: number[] = [];
  let width = 0;
  for (const id of hostParts) {
    offsets.push(width);
    width += g.recorded[id]!.shape[1]!;
  }
  const hostShape = [n, h, w, width];
  const state: { host: Tensor | null } = { host: null };
  const inPlanOrder = group.slice().sort((a, b) => a.at - b.at);
  let copied = 0;
  inPlanOrder.forEach((m, k) => {
    const isFirst = k === 0;
    const isLast = k === inPlanOrder.length - 1;
    // The parts this Concat is the first to have: the only ones it reads (earlier ones are in the
    // buffer already, and their tensors can go back to the pool once their own readers are done).
    const from = copied;
    const to = Math.max(copied, m.parts.length);
    copied = to;
    const partOffsets = offsets.slice(from, to);
    const channels = m.parts.length === 0 ? 0 : offsets[m.parts.length - 1]! + g.recorded[m.parts[m.parts.length - 1]!]!.shape[1]!;
    const viewShape = [n, h, w, channels];
    m.node.inputs = m.parts.slice(from, to).map((id) => ({ kind: 'value' as const, id }));
    m.node.run = (ins) => {
      // The buffer outlives this step (later members write into it and their views read it): not
      // made in the step's scope, and released by the last member once its views hold it.
      if (isFirst) state.host = untracked(() => Tensor.empty(hostShape, 'float32'));
      const host = state.host!;
      for (let i = 0; i < ins.length; i++) {
        const p = ins[i]!;
        copyView(p.shape, p.buffer, p, host.buffer, { offset: partOffsets[i]!, strides: host.strides });
      }
      const view = new Tensor(host.storage, viewShape.slice(), host.strides.slice(), 0, 'float32');
      if (isLast) {
        state.host = null;
        host.dispose();
      }
      return [view];
    };
  });
}

/**
 * Channel Concats whose every part is a convolution read by nothing else (SqueezeNet's Fire
 * modules: the 1x1 and 3x3 expansions of one squeeze, Inception-style branches): each convolution
 * writes its output straight into its channel slice of the Concat's buffer (the kernels store
 * pixel rows with the buffer's wider stride), and the Concat is gone. The part first in plan order
 * makes the buffer and outputs it as the Concat's value; each later part gets the buffer as an
 * extra last input (so the plan keeps it alive and runs the part before the Concat's readers) and
 * outputs nothing. Returns how many Concats went.
 */
export function concatConvsInPlace(g: IrGraph): number {
  const outputs = new Set(g.outputs);
  const uses = consumers(g);
  const producer = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && producer.set(o, k)));
  const drop = new Set<number>();
  let rewritten = 0;
  g.nodes.forEach((n, at) => {
    if (n.op !== 'Concat' || n.concatAxis !== 3 || n.outputs.length !== 1 || n.inputs.length < 2) return;
    const out = n.outputs[0]!;
    const rec = out >= 0 ? g.recorded[out] : undefined;
    if (!rec || rec.rank !== 4 || rec.dtype !== 'float32' || outputs.has(out)) return;
    const parts: { node: IrNode; at: number; offset: number }[] = [];
    let offset = 0;
    for (const o of n.inputs) {
      if (o?.kind !== 'value' || outputs.has(o.id) || uses[o.id]!.length !== 1 || uses[o.id]![0] !== at) return;
      const k = producer.get(o.id);
      const p = k === undefined ? undefined : g.nodes[k]!;
      const r = g.recorded[o.id];
      if (!p || k! > at || p.kernel?.kind !== 'conv2d' || p.kernel.residual || p.kernel.into || p.outputs.length !== 1 || !r || r.rank !== 4) return;
      if (parts.some((q) => q.node === p)) return;
      parts.push({ node: p, at: k!, offset });
      offset += r.shape[1]!;
    }
    // Recorded values are channels-first: [N, C, H, W].
    const [batch, channels, h, w] = rec.shape as [number, number, number, number];
    if (offset !== channels) return;
    parts.sort((a, b) => a.at - b.at);
    parts.forEach((part, i) => {
      const kernel = part.node.kernel!;
      if (i === 0) {
        kernel.into = { channelOffset: part.offset, makes: [batch, h, w, channels] };
        part.node.outputs = [out];
      } else {
        kernel.into = { channelOffset: part.offset, makes: null };
        part.node.inputs = [part.node.inputs[0]!, { kind: 'value', id: out }];
        part.node.outputs = [-1];
      }
    });
    drop.add(at);
    rewritten++;
  });
  g.nodes = g.nodes.filter((_, k) => !drop.has(k));
  return rewritten;
}
