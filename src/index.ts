/**
 * tensorforge: tensors, autograd and native SIMD kernels for Node.js.
 * Every public function is a named export here.
 */
import './ops/tensor-methods';

export { Tensor, tidy, type NestedArray } from './tensor/tensor';
export type { DType } from './tensor/dtype';
export type { Shape } from './tensor/shape';
export {
  setBackend,
  getBackend,
  backendInfo,
  setNumThreads,
  getNumThreads,
  setSimdLevel,
  threadPoolStats,
  type BackendName,
  type BackendInfo,
} from './backend/backend';
export type { ThreadPoolCounters } from './backend/binding';
export { manualSeed } from './random/generator';
export {
  tensor,
  scalar,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  arange,
  eye,
  rand,
  randn,
  randint,
  type FactoryOptions,
} from './ops/creation';
export {
  add,
  sub,
  mul,
  div,
  pow,
  mod,
  fmod,
  maximum,
  minimum,
  equal,
  notEqual,
  greater,
  greaterEqual,
  less,
  lessEqual,
} from './ops/binary';
// Every unary op (listing them here would be one more place to edit per op).
export * from './ops/unary';
export { sum, mean, max, min, argmax, argmin } from './ops/reduce';
export { softmax, logSoftmax } from './ops/softmax';
export { scaledDotProductAttention, type AttentionOptions } from './ops/attention';
export { matmul, matMul, matmulAsync } from './ops/matmul';
export { linear } from './ops/linear';
export { toFusedActivation, type FusedActivation } from './ops/fused-activation';
export * from './ops/normalization';
export { channelAffine, type ChannelAffineOptions } from './ops/channel-affine';
export {
  maxPool2d,
  avgPool2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  upSampling2d,
  type Pool2dOptions,
  type UpSampling2dOptions,
  type GlobalPooling2dOptions,
  type DataFormat,
} from './ops/pool';
export {
  conv2d,
  conv1d,
  conv2dTranspose,
  type Conv2DOptions,
  type Conv2DTransposeOptions,
  type Conv1DOptions,
  type ConvPadding,
  type Conv2DDataFormat,
} from './ops/conv';
export { lstmCell, gruCell, simpleRnnCell, lstmSequence, gruSequence } from './ops/rnn-cells';
export { reshape, transpose, permute, slice, broadcastTo, expand, squeeze, expandDims, unsqueeze, flatten } from './ops/views';
export { concat, stack, pad, gather, oneHot } from './ops/movement';
export { where } from './ops/where';
export { cast } from './ops/cast';
export { contiguous } from './ops/copy';
export { listOps, type OpInfo, type OpCheck } from './ops/registry';
export { noGrad, isGradEnabled } from './autograd/tape';
export { backward } from './autograd/backward';
export { grad, grads, valueAndGrad, valueAndGrads, type ValueAndGrads } from './autograd/functional';
export { freshBufferCount, pooledBufferBytes } from './tensor/storage';

// Training: layers, models, losses, metrics, optimizers, callbacks (tfjs-layers names).
export {
  layers, Layer, input, SymbolicTensor, registerLayer, serialization, type LayerArgs, type CallContext, type ShapeWithBatch, type LayerConfig,
  type LayerClass, type LayerRegistration,
} from './layers';
export { sequential, model, loadModel, foldBatchNorm, LayersModel, Sequential, History, type CompileArgs, type FitArgs, type EvaluateArgs, type PredictArgs } from './models';
export { Module } from './nn/module';
export { callbacks, type Callback, type Logs, type TensorBoardArgs } from './callbacks';
export { initializers, type Initializer } from './initializers/initializers';
export { regularizers, type Regularizer } from './regularizers/regularizers';
export { ACTIVATION_NAMES, type ActivationName } from './activations/activations';
export * as losses from './losses';
export * as metrics from './metrics';
export * as optimizers from './optimizers';
export { schedules, Optimizer, registerOptimizer } from './optimizers';
export * as train from './optimizers/train';
export * from './data';

/** argmax/argmin under their tfjs names. */
export { argmax as argMax, argmin as argMin } from './ops/reduce';

// ONNX: import as trainable models, export, and the file reader.
export { importOnnx, OnnxNode, supportedOnnxOps, type ImportOnnxOptions } from './onnx/import';
export { exportOnnx, exportOnnxBytes, registerOnnxConverter, DEFAULT_ONNX_OPSET, type OnnxNodeSpec, type ExportOnnxOptions, type LayerConverter, type OnnxExportContext, type OnnxAttr, type ConverterInput } from './onnx/export';
export { checkOnnxModel, onnxModelProblems } from './onnx/check-model';
export {
  InferenceSession, type InferenceSessionOptions, type RunOptions, type BatchRunOptions, type SessionFeed, type ArrayFeed,
  type SessionValueMetadata, type SessionDim, type OrtElementType, type OrtNumericArray,
} from './onnx/inference-session';
export { readOnnxModel, type OnnxModel, type OnnxGraph, type OnnxTensor } from './onnx/read-model';

// Interpretation: attributions and attention weights.
export {
  explain, type ClassIndex, type ExplainTarget, type ExplainDataFormat, type SaliencyOptions, type SmoothGradOptions, type IntegratedGradientsOptions,
  type GradCamOptions, type OcclusionOptions, type PermutationImportanceOptions, type PermutationImportance, type ImportanceMetric,
  type AttentionMapsOptions,
} from './explain';

// TensorBoard event files for custom training loops (the callback is callbacks.tensorBoard).
export * as summary from './summary';

// Pictures as files: model graphs, training curves, confusion matrices, image grids, heat maps, HTML reports.
export { vis, type PlotModelOptions, type PlotHistoryOptions, type HistoryLike, type ConfusionMatrixOptions, type ClassLabels, type ImageGridOptions, type HeatmapOverlayOptions, type Colormap, type ReportOptions } from './vis';

// tfjs Layers format (model.json + weights.bin): load tfjs / Keras models, save for tfjs (model.save(dir, { format: 'tfjs' })).
export { loadLayersModel, modelFromTfjsArtifacts, type TfjsModelArtifacts, type TfjsLoadHandler } from './io/tfjs-format-load';
export { toTfjsArtifacts, type TfjsArtifacts } from './io/tfjs-format-save';
export type { SaveOptions } from './models/model-save';
// Hardening (issue 16): the memory budget every size from user input or a file is checked against.
export { setMemoryBudget, getMemoryBudget } from './tensor/budget';
// Pruning: magnitude pruning with schedules and a fit callback, strip, channel pruning.
export * as pruning from './pruning';
// Quantization: int8 (static / dynamic) and float16 post-training quantization, quantization-aware training.
export * as quantization from './quantization';
