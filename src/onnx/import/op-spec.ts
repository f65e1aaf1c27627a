// The contract every imported ONNX operator implements: which attributes it understands (anything
// else fails the import, rather than silently computing something different), an import-time check
// of attribute values, and the forward computation written with library ops so that autograd gives
// the backward pass for free.
import { cast } from '../../ops/cast';
import type { BatchNormActivation } from '../../ops/normalization';
import type { Tensor } from '../../tensor/tensor';
import type { OnnxDType } from '../read-model';
import type { NodeAttributes } from './attributes';

/** What an op sees besides its inputs and attributes. */
export interface OpContext {
  /** Training mode (Dropout drops, BatchNormalization uses and updates batch statistics). */
  training: boolean;
  /**
   * Whether the node's layer is trainable. A frozen BatchNormalization runs in inference mode even
   * while the model trains (Keras's fine-tuning rule).
   */
  trainable: boolean;
  /**
   * Overwrites, in place and outside the tape, the weight that input `input` reads (BatchNormalization's
   * running statistics). Returns false, changing nothing, when that input is not a weight of the node.
   */
  updateWeight(input: number, value: Tensor): boolean;
  /** The model's ai.onnx opset version: several ops changed inputs/attributes across versions. */
  opset: number;
  /** "Conv node '/conv/Conv' (opset 13)": the prefix of every error the op throws. */
  where: string;
  /** How many outputs the node declares (Split without sizes splits into that many parts). */
  outputCount: number;
  /**
   * The ONNX element type of each input where the import knew it (initializers, graph inputs, and
   * what ops with declared {@link OnnxOpSpec.outputTypes} produce). The library holds every integer
   * type as int32, so this is how QuantizeLinear tells a uint8 zero point from an int8 one (their
   * saturation ranges differ) when the value alone (0) cannot.
   */
  inputTypes: readonly (OnnxDType | undefined)[];
  /**
   * An activation the node applies to its output in the same call, set when the model runs it fused
   * with the Relu / Clip node that alone reads that output (BatchNormalization in training).
   */
  fusedActivation?: BatchNormActivation;
}

/** One supported ONNX operator. */
export interface OnnxOpSpec {
  /** Attributes the implementation honours; a node with any other attribute fails to import. */
  readonly attributes: readonly string[];
  /** Rejects attribute values (or opsets) the implementation cannot honour, at import time. */
  validate?(attrs: NodeAttributes, ctx: OpContext): void;
  /**
   * The ONNX element types of the outputs, given {@link OpContext.inputTypes}, for ops whose output
   * type is not their first input's (quantization ops). Undefined: the first typed input's type.
   */
  outputTypes?(attrs: NodeAttributes, ctx: OpContext): (OnnxDType | undefined)[];
  /** Inputs in ONNX order (null for an omitted optional input); outputs in ONNX order. */
  run(inputs: readonly (Tensor | null)[], attrs: NodeAttributes, ctx: OpContext): Tensor[];
}

/** Throws the standard "not supported" error for an attribute value. */
export function unsupported(ctx: OpContext, what: string): never {
  throw new Error(`${ctx.where}: ${what} is not supported`);
}

/** Input k, which the op cannot do without. */
export function need(inputs: readonly (Tensor | null)[], k: number, ctx: OpContext): Tensor {
  const t = inputs[k];
  if (!t) throw new Error(`${ctx.where}: input ${k} is required`);
  return t;
}

/** The tensor as float32 (ONNX float ops also accept integer inputs in places). */
export function asFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}
