// The layers of a quantization-aware model: Dense and the convolutions with fake-quantized kernels
// and inputs. Each keeps an exponential moving average of its input's min and max over training
// batches (the non-trainable weight `input_range` = [min, max, batches seen]); convert() turns those
// into the int8 model's input grids.
import { argError, describe } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { getInitializer } from '../initializers/initializers';
import { type CallContext, type Layer, type LayerConfig } from '../layers/layer';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import { Dense, type DenseArgs } from '../layers/dense';
import { Conv1D, Conv2D, type ConvLayerArgs, DepthwiseConv2D } from '../layers/convolutional';
import { deserializeLayer, registerLayer } from '../layers/registry';
import { type ActivationQuant, floatValues, gridFromRange } from './activation-grid';
import { fakeQuantActivation, fakeQuantWeights } from './fake-quant';

/** How a quantization-aware layer fake-quantizes (saved in its config as `qat`). */
export interface QatSettings {
  /** One weight scale per output channel (default true). */
  perChannel: boolean;
  /** Input grids centred on 0 (zero point 128), default false. */
  symmetric: boolean;
  /** Weight of the old range in the moving average (default 0.99). */
  emaDecay: number;
}

/** Checks `qat` settings from options or a saved config. */
export function checkQatSettings(fn: string, v: Partial<QatSettings> | undefined): QatSettings {
  const s = { perChannel: v?.perChannel ?? true, symmetric: v?.symmetric ?? false, emaDecay: v?.emaDecay ?? 0.99 };
  if (typeof s.perChannel !== 'boolean') argError(fn, 'perChannel', 'a boolean', describe(s.perChannel));
  if (typeof s.symmetric !== 'boolean') argError(fn, 'symmetric', 'a boolean', describe(s.symmetric));
  if (typeof s.emaDecay !== 'number' || !(s.emaDecay >= 0 && s.emaDecay < 1)) argError(fn, 'emaDecay', 'a number in [0, 1)', describe(s.emaDecay));
  return s;
}

/** What every QAT layer adds to its float class. */
export interface QatLayer extends Layer {
  readonly qat: QatSettings;
  /** The float class it trains for ('Dense', 'Conv2D', ...). */
  readonly sourceClassName: string;
  /** The learned input grid, or null before any training batch. */
  inputGrid(): ActivationQuant | null;
}

/** True for the layers quantizeAware inserts. */
export function isQatLayer(l: Layer): l is QatLayer {
  return typeof (l as Partial<QatLayer>).inputGrid === 'function' && typeof (l as Partial<QatLayer>).sourceClassName === 'string';
}

const ZEROS = getInitializer('quantizeAware', 'initializer', 'zeros');

/** Shared steps: the range weight, its update, the fake-quantized input. */
class RangeTracker {
  value: Tensor | null = null;

  add(layer: { addRange(): Tensor }): void {
    this.value = layer.addRange();
  }

  /** Updates the moving range in training, then fake-quantizes x on the current range. */
  apply(x: Tensor, ctx: CallContext | undefined, s: QatSettings): Tensor {
    const r = this.value!;
    const buf = r.buffer;
    const o = r.offset;
    if (ctx?.training) {
      const v = floatValues(x);
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < v.length; i++) {
        if (v[i]! < lo) lo = v[i]!;
        if (v[i]! > hi) hi = v[i]!;
      }
      if (Number.isFinite(lo) && Number.isFinite(hi)) {
        const seen = buf[o + 2]!;
        const d = seen > 0 ? s.emaDecay : 0;
        buf[o] = d * buf[o]! + (1 - d) * lo;
        buf[o + 1] = d * buf[o + 1]! + (1 - d) * hi;
        buf[o + 2] = seen + 1;
        r.storage.version++;
      }
    }
    const grid = this.grid(s);
    return grid ? fakeQuantActivation(x, grid) : x;
  }

  grid(s: QatSettings): ActivationQuant | null {
    const r = this.value;
    if (!r || r.buffer[r.offset + 2]! <= 0) return null;
    return gridFromRange(r.buffer[r.offset]!, r.buffer[r.offset + 1]!, s.symmetric);
  }
}

type Ctor<A> = new (args: A) => Layer & { kernel: Tensor | null; call(x: Tensor, ctx?: CallContext): Tensor | Tensor[] };

/**
 * Builds the QAT subclass of a float layer class: the kernel is fake-quantized for each call (and
 * restored after, so the optimizer updates the float kernel), the input fake-quantized on the
 * moving range.
 */
function qatClass<A extends object>(Base: Ctor<A>, source: string) {
  class Qat extends (Base as unknown as Ctor<A & { qat?: Partial<QatSettings> }>) implements QatLayer {
    override readonly className: string = `Qat${source}`;
    readonly sourceClassName = source;
    readonly qat: QatSettings;
    readonly range = new RangeTracker();

    constructor(args: A & { qat?: Partial<QatSettings> }) {
      super(args);
      this.qat = checkQatSettings(`Qat${source}`, args?.qat);
    }

    override build(inputShape: ShapeWithBatch): void {
      (Base.prototype as unknown as { build(s: ShapeWithBatch): void }).build.call(this, inputShape);
      this.range.add(this);
    }

    /** @internal */
    addRange(): Tensor {
      return (this as unknown as { addWeight(n: string, s: number[], i: typeof ZEROS, o: { trainable: boolean }): Tensor }).addWeight('input_range', [3], ZEROS, { trainable: false });
    }

    override call(x: Tensor, ctx?: CallContext): Tensor | Tensor[] {
      const xq = this.range.apply(x, ctx, this.qat);
      const kernel = this.kernel!;
      this.kernel = fakeQuantWeights(kernel, this.qat.perChannel);
      try {
        return super.call(xq, ctx);
      } finally {
        this.kernel = kernel;
      }
    }

    inputGrid(): ActivationQuant | null {
      return this.range.grid(this.qat);
    }

    /** The float layer with the current (not fake-quantized) weights: the ONNX float fallback. */
    toFloatLayer(): Layer {
      const { qat: _qat, ...config } = this.getConfig();
      const layer = deserializeLayer(source, { ...config, name: this.name }, { fn: `${this.name}.toFloatLayer` });
      if (!this.batchInputShape) throw new Error(`${this.name}.toFloatLayer: the layer is not built`);
      layer.ensureBuilt(this.batchInputShape);
      layer.setWeights(this.getWeights().slice(0, -1));
      return layer;
    }

    override getConfig(): LayerConfig {
      return { ...super.getConfig(), qat: { ...this.qat } };
    }
  }
  return Qat;
}

/** A QAT layer class: the float class's options plus `qat` settings. */
export type QatClass<A> = new (args: A & { qat?: Partial<QatSettings> }) => QatLayer;

/** Dense with fake-quantized kernel and input (quantizeAware). */
export const QatDense: QatClass<DenseArgs> = qatClass<DenseArgs>(Dense as unknown as Ctor<DenseArgs>, 'Dense');
/** Conv2D with fake-quantized kernel and input (quantizeAware). */
export const QatConv2D: QatClass<ConvLayerArgs> = qatClass<ConvLayerArgs>(Conv2D as unknown as Ctor<ConvLayerArgs>, 'Conv2D');
/** Conv1D with fake-quantized kernel and input (quantizeAware). */
export const QatConv1D: QatClass<ConvLayerArgs> = qatClass<ConvLayerArgs>(Conv1D as unknown as Ctor<ConvLayerArgs>, 'Conv1D');
/** DepthwiseConv2D with fake-quantized kernel and input (quantizeAware). */
export const QatDepthwiseConv2D: QatClass<ConvLayerArgs> = qatClass<ConvLayerArgs>(DepthwiseConv2D as unknown as Ctor<ConvLayerArgs>, 'DepthwiseConv2D');

for (const [name, cls] of [['QatDense', QatDense], ['QatConv2D', QatConv2D], ['QatConv1D', QatConv1D], ['QatDepthwiseConv2D', QatDepthwiseConv2D]] as const) {
  registerLayer(name, cls as never);
}
