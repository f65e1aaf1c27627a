// One ONNX node as a layer of a functional model. Importing a graph node by node (rather than as
// one opaque block) is what makes per-node `trainable`, getLayer(), summary(), save/load and
// cutting the graph for a new head work exactly as for hand-built models.
import { Tensor } from '../../tensor/tensor';
import { tensor } from '../../ops/creation';
import { materialize } from '../../ops/copy';
import { noGrad } from '../../autograd/tape';
import { shapesEqual } from '../../tensor/shape';
import type { DType } from '../../tensor/dtype';
import type { Initializer } from '../../initializers/initializers';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from '../../layers/layer';
import { registerLayer } from '../../layers/registry';
import type { ShapeWithBatch } from '../../layers/symbolic-tensor';
import type { FusedTrainingCall } from '../../models/training-fusion';
import type { BatchNormActivation } from '../../ops/normalization';
import { NodeAttributes, type StoredAttribute, type StoredTensor } from './attributes';
import { onnxOp } from './ops';
import type { OnnxOpSpec, OpContext } from './op-spec';
import { fromOnnxTensor } from './values';
import type { DeclaresOnnxSignatures, OnnxValueSignature } from '../signature';
import type { OnnxDType } from '../read-model';

/** Where each ONNX input of the node comes from. */
export type InputSlot =
  /** The k-th tensor the layer is called with. */
  | { kind: 'input'; index: number }
  /** The k-th weight of the layer (a float initializer or constant). */
  | { kind: 'weight'; index: number; name: string }
  /** The k-th stored constant (integer shapes, axes, indices). */
  | { kind: 'constant'; index: number; name: string }
  /** An omitted optional input (''). */
  | { kind: 'none' };

/** One ONNX input of a node as an inference plan sees it (see {@link OnnxNode.planOperands}). */
export type PlanOperand =
  | { kind: 'input'; index: number }
  | { kind: 'weight'; tensor: Tensor; parameter: boolean }
  | { kind: 'constant'; tensor: Tensor }
  | null;

/** A weight of an imported node: its ONNX initializer name and whether it trains. */
export interface NodeWeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

/** Configuration of an {@link OnnxNode} layer (all JSON-safe, so models save as model.json). */
export interface OnnxNodeArgs extends LayerArgs {
  opType: string;
  /** The model's ai.onnx opset: op semantics depend on it. */
  opset: number;
  attributes: Record<string, StoredAttribute>;
  inputSlots: InputSlot[];
  weightSpecs: NodeWeightSpec[];
  constants: StoredTensor[];
  /** ONNX names of the node's outputs (kept for re-export). */
  outputNames: string[];
  outputShapes: ShapeWithBatch[];
  outputDtypes: DType[];
  /** ONNX element types of the node's inputs where known (null: unknown); kept by type-aware ops (quantization). */
  inputTypes?: (OnnxDType | null)[];
  /** How graph inputs this node reads were declared, by call input index (null: not a graph input). */
  inputSignatures?: (OnnxValueSignature | null)[];
  /** How graph outputs this node writes were declared, by output index (null: not a graph output). */
  outputSignatures?: (OnnxValueSignature | null)[];
  /** Initial weight values (import time only; loadModel sets weights after construction). */
  weightValues?: Tensor[];
  /**
   * Per weight value: true when nothing else holds that tensor (an initializer this node alone
   * reads, once), so the layer adopts it instead of copying it (not saved with the config).
   */
  weightOwned?: boolean[];
}

/** Serves given values as a weight's initial value. */
class GivenValue implements Initializer {
  readonly className = 'GivenValue';
  constructor(
    private readonly value: Tensor | null,
    private readonly owned = false,
  ) {}
  apply(shape: readonly number[]): Tensor {
    // A fresh buffer unless the import handed this layer the only reference (see
    // OnnxNodeArgs.weightOwned) to memory no other tensor views (a folded Reshape of an
    // initializer shares its storage): two nodes reading one initializer must not share (and
    // double-train) it.
    if (this.value && this.owned && this.value.isContiguous && this.value.storage.views === 1) return this.value;
    if (this.value) return materialize(this.value);
    return tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape.slice(), 'float32');
  }
  getConfig(): Record<string, number | string | null> {
    return {};
  }
}

/**
 * A layer that runs one ONNX operator (made by `importOnnx`). Its float initializers are weights
 * (parameters trainable unless frozen, buffers fixed or updated by the op); integer constants
 * (shapes, axes) are part of its config.
 */
export class OnnxNode extends Layer implements DeclaresOnnxSignatures {
  readonly className = 'OnnxNode';
  readonly opType: string;
  readonly opset: number;
  readonly attributes: Readonly<Record<string, StoredAttribute>>;
  readonly inputSlots: readonly InputSlot[];
  readonly outputNames: readonly string[];
  readonly outputShapes: readonly ShapeWithBatch[];
  readonly outputDtypes: readonly DType[];
  private readonly weightSpecs: readonly NodeWeightSpec[];
  private readonly storedConstants: readonly StoredTensor[];
  private readonly constantTensors: Tensor[];
  private readonly spec: OnnxOpSpec;
  private readonly reader: NodeAttributes;
  private readonly context: OpContext;
  private readonly inferenceContext: OpContext;
  private readonly inputSignatures: readonly (OnnxValueSignature | null)[];
  private readonly outputSignatures: readonly (OnnxValueSignature | null)[];
  private readonly inputTypes: readonly (OnnxDType | null)[] | undefined;

  constructor(args: OnnxNodeArgs) {
    super({ ...args, dtype: args.outputDtypes?.[0] ?? 'float32' }, 'onnx_node');
    const spec = onnxOp(args.opType);
    if (!spec) throw new Error(`OnnxNode: ONNX op '${args.opType}' is not supported`);
    this.spec = spec;
    this.opType = args.opType;
    this.opset = args.opset;
    this.attributes = args.attributes;
    this.inputSlots = args.inputSlots.map((s) => ({ ...s }));
    this.weightSpecs = args.weightSpecs.map((w) => ({ ...w, shape: w.shape.slice() }));
    this.storedConstants = args.constants;
    this.outputNames = args.outputNames.slice();
    this.outputShapes = args.outputShapes.map((s) => s.slice());
    this.outputDtypes = args.outputDtypes.slice();
    this.inputSignatures = args.inputSignatures?.slice() ?? [];
    this.outputSignatures = args.outputSignatures?.slice() ?? [];
    this.inputTypes = args.inputTypes?.slice();
    const where = `${args.opType} node '${this.name}' (opset ${args.opset})`;
    this.reader = new NodeAttributes(args.attributes, where);
    // Input types: as recorded at import, else what the stored constants say (they keep their ONNX type).
    const inputTypes = args.inputSlots.map((s, k): OnnxDType | undefined => {
      const recorded = args.inputTypes?.[k];
      if (recorded) return recorded;
      if (s.kind === 'constant') return args.constants[s.index]?.dtype;
      return s.kind === 'weight' ? 'float32' : undefined;
    });
    this.context = {
      training: false, trainable: true, opset: args.opset, where, outputCount: args.outputNames.length, inputTypes,
      updateWeight: (input, value) => this.updateWeight(input, value),
    };
    this.inferenceContext = { ...this.context, training: false };
    this.constantTensors = args.constants.map((c) => fromOnnxTensor(c, where));
    this.weightSpecs.forEach((w, k) => {
      const given = args.weightValues?.[k] ?? null;
      this.addWeight(w.name, w.shape, new GivenValue(given, args.weightOwned?.[k] === true), { trainable: w.trainable });
    });
    this.built = true;
  }

  /** @internal how the graph input read as call input `index` was declared (used by re-export) */
  onnxInputSignature(index: number): OnnxValueSignature | undefined {
    return this.inputSignatures[index] ?? undefined;
  }

  /** @internal how the graph output written as output `index` was declared (used by re-export) */
  onnxOutputSignature(index: number): OnnxValueSignature | undefined {
    return this.outputSignatures[index] ?? undefined;
  }

  /** @internal the imported op's attribute reader (used by re-export) */
  get attributeReader(): NodeAttributes {
    return this.reader;
  }

  /** @internal the stored constants, in slot order (used by re-export) */
  get constants(): readonly Tensor[] {
    return this.constantTensors;
  }

  override computeOutputShape(): ShapeWithBatch | ShapeWithBatch[] {
    return this.outputShapes.length === 1 ? this.outputShapes[0]!.slice() : this.outputShapes.map((s) => s.slice());
  }

  /** @internal assembles the node's ONNX inputs from call inputs, weights and constants */
  resolveInputs(inputs: readonly Tensor[]): (Tensor | null)[] {
    return this.inputSlots.map((s) => {
      switch (s.kind) {
        case 'input':
          return inputs[s.index] ?? null;
        case 'weight':
          return this.weightList[s.index]!.value;
        case 'constant':
          return this.constantTensors[s.index]!;
        default:
          return null;
      }
    });
  }

  /**
   * @internal the node's ONNX inputs for the inference compiler: a call-input index, a weight (the
   * live tensor: optimizers write it in place), a constant, or null for an omitted input
   */
  get planOperands(): readonly PlanOperand[] {
    return this.inputSlots.map((s): PlanOperand => {
      switch (s.kind) {
        case 'input':
          return { kind: 'input', index: s.index };
        case 'weight':
          return { kind: 'weight', tensor: this.weightList[s.index]!.value, parameter: this.weightList[s.index]!.trainable };
        case 'constant':
          return { kind: 'constant', tensor: this.constantTensors[s.index]! };
        default:
          return null;
      }
    });
  }

  /** @internal the op on resolved ONNX inputs, in inference mode (what a compiled plan calls) */
  runInference(inputs: readonly (Tensor | null)[]): Tensor[] {
    return this.spec.run(inputs, this.reader, this.inferenceContext);
  }

  /** @internal how many outputs a call returns */
  get outputCount(): number {
    return this.outputShapes.length;
  }

  /** Writes `value` into the weight behind ONNX input `input`, in place (optimizers and saved references keep the same tensor). */
  private updateWeight(input: number, value: Tensor): boolean {
    const slot = this.inputSlots[input];
    if (!slot || slot.kind !== 'weight') return false;
    const w = this.weightList[slot.index]!.value;
    if (!shapesEqual(w.shape, value.shape)) throw new Error(`${this.context.where}: a new value of shape [${value.shape.join(',')}] for weight '${slot.name}' of shape [${w.shape.join(',')}]`);
    noGrad(() => {
      const src = value.contiguousCopy();
      w.buffer.set(src.buffer.subarray(src.offset, src.offset + src.size), w.offset);
      w.storage.version++;
    });
    return true;
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const outs = this.spec.run(this.resolveInputs(list), this.reader, { ...this.context, training: ctx.training, trainable: this.trainable });
    return this.outputShapes.length === 1 ? outs[0]! : outs.slice(0, this.outputShapes.length);
  }

  /**
   * @internal in training, this node and `next` (the one node reading its output) as one call: a
   * trainable BatchNormalization followed by Relu or Clip runs as one batchNormTraining with the
   * activation and its gradient in the same passes. Null when the pair does not fuse.
   */
  trainingFusion(next: Layer): FusedTrainingCall | null {
    if (this.opType !== 'BatchNormalization' || !(next instanceof OnnxNode)) return null;
    if (next.opType !== 'Relu' && next.opType !== 'Clip') return null;
    // Clip bounds computed by the graph are not known before the call.
    if (next.inputSlots.some((s, k) => k > 0 && s.kind === 'input')) return null;
    return (inputs, ctx) => {
      if (!ctx.training || !this.trainable) return null;
      const activation = next.fusableActivation();
      if (!activation) return null;
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const outs = this.spec.run(this.resolveInputs(list), this.reader, { ...this.context, training: true, trainable: true, fusedActivation: activation });
      return outs[0]!;
    };
  }

  /** Relu, or Clip's bounds (scalar inputs from opset 11, attributes before) as clip bounds. */
  private fusableActivation(): BatchNormActivation | null {
    if (this.opType === 'Relu') return 'relu';
    const operands = this.resolveInputs([]);
    const bound = (k: number, name: string, dflt: number): number | null => {
      const t = operands[k];
      if (!t) return this.reader.float(name, dflt);
      return t.size === 1 && t.dtype === 'float32' ? t.dataSync()[0]! : null;
    };
    const min = bound(1, 'min', -Infinity);
    const max = bound(2, 'max', Infinity);
    return min === null || max === null || !(min <= max) ? null : { min, max };
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      opType: this.opType,
      opset: this.opset,
      attributes: this.attributes,
      inputSlots: this.inputSlots,
      weightSpecs: this.weightSpecs,
      constants: this.storedConstants,
      outputNames: this.outputNames,
      outputShapes: this.outputShapes,
      outputDtypes: this.outputDtypes,
      ...(this.inputTypes ? { inputTypes: this.inputTypes } : {}),
      // Only nodes at the graph's edges carry declarations; the rest keep their config unchanged.
      ...(this.inputSignatures.some(Boolean) ? { inputSignatures: this.inputSignatures } : {}),
      ...(this.outputSignatures.some(Boolean) ? { outputSignatures: this.outputSignatures } : {}),
    };
  }
}

registerLayer('OnnxNode', OnnxNode);
