import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import { Tensor } from '../tensor/tensor';
import { grad } from '../autograd/functional';
import { sum } from '../ops/reduce';
import { add, div, mul, sub } from '../ops/binary';
import { broadcastTo } from '../ops/views';
import { type ClassIndex, type ExplainTarget, checkTarget, checkCall, classScores, positiveInt, resolveClasses, yieldToEventLoop } from './target';

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions {
  /**
   * The reference input: a number (default 0, a black image / all-zero features), a tensor shaped
   * like `x`, or one sample's shape `[1, ...]` used for every sample.
   */
  baseline?: number | Tensor;
  /** Intervals of the path integral (trapezoid rule over steps + 1 points; default 50). */
  steps?: number;
  /** Explain the model's output as it is (`'output'`, the default) or the scores before a final softmax / sigmoid (`'logits'`). */
  target?: ExplainTarget;
  /** The output unit to explain (default: each sample's predicted class). */
  classIndex?: ClassIndex;
}

/**
 * Integrated gradients (Sundararajan et al. 2017): `(x - baseline) *` the class score's gradient
 * averaged along the straight path from the baseline to `x`. Shaped like `x`; each sample's
 * attributions sum to `f(x) - f(baseline)` up to the integration error, which shrinks with `steps`.
 */
export async function integratedGradients(model: LayersModel, x: Tensor, options: IntegratedGradientsOptions = {}): Promise<Tensor> {
  const fn = 'explain.integratedGradients';
  checkCall(fn, model, x, options);
  const steps = positiveInt(fn, 'steps', options.steps, 50);
  const baseline = resolveBaseline(fn, x, options.baseline ?? 0);
  const classes = resolveClasses(fn, model, x, options.classIndex);
  const target = checkTarget(fn, options.target, 'output');
  const gradient = grad((xi: Tensor) => sum(classScores(fn, model, xi, classes, undefined, target)));
  const delta = sub(x, baseline);
  let total: Tensor | null = null;
  for (let k = 0; k <= steps; k++) {
    const g = gradient(add(baseline, mul(delta, k / steps)));
    const weighted = k === 0 || k === steps ? mul(g, 0.5) : g;
    total = total ? add(total, weighted) : weighted;
    if (k < steps) await yieldToEventLoop();
  }
  return mul(delta, div(total!, steps));
}

function resolveBaseline(fn: string, x: Tensor, baseline: number | Tensor): Tensor {
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) argError(fn, 'baseline', 'a finite number or a tensor', describe(baseline));
    return broadcastTo(baseline, x.shape);
  }
  if (!(baseline instanceof Tensor)) argError(fn, 'baseline', 'a number or a float32 tensor', describe(baseline));
  const same = baseline.rank === x.rank && baseline.shape.every((d, i) => d === x.shape[i] || (i === 0 && d === 1));
  if (!same || baseline.dtype !== 'float32') {
    argError(fn, 'baseline', `a float32 tensor of shape [${x.shape.join(',')}] or [1,${x.shape.slice(1).join(',')}]`, describe(baseline));
  }
  return broadcastTo(baseline, x.shape);
}
