import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdx, readIdxSync } from '../../src/data';

const dir = mkdtempSync(join(tmpdir(), 'tensorforge-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WIDTH: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** Encodes an IDX file the way the MNIST distribution does: big-endian header and data. */
function encodeIdx(type: number, shape: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const w = WIDTH[type]!;
  const data = Buffer.alloc(values.length * w);
  values.forEach((v, i) => {
    if (type === 0x08) data.writeUInt8(v, i);
    else if (type === 0x09) data.writeInt8(v, i);
    else if (type === 0x0b) data.writeInt16BE(v, 2 * i);
    else if (type === 0x0c) data.writeInt32BE(v, 4 * i);
    else if (type === 0x0d) data.writeFloatBE(v, 4 * i);
    else data.writeDoubleBE(v, 8 * i);
  });
  return Buffer.concat([header, data]);
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('readIdx', () => {
  it('reads ubyte images like MNIST (rank 3, int32)', () => {
    const values = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];
    const t = readIdxSync(write('images-idx3-ubyte', encodeIdx(0x08, [2, 2, 3], values)));
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([2, 2, 3]);
    expect(t.toArray()).toEqual([[[0, 1, 2], [3, 4, 5]], [[250, 251, 252], [253, 254, 255]]]);
  });

  it('reads every type code with its sign and byte order', () => {
    expect(readIdxSync(encodeIdx(0x09, [4], [-128, -1, 0, 127])).toArray()).toEqual([-128, -1, 0, 127]);
    expect(readIdxSync(encodeIdx(0x0b, [3], [-32768, -2, 300])).toArray()).toEqual([-32768, -2, 300]);
    const ints = readIdxSync(encodeIdx(0x0c, [3], [-2147483648, 65536, 2147483647]));
    expect(ints.dtype).toBe('int32');
    expect(ints.toArray()).toEqual([-2147483648, 65536, 2147483647]);
    const floats = readIdxSync(encodeIdx(0x0d, [2, 2], [0.5, -1.25, 1048576.5, 0]));
    expect(floats.dtype).toBe('float32');
    expect(floats.toArray()).toEqual([[0.5, -1.25], [1048576.5, 0]]);
    const doubles = readIdxSync(encodeIdx(0x0e, [2], [0.1, -2.5]));
    expect(doubles.dtype).toBe('float32');
    expect(Array.from(doubles.dataSync())).toEqual([Math.fround(0.1), -2.5]);
  });

  it('reads a label file (rank 1) and an empty tensor', () => {
    expect(readIdxSync(encodeIdx(0x08, [5], [7, 2, 1, 0, 4])).toArray()).toEqual([7, 2, 1, 0, 4]);
    const empty = readIdxSync(encodeIdx(0x08, [0, 28, 28], []));
    expect(empty.shape).toEqual([0, 28, 28]);
  });

  it('round-trips gzipped files, detected by their magic bytes whatever the name', async () => {
    const values = Array.from({ length: 60 }, (_, i) => (i * 37) % 256);
    const plain = encodeIdx(0x08, [3, 4, 5], values);
    const gz = write('labels.idx', gzipSync(plain));
    const viaSync = readIdxSync(gz);
    const viaAsync = await readIdx(gz);
    for (const t of [viaSync, viaAsync]) {
      expect(t.shape).toEqual([3, 4, 5]);
      expect(Array.from(t.dataSync())).toEqual(values);
    }
    expect(Array.from((await readIdx(write('plain.idx', plain))).dataSync())).toEqual(values);
    expect(readIdxSync(new URL(`file://${gz}`)).shape).toEqual([3, 4, 5]);
  });

  it('names the file and the problem for malformed input', async () => {
    const badMagic = write('bad-magic', Buffer.from([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0]));
    expect(() => readIdxSync(badMagic)).toThrow(/readIdxSync: '.*bad-magic' is not a valid IDX file: bad magic number 0x12340801/);
    const badType = write('bad-type', Buffer.from([0, 0, 0x0a, 0x01, 0, 0, 0, 0]));
    expect(() => readIdxSync(badType)).toThrow(/'.*bad-type'.*unknown type code 0x0A/);
    const shortHeader = write('short-header', Buffer.from([0, 0, 0x08, 0x03, 0, 0, 0, 2]));
    expect(() => readIdxSync(shortHeader)).toThrow(/declares 3 dimensions \(16 bytes\) but the file has only 8 bytes/);
    expect(() => readIdxSync(write('tiny', Buffer.from([0, 0])))).toThrow(/'.*tiny'.*2 bytes, fewer than the 4-byte magic number/);
    const truncated = write('truncated', encodeIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 12 + 4));
    expect(() => readIdxSync(truncated)).toThrow(/'.*truncated'.*expected 6 bytes of data for ubyte shape \[2,3\], file has 4 \(truncated\?\)/);
    const shortInts = write('short-ints', encodeIdx(0x0c, [2], [1, 2]).subarray(0, 14));
    await expect(readIdx(shortInts)).rejects.toThrow(/readIdx: '.*short-ints'.*expected 8 bytes of data for int shape \[2\], file has 6/);
    const trailing = write('trailing', Buffer.concat([encodeIdx(0x08, [2], [1, 2]), Buffer.from([9])]));
    expect(() => readIdxSync(trailing)).toThrow(/expected 2 bytes of data.*file has 3 \(trailing bytes\)/);
  });

  it('reports truncated or corrupt gzip data instead of crashing', async () => {
    const gz = gzipSync(encodeIdx(0x08, [100], new Array(100).fill(7)));
    const cut = write('cut.gz', gz.subarray(0, gz.length - 10));
    expect(() => readIdxSync(cut)).toThrow(/'.*cut\.gz' is not a valid IDX file: it starts with the gzip bytes 1f 8b but does not decompress/);
    await expect(readIdx(cut)).rejects.toThrow(/readIdx: '.*cut\.gz'.*does not decompress/);
    const garbage = write('garbage.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(() => readIdxSync(garbage)).toThrow(/does not decompress/);
    // A gzip of a truncated IDX file decompresses fine; the size check still catches it.
    const innerCut = write('inner-cut.gz', gzipSync(encodeIdx(0x08, [10], new Array(10).fill(1)).subarray(0, 10)));
    expect(() => readIdxSync(innerCut)).toThrow(/expected 10 bytes of data for ubyte shape \[10\], file has 2/);
  });

  it('names missing files and rejects non-path arguments', async () => {
    expect(() => readIdxSync(join(dir, 'nope.idx'))).toThrow(/readIdxSync: cannot read '.*nope\.idx': ENOENT/);
    await expect(readIdx(join(dir, 'nope.idx'))).rejects.toThrow(/readIdx: cannot read '.*nope\.idx'/);
    expect(() => readIdxSync(42 as unknown as string)).toThrow(/readIdxSync: argument 'path' expected a file path/);
  });
});

describe('untrusted IDX sizes', () => {
  // A header declaring 10 ubytes followed by 200 MB of zeros: the gzip is ~200 kB.
  const bomb = (): Buffer => {
    const header = Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 10]);
    return gzipSync(Buffer.concat([header, Buffer.alloc(200 * 1024 * 1024)]), { level: 9 });
  };

  it('stops inflating at the size the header declares (sync and async)', async () => {
    const gz = bomb();
    expect(gz.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdxSync(new Uint8Array(gz))).toThrow(/decompresses to more than the 18 bytes its header declares/);
    await expect(readIdx(new Uint8Array(gz))).rejects.toThrow(/decompresses to more than the 18 bytes/);
    // Nothing near 200 MB was ever held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a header whose declared size exceeds the memory budget before reading data', () => {
    const header = Buffer.from([0, 0, 0x0d, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]); // float [65536, 65536, 256]
    expect(() => readIdxSync(new Uint8Array(header))).toThrow(/readIdxSync: .*declares float shape \[65536,65536,256\].*over the memory budget/);
    expect(() => readIdxSync(new Uint8Array(gzipSync(header)))).toThrow(/over the memory budget/);
  });
});
