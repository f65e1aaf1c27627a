// tf.quantization.quantize: a new, smaller model from a trained float model (the original is left
// untouched): int8 weights and static (calibrated) or dynamic uint8 activations, or float16 storage.
import type { Tensor } from '../tensor/tensor';
import type { Layer } from '../layers/layer';
import { LayersModel } from '../models/layers-model';
import { argError, describe } from '../errors';
import { rebuildModel } from '../pruning/rebuild-model';
import { weightName } from '../models/model-format';
import { Tensor as TensorClass } from '../tensor/tensor';
import { decodeHalfArray, encodeHalfArray } from '../io/half';
import type { ActivationQuant } from './activation-grid';
import { floatValues } from './activation-grid';
import { calibrateInputs } from './calibrate';
import { type CalibrationSource, type QuantizeOptions, collectCalibrationData, isCalibrationSource, resolveOptions } from './options';
import { ACTIVATION_INPUT_CLASSES, type LayerPlan, planLayer } from './plan-layer';
import type { QuantizationReport } from './report';
import { fuseOutputs } from './fuse-outputs';
import { Int8ModelPlanner } from './int8-planner';
import './layers';

/** A model returned by quantize / convert: a LayersModel with what happened to each layer. */
export type QuantizedModel = LayersModel & { quantizationReport: QuantizationReport };

function checkModel(fn: string, model: unknown): asserts model is LayersModel {
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (sequential or functional)', describe(model));
  if (model.inputs.length === 0) throw new Error(`${fn}: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
}

/** Float16 storage: weights rounded to float16 (so a save/load round trip predicts the same), saved as F16. */
function toFloat16(fn: string, model: LayersModel): QuantizedModel {
  const report: QuantizationReport = { mode: 'float16', quantized: [], float: [] };
  const copy = rebuildModel(fn, model, (layer) => {
    const ws = layer.weightsInfo;
    if (!ws.length || layer instanceof LayersModel) return null;
    return {
      weights: ws.map((w) => {
        if (w.value.dtype !== 'float32') return w.value.contiguousCopy();
        const rounded = decodeHalfArray(encodeHalfArray(floatValues(w.value)));
        return TensorClass.fromArray(rounded, w.value.shape.slice());
      }),
    };
  });
  for (const layer of copy.layers) {
    const floats = layer.weightsInfo.filter((w) => w.value.dtype === 'float32');
    if (!floats.length) continue;
    if (layer instanceof LayersModel) {
      report.float.push({ name: layer.name, className: layer.className, reason: 'nested models are not converted (convert the inner model on its own)' });
      continue;
    }
    for (const w of floats) copy.weightStorage[weightName(layer, w.name)] = 'F16';
    report.quantized.push({ name: layer.name, className: layer.className, as: 'float16' });
  }
  return Object.assign(copy, { quantizationReport: report });
}

/**
 * Builds the int8 copy of `model` from per-layer plans (shared with QAT's convert, which gives the
 * input grids it learned instead of calibrated ones).
 */
export function buildInt8Model(fn: string, model: LayersModel, mode: 'static' | 'dynamic', perChannel: boolean,
  inputGrids: ReadonlyMap<Layer, ActivationQuant>): QuantizedModel {
  const report: QuantizationReport = { mode, quantized: [], float: [] };
  const outputGrids = mode === 'static' ? fuseOutputs(model, inputGrids) : new Map<Layer, ActivationQuant>();
  const plans = new Map<Layer, LayerPlan>();
  for (const layer of model.layers) {
    if (!layer.weightsInfo.length) continue;
    const plan = planLayer(layer, { mode, perChannel, inputQuant: inputGrids.get(layer) ?? null, outputQuant: outputGrids.get(layer) ?? null });
    plans.set(layer, plan);
    if ('reason' in plan) report.float.push({ name: layer.name, className: layer.className, reason: plan.reason });
    else report.quantized.push({ name: layer.name, className: layer.className, as: plan.className });
  }
  const copy = rebuildModel(fn, model, (layer) => {
    const plan = plans.get(layer);
    return plan && !('reason' in plan) ? plan : null;
  });
  // Int8 layers handing bytes to each other: predict keeps those activations in integers.
  if (Int8ModelPlanner.worthwhile(copy)) copy.inferencePlanner = new Int8ModelPlanner(copy);
  return Object.assign(copy, { quantizationReport: report });
}

/**
 * Post-training quantization. Returns a new model (the original is not changed) that predicts,
 * evaluates, saves (int8 weights as I8, float16 weights as F16) and loads like any other:
 * - 'static': Dense, Conv1D, Conv2D (grouped too) and DepthwiseConv2D get int8 weights with one scale
 *   per output channel and uint8 inputs on grids calibrated from `calibrationData`; they run the
 *   native integer kernels, requantizing in the kernel when the next layer is int8 too;
 * - 'dynamic': the same layers with activations quantized per call (no calibration);
 * - both: Embedding tables become int8 with one scale per row; LSTM, GRU and MultiHeadAttention run
 *   their gate / projection GEMMs in int8 with activations quantized per call;
 * - convolutions whose filters have fewer than 16 taps (kh * kw * in/groups, typically a first layer
 *   on one input channel) run a direct int8 kernel when static and feeding an int8 layer (through
 *   max pooling too, which that kernel then fuses); otherwise they stay float (reported with the reason);
 * - static models whose int8 layers feed each other predict with those activations kept in uint8
 *   between the layers (max pooling and Flatten included);
 * - 'float16': every float32 weight is stored as float16 (compute stays float32).
 * Layers with weights that stay float are listed in `result.quantizationReport.float` with the reason.
 *
 * `calibrationData` may be a Dataset (batches of `{ x, y }` or input tensors, read to its end):
 * quantize then resolves to the model.
 *
 * @example
 * const q = tf.quantization.quantize(model, { mode: 'static', calibrationData: xTrain.slice(0, 500) });
 * const q2 = await tf.quantization.quantize(model, { mode: 'static', calibrationData: trainSet.take(4) });
 * await q.save('model-int8');
 */
export function quantize(model: LayersModel, options: QuantizeOptions & { calibrationData: CalibrationSource }): Promise<QuantizedModel>;
export function quantize(model: LayersModel, options: QuantizeOptions & { calibrationData?: Tensor | Tensor[] }): QuantizedModel;
export function quantize(model: LayersModel, options: QuantizeOptions): QuantizedModel | Promise<QuantizedModel>;
export function quantize(model: LayersModel, options: QuantizeOptions): QuantizedModel | Promise<QuantizedModel> {
  const fn = 'quantization.quantize';
  checkModel(fn, model);
  // A Dataset is read (asynchronously) first; the result is then a Promise.
  const cd = options?.calibrationData;
  if (isCalibrationSource(cd) && options.mode !== 'static') {
    argError(fn, 'options.calibrationData', "nothing outside 'static' mode (only static mode calibrates)", 'a Dataset');
  }
  if (isCalibrationSource(cd)) return collectCalibrationData(fn, cd).then((data) => quantizeNow(fn, model, { ...options, calibrationData: data }));
  return quantizeNow(fn, model, options);
}

function quantizeNow(fn: string, model: LayersModel, options: QuantizeOptions): QuantizedModel {
  const o = resolveOptions(fn, options);
  if (o.mode === 'float16') return toFloat16(fn, model);
  let grids = new Map<Layer, ActivationQuant>();
  if (o.mode === 'static') {
    const watched = new Set(model.layers.filter((l) => ACTIVATION_INPUT_CLASSES.has(l.className)));
    const data = o.calibrationData as Tensor[];
    if (data.length !== model.inputs.length) {
      argError(fn, 'options.calibrationData', `${model.inputs.length} tensor(s), one per model input`, `${data.length}`);
    }
    grids = calibrateInputs(model, watched, data, { method: o.calibration, percentile: o.percentile, symmetric: o.symmetric, batchSize: o.batchSize });
  }
  return buildInt8Model(fn, model, o.mode, o.perChannel, grids);
}
