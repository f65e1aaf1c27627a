import { argError, describe } from '../errors';
import { isGradEnabled } from '../autograd/tape';
import type { Tensor } from '../tensor/tensor';
import { type CallContext, Layer, type LayerWeight, isShapeList } from '../layers/layer';
import { InputLayer } from '../layers/input-layer';
import { type ShapeWithBatch, SymbolicTensor, formatShape } from '../layers/symbolic-tensor';
import { type GraphNode, buildGraph } from './graph';
import { planTrainingFusions, type TrainingFusions } from './training-fusion';
import type { History } from './history';
import type { Logs } from '../callbacks/callback';
import {
  type BatchSource,
  type CompileArgs,
  type Compiled,
  type EvaluateArgs,
  type FitArgs,
  type PredictArgs,
  compileModel,
  evaluateModel,
  fitModel,
  predictModel,
  predictOnBatch,
  trainOnBatchModel,
} from './training';
import { printSummary } from './summary';
import { warmUpInference } from './warm-up';
import { type SaveOptions, saveModel } from './model-save';
import type { SafetensorsDType } from '../io/safetensors';

/**
 * Called by {@link LayersModel.forward} after each layer call with its inputs and outputs; a returned
 * value replaces the outputs downstream.
 */
export type ForwardTap = (layer: Layer, inputs: Tensor | Tensor[], outputs: Tensor | Tensor[]) => Tensor | Tensor[] | void;

/**
 * @internal runs a model's inference-mode forward pass from a compiled form (an imported ONNX
 * model's plan); null means "run the layers".
 */
export interface InferencePlanner {
  run(xs: readonly Tensor[]): Tensor[] | null;
}

/**
 * A model: layers wired from inputs to outputs. Built by `model({ inputs, outputs })` (functional
 * API) or `sequential([...])`; trained with compile/fit (see training.ts, mixed in below). A model is
 * itself a layer: `model.apply(x, { training })` runs it on tensors with the tape recording (custom
 * training loops), on a SymbolicTensor it becomes one node of a bigger model, and it can be added to
 * a Sequential; its weights stay the same objects wherever it is used.
 */
export class LayersModel extends Layer {
  readonly className: string = 'Model';
  /** Set by callbacks (earlyStopping, terminateOnNaN) to end fit() after the current batch. */
  stopTraining = false;
  protected inputTensors: SymbolicTensor[] = [];
  protected outputTensors: SymbolicTensor[] = [];
  protected nodes: GraphNode[] = [];
  private fusionCache: { nodes: readonly GraphNode[]; fusions: TrainingFusions } | null = null;
  /** @internal set by compile() */
  compiled: Compiled | null = null;
  /** @internal set by importOnnx: serves inference-mode forward passes made without gradient recording */
  inferencePlanner: InferencePlanner | null = null;
  /** @internal seeds fit()'s shuffling and training-time randomness per step (see training.ts) */
  trainingSeed: number | null = null;
  /**
   * Stored dtypes of weights, by safetensors key (`layer/weight`), that `save` writes narrower than
   * their in-memory float32: 'F16' / 'BF16' (set by `quantization.quantize(model, { mode: 'float16' })`).
   * Layers with int8 weights declare theirs themselves; loadModel restores this map.
   */
  weightStorage: Record<string, SafetensorsDType> = {};

  /** `defaultName` is made unique (model, model_1, ...) as layer names are; an explicit `name` is kept. */
  constructor(args: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string } | null, defaultName = 'model', name?: string) {
    super({ name: args?.name ?? name }, defaultName);
    this.built = true;
    if (args) this.wire(args.inputs, args.outputs);
  }

  protected wire(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    ins.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || !(t.sourceLayer instanceof InputLayer)) {
        argError('model', `inputs[${i}]`, 'a placeholder made by input() (or another model\'s inputs)', describe(t));
      }
    });
    outs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) argError('model', `outputs[${i}]`, 'a SymbolicTensor from layer.apply() or layer.output', describe(t));
    });
    this.inputTensors = ins.slice();
    this.outputTensors = outs.slice();
    this.nodes = buildGraph(ins, outs);
    this.batchInputShape = ins.length === 1 ? ins[0]!.shape.slice() : null;
  }

  /** The model's input placeholder (a list when it has several), as `layer.input` is for a layer. */
  override get input(): SymbolicTensor | SymbolicTensor[] {
    return this.inputTensors.length === 1 ? this.inputTensors[0]! : this.inputTensors.slice();
  }

  /** The model's output (a list when it has several): cut a model with `model({ inputs: m.inputs, outputs: ... })`. */
  override get output(): SymbolicTensor | SymbolicTensor[] {
    return this.outputTensors.length === 1 ? this.outputTensors[0]! : this.outputTensors.slice();
  }

  /** Runs the model as a layer: `model.apply(x, { training: true })` records the tape, as Keras's `model(x, training=True)`. */
  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const outs = this.forward(Array.isArray(inputs) ? inputs : [inputs], ctx);
    return outs.length === 1 ? outs[0]! : outs;
  }

  /** Output shapes for inputs of these shapes (a model applied to symbolic tensors). */
  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const shapes = isShapeList(inputShape) ? inputShape : [inputShape];
    this.checkShapes(shapes);
    const batch = shapes[0]![0] ?? null;
    const outs = this.outputTensors.map((t) => [batch, ...t.shape.slice(1)]);
    return outs.length === 1 ? outs[0]! : outs;
  }

  /** @internal throws when symbolic input shapes cannot feed this model */
  protected checkShapes(shapes: ShapeWithBatch[]): void {
    if (shapes.length !== this.inputTensors.length) argError(this.name, 'inputs', `${this.inputTensors.length} input(s)`, `${shapes.length}`);
    shapes.forEach((s, i) => {
      const expected = this.inputTensors[i]!.shape;
      const ok = s.length === expected.length && expected.every((d, k) => d === null || s[k] === null || d === s[k]);
      if (!ok) argError(this.name, shapes.length > 1 ? `inputs[${i}]` : 'inputs', `input shape ${formatShape(expected)}`, formatShape(s));
    });
  }

  /** Freezing a model freezes every layer in it (Keras); unfreezing unfreezes them all. */
  override get trainable(): boolean {
    return super.trainable;
  }
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const l of this.layers) l.trainable = value;
  }

  /** Every weight of the inner layers, named `<layer>/<weight>` (a nested model nests the prefix). */
  override get weightsInfo(): readonly LayerWeight[] {
    return this.layers.flatMap((l) => l.weightsInfo.map((w) => ({ ...w, name: `${l.name}/${w.name}`, trainable: w.trainable && l.trainable })));
  }

  /** Layers in call order (input layers first), each once. */
  get layers(): Layer[] {
    const seen = new Set<Layer>();
    const out: Layer[] = [];
    for (const t of this.inputTensors) if (!seen.has(t.sourceLayer)) seen.add(t.sourceLayer), out.push(t.sourceLayer);
    for (const n of this.nodes) if (!seen.has(n.layer)) seen.add(n.layer), out.push(n.layer);
    return out;
  }

  /** @internal the layer calls in execution order (for graph rewrites such as foldBatchNorm) */
  get graphNodes(): readonly GraphNode[] {
    return this.nodes;
  }

  get inputs(): readonly SymbolicTensor[] {
    return this.inputTensors;
  }
  get outputs(): readonly SymbolicTensor[] {
    return this.outputTensors;
  }

  /** Input shapes including the batch dimension (null). */
  get inputShapes(): ShapeWithBatch[] {
    return this.inputTensors.map((t) => t.shape);
  }
  get outputShapes(): ShapeWithBatch[] {
    return this.outputTensors.map((t) => t.shape);
  }
  get outputNames(): string[] {
    return this.outputTensors.map((t) => t.sourceLayer.name);
  }

  /**
   * @internal runs the graph on concrete inputs; `tap` sees each layer call's inputs and outputs
   * and may replace the outputs (interpretation methods read and differentiate inner activations).
   */
  forward(xs: Tensor[], ctx: CallContext, tap?: ForwardTap): Tensor[] {
    this.checkInputs(xs);
    if (this.inferencePlanner && !ctx.training && !tap && !isGradEnabled()) {
      const planned = this.inferencePlanner.run(xs);
      if (planned) return planned;
    }
    const values = new Map<number, Tensor>();
    // Masks ([batch, time], from Masking / Embedding maskZero) travel beside the tensors they describe.
    const masks = new Map<number, Tensor>();
    this.inputTensors.forEach((t, i) => values.set(t.id, xs[i]!));
    const fusions = ctx.training && !tap ? this.trainingFusions() : null;
    let fusedAway: Set<GraphNode> | null = null;
    for (const node of this.nodes) {
      if (fusedAway?.has(node)) continue;
      const args = node.inputs.map((t) => values.get(t.id)!);
      const inArg = node.listInput ? args : args[0]!;
      // The first input's mask: for recurrent layers the other inputs are initial states.
      const mask = masks.get(node.inputs[0]!.id) ?? null;
      const fusion = fusions?.get(node);
      if (fusion && !mask) {
        // The fused pair's second call reads only this call's output, which nothing else reads.
        const callCtx = node.training === null || node.training === ctx.training ? ctx : { ...ctx, training: node.training };
        const y = fusion.run(inArg, callCtx);
        if (y) {
          values.set(fusion.next.outputs[0]!.id, y);
          (fusedAway ??= new Set()).add(fusion.next);
          continue;
        }
      }
      const apply = node.layer.apply as (i: Tensor | Tensor[], c: CallContext) => Tensor | Tensor[];
      const callCtx = node.training === null || node.training === ctx.training ? ctx : { ...ctx, training: node.training };
      let result = apply.call(node.layer, inArg, mask ? { ...callCtx, mask } : callCtx);
      if (tap) result = tap(node.layer, inArg, result) ?? result;
      const outMask = node.layer.computeMask(inArg, mask, result);
      const list = Array.isArray(result) ? result : [result];
      node.outputs.forEach((o, i) => {
        if (!o) return;
        values.set(o.id, list[i]!);
        if (i === 0 && outMask) masks.set(o.id, outMask);
      });
    }
    return this.outputTensors.map((t) => values.get(t.id)!);
  }

  /** The pairs of layer calls that run fused in training, planned once per graph. */
  private trainingFusions(): TrainingFusions {
    if (this.fusionCache?.nodes !== this.nodes) this.fusionCache = { nodes: this.nodes, fusions: planTrainingFusions(this.nodes, this.outputTensors) };
    return this.fusionCache.fusions;
  }

  /** @internal wires a model whose input shape is learned from its first data (a deferred Sequential); no-op here */
  ensureWired(_xs: readonly (Tensor | ShapeWithBatch)[]): void {}

  /** Throws a clear error when inputs do not match the model's input shapes. */
  protected checkInputs(xs: Tensor[]): void {
    if (xs.length !== this.inputTensors.length) {
      argError(this.name, 'x', `${this.inputTensors.length} input tensor(s)`, `${xs.length}`);
    }
    xs.forEach((x, i) => {
      const expected = this.inputTensors[i]!.shape;
      const ok = x.rank === expected.length && expected.every((d, k) => d === null || d === x.shape[k]);
      if (!ok) {
        argError(this.name, this.inputTensors.length > 1 ? `x[${i}]` : 'x', `input shape ${formatShape(expected)}`, `shape [${x.shape.join(',')}]`);
      }
    });
  }

  /** Sets the optimizer, loss(es) and metrics for fit/evaluate (tfjs `compile`). */
  compile(args: CompileArgs): void {
    this.compiled = compileModel(this, args);
    // A compiled model is about to serve or train: its first predict should not be the slow one.
    warmUpInference(this);
  }

  /** The compiled optimizer (for callbacks that change the learning rate). */
  get optimizer(): Compiled['optimizer'] | null {
    return this.compiled?.optimizer ?? null;
  }

  /**
   * Trains for `epochs` over `x`/`y` (tensors, or a Dataset of `{x, y}` batches as the only data
   * argument). Resolves to a History. Yields to the event loop every few milliseconds.
   */
  fit(x: Tensor | Tensor[], y: Tensor | Tensor[], args?: FitArgs): Promise<History>;
  fit(dataset: BatchSource, args?: FitArgs): Promise<History>;
  fit(x: Tensor | Tensor[] | BatchSource, y?: Tensor | Tensor[] | FitArgs, args?: FitArgs): Promise<History> {
    return fitModel(this, x, y, args);
  }

  /** tfjs name for fitting on a Dataset. */
  fitDataset(dataset: BatchSource, args?: FitArgs): Promise<History> {
    return fitModel(this, dataset, args);
  }

  /** Loss and metrics over all samples, by name: `{ loss, accuracy, ... }`. */
  evaluate(x: Tensor | Tensor[] | BatchSource, y?: Tensor | Tensor[], args?: EvaluateArgs): Promise<Logs> {
    return evaluateModel(this, x, y, args);
  }

  /** Batched inference; resolves to the output tensor (or one per output). */
  predict(x: Tensor | Tensor[], args?: PredictArgs): Promise<Tensor | Tensor[]> {
    return predictModel(this, x, args);
  }

  /** One synchronous forward pass in inference mode. */
  predictOnBatch(x: Tensor | Tensor[]): Tensor | Tensor[] {
    return predictOnBatch(this, x);
  }

  /** One optimizer step on one batch; resolves to that batch's loss and metrics. */
  trainOnBatch(x: Tensor | Tensor[], y: Tensor | Tensor[]): Promise<Logs> {
    return trainOnBatchModel(this, x, y);
  }

  /** Prints a Keras-style table of layers, output shapes and parameter counts. */
  summary(lineLength?: number, printFn: (line: string) => void = console.log): void {
    printSummary(this, lineLength, printFn);
  }

  /**
   * Saves architecture, training config and weights to `dir` (a path or `file://` URL):
   * model.json + model.safetensors, or tfjs's model.json + weights.bin with `{ format: 'tfjs' }`.
   */
  async save(dir: string, options?: SaveOptions): Promise<void> {
    await saveModel(this, dir, options);
  }

  /** Looks a layer up by name or index. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    const found = typeof nameOrIndex === 'number' ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (!found) argError(`${this.name}.getLayer`, 'name', `one of ${layers.map((l) => l.name).join(', ')}`, describe(nameOrIndex));
    return found;
  }

  override get trainableWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }
  override get nonTrainableWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.nonTrainableWeights);
  }
  /** All weights, layer by layer in creation order. */
  override get weights(): Tensor[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /** Copies of every weight, layer by layer (tfjs getWeights). */
  override getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets every weight, in the order getWeights returns them. */
  override setWeights(values: Tensor[]): void {
    const total = this.layers.reduce((n, l) => n + l.weights.length, 0);
    if (!Array.isArray(values) || values.length !== total) argError(`${this.name}.setWeights`, 'weights', `${total} tensors`, describe(values));
    let k = 0;
    for (const l of this.layers) {
      const n = l.weights.length;
      if (n) l.setWeights(values.slice(k, k + n));
      k += n;
    }
  }

  override countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** @internal weight penalties of every layer */
  override regularizationLosses(): Tensor[] {
    return this.layers.flatMap((l) => l.regularizationLosses());
  }

  /** Layer configs and wiring, as stored in model.json. */
  override getConfig(): Record<string, unknown> {
    // Keras's [layer name, call index, output index] names a tensor even for shared layers.
    const callIndex = (t: SymbolicTensor): number =>
      t.sourceLayer instanceof InputLayer ? 0 : this.nodes.filter((n) => n.layer === t.sourceLayer).findIndex((n) => n.inputs === t.inputs);
    const nodeOf = (t: SymbolicTensor): [string, number, number] => [t.sourceLayer.name, callIndex(t), t.outputIndex];
    return {
      name: this.name,
      layers: this.layers.map((l) => {
        // A shared layer has one inbound node per call.
        const calls = this.nodes.filter((n) => n.layer === l);
        return {
          className: l.className,
          name: l.name,
          config: l.getConfig(),
          inboundNodes: calls.map((n) => ({ inputs: n.inputs.map(nodeOf), listInput: n.listInput, ...(n.training !== null ? { training: n.training } : {}) })),
        };
      }),
      inputLayers: this.inputTensors.map(nodeOf),
      outputLayers: this.outputTensors.map(nodeOf),
    };
  }
}
