import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { plotModel } from '../../src/vis/plot-model';
import { type XmlElement, allText, findAll, parseXml, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const layerBoxes = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.name === 'g' && e.attrs.class === 'layer');
const edges = (root: XmlElement): XmlElement[] => findAll(root, (e) => e.name === 'path' && e.attrs.class === 'edge');
/** Start and end points of an edge path `M sx,sy C ... tx,ty`. */
function ends(edge: XmlElement): { sy: number; ty: number } {
  const nums = edge.attrs.d!.match(/-?\d+(\.\d+)?/g)!.map(Number);
  return { sy: nums[1]!, ty: nums[nums.length - 1]! };
}

/** input -> stem -> (left, right -> right2) -> concatenate -> head, plus a skip from stem to an add. */
function branchingModel(): tf.LayersModel {
  const x = tf.input({ shape: [4], name: 'features' });
  const stem = tf.layers.dense({ units: 8, activation: 'relu', name: 'stem' }).apply(x) as tf.SymbolicTensor;
  const left = tf.layers.dense({ units: 8, name: 'left' }).apply(stem) as tf.SymbolicTensor;
  const right = tf.layers.dense({ units: 8, name: 'right' }).apply(stem) as tf.SymbolicTensor;
  const right2 = tf.layers.dense({ units: 8, name: 'right2' }).apply(right) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'merge_add' }).apply([left, right2, stem]) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'merge_cat' }).apply([sum, left]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(cat) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'branchy' });
}

describe('vis.plotModel', () => {
  it('draws every layer of a branching functional model and one edge per connection, inputs above their consumers', async () => {
    const model = branchingModel();
    const path = join(tmp.dir, 'nested', 'dir', 'model.svg');
    const svg = await plotModel(model, path);
    expect(readFileSync(path, 'utf8')).toBe(svg);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    const names = layerBoxes(root).map((b) => b.attrs['data-name']);
    expect(names.sort()).toEqual(['features', 'head', 'left', 'merge_add', 'merge_cat', 'right', 'right2', 'stem'].sort());
    const texts = allText(root);
    for (const n of names) expect(texts).toContain(n);
    for (const kind of ['InputLayer', 'Dense', 'Add', 'Concatenate']) expect(texts).toContain(kind);
    expect(texts).toContain('[null,3]');

    const connections = edges(root).map((e) => `${e.attrs['data-from']}->${e.attrs['data-to']}`).sort();
    expect(connections).toEqual(
      ['features->stem', 'stem->left', 'stem->right', 'right->right2', 'left->merge_add', 'right2->merge_add', 'stem->merge_add', 'merge_add->merge_cat', 'left->merge_cat', 'merge_cat->head'].sort(),
    );
    for (const e of edges(root)) {
      const { sy, ty } = ends(e);
      expect(ty).toBeGreaterThan(sy);
    }
    // The skip from stem to merge_add crosses the rank of left/right and that of right2: it runs
    // down its own column there (a vertical line segment per rank) instead of through a box.
    const skip = edges(root).find((e) => e.attrs['data-from'] === 'stem' && e.attrs['data-to'] === 'merge_add')!;
    expect(skip.attrs.d!.match(/L/g)).toHaveLength(2);
  });

  it('lays out hundreds of layers with long skips quickly', async () => {
    const x = tf.input({ shape: [2], name: 'x0' });
    let h = x;
    const first = h;
    for (let i = 0; i < 150; i++) {
      const d = tf.layers.dense({ units: 2, name: `d${i}` }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.add({ name: `a${i}` }).apply([d, h, first]) as tf.SymbolicTensor;
    }
    const model = tf.model({ inputs: x, outputs: h });
    const t0 = performance.now();
    const root = parseXml(await plotModel(model, tmp.file('deep.svg')));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(layerBoxes(root)).toHaveLength(301);
    expect(edges(root)).toHaveLength(150 * 4);
  });

  it('draws a sequential model as a chain with shapes, and an unbuilt one without', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 5, inputShape: [3], name: 'd1' }), tf.layers.dropout({ rate: 0.1, name: 'drop' }), tf.layers.dense({ units: 2, name: 'd2' })],
    });
    const root = parseXml(await plotModel(model, tmp.file('seq.svg')));
    expect(layerBoxes(root)).toHaveLength(4);
    expect(edges(root)).toHaveLength(3);
    expect(allText(root)).toEqual(expect.arrayContaining(['d1', 'drop', 'd2', 'Dropout', '[null,5]', '[null,2]']));

    const lazy = tf.sequential({ layers: [tf.layers.dense({ units: 4, name: 'lazy1' }), tf.layers.dense({ units: 1, name: 'lazy2' })] });
    const lazyRoot = parseXml(await plotModel(lazy, tmp.file('lazy.svg'), { showShapes: false, title: 'not built yet' }));
    expect(layerBoxes(lazyRoot).map((b) => b.attrs['data-name'])).toEqual(['lazy1', 'lazy2']);
    expect(edges(lazyRoot)).toHaveLength(1);
    expect(allText(lazyRoot)).toContain('not built yet');
  });

  it('shows a shared layer once per call and wrapped layers by their inner class', async () => {
    const a = tf.input({ shape: [5, 3], name: 'seq_in' });
    const shared = tf.layers.dense({ units: 3, name: 'shared' });
    const once = shared.apply(a) as tf.SymbolicTensor;
    const twice = shared.apply(once) as tf.SymbolicTensor;
    const bi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true }), name: 'bi' }).apply(twice) as tf.SymbolicTensor;
    const root = parseXml(await plotModel(tf.model({ inputs: a, outputs: bi }), tmp.file('shared.svg')));
    expect(layerBoxes(root).map((b) => b.attrs['data-name'])).toEqual(['seq_in', 'shared (call 1)', 'shared (call 2)', 'bi']);
    expect(allText(root)).toContain('Bidirectional(LSTM)');
  });

  it('plots an imported ONNX model by op type', async () => {
    const model = tf.importOnnx(join(__dirname, '../fixtures/cnn.onnx'));
    const root = parseXml(await plotModel(model, tmp.file('onnx.svg')));
    const boxes = layerBoxes(root);
    expect(boxes).toHaveLength(model.inputs.length + model.graphNodes.length);
    expect(allText(root)).toContain('Conv (ONNX)');
    const connections = model.graphNodes.reduce((n, node) => n + node.inputs.length, 0);
    expect(edges(root)).toHaveLength(connections);
  });

  it('names the argument that is wrong', async () => {
    await expect(plotModel({} as tf.LayersModel, tmp.file('x.svg'))).rejects.toThrow(/vis\.plotModel: argument 'model' expected a LayersModel/);
    await expect(plotModel(branchingModel(), tmp.file('x.png'))).rejects.toThrow(/argument 'path' expected a file path ending in \.svg, got ".*x\.png"/);
    expect(existsSync(tmp.file('x.png'))).toBe(false);
  });
});
