// An independent reader of TensorBoard event files for tests, written from the format description
// (TFRecord framing, protobuf wire format, TensorBoard's field numbers), sharing no code with
// src/summary: bitwise CRCs, a hand-written protobuf decoder, and a PNG chunk reader.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';

/** Bit-at-a-time CRC with the given reflected polynomial (no table). */
function crcBitwise(bytes: Uint8Array, poly: number): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (crc & 1 ? poly : 0);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
export const crc32cRef = (b: Uint8Array): number => crcBitwise(b, 0x82f63b78);
export const crc32Ref = (b: Uint8Array): number => crcBitwise(b, 0xedb88320);
const masked = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** Splits a TFRecord file into its records, checking both masked CRCs of every record. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < buf.length) {
    if (p + 12 > buf.length) throw new Error(`truncated record header at ${p}`);
    const len = Number(buf.readBigUInt64LE(p));
    if (buf.readUInt32LE(p + 8) !== masked(crc32cRef(buf.subarray(p, p + 8)))) throw new Error(`bad length CRC at ${p}`);
    const data = buf.subarray(p + 12, p + 12 + len);
    if (data.length !== len || p + 16 + len > buf.length) throw new Error(`truncated record at ${p}`);
    if (buf.readUInt32LE(p + 12 + len) !== masked(crc32cRef(data))) throw new Error(`bad data CRC at ${p}`);
    out.push(data);
    p += 16 + len;
  }
  return out;
}

type WireValue = { wire: 0; v: bigint } | { wire: 1; v: Buffer } | { wire: 2; v: Buffer } | { wire: 5; v: Buffer };

/** Decodes one message's fields by number (every occurrence kept, in order). */
export function decodeFields(bytes: Uint8Array): Map<number, WireValue[]> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = new Map<number, WireValue[]>();
  let p = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= buf.length) throw new Error('truncated varint');
      const b = buf[p++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: WireValue;
    if (wire === 0) value = { wire, v: varint() };
    else if (wire === 1) value = { wire, v: buf.subarray(p, (p += 8)) };
    else if (wire === 2) {
      const len = Number(varint());
      value = { wire, v: buf.subarray(p, (p += len)) };
    } else if (wire === 5) value = { wire, v: buf.subarray(p, (p += 4)) };
    else throw new Error(`unsupported wire type ${wire}`);
    if (p > buf.length) throw new Error('truncated field');
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const bytesOf = (f: Map<number, WireValue[]>, n: number): Buffer | undefined => {
  const v = f.get(n)?.at(-1);
  return v && v.wire === 2 ? v.v : undefined;
};
const stringOf = (f: Map<number, WireValue[]>, n: number): string | undefined => bytesOf(f, n)?.toString('utf8');
const intOf = (f: Map<number, WireValue[]>, n: number): number | undefined => {
  const v = f.get(n)?.at(-1);
  return v && v.wire === 0 ? Number(BigInt.asIntN(64, v.v)) : undefined;
};

export interface DecodedTensor {
  dtype: number;
  shape: number[];
  floatVal: number[];
  doubleVal: number[];
  stringVal: Buffer[];
}
export interface DecodedValue {
  tag: string;
  pluginName?: string;
  dataClass?: number;
  tensor?: DecodedTensor;
}
export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  graphDef?: Buffer;
  values: DecodedValue[];
}

/** Packed (wire 2) or unpacked occurrences of a fixed-width repeated field. */
function fixedList(list: WireValue[] | undefined, width: 4 | 8): number[] {
  const out: number[] = [];
  for (const e of list ?? []) {
    const b = e.v as Buffer;
    for (let i = 0; i + width <= b.length; i += width) out.push(width === 4 ? b.readFloatLE(i) : b.readDoubleLE(i));
  }
  return out;
}

function decodeTensor(bytes: Uint8Array): DecodedTensor {
  const f = decodeFields(bytes);
  const shapeBytes = bytesOf(f, 2);
  const shape = shapeBytes ? (decodeFields(shapeBytes).get(2) ?? []).map((d) => intOf(decodeFields(d.v as Buffer), 1) ?? 0) : [];
  return {
    dtype: intOf(f, 1) ?? 0,
    shape,
    floatVal: fixedList(f.get(5), 4),
    doubleVal: fixedList(f.get(6), 8),
    stringVal: (f.get(8) ?? []).map((e) => e.v as Buffer),
  };
}

/** Decodes an Event (event.proto): wall_time 1, step 2, file_version 3, graph_def 4, summary 5. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const f = decodeFields(bytes);
  const wt = f.get(1)?.at(-1);
  const summary = bytesOf(f, 5);
  const values = summary
    ? (decodeFields(summary).get(1) ?? []).map((e) => {
        const vf = decodeFields(e.v as Buffer);
        const meta = bytesOf(vf, 9);
        const mf = meta ? decodeFields(meta) : null;
        const plugin = mf ? bytesOf(mf, 1) : undefined;
        const tensor = bytesOf(vf, 8);
        return {
          tag: stringOf(vf, 1) ?? '',
          pluginName: plugin ? stringOf(decodeFields(plugin), 1) : undefined,
          dataClass: mf ? intOf(mf, 4) : undefined,
          tensor: tensor ? decodeTensor(tensor) : undefined,
        };
      })
    : [];
  return {
    wallTime: wt && wt.wire === 1 ? wt.v.readDoubleLE(0) : 0,
    step: intOf(f, 2) ?? 0,
    fileVersion: stringOf(f, 3),
    graphDef: bytesOf(f, 4),
    values,
  };
}

/** Decodes a GraphDef (graph.proto node 1; NodeDef name 1, op 2, input 3). */
export function decodeGraphDef(bytes: Uint8Array): { name: string; op: string; input: string[] }[] {
  return (decodeFields(bytes).get(1) ?? []).map((e) => {
    const nf = decodeFields(e.v as Buffer);
    return { name: stringOf(nf, 1) ?? '', op: stringOf(nf, 2) ?? '', input: (nf.get(3) ?? []).map((x) => (x.v as Buffer).toString('utf8')) };
  });
}

/** The event files in `dir` (names containing "tfevents"). */
export function eventFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.includes('tfevents')).map((n) => path.join(dir, n));
}

/** Every event of one file, the first being the file_version record. */
export function readEventFile(file: string): DecodedEvent[] {
  return readRecords(fs.readFileSync(file)).map(decodeEvent);
}

/** tag -> [step, value] for every scalar (DT_FLOAT scalar tensor) in the events. */
export function scalarsByTag(events: DecodedEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) {
    for (const v of e.values) {
      if (v.pluginName !== 'scalars' || !v.tensor) continue;
      const list = out.get(v.tag) ?? [];
      list.push([e.step, v.tensor.floatVal[0]!]);
      out.set(v.tag, list);
    }
  }
  return out;
}

/** Decodes an 8-bit, non-interlaced PNG: checks signature and chunk CRCs, undoes filter 0 rows. */
export function decodePng(png: Uint8Array): { width: number; height: number; colorType: number; pixels: Buffer } {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!buf.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) throw new Error('not a PNG signature');
  let p = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  while (p < buf.length) {
    const len = buf.readUInt32BE(p);
    const type = buf.subarray(p + 4, p + 8).toString('latin1');
    const data = buf.subarray(p + 8, p + 8 + len);
    if (buf.readUInt32BE(p + 8 + len) !== crc32Ref(buf.subarray(p + 4, p + 8 + len))) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = data[9]!;
    } else if (type === 'IDAT') idat.push(data);
    p += 12 + len;
    if (type === 'IEND') break;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType]!;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error('test reader handles filter type 0 only');
    raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, colorType, pixels };
}
