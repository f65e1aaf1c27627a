// QuantizeLinear -> DequantizeLinear pairs (every activation of a QDQ model) become one node that
// computes the same values and passes gradients straight through where the input was inside the
// quantized range (the straight-through estimator of quantization-aware training). Without it the
// pair's int32 middle stops every gradient, and a QDQ model's float weights before its last
// quantization could not learn. Re-export writes the pair back (src/onnx/import/export-node.ts).
import type { OnnxNode } from '../../read-model';
import { rebuild } from './attention';
import type { GraphView } from './graph-view';

/** Op type of a fused QuantizeLinear -> DequantizeLinear pair. */
export const FAKE_QUANT = 'QuantizeDequantize';

const isDefault = (n: OnnxNode) => n.domain === '' || n.domain === 'ai.onnx';

/**
 * Fuses each QuantizeLinear whose output only one DequantizeLinear reads, with the same scale and
 * zero point and axis, into a {@link FAKE_QUANT} node at the DequantizeLinear's place. The fused node
 * keeps the QuantizeLinear's attributes and records its name and output value for re-export.
 */
export function fuseFakeQuantNodes(nodes: readonly OnnxNode[], g: GraphView): OnnxNode[] {
  const replaced = new Map<OnnxNode, OnnxNode | null>();
  for (const q of nodes) {
    if (q.opType !== 'QuantizeLinear' || !isDefault(q) || Object.keys(q.attributes).some((k) => k !== 'axis' && k !== 'saturate')) continue;
    const mid = q.outputs[0];
    if (!mid || !g.readOnly(mid)) continue;
    const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && isDefault(n) && n.inputs[0] === mid);
    if (!dq || Object.keys(dq.attributes).some((k) => k !== 'axis')) continue;
    if (dq.inputs[1] !== q.inputs[1] || (dq.inputs[2] ?? '') !== (q.inputs[2] ?? '')) continue;
    if ((q.attributes['axis'] ?? 1) !== (dq.attributes['axis'] ?? 1)) continue;
    replaced.set(q, null);
    replaced.set(dq, {
      name: dq.name || `${q.name}/dequantize`,
      opType: FAKE_QUANT,
      domain: '',
      inputs: q.inputs.slice(),
      outputs: dq.outputs.slice(),
      attributes: { ...q.attributes, quantize_name: q.name, quantized_value: mid },
      attributeKinds: { ...q.attributeKinds, quantize_name: 'string', quantized_value: 'string' },
    });
  }
  return replaced.size === 0 ? nodes.slice() : rebuild(nodes, replaced);
}
