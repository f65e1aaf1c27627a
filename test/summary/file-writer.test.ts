import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { type DecodedEvent, decodeGraphDef, decodePng, eventFiles, readEventFile, readRecords, scalarsByTag } from '../helpers/tfevents-reader';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-summary-'));
  dirs.push(d);
  return d;
};

/** Writes with a fresh writer, closes it and reads the single event file back. */
async function roundTrip(fill: (w: tf.summary.SummaryFileWriter) => void): Promise<DecodedEvent[]> {
  const dir = path.join(tmp(), 'run');
  const w = tf.summary.createFileWriter(dir);
  fill(w);
  await w.close();
  const files = eventFiles(dir);
  expect(files).toHaveLength(1);
  return readEventFile(files[0]!);
}

describe('summary.createFileWriter', () => {
  it('names the file as TensorBoard expects and starts it with file_version', async () => {
    const before = Date.now() / 1000;
    let file = '';
    const events = await roundTrip((w) => void (file = w.file));
    const name = path.basename(file);
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname().replace(/\./g, '\\.')}\\.${process.pid}\\.`));
    expect(events).toHaveLength(1);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[0]!.wallTime).toBeGreaterThanOrEqual(Math.floor(before));
  });

  it('encodes the first Event with the wire bytes event.proto prescribes', async () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir);
    await w.close();
    const data = readRecords(fs.readFileSync(w.file))[0]!;
    // Field 1 (wall_time, double: tag 0x09) and field 3 (file_version, string: tag 0x1a, length 13).
    expect(data[0]).toBe(0x09);
    expect(Buffer.from(data.subarray(9, 9 + 15))).toEqual(Buffer.concat([Buffer.from([0x1a, 13]), Buffer.from('brain.Event:2')]));
  });

  it('keeps 64-bit steps beyond 2^32 exact', async () => {
    const events = await roundTrip((w) => w.scalar('s', 1, 2 ** 40 + 3));
    expect(events[1]!.step).toBe(2 ** 40 + 3);
  });

  it('writes scalars as DT_FLOAT scalar tensors with the scalars plugin', async () => {
    const logged: [number, number][] = [[0, 1.5], [1, -0.25], [7, NaN], [8, 1e-8]];
    const events = await roundTrip((w) => {
      for (const [step, v] of logged) w.scalar('loss', v, step);
      w.scalar('other/acc', 0.5, 3);
    });
    expect(events).toHaveLength(6);
    const byTag = scalarsByTag(events);
    expect(byTag.get('loss')).toEqual(logged.map(([s, v]) => [s, Math.fround(v)]));
    expect(byTag.get('other/acc')).toEqual([[3, 0.5]]);
    const v = events[1]!.values[0]!;
    expect(v).toMatchObject({ tag: 'loss', pluginName: 'scalars', dataClass: 1 });
    expect(v.tensor).toMatchObject({ dtype: 1, shape: [] });
    for (const e of events.slice(1)) expect(e.wallTime).toBeGreaterThan(1e9);
  });

  it('writes histograms as [k,3] DT_DOUBLE tensors covering min..max', async () => {
    tf.manualSeed(3);
    const t = tf.randn([20, 10]);
    const values = [...t.dataSync()];
    const events = await roundTrip((w) => {
      w.histogram('weights', t, 4);
      w.histogram('few', [1, 2, 3, 10], 5, 3);
    });
    const [h1, h2] = [events[1]!, events[2]!];
    expect(h1.step).toBe(4);
    const v = h1.values[0]!;
    expect(v).toMatchObject({ tag: 'weights', pluginName: 'histograms' });
    expect(v.tensor).toMatchObject({ dtype: 2, shape: [30, 3] });
    const d = v.tensor!.doubleVal;
    const counts = d.filter((_, i) => i % 3 === 2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(d[0]).toBe(Math.min(...values));
    expect(d[d.length - 2]).toBe(Math.max(...values));
    expect(h2.values[0]!.tensor!.doubleVal).toEqual([1, 4, 3, 4, 7, 0, 7, 10, 1]);
  });

  it('writes images as [width, height, png...] DT_STRING tensors that decode to the pixels', async () => {
    // 2 RGB images 2 high x 3 wide; float values in [0, 1].
    const data = Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => (i % 11) / 10);
    const images = tf.tensor(data, [2, 2, 3, 3]);
    const gray = tf.tensor([0, 128, 255, 300, -5, 7], [1, 2, 3, 1], { dtype: 'int32' });
    const events = await roundTrip((w) => {
      w.image('pics', images, 2);
      w.image('one', images, 3, 1);
      w.image('gray', gray, 4);
    });
    const v = events[1]!.values[0]!;
    expect(v).toMatchObject({ tag: 'pics', pluginName: 'images', dataClass: 3 });
    expect(v.tensor).toMatchObject({ dtype: 7, shape: [4] });
    const [w, h, ...pngs] = v.tensor!.stringVal;
    expect([w!.toString(), h!.toString()]).toEqual(['3', '2']);
    expect(pngs).toHaveLength(2);
    pngs.forEach((png, n) => {
      const img = decodePng(png);
      expect(img).toMatchObject({ width: 3, height: 2, colorType: 2 });
      expect([...img.pixels]).toEqual(data.slice(n * 18, (n + 1) * 18).map((x) => Math.round(Math.fround(x) * 255)));
    });
    expect(events[2]!.values[0]!.tensor!.stringVal).toHaveLength(3);
    const g = decodePng(events[3]!.values[0]!.tensor!.stringVal[2]!);
    expect(g).toMatchObject({ width: 3, height: 2, colorType: 0 });
    expect([...g.pixels]).toEqual([0, 128, 255, 255, 0, 7]);
  });

  it('writes text as a DT_STRING scalar', async () => {
    const s = 'héllo **world**\nline 2';
    const events = await roundTrip((w) => w.text('notes', s, 9));
    const v = events[1]!.values[0]!;
    expect(events[1]!.step).toBe(9);
    expect(v).toMatchObject({ tag: 'notes', pluginName: 'text' });
    expect(v.tensor).toMatchObject({ dtype: 7, shape: [] });
    expect(v.tensor!.stringVal.map((b) => b.toString('utf8'))).toEqual([s]);
  });

  it('writes a model graph as a GraphDef with one node per layer', async () => {
    const inp = tf.input({ shape: [4], name: 'x' });
    const a = tf.layers.dense({ units: 3, name: 'a' }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, name: 'b' }).apply(inp) as tf.SymbolicTensor;
    const out = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    const events = await roundTrip((w) => w.graph(model));
    expect(decodeGraphDef(events[1]!.graphDef!)).toEqual([
      { name: 'x', op: 'InputLayer', input: [] },
      { name: 'a', op: 'Dense', input: ['x'] },
      { name: 'b', op: 'Dense', input: ['x'] },
      { name: 'sum', op: 'Add', input: ['a', 'b'] },
    ]);
  });

  it('flushes in the background every maxQueue records', async () => {
    const dir = tmp();
    const w = tf.summary.createFileWriter(dir, { maxQueue: 3 });
    for (let i = 0; i < 3; i++) w.scalar('s', i, i);
    await new Promise((r) => setTimeout(r, 50));
    expect(readEventFile(eventFiles(dir)[0]!)).toHaveLength(4);
    w.scalar('s', 3, 3);
    await w.flush();
    expect(readEventFile(eventFiles(dir)[0]!)).toHaveLength(5);
    await w.close();
    await w.close();
    expect(() => w.scalar('s', 1, 1)).toThrow(/closed/);
  });

  it('keeps writers of one directory in separate files', async () => {
    const dir = tmp();
    const a = tf.summary.createFileWriter(dir);
    const b = tf.summary.createFileWriter(dir);
    await Promise.all([a.close(), b.close()]);
    expect(eventFiles(dir)).toHaveLength(2);
  });

  it('names the argument in errors', async () => {
    const dir = tmp();
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    expect(() => tf.summary.createFileWriter(path.join(blocker, 'sub'))).toThrow(/createFileWriter: argument 'logDir' expected a writable directory, got ".*file.sub" \(/);
    expect(() => tf.summary.createFileWriter('')).toThrow(/argument 'logDir' expected a directory path, got ""/);
    expect(() => tf.summary.createFileWriter(dir, { maxQueue: 0 })).toThrow(/argument 'options.maxQueue' expected a positive integer, got 0/);
    const w = tf.summary.createFileWriter(dir);
    expect(() => w.scalar('', 1, 0)).toThrow(/summary.scalar: argument 'name' expected a non-empty string, got ""/);
    expect(() => w.scalar('a', Infinity, 0)).toThrow(/argument 'value' expected a finite number or NaN, got Infinity/);
    expect(() => w.scalar('a', '1' as unknown as number, 0)).toThrow(/argument 'value' expected a finite number or NaN, got "1"/);
    expect(() => w.scalar('a', 1, -1)).toThrow(/argument 'step' expected a non-negative integer, got -1/);
    expect(() => w.scalar('a', 1, 1.5)).toThrow(/argument 'step' expected a non-negative integer, got 1.5/);
    expect(() => w.histogram('h', 'abc' as unknown as number[], 0)).toThrow(/summary.histogram: argument 'values' expected a Tensor or an array of numbers, got "abc"/);
    expect(() => w.histogram('h', [1, 'x' as unknown as number], 0)).toThrow(/got an array with "x" at index 1/);
    expect(() => w.histogram('h', [1], 0, 0)).toThrow(/argument 'buckets' expected a positive integer, got 0/);
    expect(() => w.image('i', tf.zeros([2, 3, 3]), 0)).toThrow(/summary.image: argument 'images' expected shape \[N,H,W,C\] .*, got shape \[2,3,3\]/);
    expect(() => w.image('i', tf.zeros([1, 2, 2, 2]), 0)).toThrow(/got shape \[1,2,2,2\]/);
    expect(() => w.image('i', [1, 2] as unknown as tf.Tensor, 0)).toThrow(/expected a Tensor of shape \[N,H,W,C\], got \[1,2\]/);
    expect(() => w.image('i', tf.zeros([1, 2, 2, 1]), 0, 0)).toThrow(/argument 'maxOutputs' expected a positive integer, got 0/);
    expect(() => w.text('t', 5 as unknown as string, 0)).toThrow(/summary.text: argument 'text' expected a string, got 5/);
    expect(() => w.graph({} as tf.LayersModel)).toThrow(/summary.graph: argument 'model' expected a LayersModel/);
    await w.close();
    // Nothing invalid reached the file.
    expect(readEventFile(eventFiles(dir).find((f) => f.endsWith(path.basename(w.file)))!)).toHaveLength(1);
  });
});
