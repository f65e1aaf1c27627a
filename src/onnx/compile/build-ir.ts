// The imported model as an IrGraph, plus one recording run on the first inputs of a shape: every
// value's concrete tensor, which gives the passes shapes and the static folding its constants.
import type { LayersModel } from '../../models/layers-model';
import type { Tensor } from '../../tensor/tensor';
import { OnnxNode } from '../import/onnx-node-layer';
import type { DerivedCache, IrGraph, IrNode, Operand } from './ir';

/** The graph of an imported model, or null when some layer is not an imported ONNX node. */
export function buildIr(model: LayersModel, derived: DerivedCache): IrGraph | null {
  const ids = new Map<number, number>();
  let next = 0;
  const idOf = (symId: number): number => {
    let id = ids.get(symId);
    if (id === undefined) ids.set(symId, (id = next++));
    return id;
  };
  const inputs = model.inputs.map((t) => idOf(t.id));
  const nodes: IrNode[] = [];
  for (const gn of model.graphNodes) {
    const layer = gn.layer;
    if (!(layer instanceof OnnxNode)) return null;
    const callInputs = gn.inputs.map((t) => idOf(t.id));
    const operands = layer.planOperands.map((p): Operand => {
      if (p === null) return null;
      if (p.kind === 'input') return { kind: 'value', id: callInputs[p.index]! };
      // Buffers (causal masks, index tables, running statistics) may fold with the constants: a plan
      // is rebuilt whenever any weight's storage changes, and they are small.
      return { kind: 'tensor', tensor: p.tensor, weight: p.kind === 'weight' && p.parameter };
    });
    const count = layer.outputCount;
    nodes.push({
      op: layer.opType,
      name: layer.name,
      inputs: operands,
      outputs: Array.from({ length: count }, (_, k) => (gn.outputs[k] ? idOf(gn.outputs[k]!.id) : -1)),
      attrs: layer.attributeReader,
      opset: layer.opset,
      run: (ins) => layer.runInference(ins),
    });
  }
  const outputs = model.outputs.map((t) => idOf(t.id));
  const pinned = new Set<Tensor>();
  for (const n of nodes) for (const o of n.inputs) if (o?.kind === 'tensor') pinned.add(o.tensor);
  return { derived, nodes, inputs, outputs, recorded: [], pinned, valueCount: next };
}

/** Runs the graph once as imported, keeping every value (the caller runs this untracked). */
export function recordRun(g: IrGraph, xs: readonly Tensor[]): void {
  const vals: (Tensor | undefined)[] = new Array(g.valueCount);
  g.inputs.forEach((id, k) => (vals[id] = xs[k]));
  for (const n of g.nodes) {
    const ins = n.inputs.map((o) => (o === null ? null : o.kind === 'tensor' ? o.tensor : vals[o.id]!));
    const outs = n.run(ins);
    n.outputs.forEach((id, k) => {
      if (id >= 0) vals[id] = outs[k];
    });
  }
  g.recorded = vals;
}
