import { argError, describe } from '../errors';
import type { LayersModel } from '../models/layers-model';
import { Tensor } from '../tensor/tensor';
import { tensor } from '../ops/creation';
import { mean } from '../ops/reduce';
import { noGrad } from '../autograd/tape';
import { Generator } from '../random/generator';
import { checkCall, outputMatrix, positiveInt, yieldToEventLoop } from './target';

/** A metric of predictions: built-in name or `(yTrue, yPred) => number`. */
export type ImportanceMetric = 'accuracy' | 'mse' | 'mae' | 'loss' | ((yTrue: Tensor, yPred: Tensor) => number);

/** Options of {@link permutationImportance}. */
export interface PermutationImportanceOptions {
  /** Shuffles per feature (default 5). */
  repeats?: number;
  /**
   * What a shuffle hurts: 'accuracy' (class indices or one-hot `y`; one sigmoid unit thresholds at
   * 0.5), 'mse', 'mae', 'loss' (the compiled loss), or a function. Default: the compiled loss if the
   * model is compiled, else 'mse'.
   */
  metric?: ImportanceMetric;
  /** Whether larger metric values are better (default: true for 'accuracy', false otherwise). */
  higherIsBetter?: boolean;
  /** Seed of the shuffles (default 0), so results repeat. */
  seed?: number;
  /** Batch size of the predictions (default 256). */
  batchSize?: number;
}

/** Result of {@link permutationImportance}: per feature, how much the metric gets worse when it is shuffled. */
export interface PermutationImportance {
  /** The metric on the unshuffled data. */
  baseline: number;
  /** Mean worsening per feature (positive = the model relies on it). */
  mean: number[];
  /** Standard deviation of the worsening over the repeats. */
  std: number[];
  /** Every repeat's worsening: `raw[feature][repeat]`. */
  raw: number[][];
}

/**
 * Permutation feature importance (Breiman 2001): shuffles one feature (the last axis of `x`)
 * across samples at a time and measures how much the metric worsens.
 */
export async function permutationImportance(model: LayersModel, x: Tensor, y: Tensor, options: PermutationImportanceOptions = {}): Promise<PermutationImportance> {
  const fn = 'explain.permutationImportance';
  checkCall(fn, model, x, options);
  if (!(y instanceof Tensor)) argError(fn, 'y', 'a Tensor of targets', describe(y));
  if (y.shape[0] !== x.shape[0]) argError(fn, 'y', `${x.shape[0]} samples like x`, `shape [${y.shape.join(',')}]`);
  const repeats = positiveInt(fn, 'repeats', options.repeats, 5);
  const batchSize = positiveInt(fn, 'batchSize', options.batchSize, 256);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) argError(fn, 'seed', 'an integer', describe(seed));
  const { measure, higherIsBetter } = resolveMetric(fn, model, options);

  const n = x.shape[0]!;
  const features = x.shape[x.rank - 1]!;
  const rows = x.size / features;
  const perSample = rows / n;
  const original = Float32Array.from(x.dataSync());
  const evaluate = async (data: Float32Array): Promise<number> => {
    const pred = await model.predict(tensor(data, x.shape.slice()), { batchSize });
    return measure(y, Array.isArray(pred) ? pred[0]! : pred);
  };
  const baseline = await evaluate(original);
  const rng = new Generator(seed);
  const work = new Float32Array(original.length);
  const order = new Int32Array(n);
  const raw: number[][] = [];
  for (let f = 0; f < features; f++) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      work.set(original);
      // Sample i takes sample order[i]'s value of feature f, at every other position it has.
      for (let i = 0; i < n; i++) {
        for (let q = 0; q < perSample; q++) work[(i * perSample + q) * features + f] = original[(order[i]! * perSample + q) * features + f]!;
      }
      const value = await evaluate(work);
      drops.push(higherIsBetter ? baseline - value : value - baseline);
      await yieldToEventLoop();
    }
    raw.push(drops);
  }
  const mean = raw.map((d) => d.reduce((a, b) => a + b, 0) / d.length);
  const std = raw.map((d, i) => Math.sqrt(d.reduce((a, b) => a + (b - mean[i]!) ** 2, 0) / d.length));
  return { baseline, mean, std, raw };
}

function resolveMetric(fn: string, model: LayersModel, options: PermutationImportanceOptions): { measure: (yTrue: Tensor, yPred: Tensor) => number; higherIsBetter: boolean } {
  const metric = options.metric ?? (model.compiled ? 'loss' : 'mse');
  const higher = options.higherIsBetter;
  if (higher !== undefined && typeof higher !== 'boolean') argError(fn, 'higherIsBetter', 'a boolean', describe(higher));
  if (typeof metric === 'function') {
    return {
      measure: (t, p) => {
        const v = metric(t, p);
        if (typeof v !== 'number' || Number.isNaN(v)) argError(fn, 'metric', 'a function returning a number', describe(v));
        return v;
      },
      higherIsBetter: higher ?? false,
    };
  }
  switch (metric) {
    case 'accuracy':
      return { measure: (t, p) => accuracy(fn, t, p), higherIsBetter: higher ?? true };
    case 'mse':
    case 'mae':
      return { measure: (t, p) => meanError(fn, t, p, metric === 'mse'), higherIsBetter: higher ?? false };
    case 'loss': {
      const compiled = model.compiled;
      if (!compiled) argError(fn, 'metric', "'accuracy', 'mse', 'mae' or a function for a model that is not compiled", "'loss'");
      const loss = compiled.losses[0]!;
      return { measure: (t, p) => noGrad(() => mean(loss(t, p)).item()), higherIsBetter: higher ?? false };
    }
    default:
      return argError(fn, 'metric', "'accuracy', 'mse', 'mae', 'loss' or a function", describe(metric));
  }
}

function accuracy(fn: string, yTrue: Tensor, yPred: Tensor): number {
  const p = outputMatrix(fn, yPred);
  const n = p.shape[0]!;
  const units = p.shape[1]!;
  const pd = p.dataSync();
  const td = yTrue.dataSync();
  const oneHotTargets = yTrue.size === n * units && units > 1 && yTrue.rank >= 2;
  if (!oneHotTargets && yTrue.size !== n) argError(fn, 'y', `class indices [${n}] or one-hot [${n},${units}]`, `shape [${yTrue.shape.join(',')}]`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let predicted: number;
    if (units === 1) predicted = pd[i]! >= 0.5 ? 1 : 0;
    else {
      predicted = 0;
      for (let k = 1; k < units; k++) if (pd[i * units + k]! > pd[i * units + predicted]!) predicted = k;
    }
    let actual: number;
    if (oneHotTargets) {
      actual = 0;
      for (let k = 1; k < units; k++) if (td[i * units + k]! > td[i * units + actual]!) actual = k;
    } else actual = Math.round(td[i]!);
    if (predicted === actual) correct++;
  }
  return correct / n;
}

function meanError(fn: string, yTrue: Tensor, yPred: Tensor, squared: boolean): number {
  if (yTrue.size !== yPred.size) argError(fn, 'y', `${yPred.size} values like the model's output`, `shape [${yTrue.shape.join(',')}]`);
  const t = yTrue.dataSync();
  const p = yPred.dataSync();
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    const d = p[i]! - t[i]!;
    total += squared ? d * d : Math.abs(d);
  }
  return total / t.length;
}
