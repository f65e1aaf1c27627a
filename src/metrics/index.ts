/**
 * Stateful metrics accumulated over an epoch, exported as the `metrics` namespace, plus the
 * per-sample functions tfjs exports under `tf.metrics`.
 */
export { type Metric, type MetricContext, type MetricFunction } from './metric';
export { Mean } from './mean';
export { MeanMetricWrapper } from './mean-metric-wrapper';
export {
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
} from './accuracy';
export { Accuracy } from './auto-accuracy';
export { type ThresholdMetricOptions } from './confusion-counts';
export { Precision } from './precision';
export { Recall } from './recall';
export { F1Score, type F1ScoreOptions } from './f1-score';
export { AUC, type AUCOptions } from './auc';
export { MeanSquaredError, MeanAbsoluteError } from './regression';
export {
  meanSquaredError,
  meanSquaredError as mse,
  meanSquaredError as MSE,
} from '../losses/mean-squared-error';
export {
  meanAbsoluteError,
  meanAbsoluteError as mae,
  meanAbsoluteError as MAE,
} from '../losses/mean-absolute-error';
export { binaryCrossentropy } from '../losses/binary-crossentropy';
export { categoricalCrossentropy } from '../losses/categorical-crossentropy';
export { sparseCategoricalCrossentropy } from '../losses/sparse-categorical-crossentropy';
export {
  topKCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  type TopKOptions,
} from './top-k';
export { confusionMatrix, type ConfusionMatrixArgs } from './confusion-matrix';
export { classificationReport, type ClassificationReport, type ClassificationReportOptions, type ClassScores } from './classification-report';
export { getMetric, metricNames, type MetricIdentifier } from './registry';
