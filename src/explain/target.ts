// What every attribution method differentiates: one scalar per sample, the model's output unit for
// the class being explained, computed in inference mode.
import { argError, describe } from '../errors';
import { LayersModel, type ForwardTap } from '../models/layers-model';
import { Tensor } from '../tensor/tensor';
import { noGrad } from '../autograd/tape';
import { oneHot } from '../ops/movement';
import { mul } from '../ops/binary';
import { sum } from '../ops/reduce';
import { reshape } from '../ops/views';
import type { Layer } from '../layers/layer';
import { type Activation, resolveActivation } from '../activations/activations';
import { OnnxNode } from '../onnx/import/onnx-node-layer';

/** Which output unit to explain: one class for every sample, one per sample, or (default) the predicted one. */
export type ClassIndex = number | readonly number[];

/** @internal */
export function checkModel(fn: string, model: unknown): LayersModel {
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (from sequential(), model() or importOnnx())', describe(model));
  if (model.inputs.length > 1) argError(fn, 'model', 'a model with one input', `${model.inputs.length} inputs`);
  return model;
}

/** @internal */
export function checkInput(fn: string, x: unknown, minRank = 2): Tensor {
  if (!(x instanceof Tensor)) argError(fn, 'x', 'a float32 Tensor with a batch dimension', describe(x));
  if (x.dtype !== 'float32') argError(fn, 'x', 'a float32 tensor', `dtype ${x.dtype}`);
  if (x.rank < minRank) argError(fn, 'x', `rank >= ${minRank} ([batch, ...features])`, `shape [${x.shape.join(',')}]`);
  if (x.shape[0] === 0) argError(fn, 'x', 'at least one sample', `shape [${x.shape.join(',')}]`);
  return x;
}

/** @internal the checks every method starts with: a one-input model, a batch `x`, an options object. */
export function checkCall(fn: string, model: unknown, x: unknown, options: unknown): void {
  checkModel(fn, model);
  checkInput(fn, x);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
}

/** @internal checks a positive integer option, or returns its default. */
export function positiveInt(fn: string, arg: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) argError(fn, arg, 'a positive integer', describe(value));
  return value;
}

/** @internal the model's first output as [batch, units] (a rank-1 output is one unit). */
export function outputMatrix(fn: string, y: Tensor | undefined): Tensor {
  if (!y || y.rank < 1) argError(fn, 'model', 'a model whose output has a batch dimension', describe(y));
  if (y.rank === 1) return reshape(y, [y.shape[0]!, 1]);
  if (y.rank === 2) return y;
  return reshape(y, [y.shape[0]!, y.shape.slice(1).reduce((a, b) => a * b, 1)]);
}

/** @internal runs the model in inference mode (with an optional tap), first output only. */
export function runModel(model: LayersModel, x: Tensor, tap?: ForwardTap): Tensor {
  return model.forward([x], { training: false, losses: [] }, tap)[0]!;
}

/**
 * @internal the class each sample is explained for: the given one(s), else the model's prediction
 * on `x` (argmax of the first output; unit 0 for a single-unit output).
 */
export function resolveClasses(fn: string, model: LayersModel, x: Tensor, classIndex: ClassIndex | undefined): number[] {
  const n = x.shape[0]!;
  const y = noGrad(() => outputMatrix(fn, runModel(model, x)));
  const units = y.shape[1]!;
  const check = (c: unknown, arg: string): number => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= units) {
      argError(fn, arg, `an integer in [0, ${units}) (the model has ${units} output unit(s))`, describe(c));
    }
    return c;
  };
  if (classIndex === undefined) {
    if (units === 1) return new Array<number>(n).fill(0);
    const data = y.dataSync();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < units; k++) if (data[i * units + k]! > data[i * units + best]!) best = k;
      out.push(best);
    }
    return out;
  }
  if (typeof classIndex === 'number') return new Array<number>(n).fill(check(classIndex, 'classIndex'));
  if (!Array.isArray(classIndex) || classIndex.length !== n) {
    argError(fn, 'classIndex', `an integer or an array of ${n} integers (one per sample)`, describe(classIndex));
  }
  return classIndex.map((c, i) => check(c, `classIndex[${i}]`));
}

/**
 * What is explained: the model's output as it is (`'output'`, probabilities after a final softmax),
 * or the scores before a final softmax / sigmoid (`'logits'`), which do not saturate the way
 * probabilities of a confident model do (the Keras Grad-CAM tutorial removes the softmax too).
 */
export type ExplainTarget = 'output' | 'logits';

const SQUASHING = new Set(['softmax', 'sigmoid']);
const SQUASHING_ONNX = new Set(['Softmax', 'Sigmoid']);

/** @internal checks the `target` option. */
export function checkTarget(fn: string, value: unknown, fallback: ExplainTarget): ExplainTarget {
  if (value === undefined) return fallback;
  if (value !== 'output' && value !== 'logits') argError(fn, 'target', "'output' or 'logits'", describe(value));
  return value;
}

/**
 * @internal runs `body` with the model's final squashing activation bypassed: a layer's own
 * `activation` is set to linear for the (synchronous) call, and an ONNX Softmax / Sigmoid node
 * passes its input through.
 */
function withLogits<T>(model: LayersModel, tap: ForwardTap | undefined, body: (tap: ForwardTap | undefined) => T): T {
  const last = model.outputs[0]?.sourceLayer as (Layer & { activation?: Activation }) | undefined;
  if (!last) return body(tap);
  if (last.activation && SQUASHING.has(last.activation.name)) {
    const own = last.activation;
    const writable = last as unknown as { activation: Activation };
    writable.activation = resolveActivation('explain', 'linear');
    try {
      return body(tap);
    } finally {
      writable.activation = own;
    }
  }
  if (last instanceof OnnxNode && SQUASHING_ONNX.has(last.opType)) {
    const bypass: ForwardTap = (layer, inputs, outputs) => {
      const replaced = tap?.(layer, inputs, outputs);
      if (layer !== last) return replaced;
      return Array.isArray(inputs) ? inputs[0]! : inputs;
    };
    return body(bypass);
  }
  return body(tap);
}

/** @internal [batch] scores of the selected units, differentiable with respect to x. */
export function classScores(fn: string, model: LayersModel, x: Tensor, classes: readonly number[], tap?: ForwardTap, target: ExplainTarget = 'output'): Tensor {
  const out = target === 'logits' ? withLogits(model, tap, (t) => runModel(model, x, t)) : runModel(model, x, tap);
  const y = outputMatrix(fn, out);
  if (y.shape[0] !== classes.length) argError(fn, 'x', `${classes.length} samples`, `shape [${x.shape.join(',')}]`);
  const units = y.shape[1]!;
  return sum(mul(y, oneHot(classes, units)), 1);
}

/** @internal lets the event loop run between passes of a long explanation. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
