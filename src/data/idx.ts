import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { Tensor } from '../tensor/tensor';
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

const gunzipAsync = promisify(gunzip);

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

/**
 * Decodes the bytes of an (already decompressed) IDX file. Checks every length before reading,
 * so a truncated or corrupt file gives an Error, never an out-of-range read.
 */
function decodeIdx(fn: string, name: string, bytes: Uint8Array): Tensor {
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
  const expected = count * type.bytes;
  const actual = bytes.length - header;
  if (actual !== expected) {
    const hint = actual < expected ? 'truncated?' : 'trailing bytes';
    invalid(fn, name, `expected ${expected} bytes of data for ${type.name} shape [${shape.join(',')}], file has ${actual} (${hint})`);
  }
  return Tensor.fromArray(decodeValues(bytes, view, header, count, type), shape);
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
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      gunzipFailed(fn, name, err);
    }
  }
  return decodeIdx(fn, name, bytes);
}

/** Asynchronous {@link readIdxSync}: file reading and decompression run off the JS thread. */
export async function readIdx(source: FilePath | Uint8Array): Promise<Tensor> {
  const fn = 'readIdx';
  const name = sourceName(source);
  let bytes: Uint8Array = source instanceof Uint8Array ? source : await readBytes(fn, source);
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      gunzipFailed(fn, name, err);
    }
  }
  return decodeIdx(fn, name, bytes);
}
