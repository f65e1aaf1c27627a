// The contract every imported ONNX operator implements: which attributes it understands (anything
// else fails the import, rather than silently computing something different), an import-time check
// of attribute values, and the forward computation written with library ops so that autograd gives
// the backward pass for free.
import type { Tensor } from '../../tensor/tensor';
import type { NodeAttributes } from './attributes';

/** What an op sees besides its inputs and attributes. */
export interface OpContext {
  /** Training mode (Dropout drops). */
  training: boolean;
  /** The model's ai.onnx opset version: several ops changed inputs/attributes across versions. */
  opset: number;
  /** "Conv node '/conv/Conv' (opset 13)": the prefix of every error the op throws. */
  where: string;
}

/** One supported ONNX operator. */
export interface OnnxOpSpec {
  /** Attributes the implementation honours; a node with any other attribute fails to import. */
  readonly attributes: readonly string[];
  /** Rejects attribute values (or opsets) the implementation cannot honour, at import time. */
  validate?(attrs: NodeAttributes, ctx: OpContext): void;
  /** Inputs in ONNX order (null for an omitted optional input); outputs in ONNX order. */
  run(inputs: readonly (Tensor | null)[], attrs: NodeAttributes, ctx: OpContext): Tensor[];
}

/** Throws the standard "not supported" error for an attribute value. */
export function unsupported(ctx: OpContext, what: string): never {
  throw new Error(`${ctx.where}: ${what} is not supported`);
}
