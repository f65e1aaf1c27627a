import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { type CallContext, Layer } from '../layers/layer';
import { InputLayer, input } from '../layers/input-layer';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import { type ForwardTap, LayersModel } from './layers-model';

/**
 * A linear stack of layers (tfjs `sequential`). The first layer needs `inputShape` (or an input
 * layer); without one the model is wired on its first call, from the data's shape.
 */
export class Sequential extends LayersModel {
  override readonly className = 'Sequential';
  private readonly stack: Layer[] = [];

  constructor(args: { layers?: Layer[]; name?: string } = {}) {
    super(null, args.name ?? 'sequential');
    for (const l of args.layers ?? []) this.add(l);
  }

  /** Appends a layer (tfjs `model.add`). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) argError('sequential.add', 'layer', 'a Layer', describe(layer));
    if (this.stack.includes(layer)) argError('sequential.add', 'layer', 'a layer not already in the model', layer.name);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0) argError('sequential.add', 'layer', 'an input layer only as the first layer', layer.name);
    }
    this.stack.push(layer);
    if (this.stack.length === 1 && !layer.batchInputShape) return;
    this.rewire();
  }

  /** Removes the last layer (tfjs `model.pop`). */
  pop(): void {
    if (this.stack.length === 0) throw new Error('sequential.pop: the model has no layers');
    this.stack.pop();
    this.rewire();
  }

  private rewire(): void {
    const first = this.stack[0];
    if (!first || !first.batchInputShape) return;
    let t: SymbolicTensor = first instanceof InputLayer ? first.output : input({ batchShape: first.batchInputShape, dtype: first.dtype });
    for (const l of this.stack) if (!(l instanceof InputLayer)) t = l.apply(t);
    this.wire(first instanceof InputLayer ? first.output : this.inputRoot(t), t);
  }

  private inputRoot(t: SymbolicTensor): SymbolicTensor {
    let cur = t;
    while (cur.inputs.length) cur = cur.inputs[0]!;
    return cur;
  }

  override get layers(): Layer[] {
    return this.stack.filter((l) => !(l instanceof InputLayer));
  }

  override forward(xs: Tensor[], ctx: CallContext, tap?: ForwardTap): Tensor[] {
    if (this.stack.length === 0) throw new Error(`${this.name}: the model has no layers`);
    if (this.inputTensors.length === 0) {
      // Deferred build: learn the input shape from the first batch.
      const x = xs[0]!;
      this.stack[0]!.batchInputShape = [null, ...x.shape.slice(1)];
      this.rewire();
    }
    this.checkInputs(xs);
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
