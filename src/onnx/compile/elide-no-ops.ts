// Nodes that hand their input on unchanged in inference: Identity, Dropout (its mask unread) and a
// Pad whose pads are all zero (PyTorch exports one before every AvgPool2d with padding=0:
// DenseNet's transitions each copied their 1x1 convolution's output for nothing). Their readers
// read the input instead, and the node leaves the plan (a copy, or a step, per call less).
import { type IrGraph, type IrNode, fixed } from './ir';

function zeroPads(n: IrNode): boolean {
  if (n.opset < 11) return (n.attrs!.ints('pads') ?? []).every((p) => p === 0);
  const pads = n.inputs[1] ? fixed(n.inputs[1]) : null;
  if (!pads) return false;
  return Array.from(pads.dataSync()).every((p) => p === 0);
}

function passesThrough(n: IrNode): boolean {
  const x = n.inputs[0];
  if (x?.kind !== 'value' || n.outputs[0]! < 0) return false;
  switch (n.op) {
    case 'Identity':
      return true;
    case 'Dropout':
      // Inference dropout is the identity; the mask output must be unread.
      return n.outputs.slice(1).every((o) => o < 0);
    case 'Pad':
      return zeroPads(n);
    default:
      return false;
  }
}

/** Rewires the readers of pass-through nodes to their inputs. Returns how many nodes went. */
export function elideNoOps(g: IrGraph): number {
  const outputs = new Set(g.outputs);
  const replace = new Map<number, number>();
  const resolve = (id: number): number => replace.get(id) ?? id;
  let count = 0;
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((o) => (o?.kind === 'value' && replace.has(o.id) ? { kind: 'value', id: resolve(o.id) } : o));
    // A graph output stays a node: the model returns a tensor of its own.
    if (!passesThrough(n) || outputs.has(n.outputs[0]!)) continue;
    const x = n.inputs[0] as { kind: 'value'; id: number };
    const rec = g.recorded[x.id];
    const out = g.recorded[n.outputs[0]!];
    // Same shape and dtype as recorded (a Pad of zeros could not differ, but say so).
    if (!rec || !out || rec.dtype !== out.dtype || rec.shape.join(',') !== out.shape.join(',')) continue;
    replace.set(n.outputs[0]!, x.id);
    n.outputs = n.outputs.map(() => -1);
    count++;
  }
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}
