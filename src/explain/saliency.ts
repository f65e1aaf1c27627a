import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import type { Tensor } from '../tensor/tensor';
import { grad } from '../autograd/functional';
import { sum, max, min } from '../ops/reduce';
import { add, div, mul, sub } from '../ops/binary';
import { randn } from '../ops/creation';
import { abs } from '../ops/unary';
import { type ClassIndex, type ExplainTarget, checkTarget, checkCall, classScores, positiveInt, resolveClasses, yieldToEventLoop } from './target';

/** SmoothGrad: the gradient averaged over noisy copies of the input (Smilkov et al. 2017). */
export interface SmoothGradOptions {
  /** Noisy copies per input (default 25). */
  samples?: number;
  /** Noise standard deviation as a fraction of each input's value range (default 0.15). */
  noise?: number;
}

/** Options of {@link saliency}. */
export interface SaliencyOptions {
  /** Explain the model's output as it is (`'output'`, the default) or the scores before a final softmax / sigmoid (`'logits'`). */
  target?: ExplainTarget;
  /** The output unit to explain: one for all samples, one per sample, or (default) each sample's predicted class. */
  classIndex?: ClassIndex;
  /** Average over noisy copies (`true` for the defaults). */
  smoothGrad?: boolean | SmoothGradOptions;
  /** Return |gradient| instead of the signed gradient (default false). */
  absolute?: boolean;
}

/**
 * The gradient of the explained class score with respect to the input (a vanilla saliency map, or
 * SmoothGrad), shaped like `x`. Works on any model with one input, ONNX imports included.
 */
export async function saliency(model: LayersModel, x: Tensor, options: SaliencyOptions = {}): Promise<Tensor> {
  const fn = 'explain.saliency';
  checkCall(fn, model, x, options);
  const classes = resolveClasses(fn, model, x, options.classIndex);
  const target = checkTarget(fn, options.target, 'output');
  const gradient = grad((xi: Tensor) => sum(classScores(fn, model, xi, classes, undefined, target)));
  let result: Tensor;
  if (!options.smoothGrad) {
    result = gradient(x);
  } else {
    const sg = options.smoothGrad === true ? {} : options.smoothGrad;
    if (typeof sg !== 'object' || sg === null) argError(fn, 'smoothGrad', 'true or { samples, noise }', describe(sg));
    const samples = positiveInt(fn, 'smoothGrad.samples', sg.samples, 25);
    const noise = sg.noise ?? 0.15;
    if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) argError(fn, 'smoothGrad.noise', 'a finite number >= 0', describe(noise));
    const sampleAxes = x.shape.slice(1).map((_, i) => i + 1);
    const range = sub(max(x, sampleAxes, true), min(x, sampleAxes, true));
    const std = mul(range, noise);
    let total: Tensor | null = null;
    for (let s = 0; s < samples; s++) {
      const g = gradient(add(x, mul(randn(x.shape), std)));
      total = total ? add(total, g) : g;
      if (s + 1 < samples) await yieldToEventLoop();
    }
    result = div(total!, samples);
  }
  return options.absolute ? abs(result) : result;
}
