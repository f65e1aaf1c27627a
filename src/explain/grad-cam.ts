import { argError, describe } from '../errors';
import type { LayersModel, ForwardTap } from '../models/layers-model';
import type { Layer } from '../layers/layer';
import type { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/tape';
import { gradientsOfWithSeed } from '../autograd/backward';
import { sum } from '../ops/reduce';
import { zerosLike, tensor } from '../ops/creation';
import { slice } from '../ops/views';
import { type ClassIndex, type ExplainTarget, checkCall, checkTarget, classScores, resolveClasses, runModel } from './target';
import { type ExplainDataFormat, formatOf, resizeBilinear, spatialSize } from './spatial';

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /** The layer whose feature maps are weighted (default: the last layer with a spatial output). */
  layerName?: string;
  /** The output unit to explain (default: each sample's predicted class). */
  classIndex?: ClassIndex;
  /** Channel position of that layer's output and of `x` (default: the layer's own, else channels-last; channels-first for ONNX imports). */
  dataFormat?: ExplainDataFormat;
  /** Resize the map to the input's height and width (default true when `x` is spatial like the layer). */
  upsample?: boolean;
  /**
   * `'gradCam'` (default) weights each channel by its mean gradient; `'hiResCam'` (Draelos & Carin
   * 2020) multiplies gradients and activations position by position, which stays faithful when the
   * layer feeds a Flatten + Dense head (where mean weights can cancel and leave a blank map).
   */
  method?: 'gradCam' | 'hiResCam';
  /** Explain the scores before a final softmax / sigmoid (`'logits'`, the default) or the output itself. */
  target?: ExplainTarget;
}

/**
 * Grad-CAM (Selvaraju et al. 2017): the layer's feature maps weighted by the spatial mean of the
 * class score's gradient (or, with `method: 'hiResCam'`, by the gradient at each position), summed
 * over channels, ReLU'd and scaled to [0, 1] per sample. Returns
 * `[N, H, W]` (`[N, 1, T]` for sequences), at the input's resolution unless `upsample` is false.
 */
export async function gradCam(model: LayersModel, x: Tensor, options: GradCamOptions = {}): Promise<Tensor> {
  const fn = 'explain.gradCam';
  checkCall(fn, model, x, options);
  const method = options.method ?? 'gradCam';
  if (method !== 'gradCam' && method !== 'hiResCam') argError(fn, 'method', "'gradCam' or 'hiResCam'", describe(method));
  const classes = resolveClasses(fn, model, x, options.classIndex);
  const target = options.layerName === undefined ? lastSpatialLayer(fn, model, x) : namedLayer(fn, model, options.layerName);
  const format = formatOf(fn, target, options.dataFormat);

  let captured: Tensor | null = null;
  const tap: ForwardTap = (layer, _inputs, outputs) => {
    if (layer !== target || captured) return;
    const first = Array.isArray(outputs) ? outputs[0]! : outputs;
    const leaf = first.detach();
    leaf.requiresGrad = true;
    captured = leaf;
    return Array.isArray(outputs) ? [leaf, ...outputs.slice(1)] : leaf;
  };
  const score = sum(classScores(fn, model, x, classes, tap, checkTarget(fn, options.target, 'logits')));
  const maps = captured as Tensor | null;
  if (!maps) argError(fn, 'layerName', 'a layer the model calls on its way to the output', describe(options.layerName));
  if (maps.rank !== 4 && maps.rank !== 3) {
    argError(fn, 'layerName', 'a layer whose output is [batch, H, W, C] or [batch, T, C] (or channels-first)', `'${target.name}' with output shape [${maps.shape.join(',')}]`);
  }
  const grads = score.requiresGrad ? gradientsOfWithSeed(score, [maps])[0] ?? zerosLike(maps) : zerosLike(maps);

  const n = maps.shape[0]!;
  const channels = format === 'channelsLast' ? maps.shape[maps.rank - 1]! : maps.shape[1]!;
  const [h, w] = spatialSize(maps.shape, format);
  const positions = h * w;
  const a = maps.dataSync();
  const g = grads.dataSync();
  // Element (sample, position, channel) in either layout.
  const at = format === 'channelsLast'
    ? (s: number, p: number, c: number) => (s * positions + p) * channels + c
    : (s: number, p: number, c: number) => (s * channels + c) * positions + p;

  const upsample = options.upsample ?? x.rank === maps.rank;
  const [outH, outW] = upsample ? spatialSize(x.shape, formatOf(fn, null, options.dataFormat ?? format)) : [h, w];
  const out = new Float32Array(n * outH * outW);
  const alpha = new Float64Array(channels);
  for (let s = 0; s < n; s++) {
    alpha.fill(0);
    for (let p = 0; p < positions; p++) for (let c = 0; c < channels; c++) alpha[c]! += g[at(s, p, c)]!;
    for (let c = 0; c < channels; c++) alpha[c]! /= positions;
    const cam = new Float32Array(positions);
    let peak = 0;
    for (let p = 0; p < positions; p++) {
      let v = 0;
      if (method === 'gradCam') for (let c = 0; c < channels; c++) v += alpha[c]! * a[at(s, p, c)]!;
      else for (let c = 0; c < channels; c++) v += g[at(s, p, c)]! * a[at(s, p, c)]!;
      cam[p] = v > 0 ? v : 0;
      if (cam[p]! > peak) peak = cam[p]!;
    }
    if (peak > 0) for (let p = 0; p < positions; p++) cam[p]! /= peak;
    out.set(upsample && (outH !== h || outW !== w) ? resizeBilinear(cam, h, w, outH, outW) : cam, s * outH * outW);
  }
  return tensor(out, [n, outH, outW]);
}

function namedLayer(fn: string, model: LayersModel, name: unknown): Layer {
  if (typeof name !== 'string') argError(fn, 'layerName', 'a layer name (string)', describe(name));
  const found = model.layers.find((l) => l.name === name);
  if (!found) argError(fn, 'layerName', `the name of one of the model's ${model.layers.length} layers`, describe(name));
  return found;
}

function lastSpatialLayer(fn: string, model: LayersModel, x: Tensor): Layer {
  let last: Layer | null = null;
  // One sample is enough to see which layers produce feature maps.
  const probe = x.shape[0] === 1 ? x : slice(x, [0], [1]);
  noGrad(() =>
    runModel(model, probe, (layer, _inputs, outputs) => {
      const first = Array.isArray(outputs) ? outputs[0] : outputs;
      if (first && (first.rank === 4 || (first.rank === 3 && x.rank === 3))) last = layer;
    }),
  );
  if (!last) argError(fn, 'layerName', 'a layer name (the model has no layer with a spatial output to choose by default)', 'undefined');
  return last;
}
