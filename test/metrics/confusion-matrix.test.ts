import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor, vis } from '../../src';
import * as metrics from '../../src/metrics';

describe('metrics.confusionMatrix', () => {
  const yTrue = [2, 0, 2, 2, 0, 1];
  const yPred = [0, 0, 2, 2, 0, 2];

  it('counts true classes (rows) against predicted classes (columns)', () => {
    // scikit-learn's documented confusion_matrix example.
    expect(metrics.confusionMatrix(yTrue, yPred)).toEqual([[2, 0, 0], [0, 0, 1], [1, 0, 2]]);
  });

  it('reads probability rows by argmax, one-hot labels, and a single sigmoid column at 0.5', () => {
    const probs = tensor(yPred.map((c) => [0, 1, 2].map((j) => (j === c ? 0.6 : 0.2))));
    const oneHot = tensor(yTrue.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))));
    expect(metrics.confusionMatrix(oneHot, probs)).toEqual(metrics.confusionMatrix(yTrue, yPred));
    expect(metrics.confusionMatrix([1, 0, 1], tensor([[0.9], [0.7], [0.2]]))).toEqual([[0, 1], [1, 1]]);
  });

  it('normalizes over rows, columns or everything, and numClasses widens the matrix', () => {
    const rows = metrics.confusionMatrix(yTrue, yPred, { normalize: 'true' });
    rows.forEach((r) => expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12));
    const all = metrics.confusionMatrix(yTrue, yPred, { normalize: 'all' });
    expect(all[0]![0]).toBeCloseTo(2 / 6, 12);
    expect(metrics.confusionMatrix([0, 1], [1, 1], { numClasses: 4 })).toHaveLength(4);
    expect(() => metrics.confusionMatrix(yTrue, yPred, { normalize: 'rows' as never })).toThrow(/options.normalize/);
  });

  it('gives the same matrix as the vis picture (one shared computation)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cm-'));
    try {
      const pictured = await vis.confusionMatrix(yTrue, yPred, path.join(dir, 'cm.svg'));
      expect(pictured).toEqual(metrics.confusionMatrix(yTrue, yPred));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the argument of a bad label', () => {
    expect(() => metrics.confusionMatrix([0, -1], [0, 1])).toThrow(/metrics.confusionMatrix: argument 'yTrue' expected class indices/);
  });
});
