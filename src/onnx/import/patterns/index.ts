// Subgraph rewrites run on an imported node list before the nodes become layers: transformer
// building blocks written out in primitive ops become single nodes backed by fused kernels.
import type { OnnxGraph } from '../../read-model';
import { fuseAttentionNodes } from './attention';
import { fuseFakeQuantNodes } from './fake-quant';
import { GraphView } from './graph-view';
import { fuseLayerNormNodes } from './layer-norm';

export { FUSED_ATTENTION, fusedAttentionOp } from './attention';
export { FAKE_QUANT } from './fake-quant';

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

/**
 * `graph` with each QuantizeLinear -> DequantizeLinear pair fused into one node that passes
 * gradients straight through (see fake-quant.ts); same values, so it always runs.
 */
export function fuseQuantizationPairs(graph: OnnxGraph, kept: ReadonlySet<string>): OnnxGraph {
  const nodes = fuseFakeQuantNodes(graph.nodes, new GraphView(graph, graph.nodes, kept));
  return nodes.length === graph.nodes.length ? graph : { ...graph, nodes };
}
