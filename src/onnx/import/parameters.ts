// Which imported weights are PyTorch-style parameters (trained by default) and which are buffers
// (kept fixed, or updated by the op itself like BatchNormalization's running statistics). An
// ONNX file does not say which initializers were parameters, but the ops reading them do: a
// parameter is a weight operand of a parametric op, while masks, position ids, scalars and running
// statistics are read through masking, indexing or constant arithmetic, and training them by
// gradient would destroy them (a causal mask stops being causal after one step).
import type { OnnxNode as OnnxNodeProto } from '../read-model';

/** Input positions that hold parameters, by op type. */
const PARAMETER_OPERANDS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  // Either factor may be the weight (x·W or W·x); an all-constant product is folded at import.
  Gemm: [0, 1, 2],
  MatMul: [0, 1],
  // Scale and bias; BatchNormalization's inputs 3 and 4 are its running statistics (buffers).
  BatchNormalization: [1, 2],
  LayerNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  GroupNormalization: [1, 2],
  // The embedding table; the indices (e.g. a position-ids buffer) are not.
  Gather: [0],
  LSTM: [1, 2, 3],
  GRU: [1, 2, 3],
  RNN: [1, 2, 3],
  PRelu: [1],
};

/** Ops whose output a following Add turns into a linear layer's output (PyTorch exports Linear on 3-D input as MatMul + Add). */
const BIASED_BY_ADD: ReadonlySet<string> = new Set(['MatMul']);

/**
 * For each node, whether each of its inputs is read as a parameter: `isParameterOperand(node, k)`.
 * `nodes` are the graph's nodes (to find the producer of an Add's other operand); `isConstant` tells
 * values known at import (initializers and what folds from them) from values computed per input.
 */
export function parameterOperands(nodes: readonly OnnxNodeProto[], isConstant: (value: string) => boolean): (node: OnnxNodeProto, input: number) => boolean {
  const producer = new Map<string, OnnxNodeProto>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  // PyTorch's GroupNorm below opset 18: Reshape -> InstanceNormalization (constant ones and zeros)
  // -> Reshape back -> Mul(weight) -> Add(bias). The Mul's and Add's constants are the module's
  // weight and bias.
  const normalized = (value: string): boolean => {
    const reshape = producer.get(value);
    return reshape?.opType === 'Reshape' && producer.get(reshape.inputs[0]!)?.opType === 'InstanceNormalization';
  };
  const isNormScale = (n: OnnxNodeProto): boolean =>
    n.opType === 'Mul' && n.inputs.length === 2 && n.inputs.some((i, k) => normalized(i) && isConstant(n.inputs[1 - k]!));
  // Token assembly in transformers: a class token (Expand'ed to the batch, or as is) concatenated
  // with computed tokens, and a position embedding added to tokens that a Gather (embedding lookup)
  // or a Concat made. A buffer reaches them through a Slice or arithmetic first (a causal mask, a
  // sinusoidal table cut to the sequence), so it is not read here.
  const consumers = new Map<string, OnnxNodeProto[]>();
  for (const n of nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const joinsComputed = (n: OnnxNodeProto): boolean => n.opType === 'Concat' && n.inputs.some((i) => i !== '' && !isConstant(i));
  return (node, input) => {
    if (PARAMETER_OPERANDS[node.opType]?.includes(input)) return true;
    if (!isConstant(node.inputs[input]!)) return false;
    if (node.opType === 'Concat') return joinsComputed(node);
    if (node.opType === 'Expand' && input === 0) return (consumers.get(node.outputs[0]!) ?? []).some(joinsComputed);
    if (node.inputs.length !== 2) return false;
    const other = producer.get(node.inputs[1 - input]!);
    if (node.opType === 'Mul') return normalized(node.inputs[1 - input]!);
    if (node.opType !== 'Add') return false;
    if (other && isNormScale(other)) return true;
    if (other && (other.opType === 'Gather' || other.opType === 'Concat')) return true;
    // The bias of a MatMul-based linear layer: Add(bias, MatMul(x, W)) in either order. A product of
    // two computed values (attention scores q·kᵀ) has no weight, so what is added to it is no bias.
    return other !== undefined && BIASED_BY_ADD.has(other.opType) && other.inputs.some((i) => i !== '' && isConstant(i));
  };
}
