import type { Layer } from '../layers/layer';
import { InputLayer } from '../layers/input-layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';

/** One application of a layer in a functional graph. */
export interface GraphNode {
  layer: Layer;
  inputs: readonly SymbolicTensor[];
  /** Outputs of this call that the model uses, by output index. */
  outputs: SymbolicTensor[];
  /** Whether the layer was applied to a list (it then receives an array). */
  listInput: boolean;
  /** The training mode fixed at this call, or null to follow the model's. */
  training: boolean | null;
}

/**
 * Orders the layer calls that produce `outputs` from `inputs` so every call comes after the calls
 * producing its inputs. Throws when an output depends on a placeholder that is not a model input.
 */
export function buildGraph(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): GraphNode[] {
  const inputIds = new Set(inputs.map((t) => t.id));
  const nodes = new Map<readonly SymbolicTensor[], GraphNode>();
  const order: GraphNode[] = [];
  const done = new Set<GraphNode>();
  const visit = (t: SymbolicTensor, path: Set<number>): void => {
    if (inputIds.has(t.id)) return;
    if (t.sourceLayer instanceof InputLayer) {
      throw new Error(`model: output depends on input '${t.sourceLayer.name}', which is not in the model's inputs`);
    }
    if (path.has(t.id)) throw new Error('model: the layer graph has a cycle');
    let node = nodes.get(t.inputs);
    if (!node) {
      node = { layer: t.sourceLayer, inputs: t.inputs, outputs: [], listInput: t.listInput, training: t.training };
      nodes.set(t.inputs, node);
    }
    node.outputs[t.outputIndex] = t;
    if (done.has(node)) return;
    path.add(t.id);
    for (const i of t.inputs) visit(i, path);
    path.delete(t.id);
    if (!done.has(node)) {
      done.add(node);
      order.push(node);
    }
  };
  for (const o of outputs) visit(o, new Set());
  return order;
}
