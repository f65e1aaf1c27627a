import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { niceTicks, plotHistory } from '../../src/vis/plot-history';
import { type XmlElement, allText, findAll, parseXml, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const charts = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.name === 'g' && e.attrs.class === 'chart');
const series = (chart: XmlElement): XmlElement[] => findAll(chart, (e) => e.name === 'path' && e.attrs.class === 'series');
/** The points of a series path `M x,y L x,y ...`, split into runs at each `M`. */
const runs = (path: XmlElement): number[][][] =>
  path.attrs.d!.split('M').filter(Boolean).map((run) => run.split('L').map((p) => p.trim().split(',').map(Number)));

describe('vis.plotHistory', () => {
  it('draws one chart per metric of a real fit, train and validation series in each', async () => {
    tf.manualSeed(3);
    const x = tf.randn([64, 3]);
    const y = tf.oneHot(tf.randint(0, 2, [64]), 2);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);

    const path = tmp.file('curves/history.svg');
    const svg = await plotHistory(history, path);
    expect(readFileSync(path, 'utf8')).toBe(svg);
    const root = parseXml(svg);
    expect(charts(root).map((c) => c.attrs['data-metric'])).toEqual(['loss', 'accuracy']);
    for (const chart of charts(root)) {
      const m = chart.attrs['data-metric']!;
      expect(series(chart).map((s) => s.attrs['data-series'])).toEqual([m, `val_${m}`]);
      for (const s of series(chart)) expect(runs(s)[0]).toHaveLength(3);
      expect(allText(chart)).toEqual(expect.arrayContaining([m, 'train', 'validation', 'epoch', '1', '2', '3']));
    }
  });

  it('plots higher values higher, breaks lines at NaN and handles train-only and validation-only metrics', async () => {
    const root = parseXml(await plotHistory({ loss: [3, 2, NaN, 1], val_auc: [0.5, 0.6, 0.7, 0.8], lr: [0.1, 0.1, 0.1, 0.1] }, tmp.file('h.svg'), { columns: 1, title: 'Run 7' }));
    expect(allText(root)).toContain('Run 7');
    const [loss, auc, lr] = charts(root);
    expect([loss, auc, lr].map((c) => c!.attrs['data-metric'])).toEqual(['loss', 'auc', 'lr']);
    const lossRuns = runs(series(loss!)[0]!);
    expect(lossRuns.map((r) => r.length)).toEqual([2, 1]);
    // SVG y grows downwards, so a falling loss has growing y and a rising AUC shrinking y.
    expect(lossRuns[0]![1]![1]).toBeGreaterThan(lossRuns[0]![0]![1]!);
    expect(series(auc!).map((s) => s.attrs['data-series'])).toEqual(['val_auc']);
    const aucPoints = runs(series(auc!)[0]!)[0]!;
    expect(aucPoints[3]![1]).toBeLessThan(aucPoints[0]![1]!);
    expect(runs(series(lr!)[0]!)[0]).toHaveLength(4); // a flat series still gets a value range
  });

  it('makes round ticks', () => {
    const close = (got: number[], want: number[]): void => {
      expect(got).toHaveLength(want.length);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    };
    close(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    close(niceTicks(0.13, 0.87, 4), [0.2, 0.4, 0.6, 0.8]);
    close(niceTicks(1, 100, 5), [20, 40, 60, 80, 100]);
    close(niceTicks(2, 2), [2]);
  });

  it('names the argument that is wrong', async () => {
    await expect(plotHistory({ loss: ['a'] } as unknown as Record<string, number[]>, tmp.file('h.svg'))).rejects.toThrow(
      /vis\.plotHistory: argument 'history' expected a History from fit\(\) or \{ name: number\[\] \}/,
    );
    await expect(plotHistory({ loss: [1] }, tmp.file('h.svg'), { columns: 0 })).rejects.toThrow(/argument 'options.columns' expected a positive integer, got 0/);
  });
});
