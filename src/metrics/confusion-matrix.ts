import { argError, describe } from '../errors';
import { type ClassLabels, confusionCounts } from './class-indices';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixArgs {
  /** Number of classes (default: the largest class index seen + 1, or the width of score rows). */
  numClasses?: number;
  /**
   * Scale the counts: over each true class (`'true'`, rows sum to 1), each predicted class
   * (`'pred'`, columns sum to 1) or all samples (`'all'`). Default: counts.
   */
  normalize?: 'true' | 'pred' | 'all';
}

/**
 * The confusion matrix of a classifier (scikit-learn's `confusion_matrix`, tfjs's
 * `tf.math.confusionMatrix`): `m[i][j]` counts samples of true class i predicted as class j.
 * `yTrue` and `yPred` are class indices `[N]` or probability / one-hot rows `[N, K]` (argmax; a
 * single column is thresholded at 0.5), as Tensors or arrays.
 *
 * @example
 * const probs = await model.predict(xTest);
 * tf.metrics.confusionMatrix(yTest, probs); // [[50, 2], [3, 45]]
 */
export function confusionMatrix(yTrue: ClassLabels, yPred: ClassLabels, options: ConfusionMatrixArgs = {}): number[][] {
  const fn = 'metrics.confusionMatrix';
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  if (options.normalize !== undefined && !['true', 'pred', 'all'].includes(options.normalize)) {
    argError(fn, 'options.normalize', "'true', 'pred' or 'all'", describe(options.normalize));
  }
  return confusionCounts(fn, yTrue, yPred, { numClasses: options.numClasses, normalize: options.normalize ?? false }).matrix;
}
