// Inference-time folding of BatchNormalization into the preceding Conv/Dense layer.
//
// At inference BN is the per-channel affine map y = x * s + t with s = gamma / sqrt(var + eps) and
// t = beta - mean * s. When x = conv(input, K) + b is linear in K and b (no activation in between),
// y = conv(input, K * s) + (b * s + t): scaling the kernel's output-channel axis and rewriting the
// bias removes the BN pass (one full read and write of the activations) from every prediction.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { normalizeAxis } from '../tensor/shape';
import { Layer, type LayerConfig } from '../layers/layer';
import { InputLayer, input } from '../layers/input-layer';
import { Dense } from '../layers/dense';
import { BatchNormalization } from '../layers/normalization';
import { Conv1D, Conv2D, SeparableConv2D } from '../layers/convolutional';
// The layer index, not registry.ts alone: importing it registers every built-in layer class.
import { deserializeLayer } from '../layers';
import type { SymbolicTensor } from '../layers/symbolic-tensor';
import type { GraphNode } from './graph';
import { LayersModel } from './layers-model';
import { Sequential } from './sequential';

type Foldable = Dense | Conv2D | Conv1D | SeparableConv2D;

/** The weight whose last axis is the output channel (every foldable layer keeps it last). */
function kernelName(layer: Foldable): string {
  return layer instanceof SeparableConv2D ? 'pointwise_kernel' : 'kernel';
}

/** Whether `bn` normalizes exactly the output channels of `layer` and nothing sits between them. */
function canFold(layer: Layer, bn: Layer): layer is Foldable {
  if (!(bn instanceof BatchNormalization) || !bn.built || !bn.batchInputShape) return false;
  if (!(layer instanceof Dense || layer instanceof Conv2D || layer instanceof Conv1D || layer instanceof SeparableConv2D)) return false;
  // The activation is applied before BN sees the values; folding is only exact for linear.
  if (layer.activation.name !== 'linear' || !layer.built) return false;
  const rank = bn.batchInputShape.length;
  const bnAxis = normalizeAxis(bn.name, bn.axis, rank);
  const channelAxis = layer instanceof Dense || layer.dataFormat === 'channelsLast' ? rank - 1 : 1;
  const channels = layer instanceof Dense ? layer.units : layer.filters;
  return bnAxis === channelAxis && bn.movingMean!.size === channels;
}

function values(t: Tensor): Float32Array {
  const c = t.contiguousCopy();
  return Float32Array.from(c.buffer.subarray(c.offset, c.offset + c.size));
}

/** The folded weights of `layer`, in the order of `clone` (which always has a bias). */
function foldedWeights(layer: Foldable, bn: BatchNormalization, clone: Layer): Tensor[] {
  const C = bn.movingMean!.size;
  const mean = values(bn.movingMean!);
  const variance = values(bn.movingVariance!);
  const gamma = bn.gamma ? values(bn.gamma) : null;
  const beta = bn.beta ? values(bn.beta) : null;
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + bn.epsilon);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  const kName = kernelName(layer);
  const byName = new Map(layer.weightsInfo.map((w) => [w.name, w.value]));
  const kernel = byName.get(kName)!;
  const k = values(kernel);
  for (let i = 0; i < k.length; i++) k[i] = k[i]! * scale[i % C]!;
  const oldBias = byName.get('bias');
  const b = oldBias ? values(oldBias) : new Float32Array(C);
  for (let c = 0; c < C; c++) b[c] = b[c]! * scale[c]! + shift[c]!;
  return clone.weightsInfo.map((w) => {
    if (w.name === kName) return Tensor.fromArray(k, kernel.shape.slice());
    if (w.name === 'bias') return Tensor.fromArray(b, [C]);
    const v = byName.get(w.name);
    if (!v) throw new Error(`foldBatchNorm: layer '${layer.name}' has no weight '${w.name}'`);
    return v;
  });
}

function cloneLayer(layer: Layer, overrides: LayerConfig = {}): Layer {
  try {
    return deserializeLayer(layer.className, { ...layer.getConfig(), ...overrides, name: layer.name });
  } catch (err) {
    throw new Error(`foldBatchNorm: cannot copy layer '${layer.name}' (${layer.className}): ${(err as Error).message}`);
  }
}

/** Pairs (conv node -> BN node) to fold: the conv's output feeds only that BN, each called once. */
function findFolds(model: LayersModel): Map<GraphNode, GraphNode> {
  const nodes = model.graphNodes;
  const consumers = new Map<number, GraphNode[]>();
  for (const n of nodes) for (const t of n.inputs) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  const outputIds = new Set(model.outputs.map((t) => t.id));
  const calls = new Map<Layer, number>();
  for (const n of nodes) calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
  const folds = new Map<GraphNode, GraphNode>();
  for (const n of nodes) {
    const out = n.outputs[0];
    if (!out || n.outputs.length !== 1 || outputIds.has(out.id) || calls.get(n.layer) !== 1) continue;
    const users = consumers.get(out.id) ?? [];
    const bn = users[0];
    if (users.length !== 1 || !bn || bn.listInput || bn.inputs.length !== 1 || calls.get(bn.layer) !== 1) continue;
    if (canFold(n.layer, bn.layer)) folds.set(n, bn);
  }
  return folds;
}

/**
 * An inference-equivalent copy of `model` in which every Conv2D / DepthwiseConv2D /
 * SeparableConv2D / Conv1D / Dense without activation that feeds only a BatchNormalization over
 * its output channels has the BN's inference transform folded into its kernel and bias, and the BN
 * removed. Predictions match the original's (inference mode) up to float rounding; the copy is for
 * inference: training it would no longer normalize with batch statistics. The original model is
 * left unchanged; layers keep their names, and unfolded layers get copies of their weights'
 * current values. Works on Sequential and functional models that are built.
 */
export function foldBatchNorm(model: LayersModel): LayersModel {
  if (!(model instanceof LayersModel)) argError('foldBatchNorm', 'model', 'a LayersModel (sequential or functional)', describe(model));
  if (model.inputs.length === 0) {
    throw new Error(`foldBatchNorm: model '${model.name}' is not built yet (give its first layer an inputShape or call it once)`);
  }
  const folds = findFolds(model);
  const foldedBn = new Set([...folds.values()]);
  const clones = new Map<Layer, Layer>();
  const weightsOf: [Layer, Tensor[] | (() => Tensor[])][] = [];
  for (const n of model.graphNodes) {
    if (foldedBn.has(n) || clones.has(n.layer)) continue;
    const bn = folds.get(n);
    const clone = cloneLayer(n.layer, bn ? { useBias: true } : {});
    clones.set(n.layer, clone);
    // Weights are set once the copy is built (by the rewiring below).
    weightsOf.push([clone, bn ? () => foldedWeights(n.layer as Foldable, bn.layer as BatchNormalization, clone) : n.layer.getWeights()]);
  }

  let result: LayersModel;
  if (model instanceof Sequential) {
    result = new Sequential({ name: model.name, layers: model.graphNodes.filter((n) => !foldedBn.has(n)).map((n) => clones.get(n.layer)!) });
  } else {
    const made = new Map<number, SymbolicTensor | undefined>();
    const inputs = model.inputs.map((t) => {
      const src = t.sourceLayer as InputLayer;
      const x = input({ batchShape: t.shape, dtype: t.dtype, name: src.name });
      made.set(t.id, x);
      return x;
    });
    for (const n of model.graphNodes) {
      const ins = n.inputs.map((t) => made.get(t.id)!);
      if (foldedBn.has(n)) {
        // The folded conv's output stands in for the BN's.
        made.set(n.outputs[0]!.id, ins[0]);
        continue;
      }
      const layer = clones.get(n.layer)!;
      const fixed = n.training === null ? {} : { training: n.training };
      const out = n.listInput ? layer.apply(ins, fixed) : layer.apply(ins[0]!, fixed);
      const list = Array.isArray(out) ? out : [out];
      n.outputs.forEach((o, i) => {
        if (o) made.set(o.id, list[i]);
      });
    }
    result = new LayersModel({ name: model.name, inputs, outputs: model.outputs.map((t) => made.get(t.id)!) });
  }
  for (const [clone, w] of weightsOf) {
    const list = typeof w === 'function' ? w() : w;
    if (list.length) clone.setWeights(list);
  }
  return result;
}
