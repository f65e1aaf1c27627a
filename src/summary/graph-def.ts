// A model's layer graph as a TensorBoard GraphDef: one node per layer, op = the layer's class,
// inputs = the layers feeding it.
import type { LayersModel } from '../models/layers-model';
import type { GraphDefObject } from './event-proto';

/**
 * One NodeDef per layer, inputs by inbound layer name. Built from the wiring (model inputs, then
 * every layer call), so a Sequential's implicit input layer is a node too.
 */
export function modelGraphDef(model: LayersModel): GraphDefObject {
  const order: string[] = [];
  const ops = new Map<string, string>();
  const inputs = new Map<string, string[]>();
  const add = (name: string, op: string): string[] => {
    if (!inputs.has(name)) {
      order.push(name);
      ops.set(name, op);
      inputs.set(name, []);
    }
    return inputs.get(name)!;
  };
  for (const t of model.inputs) add(t.sourceLayer.name, t.sourceLayer.className);
  for (const node of model.graphNodes) {
    const list = add(node.layer.name, node.layer.className);
    for (const t of node.inputs) if (!list.includes(t.sourceLayer.name)) list.push(t.sourceLayer.name);
  }
  return { node: order.map((name) => ({ name, op: ops.get(name)!, input: inputs.get(name)! })), versions: { producer: 1 } };
}
