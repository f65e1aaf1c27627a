import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { type XmlElement, findAll, parseXml, readPng, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Every inline `<svg>...</svg>` of an HTML page, each checked to be well-formed XML. */
function inlineSvgs(html: string): XmlElement[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => parseXml(m[0]));
}

/** `tf.vis` is exported from the package root with all of its functions. */
describe('tf.vis', () => {
  it('exports the picture functions', () => {
    expect(Object.keys(tf.vis).sort()).toEqual(['confusionMatrix', 'heatmapOverlay', 'imageGrid', 'plotHistory', 'plotModel', 'report']);
  });
});

describe('vis.report', () => {
  it('writes one self-contained page: summary, graph, curves, test metrics, confusion matrix and misclassified images', async () => {
    tf.manualSeed(11);
    const n = 40;
    const x = tf.rand([n, 6, 6, 1]);
    // Labels unrelated to the images: a two-epoch model cannot get them all right.
    const labels = tf.randint(0, 3, [n]);
    const y = tf.oneHot(labels, 3);
    const model = tf.sequential({
      name: 'tiny_cnn',
      layers: [
        tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1], name: 'conv' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0 });
    const pred = tf.argmax((await model.predict(x)) as tf.Tensor, -1).dataSync();
    const truth = labels.dataSync();
    const wrong = [...truth].filter((t, i) => t !== pred[i]).length;
    expect(wrong).toBeGreaterThan(0);

    const path = tmp.file('out/report.html');
    const html = await tf.vis.report(model, history, { path, testData: { x, y }, classNames: ['red', 'green', 'blue'], maxMisclassified: 5 });
    expect(readFileSync(path, 'utf8')).toBe(html);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Model report: tiny_cnn');
    // The summary as model.summary prints it.
    expect(html).toContain('Total params: ');
    for (const name of ['conv (Conv2D)', 'flat (Flatten)', 'probs (Dense)']) expect(html).toContain(name);
    // No network: the only URL is the SVG namespace name (an identifier, never fetched).
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:|\/\/[a-z]|src=|<link|<script/i);

    const svgs = inlineSvgs(html);
    const all = (pred: (e: XmlElement) => boolean): XmlElement[] => svgs.flatMap((s) => findAll(s, pred));
    expect(all((e) => e.attrs.class === 'layer').map((e) => e.attrs['data-name'])).toEqual([expect.any(String), 'conv', 'flat', 'probs']);
    expect(all((e) => e.attrs.class === 'chart').map((e) => e.attrs['data-metric'])).toEqual(['loss', 'accuracy']);
    expect(all((e) => e.attrs.class === 'series').map((e) => e.attrs['data-series'])).toEqual(['loss', 'val_loss', 'accuracy', 'val_accuracy']);
    expect(all((e) => e.attrs.class === 'cell')).toHaveLength(9);

    expect(html).toMatch(/<td>accuracy \(from predictions\)<\/td><td>[01]\.\d{4}<\/td>/);
    expect(html).toMatch(/<td>loss \(evaluate\)<\/td><td>\d+\.\d{4}<\/td>/);
    expect(html).toContain(`${wrong} of ${n} test samples are misclassified`);
    const images = all((e) => e.attrs.class === 'image');
    expect(images).toHaveLength(Math.min(5, wrong));
    for (const g of images) {
      const uri = findAll(g, (e) => e.name === 'image')[0]!.attrs.href!;
      expect(readPng(Buffer.from(uri.replace('data:image/png;base64,', ''), 'base64'))).toMatchObject({ width: 6, height: 6 });
      const caption = findAll(g, (e) => e.name === 'text').map((e) => e.text).join(' | ');
      const [, sample, t, p] = /^#(\d+): true (\w+) \| pred (\w+) \(\d\.\d\d\)$/.exec(caption)!;
      const names = ['red', 'green', 'blue'];
      expect(t).toBe(names[truth[Number(sample)]!]);
      expect(p).toBe(names[pred[Number(sample)]!]);
      expect(t).not.toBe(p);
    }

    // Class indices for a model compiled with a one-hot loss: evaluate gets them one-hot.
    const fromIndices = await tf.vis.report(model, history, { path, testData: { x, y: labels } });
    expect(fromIndices).toMatch(/<td>loss \(evaluate\)<\/td>/);
    expect(fromIndices).not.toContain('evaluate failed');
  });

  it('lists misclassified rows of tabular data in a table, and works without history or compile', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, activation: 'softmax', inputShape: [2], name: 'lin' })] });
    model.setWeights([tf.tensor([[1, 0], [0, 1]]), tf.tensor([0, 0])]);
    // Predicts the larger feature's index: rows 1 and 3 are labelled the other way.
    const x = tf.tensor([[1, 0], [1, 0], [0, 1], [0, 1]]);
    const html = await tf.vis.report(model, undefined, { path: tmp.file('tab.html'), testData: { x, y: [0, 1, 1, 0] } });
    expect(html).toContain('No training history given.');
    expect(html).toContain('2 of 4 test samples are misclassified');
    expect(html).toContain('<tr><td>1</td><td>1</td><td>0</td>');
    expect(html).toContain('<tr><td>3</td><td>0</td><td>1</td>');
    expect(html).not.toContain('(evaluate)');
    inlineSvgs(html);

  });

  it('reports on an imported ONNX model, drawing its channels-first inputs as images', async () => {
    const model = tf.importOnnx(join(__dirname, '../fixtures/cnn.onnx'));
    tf.manualSeed(5);
    const x = tf.rand([12, 1, 28, 28]);
    const y = tf.randint(0, 10, [12]);
    const html = await tf.vis.report(model, null, { path: tmp.file('onnx.html'), testData: { x, y } });
    const layers = inlineSvgs(html).flatMap((s) => findAll(s, (e) => e.attrs.class === 'layer'));
    expect(layers).toHaveLength(model.inputs.length + model.graphNodes.length);
    expect(html).toContain('Conv (ONNX)');
    expect(html).toContain('of 12 test samples are misclassified');
    // Random labels (seeded): some are wrong; [N, 1, 28, 28] inputs are shown as 28x28 images.
    const images = inlineSvgs(html).flatMap((s) => findAll(s, (e) => e.name === 'image'));
    expect(images.length).toBeGreaterThan(0);
    for (const img of images) expect(readPng(Buffer.from(img.attrs.href!.split(',')[1]!, 'base64'))).toMatchObject({ width: 28, height: 28, colorType: 0 });
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:/);
  });

  it('transposes channels-first images and stretches values outside [0, 1] for display', async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [3, 1, 2] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    model.setWeights([tf.zeros([6, 2]), tf.tensor([1, 0])]); // always predicts class 0
    // Sample 0: red left pixel, blue right pixel (channels first). Sample 1: the same in 0..255.
    const x = tf.tensor([1, 0, 0, 0, 0, 1, 255, 0, 0, 0, 0, 255], [2, 3, 1, 2]);
    const html = await tf.vis.report(model, null, { path: tmp.file('chw.html'), testData: { x, y: [1, 1] } });
    const images = inlineSvgs(html).flatMap((s) => findAll(s, (e) => e.name === 'image'));
    expect(images).toHaveLength(2);
    for (const img of images) {
      const png = readPng(Buffer.from(img.attrs.href!.split(',')[1]!, 'base64'));
      expect(png).toMatchObject({ width: 2, height: 1, colorType: 2 });
      expect([...png.pixels]).toEqual([255, 0, 0, 0, 0, 255]);
    }
  });

  it('names the argument that is wrong', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
    await expect(tf.vis.report(model, null, { path: tmp.file('r.svg') })).rejects.toThrow(/vis\.report: argument 'path' expected a file path ending in \.html or \.htm/);
    await expect(tf.vis.report(model, null, { path: tmp.file('r.html'), testData: { x: tf.zeros([3, 2]), y: [0, 1] } })).rejects.toThrow(
      /argument 'testData.y' expected 3 labels \(one per sample of testData.x\), got 2/,
    );
    await expect(tf.vis.report(model, null, { path: tmp.file('r.html'), testData: { x: tf.zeros([2, 2]), y: [0, 1] }, classNames: ['only'] })).rejects.toThrow(
      /argument 'options.classNames' expected at least 2 names \(the largest class index is 1\), got 1/,
    );
    await expect(tf.vis.report(model, null, { path: tmp.file('r.html'), classNames: 'ab' as unknown as string[] })).rejects.toThrow(/argument 'options.classNames' expected a non-empty array of strings/);
    const lazy = tf.sequential({ layers: [tf.layers.dense({ units: 2 })] });
    await expect(tf.vis.report(lazy, null, { path: tmp.file('r.html'), testData: { x: tf.zeros([2, 2]), y: [0, 1] } })).rejects.toThrow(
      /argument 'model' expected a built model \(an inputShape on the first layer, or fit\(\) first\), got a Sequential not built yet/,
    );
    await expect(tf.vis.report(model, { loss: 'x' } as unknown as Record<string, number[]>, { path: tmp.file('r.html') })).rejects.toThrow(/argument 'history'/);
  });
});
