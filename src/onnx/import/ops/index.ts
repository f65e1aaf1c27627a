// Every ONNX operator the importer supports (default ai.onnx domain), by op_type.
import type { OnnxOpSpec } from '../op-spec';
import { FUSED_ATTENTION, fusedAttentionOp } from '../patterns/attention';
import { FAKE_QUANT } from '../patterns/fake-quant';
import { einsumOps } from './einsum';
import { elementwiseOps } from './elementwise';
import { gridSampleOps } from './grid-sample';
import { indexingOps } from './indexing';
import { integerOps } from './integer-ops';
import { nnOps } from './nn';
import { fakeQuantizeOp, quantizationOps } from './quantization';
import { recurrentOps } from './recurrent';
import { rearrangeOps } from './rearrange';
import { reduceOps } from './reduce';
import { scatterOps } from './scatter';
import { shapeOps } from './shape';

const table: ReadonlyMap<string, OnnxOpSpec> = new Map(Object.entries({ ...elementwiseOps, ...shapeOps, ...nnOps, ...reduceOps, ...scatterOps, ...rearrangeOps, ...indexingOps, ...einsumOps, ...gridSampleOps, ...recurrentOps, ...quantizationOps, ...integerOps, [FUSED_ATTENTION]: fusedAttentionOp, [FAKE_QUANT]: fakeQuantizeOp }));

/** The implementation of an ONNX operator, or undefined when it is not supported. */
export function onnxOp(opType: string): OnnxOpSpec | undefined {
  return table.get(opType);
}

/** Names of the supported operators, sorted (for error messages and docs). */
export function supportedOnnxOps(): string[] {
  return [...table.keys()].filter((op) => op !== FUSED_ATTENTION && op !== FAKE_QUANT).sort();
}
