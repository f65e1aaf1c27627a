import { constants as zlibConstants, gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { Tensor } from '../tensor/tensor';
import { checkBytes } from '../tensor/budget';
import { type FilePath, pathName, readBytes, readBytesSync } from './read-file';

/** How one IDX element type is stored and which tensor dtype it becomes. */
interface IdxType {
  name: string;
  bytes: number;
  float: boolean;
}

// The type byte of the magic number (third byte), as in LeCun's MNIST page.
const IDX_TYPES: ReadonlyMap<number, IdxType> = new Map([
  [0x08, { name: 'ubyte', bytes: 1, float: false }],
  [0x09, { name: 'sbyte', bytes: 1, float: false }],
  [0x0b, { name: 'short', bytes: 2, float: false }],
  [0x0c, { name: 'int', bytes: 4, float: false }],
  [0x0d, { name: 'float', bytes: 4, float: true }],
  [0x0e, { name: 'double', bytes: 8, float: true }],
]);

const gunzipAsync = promisify(gunzip) as (buf: Uint8Array, options: { maxOutputLength: number }) => Promise<Buffer>;

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}

function invalid(fn: string, name: string, what: string, cause?: unknown): never {
  throw new Error(`${fn}: '${name}' is not a valid IDX file: ${what}`, cause === undefined ? undefined : { cause });
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzipFailed(fn: string, name: string, err: unknown): never {
  const reason = err instanceof Error ? err.message : String(err);
  return invalid(fn, name, `it starts with the gzip bytes 1f 8b but does not decompress (${reason})`, err);
}

interface IdxHeader {
  type: IdxType;
  shape: number[];
  count: number;
  /** Header bytes (magic number and dimensions). */
  header: number;
  /** Header plus data: the size the whole file must have. */
  total: number;
}

/**
 * Reads and checks the header at the start of `bytes` (only the header need be there), including
 * the declared data size against the memory budget.
 */
function readHeader(fn: string, name: string, bytes: Uint8Array): IdxHeader {
  if (bytes.length < 4) invalid(fn, name, `it has ${bytes.length} bytes, fewer than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    invalid(fn, name, `bad magic number ${hex(magic, 8)} (an IDX file starts with two zero bytes, a type code and a dimension count)`);
  }
  const type = IDX_TYPES.get(bytes[2]!);
  if (!type) {
    invalid(fn, name, `unknown type code ${hex(bytes[2]!, 2)} (expected 0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float or 0x0E double)`);
  }
  const rank = bytes[3]!;
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    invalid(fn, name, `the header declares ${rank} dimensions (${header} bytes) but the file has only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  // Each dimension is below 2^32, so the product may pass 2^53 and round: the budget check (in
  // doubles, never wrapping) refuses such sizes long before that matters.
  checkBytes(fn, `'${name}' declares ${type.name} shape [${shape.join(',')}] whose data`, count * type.bytes);
  checkBytes(fn, `'${name}' declares shape [${shape.join(',')}] whose tensor`, count * 4);
  return { type, shape, count, header, total: header + count * type.bytes };
}

/**
 * Decodes the bytes of an (already decompressed) IDX file. Checks every length before reading,
 * so a truncated or corrupt file gives an Error, never an out-of-range read.
 */
function decodeIdx(fn: string, name: string, bytes: Uint8Array): Tensor {
  const { type, shape, count, header } = readHeader(fn, name, bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = count * type.bytes;
  const actual = bytes.length - header;
  if (actual !== expected) {
    const hint = actual < expected ? 'truncated?' : 'trailing bytes';
    invalid(fn, name, `expected ${expected} bytes of data for ${type.name} shape [${shape.join(',')}], file has ${actual} (${hint})`);
  }
  return Tensor.fromArray(decodeValues(bytes, view, header, count, type), shape);
}

// The largest IDX header: magic number and 255 dimensions.
const MAX_HEADER = 4 + 4 * 255;

/**
 * The header of a gzipped IDX file, read by inflating growing prefixes of the compressed bytes
 * (each prefix's output is bounded by the deflate ratio, ~1000:1), so nothing near the full size
 * is inflated before the header is checked.
 */
function gzipHeader(fn: string, name: string, gz: Uint8Array): IdxHeader {
  let out: Uint8Array = new Uint8Array(0);
  for (let prefix = 256; ; prefix *= 4) {
    const part = gz.subarray(0, Math.min(prefix, gz.length));
    try {
      out = gunzipSync(part, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 24 });
    } catch (err) {
      // A prefix may end mid-block; only the whole input failing is a corrupt file.
      if (part.length === gz.length) gunzipFailed(fn, name, err);
    }
    if (out.length >= 4) {
      const rank = out[3]!;
      if (out.length >= 4 + 4 * rank || out.length >= MAX_HEADER) return readHeader(fn, name, out);
    }
    if (part.length === gz.length) return readHeader(fn, name, out);
  }
}

function tooLong(fn: string, name: string, h: IdxHeader, err: unknown): never {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    invalid(fn, name, `it decompresses to more than the ${h.total} bytes its header declares for ${h.type.name} shape [${h.shape.join(',')}] (trailing bytes)`);
  }
  return gunzipFailed(fn, name, err);
}

function inflateSync(fn: string, name: string, gz: Uint8Array): Uint8Array {
  const h = gzipHeader(fn, name, gz);
  try {
    return gunzipSync(gz, { maxOutputLength: Math.max(h.total, 1) });
  } catch (err) {
    return tooLong(fn, name, h, err);
  }
}

async function inflate(fn: string, name: string, gz: Uint8Array): Promise<Uint8Array> {
  const h = gzipHeader(fn, name, gz);
  try {
    return await gunzipAsync(gz, { maxOutputLength: Math.max(h.total, 1) });
  } catch (err) {
    return tooLong(fn, name, h, err);
  }
}

function decodeValues(bytes: Uint8Array, view: DataView, at: number, count: number, type: IdxType): Float32Array | Int32Array {
  // Single bytes convert through typed-array set() in native code; wider types are big-endian, so
  // they go through DataView (which handles the byte order whatever the host's).
  switch (type.name) {
    case 'ubyte': {
      const out = new Int32Array(count);
      out.set(bytes.subarray(at, at + count));
      return out;
    }
    case 'sbyte': {
      const out = new Int32Array(count);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset + at, count));
      return out;
    }
    case 'short': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 'int': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 'float': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    default: {
      // double: tensors hold float32, so values round to the nearest float32.
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

function sourceName(source: FilePath | Uint8Array): string {
  return source instanceof Uint8Array ? `<${source.length} bytes>` : pathName(source);
}

/**
 * Reads an IDX file (the MNIST / Fashion-MNIST format), plain or gzipped (recognized by its
 * leading bytes 1f 8b, whatever the file name), into a tensor of the shape its header declares.
 * ubyte, sbyte, short and int data become int32 tensors; float and double become float32 (doubles
 * are rounded). Also accepts the file's bytes instead of a path.
 *
 * A malformed file (bad magic number, unknown type code, truncated header, data length that does
 * not match the declared shape, corrupt gzip) throws an Error naming the file and the problem.
 *
 * @example
 * const images = readIdxSync('train-images-idx3-ubyte.gz'); // int32 [60000, 28, 28]
 */
export function readIdxSync(source: FilePath | Uint8Array): Tensor {
  const fn = 'readIdxSync';
  const name = sourceName(source);
  let bytes: Uint8Array = source instanceof Uint8Array ? source : readBytesSync(fn, source);
  if (isGzip(bytes)) {
    bytes = inflateSync(fn, name, bytes);
  }
  return decodeIdx(fn, name, bytes);
}

/** Asynchronous {@link readIdxSync}: file reading and decompression run off the JS thread. */
export async function readIdx(source: FilePath | Uint8Array): Promise<Tensor> {
  const fn = 'readIdx';
  const name = sourceName(source);
  let bytes: Uint8Array = source instanceof Uint8Array ? source : await readBytes(fn, source);
  if (isGzip(bytes)) {
    bytes = await inflate(fn, name, bytes);
  }
  return decodeIdx(fn, name, bytes);
}
