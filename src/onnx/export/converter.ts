// The contract between the exporter and per-layer converters. A converter turns one call of a
// layer (a GraphNode of the model) into ONNX nodes through the context; the exporter owns naming,
// initializers and node order, so converters never see protobuf messages.
import type { Layer } from '../../layers/layer';
import { getLayerConverter, layerConverterClassNames, setLayerConverter } from '../../layers/registry';
import type { ShapeWithBatch } from '../../layers/symbolic-tensor';
import type { DType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import type { OnnxTensor } from '../read-model';

/** An attribute value tagged with its ONNX attribute type; `T` is how tensor values are held. */
export type TaggedAttribute<T> =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: T };

/** A node attribute, tagged with its ONNX attribute type so ints and floats are never confused. */
export type OnnxAttr = TaggedAttribute<OnnxTensor>;

/** A node as a converter describes it; see {@link OnnxExportContext.addNode}. */
export interface OnnxNodeSpec {
  opType: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  /** Output value names, or how many fresh names to make (default 1). */
  outputs?: string[] | number;
  attributes?: Record<string, OnnxAttr>;
  name?: string;
  /** '' (default) is the standard `ai.onnx` operator set. */
  domain?: string;
}

/** What the exporter offers converters while it builds the graph. */
export interface OnnxExportContext {
  /** The `ai.onnx` opset being targeted (13..21); converters pick op forms by it. */
  readonly opset: number;
  /** A fresh value name derived from `base`, unique within the graph. */
  uniqueName(base: string): string;
  /**
   * Adds a constant (a weight or a shape/axes list) to the graph's initializers. float32 and int32
   * Tensors and any OnnxTensor are accepted; returns the unique initializer name to use as an input.
   */
  addInitializer(base: string, value: Tensor | OnnxTensor): string;
  /** Appends a node (after every node added so far) and returns its output value names. */
  addNode(node: OnnxNodeSpec): string[];
}

/** One call of a layer, as the converter sees it. */
export interface ConverterInput {
  layer: Layer;
  /** ONNX value names of the call's inputs, in the order the layer receives them. */
  inputs: string[];
  /** Symbolic shapes of those inputs (batch first, null where unknown). */
  inputShapes: ShapeWithBatch[];
  /** Element types of the inputs (the exporter always fills this in). */
  inputDtypes?: DType[];
  /** Symbolic shapes of every output of the call, by output index. */
  outputShapes: ShapeWithBatch[];
  /**
   * The Keras-style [batch, time] mask reaching this call's first input (from Masking or Embedding
   * with maskZero), as a float32 ONNX value name computed on demand, or null when none flows in.
   * Layers whose result depends on the mask must honour it or throw.
   */
  mask?: (() => string) | null;
}

/** Converts one layer call; returns the ONNX value names of its outputs, by output index. */
export type LayerConverter = (args: ConverterInput, ctx: OnnxExportContext) => string[];

// Converters live in the layer registry beside the classes they export.

/**
 * Registers (or replaces) the ONNX converter for a layer class, identified by `layer.className`.
 * Lets layer classes defined outside the library take part in `exportOnnx`.
 */
export function registerOnnxConverter(className: string, converter: LayerConverter): void {
  if (typeof className !== 'string' || className === '') {
    throw new Error(`registerOnnxConverter: className must be a non-empty string, got ${String(className)}`);
  }
  if (typeof converter !== 'function') {
    throw new Error(`registerOnnxConverter: converter for '${className}' must be a function, got ${typeof converter}`);
  }
  setLayerConverter(className, converter, true);
}

/**
 * Registers a built-in converter unless one is registered already, so a user's replacement made
 * before the built-ins load is not overwritten by them.
 * @internal
 */
export function registerDefaultOnnxConverter(className: string, converter: LayerConverter): void {
  setLayerConverter(className, converter, false);
}

/** The converter for a layer class, or undefined. */
export function getOnnxConverter(className: string): LayerConverter | undefined {
  return getLayerConverter(className);
}

/** Class names that have a converter (for error messages). */
export function onnxConverterClassNames(): string[] {
  return layerConverterClassNames();
}
