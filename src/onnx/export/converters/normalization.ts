// BatchNormalization (inference form: the moving statistics) and LayerNormalization.
import { BatchNormalization, LayerNormalization } from '../../../layers/normalization';
import type { LayerConverter, OnnxExportContext } from '../converter';
import { attr, constF32, node, reduce, transpose } from '../ops';
import { flatValues, floatTensor } from '../tensor-proto';
import { expectLayer, knownDim, normAxis, registerBuiltinConverter } from './util';

/** A per-feature vector as an initializer, or `fill` repeated when the layer has no such weight. */
function featureVector(ctx: OnnxExportContext, base: string, values: Float32Array | Int32Array | null, size: number, fill: number, shape: number[] = [size]): string {
  return ctx.addInitializer(base, floatTensor('', shape, values ?? new Float32Array(size).fill(fill)));
}

/** Moves `axis` to position 1 (ONNX BatchNormalization's channel axis) and back. */
function axisToOnePerm(rank: number, axis: number): number[] {
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 0 && i !== axis);
  return [0, axis, ...rest];
}

function inversePerm(p: number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

export const convertBatchNormalization: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, BatchNormalization);
  const shape = args.inputShapes[0]!;
  const rank = shape.length;
  const axis = normAxis(layer.axis, rank);
  if (axis === 0) throw new Error(`exportOnnx: layer '${layer.name}' (BatchNormalization) normalizes over the batch axis, which ONNX cannot express`);
  const c = knownDim(args, shape[axis], `size on the feature axis ${axis}`);
  const vals = (t: typeof layer.gamma) => (t ? flatValues(t) : null);
  const inputs = [
    featureVector(ctx, 'gamma', vals(layer.gamma), c, 1),
    featureVector(ctx, 'beta', vals(layer.beta), c, 0),
    featureVector(ctx, 'moving_mean', vals(layer.movingMean), c, 0),
    featureVector(ctx, 'moving_variance', vals(layer.movingVariance), c, 1),
  ];
  // The op wants channels on axis 1: a feature axis elsewhere (channels-last) is moved there and
  // back; between conv layers those transposes cancel with the convs' own.
  const perm = axis === 1 ? null : axisToOnePerm(rank, axis);
  const x = perm ? transpose(ctx, args.inputs[0]!, perm) : args.inputs[0]!;
  const y = node(ctx, 'BatchNormalization', [x, ...inputs], { epsilon: attr.float(layer.epsilon) });
  return [perm ? transpose(ctx, y, inversePerm(perm)) : y];
};

export const convertLayerNormalization: LayerConverter = (args, ctx) => {
  const layer = expectLayer(args, LayerNormalization);
  const shape = args.inputShapes[0]!;
  const rank = shape.length;
  const axis = normAxis(layer.axis, rank);
  const c = knownDim(args, shape[axis], `size on the normalized axis ${axis}`);
  const x = args.inputs[0]!;
  const gamma = layer.gamma ? flatValues(layer.gamma) : null;
  const beta = layer.beta ? flatValues(layer.beta) : null;
  // The ONNX op normalizes over every axis from `axis` on, which is the layer's single axis only
  // when that axis is the last one.
  if (ctx.opset >= 17 && axis === rank - 1) {
    const inputs = [x, featureVector(ctx, 'gamma', gamma, c, 1)];
    if (beta) inputs.push(featureVector(ctx, 'beta', beta, c, 0));
    return [node(ctx, 'LayerNormalization', inputs, { axis: attr.int(-1), epsilon: attr.float(layer.epsilon) })];
  }
  // The layer's own arithmetic: (x - mean) / sqrt(var + eps) * gamma + beta over one axis.
  const mu = reduce(ctx, 'ReduceMean', x, [axis], true);
  const centered = node(ctx, 'Sub', [x, mu]);
  const variance = reduce(ctx, 'ReduceMean', node(ctx, 'Mul', [centered, centered]), [axis], true);
  let y = node(ctx, 'Div', [centered, node(ctx, 'Sqrt', [node(ctx, 'Add', [variance, constF32(ctx, [layer.epsilon])])])]);
  const fshape = Array.from({ length: rank - axis }, (_, i) => (i === 0 ? c : 1));
  if (gamma) y = node(ctx, 'Mul', [y, featureVector(ctx, 'gamma', gamma, c, 1, fshape)]);
  if (beta) y = node(ctx, 'Add', [y, featureVector(ctx, 'beta', beta, c, 0, fshape)]);
  return [y];
};

registerBuiltinConverter('BatchNormalization', convertBatchNormalization);
registerBuiltinConverter('LayerNormalization', convertLayerNormalization);
