// Subgraph rewrites run on an imported node list before the nodes become layers: transformer
// building blocks written out in primitive ops become single nodes backed by fused kernels.
import type { OnnxGraph } from '../../read-model';
import { fuseAttentionNodes } from './attention';
import { GraphView } from './graph-view';
import { fuseLayerNormNodes } from './layer-norm';

export { FUSED_ATTENTION, fusedAttentionOp } from './attention';

/**
 * `graph` with its attention cores (MatMul, scale, mask, Softmax, MatMul) and decomposed layer
 * normalizations rewritten into fused nodes. Values in `kept` (the outputs the caller reads) are
 * never fused away.
 */
export function fuseTransformerPatterns(graph: OnnxGraph, opset: number, kept: ReadonlySet<string>): OnnxGraph {
  const ln = fuseLayerNormNodes(graph.nodes, new GraphView(graph, graph.nodes, kept));
  const nodes = fuseAttentionNodes(ln, new GraphView(graph, ln, kept), opset);
  return nodes.length === graph.nodes.length ? graph : { ...graph, nodes };
}
