import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { readCsvStream, readCsvSync, readTextLines } from '../../src/data';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-csvstream-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('readCsvStream', () => {
  // Quoted fields with delimiters and line breaks, CRLF endings, a category column.
  const text = [
    'a,b,"note, with comma",kind',
    '1,2.5,"x",cat',
    '3,-1,"two\r\nlines",dog',
    '5,1e3,"""quoted""",cat',
    '',
    '7,0.25,plain,dog',
  ].join('\r\n') + '\r\n';
  const file = write('mixed.csv', text);

  for (const chunkSize of [1, 3, 7, 64, 65536]) {
    it(`gives the rows readCsvSync gives, with chunks of ${chunkSize} bytes`, async () => {
      const opts = { labelColumn: 'kind', columns: ['a', 'b'], categorical: { kind: ['cat', 'dog'] } };
      const rows = await readCsvStream(file, { ...opts, chunkSize }).toArray();
      const whole = readCsvSync(file, opts);
      expect(rows.map((r) => Array.from(r.x.dataSync()))).toEqual(whole.features.arraySync());
      expect(rows.map((r) => r.y!.item())).toEqual(Array.from(whole.labels!.dataSync()));
      expect(rows[0]!.y!.dtype).toBe('int32');
    });
  }

  it('batches into { x, y } for fit, reading the file again each epoch', async () => {
    const lines = ['x1,x2,y'];
    for (let i = 0; i < 50; i++) lines.push(`${i / 50},${1 - i / 50},${(2 * i) / 50 + 1}`);
    const big = write('train.csv', lines.join('\n'));
    const ds = readCsvStream(big, { labelColumn: 'y', chunkSize: 97 }).batch(16).prefetch(2);
    const first = await ds.toArray();
    expect(first.map((b) => b.x.shape[0])).toEqual([16, 16, 16, 2]);
    tf.manualSeed(1);
    const model = tf.sequential([tf.layers.dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: tf.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    const h = await model.fit(ds, { epochs: 20, verbose: 0 });
    const loss = h.history['loss']!;
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]! / 5);
  });

  it('errors name the file, line and column; auto categories are refused', async () => {
    const bad = write('bad.csv', 'a,b\n1,2\n3,x\n');
    await expect(readCsvStream(bad).toArray()).rejects.toThrow(/readCsvStream: '.*bad.csv' line 3, column 'b': expected a number, got "x"/);
    const ragged = write('ragged.csv', 'a,b\n1,2\n3\n');
    await expect(readCsvStream(ragged).toArray()).rejects.toThrow(/line 3 has 1 fields, expected 2/);
    expect(() => readCsvStream(bad, { categorical: true as never })).toThrow(/argument 'options.categorical' expected \{ column: \['category', \.\.\.\] \}/);
    await expect(readCsvStream(path.join(dir, 'missing.csv')).toArray()).rejects.toThrow(/readCsvStream: cannot read '.*missing.csv'.*ENOENT/);
    await expect(readCsvStream(bad, { labelColumn: 'zz' }).toArray()).rejects.toThrow(/argument 'options.labelColumn' expected one of the columns/);
  });
});

describe('readTextLines', () => {
  it('yields lines without their breaks (LF, CRLF, CR; split across chunks) and no empty last line', async () => {
    const file = write('lines.txt', '\ufefffirst\r\nsecond\n\nfourth\rfifth\r\n');
    for (const chunkSize of [1, 2, 5, 1000]) {
      expect(await readTextLines(file, { chunkSize }).toArray()).toEqual(['first', 'second', '', 'fourth', 'fifth']);
    }
    const noBreak = write('nobreak.txt', 'a\nb');
    expect(await readTextLines(noBreak).toArray()).toEqual(['a', 'b']);
  });

  it('reads a file of many chunks in constant memory and filters lazily', async () => {
    const n = 20000;
    const file = write('many.txt', Array.from({ length: n }, (_, i) => `line ${i}`).join('\n'));
    let count = 0;
    let last = '';
    for await (const l of readTextLines(file, { chunkSize: 4096 }).filter((l) => l.endsWith('7'))) {
      count++;
      last = l;
    }
    expect(count).toBe(n / 10);
    expect(last).toBe('line 19997');
    expect(() => readTextLines(42 as never)).toThrow(/readTextLines: argument 'path' expected a file path/);
  });
});
