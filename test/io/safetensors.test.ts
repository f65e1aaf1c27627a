import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { values } from '../helpers/layer-check';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads the header the way the spec describes it: u64 LE length, then that many bytes of JSON. */
function readHeader(bytes: Uint8Array): { headerLen: number; header: Record<string, unknown>; raw: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const raw = Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8');
  return { headerLen, header: JSON.parse(raw) as Record<string, unknown>, raw };
}

/** Builds a file from a header object and a data section, independently of the encoder. */
function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const h = Buffer.from(headerText, 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function f32Bytes(xs: number[]): Uint8Array {
  const out = new Uint8Array(xs.length * 4);
  const v = new DataView(out.buffer);
  xs.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return out;
}

function expectInvalid(bytes: Uint8Array, why: RegExp): void {
  let error: unknown = null;
  try {
    decodeSafetensors(bytes, 'model.safetensors');
  } catch (err) {
    error = err;
  }
  expect(error, 'decode should throw').toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(/^model\.safetensors: not a valid safetensors file: /);
  expect(message).toMatch(why);
}

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['dense/kernel', tf.tensor([[1.5, -2, 3.25], [0, 1e-8, -1e30]])],
    ['dense/bias', tf.tensor([0.5, -0.5, 7])],
    ['step', tf.tensor(42, 'int32')],
    ['ids', tf.tensor([[-3, 0, 2147483647], [-2147483648, 5, 6]], 'int32')],
    ['empty', tf.zeros([0])],
    ['empty2d', tf.zeros([2, 0], { dtype: 'int32' })],
    ['scale', tf.scalar(2.5)],
  ]);
}

describe('safetensors round trip', () => {
  it('float32 and int32 tensors, scalars and empty tensors keep names, order, shapes, dtypes and values', () => {
    const input = sample();
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(input));
    expect([...tensors.keys()].sort()).toEqual([...input.keys()].sort());
    for (const [name, t] of input) {
      const back = tensors.get(name)!;
      expect(back.shape, name).toEqual(t.shape);
      expect(back.dtype, name).toBe(t.dtype);
      expect(values(back), name).toEqual(values(t));
    }
    expect(metadata).toEqual({});
  });

  it('string metadata round-trips', () => {
    const meta = { format: 'pt', note: 'héllo "quoted"', empty: '' };
    const { metadata, tensors } = decodeSafetensors(encodeSafetensors(new Map([['w', tf.ones([2])]]), meta));
    expect(metadata).toEqual(meta);
    expect([...tensors.keys()]).toEqual(['w']);
  });

  it('special float values (NaN, +-Infinity, -0) survive', () => {
    const t = tf.tensor([Number.NaN, Infinity, -Infinity, -0]);
    const back = values(decodeSafetensors(encodeSafetensors(new Map([['x', t]]))).tensors.get('x')!);
    expect(back[0]).toBeNaN();
    expect(back.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(back[3], -0)).toBe(true);
  });

  it('non-contiguous and offset views are written in logical order', () => {
    const base = tf.tensor([[1, 2, 3], [4, 5, 6]]);
    const input = new Map<string, Tensor>([
      ['t', tf.transpose(base)],
      ['s', tf.tensor([9, 8, 7, 6, 5]).slice([2], [3])],
    ]);
    const { tensors } = decodeSafetensors(encodeSafetensors(input));
    expect(tensors.get('t')!.shape).toEqual([3, 2]);
    expect(values(tensors.get('t')!)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(values(tensors.get('s')!)).toEqual([7, 6, 5]);
  });

  it('non-ASCII names are handled (header length in bytes, not characters)', () => {
    const input = new Map<string, Tensor>([['wéight_β', tf.tensor([1, 2])], ['ok', tf.tensor([3])]]);
    const bytes = encodeSafetensors(input);
    const { headerLen } = readHeader(bytes);
    expect((8 + headerLen) % 8).toBe(0);
    const { tensors } = decodeSafetensors(bytes);
    expect(values(tensors.get('wéight_β')!)).toEqual([1, 2]);
    expect(values(tensors.get('ok')!)).toEqual([3]);
  });

  it('decoded tensors own their memory (later changes to the bytes do not affect them)', () => {
    const bytes = encodeSafetensors(new Map([['w', tf.tensor([1, 2, 3])]]));
    const { tensors } = decodeSafetensors(bytes);
    bytes.fill(0, bytes.length - 12);
    expect(values(tensors.get('w')!)).toEqual([1, 2, 3]);
  });

  it('decodes from an unaligned view inside a larger buffer', () => {
    const file = encodeSafetensors(sample());
    const big = new Uint8Array(file.length + 3);
    big.set(file, 1);
    const { tensors } = decodeSafetensors(big.subarray(1, 1 + file.length));
    expect(values(tensors.get('ids')!)).toEqual([-3, 0, 2147483647, -2147483648, 5, 6]);
    expect(values(tensors.get('dense/kernel')!)).toEqual(values(sample().get('dense/kernel')!));
  });

  it('an empty map encodes to a valid file', () => {
    const bytes = encodeSafetensors(new Map());
    expect(decodeSafetensors(bytes).tensors.size).toBe(0);
  });
});

describe('safetensors byte layout follows the spec', () => {
  const input = sample();
  const bytes = encodeSafetensors(input, { framework: 'tensorforge' });
  const { headerLen, header, raw } = readHeader(bytes);

  it('starts with the header length as a little-endian u64, followed by a JSON object', () => {
    expect(8 + headerLen).toBeLessThanOrEqual(bytes.length);
    expect(bytes[0]! + bytes[1]! * 256 + bytes[2]! * 65536).toBe(headerLen);
    expect(Array.from(bytes.subarray(3, 8))).toEqual([0, 0, 0, 0, 0]);
    expect(raw.trimStart().startsWith('{')).toBe(true);
    expect(typeof header).toBe('object');
  });

  it('the data section starts 8-byte aligned; header padding is spaces', () => {
    expect((8 + headerLen) % 8).toBe(0);
    expect(raw).toMatch(/} *$/);
  });

  it('has __metadata__ and one {dtype, shape, data_offsets} entry per tensor', () => {
    expect(header['__metadata__']).toEqual({ framework: 'tensorforge' });
    for (const [name, t] of input) {
      const e = header[name] as HeaderEntry;
      expect(e.dtype, name).toBe(t.dtype === 'float32' ? 'F32' : 'I32');
      expect(e.shape, name).toEqual(t.shape);
      expect(e.data_offsets[1] - e.data_offsets[0], name).toBe(t.size * 4);
    }
    const plain = readHeader(encodeSafetensors(new Map([['a', tf.ones([1])]]))).header;
    expect(Object.keys(plain)).toEqual(['a']);
  });

  it('data_offsets are relative to the data section and cover it exactly, without holes', () => {
    const entries = [...input.keys()].map((n) => header[n] as HeaderEntry).sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
    let pos = 0;
    for (const e of entries) {
      expect(e.data_offsets[0]).toBe(pos);
      pos = e.data_offsets[1];
    }
    expect(8 + headerLen + pos).toBe(bytes.length);
  });

  it('values are stored little-endian, row-major, at their offsets', () => {
    const dataStart = 8 + headerLen;
    const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart);
    const k = header['dense/kernel'] as HeaderEntry;
    const kernel = Array.from({ length: 6 }, (_, i) => view.getFloat32(k.data_offsets[0] + 4 * i, true));
    expect(kernel).toEqual(values(input.get('dense/kernel')!));
    const ids = header['ids'] as HeaderEntry;
    expect(Array.from({ length: 6 }, (_, i) => view.getInt32(ids.data_offsets[0] + 4 * i, true))).toEqual([-3, 0, 2147483647, -2147483648, 5, 6]);
    const step = header['step'] as HeaderEntry;
    expect(step.shape).toEqual([]);
    expect(view.getInt32(step.data_offsets[0], true)).toBe(42);
  });

  it('decodes a hand-built file (unpadded header, tensors out of order, F32 and I32)', () => {
    const data = new Uint8Array(16);
    const dv = new DataView(data.buffer);
    dv.setInt32(0, -7, true);
    dv.setFloat32(4, 0.25, true);
    dv.setFloat32(8, -1.5, true);
    dv.setFloat32(12, 3, true);
    const file = buildFile({
      b: { dtype: 'F32', shape: [3], data_offsets: [4, 16] },
      a: { dtype: 'I32', shape: [], data_offsets: [0, 4] },
      __metadata__: { k: 'v' },
    }, data);
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ k: 'v' });
    expect(tensors.get('a')!.dtype).toBe('int32');
    expect(tensors.get('a')!.shape).toEqual([]);
    expect(values(tensors.get('a')!)).toEqual([-7]);
    expect(values(tensors.get('b')!)).toEqual([0.25, -1.5, 3]);
  });
});

describe('safetensors decode errors are clear and never crash', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('fewer than 8 bytes', () => {
    expectInvalid(new Uint8Array(0), /0 bytes is too short/);
    expectInvalid(new Uint8Array(7), /7 bytes is too short for the 8-byte header length/);
  });

  it('a header length beyond the end of the file', () => {
    const file = buildFile(good, f32Bytes([1, 2]));
    new DataView(file.buffer).setBigUint64(0, BigInt(file.length), true);
    expectInvalid(file, /header length \d+ exceeds the file \(\d+ bytes; truncated\?\)/);
    new DataView(file.buffer).setBigUint64(0, 2n ** 63n, true);
    expectInvalid(file, /header length .* exceeds the file/);
    expectInvalid(buildFile(good).subarray(0, 12), /exceeds the file/);
  });

  it('a header that is not JSON, or not a JSON object', () => {
    expectInvalid(buildFile(null, new Uint8Array(0), '{"w": {"dtype": "F32",'), /header is not JSON/);
    expectInvalid(buildFile(null, new Uint8Array(0), '\u00ff\u00fe garbage'), /header is not JSON/);
    expectInvalid(buildFile([1, 2]), /header is not a JSON object/);
    expectInvalid(buildFile(null), /header is not a JSON object/);
    expectInvalid(buildFile(5), /header is not a JSON object/);
  });

  it('an unsupported or missing dtype', () => {
    expectInvalid(buildFile({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'w' has unsupported dtype "F64" \(supported: F32, I32, F16, BF16, I8, U8, I64\)/);
    expectInvalid(buildFile({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has unsupported dtype/);
    expectInvalid(buildFile({ w: null }), /tensor 'w' has unsupported dtype/);
    expectInvalid(buildFile({ w: 'F32' }), /tensor 'w' has unsupported dtype/);
  });

  it('a bad shape', () => {
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has a bad shape/);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)), /bad shape/);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: '2', data_offsets: [0, 8] } }, new Uint8Array(8)), /bad shape/);
  });

  it('bad data_offsets', () => {
    const data = new Uint8Array(8);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data), /tensor 'w' has bad data_offsets/);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data), /bad data_offsets/);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [-4, 4] } }, data), /bad data_offsets/);
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [2] } }, data), /bad data_offsets/);
  });

  it('offsets beyond the data section (truncated file)', () => {
    const file = buildFile(good, f32Bytes([1, 2]));
    expectInvalid(file.subarray(0, file.length - 1), /tensor 'w' ends at byte 8 but the data section has 7 bytes \(truncated\?\)/);
  });

  it('a data size that does not match the shape', () => {
    expectInvalid(buildFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'w' has 8 bytes for shape \[3\] \(12 expected for F32\)/);
    expectInvalid(buildFile({ w: { dtype: 'I32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(12)), /12 bytes for shape \[2,2\] \(16 expected for I32\)/);
  });

  it('data_offsets that overlap (the spec guarantees addresses in a file never overlap)', () => {
    // Two tensors sharing bytes 4..8.
    expectInvalid(buildFile({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, new Uint8Array(12)), /offset|overlap/i);
  });

  it('data_offsets that leave unindexed holes in the data section (rejected by the reference reader)', () => {
    // A gap of 4 unindexed bytes between tensors.
    expectInvalid(buildFile({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, new Uint8Array(16)), /offset|hole|gap/i);
  });

  it('__metadata__ that is not a string-to-string map', () => {
    expectInvalid(buildFile({ __metadata__: { epoch: 3 } }), /metadata/);
    expectInvalid(buildFile({ __metadata__: ['a'] }), /metadata/);
  });

  it('the default source name appears in the message', () => {
    expect(() => decodeSafetensors(new Uint8Array(3))).toThrow(/^safetensors data: not a valid safetensors file/);
  });

  it('every truncation of a valid file is rejected with a clear Error', () => {
    const file = encodeSafetensors(sample(), { a: 'b' });
    for (let n = 0; n < file.length; n++) {
      let error: unknown = null;
      try {
        decodeSafetensors(file.subarray(0, n), 'cut');
      } catch (err) {
        error = err;
      }
      expect(error, `truncated to ${n} bytes`).toBeInstanceOf(Error);
      expect((error as Error).message, `truncated to ${n} bytes`).toMatch(/^cut: not a valid safetensors file: /);
    }
  });

  it('corrupting any single header byte gives either a clean decode or a clear Error', () => {
    const file = encodeSafetensors(sample());
    const { headerLen } = readHeader(file);
    for (let i = 0; i < 8 + headerLen; i++) {
      for (const value of [0x00, 0x22, 0x7b, 0xff]) {
        const bad = file.slice();
        bad[i] = value;
        try {
          decodeSafetensors(bad, 'fuzz');
        } catch (err) {
          expect(err, `byte ${i} = ${value}`).toBeInstanceOf(Error);
          expect((err as Error).message, `byte ${i} = ${value}`).toMatch(/^fuzz: not a valid safetensors file: /);
        }
      }
    }
  });
});
