import { argError, describe } from '../errors';
import { noGrad } from '../autograd/tape';
import { labelTensor } from '../autograd/labels';
import type { DType } from '../tensor/dtype';
import { shapesEqual } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { materialize } from '../ops/copy';
import { untracked } from '../tensor/scope';
import { type Initializer } from '../initializers/initializers';
import { type Regularizer, getRegularizer, type RegularizerIdentifier } from '../regularizers/regularizers';
import { type ShapeWithBatch, SymbolicTensor, formatShape } from './symbolic-tensor';
import { checkedElements } from '../tensor/budget';

/** Options every layer accepts (tfjs-layers names). */
export interface LayerArgs {
  name?: string;
  /** Input shape without the batch dimension (first layer of a model). */
  inputShape?: number[];
  batchInputShape?: ShapeWithBatch;
  batchSize?: number;
  inputDim?: number;
  trainable?: boolean;
  dtype?: DType;
  activityRegularizer?: RegularizerIdentifier | null;
}

/** What a layer's call sees besides its inputs. */
export interface CallContext {
  /** Training mode: dropout drops and batch normalization uses (and updates) batch statistics. */
  training: boolean;
  /** Activity-regularization penalties produced during this forward pass. */
  losses: Tensor[];
  /**
   * [batch, time] mask of the (first) input, 0 at padded steps. Models pass the mask produced
   * upstream (Masking, Embedding with maskZero); layers that use it (recurrent layers) read it.
   */
  mask?: Tensor | null;
}

/** One weight of a layer: its value tensor and how it is trained. */
export interface LayerWeight {
  name: string;
  value: Tensor;
  trainable: boolean;
  regularizer: Regularizer | null;
}

const nameCounts = new Map<string, number>();

function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** JSON-safe configuration of a layer, as stored in model.json. */
export type LayerConfig = Record<string, unknown>;

/**
 * Base class of every layer: weights, building on first use, eager and symbolic application,
 * freezing, and serialization. Subclasses implement `call` (and usually `build`,
 * `computeOutputShape` and `getConfig`).
 */
export abstract class Layer {
  abstract readonly className: string;
  readonly name: string;
  built = false;
  /** Input shape including the batch dimension, when given or learned at build. */
  batchInputShape: ShapeWithBatch | null = null;
  readonly dtype: DType;
  protected readonly weightList: LayerWeight[] = [];
  protected readonly activityRegularizer: Regularizer | null;
  private _trainable: boolean;

  constructor(args: LayerArgs = {}, defaultName?: string) {
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      argError('Layer', 'name', 'a non-empty string', describe(args.name));
    }
    this.name = args.name ?? uniqueName(defaultName ?? snake(new.target.name));
    this._trainable = args.trainable ?? true;
    this.dtype = args.dtype ?? 'float32';
    this.activityRegularizer = getRegularizer(this.constructor.name, 'activityRegularizer', args.activityRegularizer);
    if (args.batchInputShape) this.batchInputShape = args.batchInputShape.slice();
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else if (args.inputDim !== undefined) this.batchInputShape = [args.batchSize ?? null, args.inputDim];
    if (this.batchInputShape) {
      for (const d of this.batchInputShape.slice(1)) {
        if (d !== null && (!Number.isInteger(d) || d < 0)) argError(this.name, 'inputShape', 'non-negative integers', describe(args.inputShape));
      }
    }
  }

  /**
   * @internal every symbolic call of this layer (functional API, a Sequential's wiring): the
   * placeholders it took and made, in call order.
   */
  readonly inboundNodes: { inputs: SymbolicTensor[]; outputs: SymbolicTensor[] }[] = [];

  /**
   * The symbolic input of the layer's only call (a list for a multi-input call), so a trained model can
   * be cut: `model({ inputs: base.inputs, outputs: base.getLayer('feat').output })` (Keras `layer.input`).
   */
  get input(): SymbolicTensor | SymbolicTensor[] {
    const node = this.onlyNode('input');
    return node.inputs.length === 1 ? node.inputs[0]! : node.inputs.slice();
  }

  /** The symbolic output of the layer's only call (a list for several outputs); see {@link input}. */
  get output(): SymbolicTensor | SymbolicTensor[] {
    const node = this.onlyNode('output');
    return node.outputs.length === 1 ? node.outputs[0]! : node.outputs.slice();
  }

  /** The input of the layer's `nodeIndex`-th symbolic call (a layer shared between calls). */
  getInputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    const node = this.nodeAt('getInputAt', nodeIndex);
    return node.inputs.length === 1 ? node.inputs[0]! : node.inputs.slice();
  }

  /** The output of the layer's `nodeIndex`-th symbolic call. */
  getOutputAt(nodeIndex: number): SymbolicTensor | SymbolicTensor[] {
    const node = this.nodeAt('getOutputAt', nodeIndex);
    return node.outputs.length === 1 ? node.outputs[0]! : node.outputs.slice();
  }

  private onlyNode(what: string): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[] } {
    if (this.inboundNodes.length === 0) {
      throw new Error(`${this.name}.${what}: the layer has not been called on a symbolic input yet (apply it to tf.input(...), `
        + 'or give the first layer of its Sequential an inputShape)');
    }
    if (this.inboundNodes.length > 1) {
      throw new Error(`${this.name}.${what}: the layer was called ${this.inboundNodes.length} times, so its ${what} is ambiguous; `
        + `use ${what === 'input' ? 'getInputAt' : 'getOutputAt'}(i)`);
    }
    return this.inboundNodes[0]!;
  }

  private nodeAt(fn: string, i: number): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[] } {
    if (!Number.isInteger(i) || i < 0 || i >= this.inboundNodes.length) {
      argError(`${this.name}.${fn}`, 'nodeIndex', `an integer in [0, ${this.inboundNodes.length})`, describe(i));
    }
    return this.inboundNodes[i]!;
  }

  /** Creates the weights once the input shape is known. */
  build(_inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    this.built = true;
  }

  /** The forward computation on concrete tensors. */
  abstract call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[];

  /**
   * The [batch, time] mask of this layer's (first) output, given its inputs, the incoming mask and
   * the outputs just computed; models call it after each layer to carry masks downstream (Keras
   * `computeMask`). The default keeps the mask when it still lines up with the output, i.e. a
   * single-input layer whose first output is [batch, time, ...features] with the mask's batch and
   * time (elementwise layers, Dense, Dropout, normalization, sequence-returning RNNs), and drops it
   * otherwise (flattening, pooling over time, a final RNN state, multi-input layers).
   */
  computeMask(inputs: Tensor | Tensor[], mask: Tensor | null, outputs: Tensor | Tensor[]): Tensor | null {
    if (!mask || Array.isArray(inputs)) return null;
    const out = Array.isArray(outputs) ? outputs[0] : outputs;
    if (!out || out.rank < 3 || mask.rank !== 2) return null;
    return out.shape[0] === mask.shape[0] && out.shape[1] === mask.shape[1] ? mask : null;
  }

  /** Output shape for an input shape (identity unless overridden). */
  computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    return inputShape;
  }

  /** Layer-specific configuration; subclasses extend it. */
  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this.trainable, dtype: this.dtype };
    if (this.batchInputShape) config['batchInputShape'] = this.batchInputShape;
    if (this.activityRegularizer) config['activityRegularizer'] = { className: 'L1L2', config: this.activityRegularizer.getConfig() };
    return config;
  }

  /**
   * Applies the layer. On symbolic tensors (functional API) it records a node and returns
   * symbolic outputs; on tensors it runs `call` (building first if needed).
   */
  apply(inputs: SymbolicTensor, ctx?: Partial<CallContext>): SymbolicTensor;
  apply(inputs: SymbolicTensor[], ctx?: Partial<CallContext>): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor, ctx?: Partial<CallContext>): Tensor;
  apply(inputs: Tensor[], ctx?: Partial<CallContext>): Tensor | Tensor[];
  apply(
    inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[],
    ctx: Partial<CallContext> = {},
  ): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) argError(this.name, 'inputs', 'at least one input', 'an empty list');
    if (list.every((t) => t instanceof SymbolicTensor)) {
      // A fresh array per call: graph building identifies a call by its inputs array.
      const sym = (list as SymbolicTensor[]).slice();
      const shapes = sym.map((s) => s.shape);
      const inShape = Array.isArray(inputs) ? shapes : shapes[0]!;
      this.ensureBuilt(inShape);
      const out = this.computeOutputShape(inShape);
      const outs = isShapeList(out) ? out : [out];
      const made = outs.map((s, i) => new SymbolicTensor(s, this.dtype, this, sym, i, undefined, Array.isArray(inputs), typeof ctx.training === 'boolean' ? ctx.training : null));
      this.inboundNodes.push({ inputs: sym, outputs: made });
      return made.length === 1 && !isShapeList(out) ? made[0]! : made;
    }
    if (!list.every((t) => t instanceof Tensor)) {
      argError(this.name, 'inputs', 'Tensors or SymbolicTensors (not a mix)', describe(inputs));
    }
    const tensors = list as Tensor[];
    const shapes = tensors.map((t) => [null, ...t.shape.slice(1)] as ShapeWithBatch);
    this.ensureBuilt(Array.isArray(inputs) ? shapes : shapes[0]!);
    const full: CallContext = { training: ctx.training ?? false, losses: ctx.losses ?? [] };
    const out = this.call(Array.isArray(inputs) ? tensors : tensors[0]!, full);
    if (this.activityRegularizer) {
      for (const o of Array.isArray(out) ? out : [out]) full.losses.push(this.activityRegularizer.apply(o));
    }
    return out;
  }

  /** @internal whether apply() adds an activity-regularization loss (a fused call would skip it) */
  get hasActivityRegularizer(): boolean {
    return this.activityRegularizer !== null;
  }

  /** @internal builds the layer for this input shape unless already built */
  ensureBuilt(shape: ShapeWithBatch | ShapeWithBatch[]): void {
    if (this.built) return;
    if (!this.batchInputShape && !isShapeList(shape)) this.batchInputShape = (shape as ShapeWithBatch).slice();
    this.build(shape);
    this.built = true;
  }

  /** Creates a weight; frozen layers create it frozen. */
  protected addWeight(name: string, shape: number[], initializer: Initializer, options: { trainable?: boolean; regularizer?: Regularizer | null } = {}): Tensor {
    checkedElements(this.name, `weight '${name}'`, shape);
    // Weights outlive any tidy/valueAndGrad scope that happens to build the layer.
    const value = untracked(() => initializer.apply(shape, this.dtype));
    const trainable = options.trainable ?? true;
    value.requiresGrad = trainable && this._trainable;
    labelTensor(value, `${this.name}/${name}`);
    this.weightList.push({ name, value, trainable, regularizer: options.regularizer ?? null });
    return value;
  }

  /** Frozen layers (trainable = false) keep their weights through fit(), for fine-tuning. */
  get trainable(): boolean {
    return this._trainable;
  }
  set trainable(value: boolean) {
    this._trainable = value;
    for (const w of this.weightList) w.value.requiresGrad = value && w.trainable;
  }

  /** Weights the optimizer updates. */
  get trainableWeights(): Tensor[] {
    return this._trainable ? this.weightList.filter((w) => w.trainable).map((w) => w.value) : [];
  }

  get nonTrainableWeights(): Tensor[] {
    return this.weightList.filter((w) => !w.trainable || !this._trainable).map((w) => w.value);
  }

  /** All weights with their names, in creation order. */
  get weightsInfo(): readonly LayerWeight[] {
    return this.weightList;
  }

  get weights(): Tensor[] {
    return this.weightList.map((w) => w.value);
  }

  /** Copies of the current weight values, in creation order. */
  getWeights(): Tensor[] {
    return this.weightList.map((w) => noGrad(() => materialize(w.value)));
  }

  /** Overwrites the weights in place (same order and shapes as getWeights). */
  setWeights(values: Tensor[]): void {
    if (!Array.isArray(values) || values.length !== this.weightList.length) {
      argError(`${this.name}.setWeights`, 'weights', `${this.weightList.length} tensors`, describe(values));
    }
    // Check everything before writing anything, so a bad entry leaves the layer unchanged.
    values.forEach((v, i) => {
      const w = this.weightList[i]!;
      if (!(v instanceof Tensor) || !shapesEqual(v.shape, w.value.shape)) {
        argError(`${this.name}.setWeights`, `weights[${i}] (${w.name})`, `shape [${w.value.shape.join(',')}]`, describe(v));
      }
    });
    values.forEach((v, i) => {
      const w = this.weightList[i]!;
      const src = v.contiguousCopy();
      w.value.buffer.set(src.buffer.subarray(src.offset, src.offset + src.size), w.value.offset);
      w.value.storage.version++;
    });
  }

  /** Number of scalar weights. */
  countParams(): number {
    return this.weightList.reduce((n, w) => n + w.value.size, 0);
  }

  /** Penalties of this layer's weight regularizers, on the tape. */
  regularizationLosses(): Tensor[] {
    return this.weightList.filter((w) => w.regularizer && w.value.requiresGrad).map((w) => w.regularizer!.apply(w.value));
  }

  toString(): string {
    return `${this.className}(${this.name}${this.batchInputShape ? `, input ${formatShape(this.batchInputShape)}` : ''})`;
  }
}

export function isShapeList(s: unknown): s is ShapeWithBatch[] {
  return Array.isArray(s) && s.length > 0 && Array.isArray(s[0]);
}
