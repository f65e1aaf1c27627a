import { argError, describe } from '../errors';
import { findLoss, lossNames, nameKey } from '../losses/registry';
import { BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from './accuracy';
import { AUC } from './auc';
import { Accuracy } from './auto-accuracy';
import { F1Score } from './f1-score';
import { MeanMetricWrapper } from './mean-metric-wrapper';
import type { Metric, MetricContext, MetricFunction } from './metric';
import { Precision } from './precision';
import { Recall } from './recall';
import { SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy } from './top-k';

/** Anything `getMetric` resolves: a name, a metric object, or a per-sample function. */
export type MetricIdentifier = string | Metric | MetricFunction;

type Builder = (name: string, context: MetricContext) => Metric;

const builders: [string[], Builder][] = [
  [['accuracy', 'acc'], (name, context) => new Accuracy(name, context)],
  [['binaryAccuracy', 'binary_accuracy'], (name) => new BinaryAccuracy({ name })],
  [['categoricalAccuracy', 'categorical_accuracy'], (name) => new CategoricalAccuracy({ name })],
  [['sparseCategoricalAccuracy', 'sparse_categorical_accuracy'], (name) => new SparseCategoricalAccuracy({ name })],
  [['precision'], (name) => new Precision({ name })],
  [['recall'], (name) => new Recall({ name })],
  [['f1', 'f1Score', 'f1_score'], (name) => new F1Score({ name })],
  [['topKCategoricalAccuracy', 'top_k_categorical_accuracy'], (name) => new TopKCategoricalAccuracy({ name })],
  [['sparseTopKCategoricalAccuracy', 'sparse_top_k_categorical_accuracy'], (name) => new SparseTopKCategoricalAccuracy({ name })],
  [['auc'], (name) => new AUC({ name })],
];

const byKey = new Map<string, Builder>();
for (const [names, builder] of builders) for (const n of names) byKey.set(nameKey(n), builder);

/** Valid metric names, for error messages: the metrics above, then every loss name. */
export function metricNames(): string[] {
  return [...builders.flatMap(([names]) => names), ...lossNames()];
}

function isMetric(value: unknown): value is Metric {
  const m = value as Partial<Record<keyof Metric, unknown>> | null;
  return typeof m === 'object' && m !== null && typeof m.update === 'function' && typeof m.result === 'function' &&
    typeof m.reset === 'function';
}

/**
 * Resolves an entry of `compile({ metrics })` into a fresh {@link Metric}:
 * - 'accuracy' / 'acc': binary, sparse categorical or categorical accuracy chosen from `context`
 *   (`lossName`, `outputShape`) as Keras/tfjs do, else from the first batch's shapes;
 * - 'binaryAccuracy' (threshold 0.5), 'categoricalAccuracy', 'sparseCategoricalAccuracy',
 *   'precision', 'recall', 'f1' (threshold 0.5, micro-averaged over one-hot classes), 'auc'
 *   (ROC, 200 thresholds), 'topKCategoricalAccuracy' / 'sparseTopKCategoricalAccuracy' (k = 5; pass
 *   `new metrics.TopKCategoricalAccuracy({ k })` for another k), and any loss name ('mse', 'meanSquaredError', 'mae',
 *   'binaryCrossentropy'...) for that loss's epoch mean. Keras snake_case and class-style
 *   spellings work too; unknown names throw an Error listing the valid ones.
 * - a Metric object: returned as is (its state is shared wherever it is used);
 * - a function `(yTrue, yPred) => Tensor` of per-sample values: its epoch mean, named after the function.
 *
 * The metric's `name` (the key in logs and History) is the string the user passed: 'acc' stays
 * 'acc' and 'accuracy' stays 'accuracy'.
 */
export function getMetric(identifier: MetricIdentifier, context: MetricContext = {}): Metric {
  if (typeof identifier === 'string') {
    const builder = byKey.get(nameKey(identifier));
    if (builder) return builder(identifier, context);
    const loss = findLoss(identifier);
    if (loss) return new MeanMetricWrapper(loss, identifier);
    throw new Error(`getMetric: unknown metric ${JSON.stringify(identifier)}; valid names are ${metricNames().join(', ')}`);
  }
  if (isMetric(identifier)) return identifier;
  if (typeof identifier === 'function') return new MeanMetricWrapper(identifier, identifier.name || 'metric');
  return argError('getMetric', 'identifier', 'a metric name, a Metric or a function (yTrue, yPred) => Tensor', describe(identifier));
}
