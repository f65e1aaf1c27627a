// The wrappers: Bidirectional (a recurrent layer run both ways) and TimeDistributed (a layer applied
// to every time step). A wrapped layer saved as { className, config } is rebuilt through the layer
// registry, from the classes registered as wrappable.
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { add, div, mul } from '../ops/binary';
import { concat } from '../ops/movement';
import { reshape } from '../ops/views';
import { type CallContext, Layer, type LayerArgs, type LayerConfig, isShapeList } from './layer';
import { deserializeLayer, registerLayer } from './registry';
import { ContextLayer, RecurrentLayer, reverseTime } from './recurrent';
import type { ShapeWithBatch } from './symbolic-tensor';

function layerFrom(fn: string, spec: unknown): Layer {
  if (spec instanceof Layer) return spec;
  if (typeof spec === 'object' && spec !== null && typeof (spec as { className?: unknown }).className === 'string') {
    const { className, config } = spec as { className: string; config?: LayerConfig };
    return deserializeLayer(className, config ?? {}, { fn, wrappable: true });
  }
  return argError(fn, 'layer', 'a Layer or { className, config }', describe(spec));
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer run forwards; a copy with goBackwards flipped runs backwards. */
  layer: RecurrentLayer | { className: string; config: LayerConfig };
  /** How the two outputs combine (default 'concat' on the last axis). */
  mergeMode?: MergeMode;
}

/** Runs a recurrent layer forwards and a copy of it backwards and merges their outputs. */
export class Bidirectional extends ContextLayer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(args: BidirectionalArgs) {
    super(args, 'bidirectional');
    const inner = layerFrom('bidirectional', args?.layer);
    if (!(inner instanceof RecurrentLayer)) argError('bidirectional', 'layer', 'a recurrent layer (simpleRNN, lstm, gru)', describe(inner));
    this.forwardLayer = inner;
    const config = inner.getConfig();
    const Cls = inner.constructor as new (c: never) => RecurrentLayer;
    this.backwardLayer = new Cls({ ...config, name: `backward_${inner.name}`, goBackwards: !inner.goBackwards } as never);
    const mode = args.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(mode)) argError('bidirectional', 'mergeMode', "'concat', 'sum', 'mul' or 'ave'", describe(mode));
    this.mergeMode = mode;
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    this.forwardLayer.ensureBuilt(shape);
    this.backwardLayer.ensureBuilt(shape);
    // Prefixed names keep the two directions' weights apart in saved models.
    this.weightList.push(...this.forwardLayer.weightsInfo.map((w) => ({ ...w, name: `forward/${w.name}` })),
      ...this.backwardLayer.weightsInfo.map((w) => ({ ...w, name: `backward/${w.name}` })));
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch | ShapeWithBatch[] {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const inner = this.forwardLayer.computeOutputShape(shape);
    const list = isShapeList(inner) ? inner : [inner];
    const out = list[0]!.slice();
    if (this.mergeMode === 'concat') out[out.length - 1] = 2 * this.forwardLayer.units;
    if (!this.forwardLayer.returnState) return out;
    return [out, ...list.slice(1), ...list.slice(1)];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0]!;
    const n = this.forwardLayer.stateCount;
    const extra = this.extras(ctx);
    const states = list.length > 1 ? list.slice(1) : extra.initialState;
    if (states && states.length !== 2 * n) argError(this.name, 'initial state', `${2 * n} tensors (forward then backward)`, `${states.length}`);
    const run = (layer: RecurrentLayer, st: Tensor[] | null) =>
      layer.call(x, { ...ctx, mask: extra.mask, initialState: st }) as Tensor | Tensor[];
    const fw = run(this.forwardLayer, states ? states.slice(0, n) : null);
    const bw = run(this.backwardLayer, states ? states.slice(n) : null);
    const fwList = Array.isArray(fw) ? fw : [fw];
    const bwList = Array.isArray(bw) ? bw : [bw];
    let yb = bwList[0]!;
    if (this.forwardLayer.returnSequences) yb = reverseTime(yb);
    const yf = fwList[0]!;
    const merged = this.mergeMode === 'concat' ? concat([yf, yb], -1)
      : this.mergeMode === 'sum' ? add(yf, yb)
        : this.mergeMode === 'mul' ? mul(yf, yb)
          : div(add(yf, yb), 2);
    return this.forwardLayer.returnState ? [merged, ...fwList.slice(1), ...bwList.slice(1)] : merged;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
    };
  }
}

export interface TimeDistributedArgs extends LayerArgs {
  /** Applied to every time step (axis 1) of a [batch, time, ...] input. */
  layer: Layer | { className: string; config: LayerConfig };
}

/** Applies a layer to every time step: [batch, time, ...] -> the layer on [batch * time, ...]. */
export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args, 'time_distributed');
    this.layer = layerFrom('timeDistributed', args?.layer);
  }

  override build(inputShape: ShapeWithBatch | ShapeWithBatch[]): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    if (shape.length < 3) argError(this.name, 'inputShape', '[batch, time, ...] (rank >= 3)', `[${shape.join(',')}]`);
    this.layer.ensureBuilt([null, ...shape.slice(2)]);
    this.weightList.push(...this.layer.weightsInfo);
  }

  override computeOutputShape(inputShape: ShapeWithBatch | ShapeWithBatch[]): ShapeWithBatch {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const inner = this.layer.computeOutputShape([null, ...shape.slice(2)]) as ShapeWithBatch;
    return [shape[0]!, shape[1]!, ...inner.slice(1)];
  }

  call(inputs: Tensor | Tensor[], ctx: CallContext): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [B, T] = [x.shape[0]!, x.shape[1]!];
    const y = this.layer.call(reshape(x, [B * T, ...x.shape.slice(2)]), ctx);
    if (Array.isArray(y)) throw new Error(`${this.name}: the wrapped layer must have one output`);
    return reshape(y, [B, T, ...y.shape.slice(1)]);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}

/** Factories under their tfjs-layers names. */
export const wrapperFactories = {
  bidirectional: (args: BidirectionalArgs) => new Bidirectional(args),
  timeDistributed: (args: TimeDistributedArgs) => new TimeDistributed(args),
};

// Keras names the two directions' weights forward_<inner>/... and backward_<inner>/....
registerLayer('Bidirectional', Bidirectional, {
  keras: { weightName: (l, w) => w.replace(/^(forward|backward)\//, (_, d: string) => `${d}_${(l as Bidirectional).forwardLayer.name}/`) },
});
registerLayer('TimeDistributed', TimeDistributed);
