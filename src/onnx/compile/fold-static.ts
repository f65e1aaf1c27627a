// Static shape folding: with the input shapes fixed (a plan is built per input shape), Shape and
// Size are constants, and so is everything computed only from them and from constants (the
// Gather/Unsqueeze/Concat/Reshape-target chains exporters emit for dynamic reshapes). Their values
// come from the recording run; the nodes leave the plan, so they cost nothing per call.
import { type IrGraph, type IrNode, removeDead } from './ir';

/** Ops whose outputs depend only on the shape of their input. */
const SHAPE_ONLY: ReadonlySet<string> = new Set(['Shape', 'Size']);

function isStatic(n: IrNode, staticValue: boolean[]): boolean {
  if (SHAPE_ONLY.has(n.op)) return true;
  // Parameters change with training: a node reading one is computed per call (the plan is rebuilt
  // after a weight changes anyway, but folding arithmetic on big weights would keep copies alive).
  // Buffers fold: Swin's shifted-window masks (ScatterND, Equal, Where, Cast over fixed tensors)
  // were rebuilt on every call, 60 ms of a 275 ms batch-1 pass.
  return n.inputs.every((o) => o === null || (o.kind === 'tensor' ? !o.weight : staticValue[o.id]!));
}

/** Replaces statically known values by constants and drops the nodes that computed them. Returns how many nodes went. */
export function foldStatic(g: IrGraph): number {
  const staticValue: boolean[] = new Array<boolean>(g.valueCount).fill(false);
  for (const n of g.nodes) {
    if (!isStatic(n, staticValue)) continue;
    for (const id of n.outputs) if (id >= 0 && g.recorded[id]) staticValue[id] = true;
  }
  // A graph output stays computed (the model returns a fresh tensor each call).
  for (const id of g.outputs) staticValue[id] = false;
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((o) => (o?.kind === 'value' && staticValue[o.id] ? { kind: 'tensor', tensor: g.recorded[o.id]!, weight: false } : o));
  }
  const before = g.nodes.length;
  removeDead(g);
  return before - g.nodes.length;
}
