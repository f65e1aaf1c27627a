import { describe, expect, it } from 'vitest';
import { tensor } from '../../src';
import * as metrics from '../../src/metrics';

// scikit-learn's documented example of classification_report (its printed output, verbatim).
const yTrue = [0, 1, 2, 2, 2];
const yPred = [0, 0, 2, 2, 1];
const SKLEARN_DOC_OUTPUT = [
  '              precision    recall  f1-score   support',
  '',
  '     class 0       0.50      1.00      0.67         1',
  '     class 1       0.00      0.00      0.00         1',
  '     class 2       1.00      0.67      0.80         3',
  '',
  '    accuracy                           0.60         5',
  '   macro avg       0.50      0.56      0.49         5',
  'weighted avg       0.70      0.60      0.61         5',
  '',
].join('\n');

describe('metrics.classificationReport', () => {
  it('prints the same table as scikit-learn for its documented example', () => {
    const report = metrics.classificationReport(yTrue, yPred, { targetNames: ['class 0', 'class 1', 'class 2'] });
    expect(String(report)).toBe(SKLEARN_DOC_OUTPUT);
  });

  it('per-class scores, accuracy and averages follow from the confusion counts', () => {
    const r = metrics.classificationReport(tensor(yTrue), tensor(yPred));
    expect(r.classes.map((c) => c.name)).toEqual(['0', '1', '2']);
    // class 2: TP 2, predicted 2, actual 3.
    expect(r.classes[2]).toMatchObject({ precision: 1, support: 3 });
    expect(r.classes[2]!.recall).toBeCloseTo(2 / 3, 12);
    expect(r.classes[2]!.f1).toBeCloseTo((2 * 1 * (2 / 3)) / (1 + 2 / 3), 12);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
    const macroP = r.classes.reduce((s, c) => s + c.precision, 0) / 3;
    const weightedR = r.classes.reduce((s, c) => s + c.recall * c.support, 0) / 5;
    expect(r.macroAvg.precision).toBeCloseTo(macroP, 12);
    expect(r.weightedAvg.recall).toBeCloseTo(weightedR, 12);
    expect(r.macroAvg.support).toBe(5);
    expect(r.confusionMatrix).toEqual([[1, 0, 0], [1, 0, 0], [0, 1, 2]]);
  });

  it('accepts one-hot labels and probability rows, and digits changes the printed precision', () => {
    const oneHot = tensor(yTrue.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))));
    const probs = tensor(yPred.map((c) => [0, 1, 2].map((j) => (j === c ? 0.7 : 0.15))));
    const fromRows = metrics.classificationReport(oneHot, probs, { digits: 4 });
    const fromIndices = metrics.classificationReport(yTrue, yPred, { digits: 4 });
    expect(fromRows.classes).toEqual(fromIndices.classes);
    expect(String(fromRows)).toContain('1.0000    0.6667    0.8000         3');
  });

  it('zeroDivision sets the value of empty ratios', () => {
    // Class 1 is never predicted: its precision is 0/0.
    const r = metrics.classificationReport([0, 1], [0, 0], { zeroDivision: 1 });
    expect(r.classes[1]!.precision).toBe(1);
    expect(r.classes[1]!.recall).toBe(0);
  });

  it('rejects bad options and mismatched inputs with clear errors', () => {
    expect(() => metrics.classificationReport([0, 1], [0], {})).toThrow(/metrics.classificationReport: argument 'yPred' expected 2 samples/);
    expect(() => metrics.classificationReport([0, 1], [0, 1], { digits: -1 })).toThrow(/options.digits/);
    expect(() => metrics.classificationReport([0, 3], [0, 1], { targetNames: ['a', 'b'] })).toThrow(/at least 4 classes/);
  });
});
