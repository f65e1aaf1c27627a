import { isGradEnabled } from '../autograd/tape';
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { type CallContext, Layer } from '../layers/layer';
import { InputLayer, input } from '../layers/input-layer';
import type { ShapeWithBatch, SymbolicTensor } from '../layers/symbolic-tensor';
import { type ForwardTap, LayersModel } from './layers-model';

/**
 * A linear stack of layers (tfjs `sequential`). The first layer needs `inputShape` (or an input
 * layer); without one the model is wired on its first call (predict, fit, evaluate, apply), from the
 * data's shape. Any layer may be a model, so models nest.
 */
export class Sequential extends LayersModel {
  override readonly className = 'Sequential';
  private readonly stack: Layer[] = [];

  constructor(args: { layers?: Layer[]; name?: string } = {}) {
    super(null, 'sequential', args.name);
    if (args.layers !== undefined && !Array.isArray(args.layers)) argError('sequential', 'layers', 'an array of layers', describe(args.layers));
    for (const l of args.layers ?? []) this.add(l);
  }

  /** Appends a layer or a whole model (tfjs `model.add`). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) argError('sequential.add', 'layer', 'a Layer or a model', describe(layer));
    if (layer === this) argError('sequential.add', 'layer', 'a layer other than the model itself', layer.name);
    if (this.stack.includes(layer)) argError('sequential.add', 'layer', 'a layer not already in the model', layer.name);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0) argError('sequential.add', 'layer', 'an input layer only as the first layer', layer.name);
    }
    this.stack.push(layer);
    if (this.outputTensors.length > 0) {
      // Wired already: only the new layer is called, so every layer keeps one symbolic call (layer.output).
      if (!(layer instanceof InputLayer)) this.wire(this.inputTensors, layer.apply(this.outputTensors[0]!));
      return;
    }
    const first = this.stack[0]!;
    if (first.batchInputShape) this.wireFrom(first.batchInputShape);
  }

  /** Removes the last layer (tfjs `model.pop`). */
  pop(): void {
    const last = this.stack.pop();
    if (!last) throw new Error('sequential.pop: the model has no layers');
    if (this.outputTensors.length === 0) return;
    const node = last.inboundNodes.findIndex((n) => n.outputs.includes(this.outputTensors[0]!));
    if (node >= 0) last.inboundNodes.splice(node, 1);
    const real = this.stack.filter((l) => !(l instanceof InputLayer));
    if (real.length === 0) {
      this.inputTensors = [];
      this.outputTensors = [];
      this.nodes = [];
      return;
    }
    this.wire(this.inputTensors, this.outputTensors[0]!.inputs[0]!);
  }

  /** Calls every layer once on a placeholder of this shape. */
  private wireFrom(batchShape: ShapeWithBatch): void {
    const first = this.stack[0]!;
    const x: SymbolicTensor = first instanceof InputLayer ? first.output : input({ batchShape, dtype: first.dtype });
    let t = x;
    for (const l of this.stack) if (!(l instanceof InputLayer)) t = l.apply(t) as SymbolicTensor;
    this.wire(x, t);
  }

  /** @internal wires a deferred model from its first input's shape (no-op once wired) */
  override ensureWired(xs: readonly (Tensor | ShapeWithBatch)[]): void {
    if (this.outputTensors.length > 0 || this.stack.length === 0) return;
    const x = xs[0];
    if (x === undefined) return;
    const shape = Array.isArray(x) ? x : (x as Tensor).shape;
    this.wireFrom([null, ...shape.slice(1)]);
  }

  override get layers(): Layer[] {
    return this.stack.filter((l) => !(l instanceof InputLayer));
  }

  /** A deferred model's single output is named already, so compile() works before the first call. */
  override get outputNames(): string[] {
    if (this.outputTensors.length > 0) return super.outputNames;
    const last = this.layers[this.layers.length - 1];
    return last ? [last.name] : [];
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    this.ensureWired([Array.isArray(inputShape[0]) ? (inputShape as ShapeWithBatch[])[0]! : (inputShape as ShapeWithBatch)]);
    return super.computeOutputShape(inputShape);
  }

  override forward(xs: Tensor[], ctx: CallContext, tap?: ForwardTap): Tensor[] {
    if (this.stack.length === 0) throw new Error(`${this.name}: the model has no layers`);
    this.ensureWired(xs);
    this.checkInputs(xs);
    // A compiled form (a static int8 model's integer plan) serves inference-mode passes, as in LayersModel.forward.
    if (this.inferencePlanner && !ctx.training && !tap && !isGradEnabled()) {
      const planned = this.inferencePlanner.run(xs);
      if (planned) return planned;
    }
    let x = xs[0]!;
    // The mask produced by Masking / Embedding maskZero flows along the stack (see Layer.computeMask).
    let mask: Tensor | null = null;
    for (const l of this.stack) {
      let y = (l.apply as (i: Tensor, c: CallContext) => Tensor).call(l, x, mask ? { ...ctx, mask } : ctx);
      if (tap) y = (tap(l, x, y) as Tensor | undefined) ?? y;
      mask = l.computeMask(x, mask, y);
      x = y;
    }
    return [x];
  }
}
