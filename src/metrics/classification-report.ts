import { argError, describe } from '../errors';
import { type ClassLabels, confusionCounts } from './class-indices';

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** Display names of the classes, in index order (default '0', '1', ...). Fixes the number of classes. */
  targetNames?: readonly string[];
  /** Number of classes when no names are given (default: as many as the inputs show). */
  numClasses?: number;
  /** Decimals printed by `toString()` (default 2, as scikit-learn). */
  digits?: number;
  /** The value of a ratio whose denominator is 0 (no predictions or no samples of a class); default 0. */
  zeroDivision?: number;
}

/** Scores of one class, or one average over classes. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples (of this class, or in total for the averages). */
  support: number;
}

/** What {@link classificationReport} returns; `toString()` prints it like scikit-learn's. */
export interface ClassificationReport {
  /** Per-class scores, in class-index order, with the class's display name. */
  classes: (ClassScores & { name: string })[];
  /** Fraction of samples whose predicted class is the true one. */
  accuracy: number;
  /** Unweighted mean of the per-class scores. */
  macroAvg: ClassScores;
  /** Mean of the per-class scores weighted by each class's support. */
  weightedAvg: ClassScores;
  /** The confusion matrix the scores come from (rows true, columns predicted). */
  confusionMatrix: number[][];
  toString(): string;
}

function ratio(a: number, b: number, zero: number): number {
  return b === 0 ? zero : a / b;
}

/** Python's `{:>w}` for strings: right-aligned, never truncated. */
function right(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

function format(report: Omit<ClassificationReport, 'toString'>, digits: number): string {
  const heading = 'weighted avg';
  const width = Math.max(heading.length, digits, ...report.classes.map((c) => c.name.length));
  const num = (v: number): string => ` ${right(v.toFixed(digits), 9)}`;
  const row = (name: string, s: ClassScores): string => `${right(name, width)} ${num(s.precision)}${num(s.recall)}${num(s.f1)} ${right(String(s.support), 9)}\n`;
  let out = `${right('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${right(h, 9)}`).join('')}\n\n`;
  for (const c of report.classes) out += row(c.name, c);
  out += '\n';
  const total = report.weightedAvg.support;
  out += `${right('accuracy', width)} ${' '.repeat(20)}${num(report.accuracy)} ${right(String(total), 9)}\n`;
  out += row('macro avg', report.macroAvg);
  out += row(heading, report.weightedAvg);
  return out;
}

/**
 * Per-class precision, recall, F1 and support of a classifier, with accuracy and the macro and
 * support-weighted averages (scikit-learn's `classification_report`; `toString()` prints the same
 * table). `yTrue` and `yPred` are class indices `[N]` or probability / one-hot rows `[N, K]`
 * (argmax), as Tensors or arrays.
 *
 * @example
 * const report = tf.metrics.classificationReport(yTest, await model.predict(xTest), { targetNames: ['cat', 'dog'] });
 * console.log(String(report));
 * report.classes[1].f1; // F1 of 'dog'
 */
export function classificationReport(yTrue: ClassLabels, yPred: ClassLabels, options: ClassificationReportOptions = {}): ClassificationReport {
  const fn = 'metrics.classificationReport';
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) argError(fn, 'options.digits', 'an integer in [0, 20]', describe(options.digits));
  const zero = options.zeroDivision ?? 0;
  if (typeof zero !== 'number' || Number.isNaN(zero)) argError(fn, 'options.zeroDivision', 'a number', describe(options.zeroDivision));
  const { counts, labels } = confusionCounts(fn, yTrue, yPred, { labels: options.targetNames, numClasses: options.numClasses });
  const total = counts.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0);
  const classes = labels.map((name, i) => {
    const tp = counts[i]![i]!;
    const predicted = counts.reduce((s, r) => s + r[i]!, 0);
    const support = counts[i]!.reduce((a, b) => a + b, 0);
    const precision = ratio(tp, predicted, zero);
    const recall = ratio(tp, support, zero);
    // scikit-learn: F1 from precision and recall, and zeroDivision when both are 0.
    const f1 = precision + recall === 0 ? zero : (2 * precision * recall) / (precision + recall);
    return { name, precision, recall, f1, support };
  });
  const avg = (weight: (c: ClassScores) => number): ClassScores => {
    const w = classes.map(weight);
    const sw = w.reduce((a, b) => a + b, 0);
    const mean = (key: 'precision' | 'recall' | 'f1'): number => (sw === 0 ? zero : classes.reduce((s, c, i) => s + c[key] * w[i]!, 0) / sw);
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: total };
  };
  const correct = counts.reduce((s, r, i) => s + r[i]!, 0);
  const report = {
    classes,
    accuracy: ratio(correct, total, zero),
    macroAvg: avg(() => 1),
    weightedAvg: avg((c) => c.support),
    confusionMatrix: counts,
  };
  return { ...report, toString: () => format(report, digits) };
}
