import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordWriter, frameRecord } from '../../src/summary/record-writer';
import { readRecords } from '../helpers/tfevents-reader';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-records-'));
  dirs.push(d);
  return d;
};

describe('frameRecord', () => {
  it('frames as length, masked CRC, data, masked CRC', () => {
    const framed = frameRecord(new TextEncoder().encode('hello'));
    expect(framed.length).toBe(8 + 4 + 5 + 4);
    expect(framed.readBigUInt64LE(0)).toBe(5n);
    expect(readRecords(framed).map((r) => Buffer.from(r).toString())).toEqual(['hello']);
    framed[14] = framed[14]! ^ 1;
    expect(() => readRecords(framed)).toThrow(/bad data CRC/);
  });
});

describe('RecordWriter', () => {
  it('writes the first record at once and the rest on flush, in order', async () => {
    const file = path.join(tmp(), 'events');
    const w = new RecordWriter(file, Uint8Array.of(1));
    expect(readRecords(fs.readFileSync(file))).toHaveLength(1);
    for (let i = 2; i <= 50; i++) {
      w.write(Uint8Array.from({ length: i }, () => i));
      if (i % 7 === 0) void w.startFlush();
    }
    await w.close();
    const records = readRecords(fs.readFileSync(file));
    expect(records.map((r) => r.length)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(() => w.write(Uint8Array.of(0))).toThrow(/closed/);
  });

  it('reports a failed append on flush', async () => {
    const dir = tmp();
    const file = path.join(dir, 'events');
    const w = new RecordWriter(file, Uint8Array.of(1));
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(file, { recursive: true }); // the file is now a directory: appends fail
    w.write(Uint8Array.of(2));
    await expect(w.flush()).rejects.toThrow(/could not append to .*events/);
  });
});
