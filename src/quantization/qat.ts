// tf.quantization.quantizeAware / convert: quantization-aware training. quantizeAware swaps Dense
// and the convolutions for subclasses that fake-quantize kernels and inputs (straight-through
// gradient), so fit() learns weights that survive int8; convert() builds the static int8 model from
// the trained weights and the input ranges the layers tracked.
import { Tensor } from '../tensor/tensor';
import type { Layer } from '../layers/layer';
import { LayersModel } from '../models/layers-model';
import { argError, describe } from '../errors';
import { rebuildModel } from '../pruning/rebuild-model';
import type { ActivationQuant } from './activation-grid';
import { type QatSettings, checkQatSettings, isQatLayer } from './qat-layers';
import { buildInt8Model, type QuantizedModel } from './quantize';
import { shallowConvReason } from './plan-layer';

/** Options of `tf.quantization.quantizeAware`. */
export interface QuantizeAwareOptions {
  /** One weight scale per output channel (default true). */
  perChannel?: boolean;
  /** Input grids centred on 0 (zero point 128), default false. */
  symmetric?: boolean;
  /** Weight of the old range in the moving average of each input's min and max (default 0.99). */
  emaDecay?: number;
}

const QAT_CLASSES = new Set(['Dense', 'Conv1D', 'Conv2D', 'DepthwiseConv2D']);

function checkModel(fn: string, model: unknown): asserts model is LayersModel {
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (sequential or functional)', describe(model));
  if (model.inputs.length === 0) throw new Error(`${fn}: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
}

/**
 * A copy of `model` for quantization-aware training: Dense, Conv1D, Conv2D and DepthwiseConv2D
 * layers (except the shallow convolutions quantize keeps float) fake-quantize their kernels (int8, per output channel) and inputs (uint8 on a moving
 * min/max range) in every call, with straight-through gradients, so `fit` learns with the noise int8
 * will add. Compiled like the original when the original is compiled. Train it, then
 * {@link convert} it.
 */
export function quantizeAware(model: LayersModel, options: QuantizeAwareOptions = {}): LayersModel {
  const fn = 'quantization.quantizeAware';
  checkModel(fn, model);
  if (options === null || typeof options !== 'object') argError(fn, 'options', 'an object', describe(options));
  for (const k of Object.keys(options)) if (!['perChannel', 'symmetric', 'emaDecay'].includes(k)) argError(fn, `options.${k}`, 'one of the options perChannel, symmetric, emaDecay', 'an unknown option');
  const qat: QatSettings = checkQatSettings(fn, options);
  return rebuildModel(fn, model, (layer) => {
    // Layers that quantize() keeps float (too shallow a convolution) train without fake-quant.
    if (!QAT_CLASSES.has(layer.className) || !layer.weightsInfo.length || shallowConvReason(layer)) return null;
    return {
      className: `Qat${layer.className}`,
      config: { ...layer.getConfig(), qat },
      weights: [...layer.getWeights(), Tensor.fromArray(new Float32Array(3), [3])],
    };
  });
}

/**
 * The static int8 model of a trained {@link quantizeAware} model: weights quantized as they were
 * fake-quantized in training, each layer's input grid from its tracked range. Throws when a layer
 * never saw a training batch (no range yet).
 */
export function convert(qatModel: LayersModel): QuantizedModel {
  const fn = 'quantization.convert';
  checkModel(fn, qatModel);
  const qatLayers = qatModel.layers.filter(isQatLayer);
  if (!qatLayers.length) argError(fn, 'qatModel', 'a model made by quantization.quantizeAware', `a model with no quantization-aware layers ('${qatModel.name}')`);
  const grids = new Map<string, ActivationQuant>();
  let perChannel = true;
  for (const l of qatLayers) {
    const g = l.inputGrid();
    if (!g) throw new Error(`${fn}: layer '${l.name}' has not seen a training batch yet, so its input range is unknown; fit the model first`);
    grids.set(l.name, g);
    perChannel = l.qat.perChannel;
  }
  // Back to the float classes (trained weights, range dropped), then the usual int8 build with the learned grids.
  const floatModel = rebuildModel(fn, qatModel, (layer) => {
    if (!isQatLayer(layer)) return null;
    const { qat: _qat, ...config } = layer.getConfig();
    return { className: layer.sourceClassName, config, weights: layer.getWeights().slice(0, -1) };
  });
  const byLayer = new Map<Layer, ActivationQuant>();
  for (const l of floatModel.layers) {
    const g = grids.get(l.name);
    if (g) byLayer.set(l, g);
  }
  return buildInt8Model(fn, floatModel, 'static', perChannel, byLayer);
}
