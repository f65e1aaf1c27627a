// A model's layer graph as a TensorBoard GraphDef: one node per layer, op = the layer's class,
// inputs = the layers feeding it.
import type { LayersModel } from '../models/layers-model';
import type { GraphDefObject } from './event-proto';

/** One NodeDef per layer (input layers included), inputs by inbound layer name. */
export function modelGraphDef(model: LayersModel): GraphDefObject {
  const inputs = new Map<string, string[]>();
  for (const node of model.graphNodes) {
    const list = inputs.get(node.layer.name) ?? [];
    for (const t of node.inputs) if (!list.includes(t.sourceLayer.name)) list.push(t.sourceLayer.name);
    inputs.set(node.layer.name, list);
  }
  return {
    node: model.layers.map((l) => ({ name: l.name, op: l.className, input: inputs.get(l.name) ?? [] })),
    versions: { producer: 1 },
  };
}
