import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { confusionMatrix } from '../../src/vis/confusion-matrix';
import { type XmlElement, allText, findAll, parseXml, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const cells = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.name === 'g' && e.attrs.class === 'cell');
const cellText = (root: XmlElement, row: number, col: number): string =>
  allText(cells(root).find((c) => c.attrs['data-row'] === String(row) && c.attrs['data-col'] === String(col))!).slice(-1)[0]!;

const TRUE = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
const PRED = [0, 1, 1, 1, 2, 2, 2, 0, 2, 0];
const COUNTS = [
  [2, 1, 0],
  [0, 2, 1],
  [1, 0, 3],
];

describe('vis.confusionMatrix', () => {
  it('counts true classes by row and predictions by column, and writes them into the cells', async () => {
    const path = tmp.file('cm/matrix.svg');
    const m = await confusionMatrix(TRUE, PRED, path, { labels: ['cat', 'dog', 'bird'] });
    expect(m).toEqual(COUNTS);
    const root = parseXml(readFileSync(path, 'utf8'));
    expect(cells(root)).toHaveLength(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(cellText(root, i, j)).toBe(String(COUNTS[i]![j]));
    expect(allText(root)).toEqual(expect.arrayContaining(['cat', 'dog', 'bird', 'True label', 'Predicted label']));
  });

  it('takes tensors of indices, one-hot rows or probabilities alike', async () => {
    const oneHot = tf.oneHot(tf.tensor(TRUE, [TRUE.length], { dtype: 'int32' }), 3);
    const probs = tf.tensor(PRED.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 0.6 : 0.2))), [PRED.length, 3]);
    expect(await confusionMatrix(oneHot, probs, tmp.file('a.svg'))).toEqual(COUNTS);
    expect(await confusionMatrix(tf.tensor(TRUE), PRED.map((p) => [0, 1, 2].map((c) => (c === p ? 1 : 0))), tmp.file('b.svg'))).toEqual(COUNTS);
    // One sigmoid column: thresholds at 0.5.
    expect(await confusionMatrix([0, 1, 1, 0], tf.tensor([[0.2], [0.9], [0.4], [0.7]]), tmp.file('c.svg'))).toEqual([
      [1, 1],
      [1, 1],
    ]);
    // Classes never seen still get a row and column when numClasses says so.
    expect(await confusionMatrix([0, 1], [1, 1], tmp.file('d.svg'), { numClasses: 3 })).toEqual([
      [0, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('normalizes over true classes, predictions or everything', async () => {
    const rows = await confusionMatrix(TRUE, PRED, tmp.file('r.svg'), { normalize: true });
    rows.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(COUNTS[i]![j]! / COUNTS[i]!.reduce((a, b) => a + b), 12)));
    const root = parseXml(readFileSync(tmp.file('r.svg'), 'utf8'));
    expect(cellText(root, 2, 2)).toBe('0.75');
    const cols = await confusionMatrix(TRUE, PRED, tmp.file('p.svg'), { normalize: 'pred' });
    expect(cols[0]![0]).toBeCloseTo(2 / 3, 12);
    const all = await confusionMatrix(TRUE, PRED, tmp.file('all.svg'), { normalize: 'all' });
    expect(all.flat().reduce((a, b) => a + b)).toBeCloseTo(1, 12);
  });

  it('names the argument that is wrong', async () => {
    await expect(confusionMatrix([0, 1], [0], tmp.file('x.svg'))).rejects.toThrow(/vis\.confusionMatrix: argument 'yPred' expected 2 samples \(as many as yTrue\), got 1/);
    await expect(confusionMatrix([0, 1.5], [0, 1], tmp.file('x.svg'))).rejects.toThrow(/argument 'yTrue' expected class indices \(non-negative integers\), got 1.5 at position 1/);
    await expect(confusionMatrix([0, 2], [0, 1], tmp.file('x.svg'), { labels: ['a', 'b'] })).rejects.toThrow(/argument 'options.labels' expected at least 3 classes/);
    await expect(confusionMatrix('abc' as unknown as number[], [0], tmp.file('x.svg'))).rejects.toThrow(/argument 'yTrue' expected class indices \[N\] or probability/);
    await expect(confusionMatrix([0], [0], tmp.file('x.svg'), { normalize: 'rows' as 'true' })).rejects.toThrow(/argument 'options.normalize'/);
  });
});
