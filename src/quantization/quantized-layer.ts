// What every int8 layer of a quantized model shares: how it quantizes its input (static grid or
// dynamic), where its output goes (a requantized uint8 grid or float32), the float layer it came
// from (so ONNX export can fall back to float and the QDQ exporter can name the original op), and
// the small dtypes its weights are stored in.
import { argError, describe } from '../errors';
import { labelTensor } from '../autograd/labels';
import { Tensor } from '../tensor/tensor';
import { type CallContext, Layer, type LayerArgs, type LayerConfig } from '../layers/layer';
import { deserializeLayer } from '../layers/registry';
import type { ShapeWithBatch } from '../layers/symbolic-tensor';
import type { SafetensorsDType } from '../io/safetensors';
import { type ActivationQuant, checkGrid } from './activation-grid';

/** 'static': calibrated input grid, integer kernels end to end; 'dynamic': input grid measured per call. */
export type QuantizedMode = 'static' | 'dynamic';

/** Options every quantized layer takes (and saves in its config). */
export interface QuantizedLayerArgs extends LayerArgs {
  mode: QuantizedMode;
  /** Static mode: the uint8 grid of the input (from calibration); null in dynamic mode. */
  inputQuant?: ActivationQuant | null;
  /**
   * The uint8 grid the output is requantized to (the next layer's input grid), or null for a float32
   * output. Only with an activation the kernels fuse (linear, relu, relu6).
   */
  outputQuant?: ActivationQuant | null;
  /** className of the float layer this one replaces ('Dense', 'Conv2D', ...). */
  sourceClassName: string;
  /** getConfig() of that float layer. */
  sourceConfig: LayerConfig;
}

/** A layer whose saved weights use dtypes other than their in-memory float32/int32 (int8, float16). */
export interface StoredDtypes {
  /** Safetensors dtype of each weight that is not stored as its in-memory dtype. */
  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>>;
}

/** True when `layer` declares stored dtypes for its weights. */
export function hasStoredDtypes(layer: Layer): layer is Layer & StoredDtypes {
  return typeof (layer as Partial<StoredDtypes>).storedWeightDtypes === 'function';
}

/**
 * Base of the int8 layers. Weights are inference-only (never trainable): int8 values live in int32
 * tensors (stored as I8), scales and biases in float32.
 */
export abstract class QuantizedLayer extends Layer implements StoredDtypes {
  readonly mode: QuantizedMode;
  readonly inputQuant: ActivationQuant | null;
  readonly outputQuant: ActivationQuant | null;
  readonly sourceClassName: string;
  readonly sourceConfig: LayerConfig;
  private packedCache: { versions: number[]; value: unknown } | null = null;

  constructor(args: QuantizedLayerArgs, fn: string) {
    super({ ...args, trainable: false }, fn);
    if (!args || (args.mode !== 'static' && args.mode !== 'dynamic')) argError(fn, 'mode', "'static' or 'dynamic'", describe(args?.mode));
    this.mode = args.mode;
    this.inputQuant = checkGrid(fn, 'inputQuant', args.inputQuant);
    this.outputQuant = checkGrid(fn, 'outputQuant', args.outputQuant);
    if (this.mode === 'static' && !this.inputQuant) argError(fn, 'inputQuant', 'a { scale, zeroPoint } grid in static mode', describe(args.inputQuant));
    if (this.mode === 'dynamic' && (this.inputQuant || this.outputQuant)) {
      argError(fn, 'inputQuant/outputQuant', 'null in dynamic mode (activations are quantized per call)', describe(args.inputQuant ?? args.outputQuant));
    }
    if (typeof args.sourceClassName !== 'string' || args.sourceClassName === '') argError(fn, 'sourceClassName', 'a layer class name', describe(args.sourceClassName));
    if (!args.sourceConfig || typeof args.sourceConfig !== 'object') argError(fn, 'sourceConfig', "the float layer's config", describe(args.sourceConfig));
    this.sourceClassName = args.sourceClassName;
    this.sourceConfig = args.sourceConfig;
  }

  /** Adds a non-trainable weight of the given dtype (int8 values are held in int32). */
  protected addFixedWeight(name: string, shape: number[], dtype: 'float32' | 'int32'): Tensor {
    const value = Tensor.empty(shape, dtype);
    value.buffer.fill(dtype === 'float32' ? 1 : 0);
    labelTensor(value, `${this.name}/${name}`);
    this.weightList.push({ name, value, trainable: false, regularizer: null });
    return value;
  }

  /** The weight called `name`. */
  protected weightValue(name: string): Tensor {
    const w = this.weightList.find((x) => x.name === name);
    if (!w) throw new Error(`${this.name}: no weight '${name}' (the layer is not built)`);
    return w.value;
  }

  /** Packed weights, rebuilt when any weight changed since (setWeights, loadModel). */
  protected cachedPack<T>(make: () => T): T {
    const versions = this.weightList.map((w) => w.value.storage.version);
    const c = this.packedCache;
    if (c && c.versions.length === versions.length && c.versions.every((v, i) => v === versions[i])) return c.value as T;
    const value = make();
    this.packedCache = { versions, value };
    return value;
  }

  storedWeightDtypes(): Readonly<Record<string, SafetensorsDType>> {
    const out: Record<string, SafetensorsDType> = {};
    for (const w of this.weightList) if (w.value.dtype === 'int32') out[w.name] = 'I8';
    return out;
  }

  /** The float weights of the source layer (dequantized), in its weight order. */
  abstract floatWeights(): Tensor[];

  /**
   * An equivalent float32 layer of the source class with dequantized weights (same name): the
   * ONNX float fallback, and what a QDQ exporter starts from.
   */
  toFloatLayer(): Layer {
    const layer = deserializeLayer(this.sourceClassName, { ...this.sourceConfig, name: this.name, trainable: false }, { fn: `${this.name}.toFloatLayer` });
    if (!this.batchInputShape) throw new Error(`${this.name}.toFloatLayer: the layer is not built`);
    layer.ensureBuilt(this.batchInputShape as ShapeWithBatch);
    layer.setWeights(this.floatWeights());
    return layer;
  }

  protected checkInference(ctx: CallContext | undefined): void {
    if (ctx?.training) {
      throw new Error(`${this.name}: quantized layers are inference-only; train the float model or a quantizeAware() copy, then quantize or convert`);
    }
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      mode: this.mode,
      inputQuant: this.inputQuant,
      outputQuant: this.outputQuant,
      sourceClassName: this.sourceClassName,
      sourceConfig: this.sourceConfig,
    };
  }
}
