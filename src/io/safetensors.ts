import { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import { sizeOf } from '../tensor/shape';
import { describe } from '../errors';
import { decodeHalfArray, encodeHalfArray } from './half';

// The safetensors layout: an 8-byte little-endian header length, a JSON header mapping names to
// { dtype, shape, data_offsets: [begin, end] } (offsets relative to the data section), then data.
/** Element types of a safetensors file this library reads and writes. */
export type SafetensorsDType = 'F32' | 'I32' | 'F16' | 'BF16' | 'I8' | 'U8' | 'I64';

const DEFAULT_CODES: Record<DType, SafetensorsDType> = { float32: 'F32', int32: 'I32' };
const BYTES: Record<SafetensorsDType, number> = { F32: 4, I32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I64: 8 };
/** The in-memory dtype each stored dtype decodes to (narrow floats widen to float32, integers to int32). */
const MEMORY_DTYPES: Record<SafetensorsDType, DType> = { F32: 'float32', I32: 'int32', F16: 'float32', BF16: 'float32', I8: 'int32', U8: 'int32', I64: 'int32' };
const MAX_HEADER = 100 * 1024 * 1024;

function isCode(v: unknown): v is SafetensorsDType {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(BYTES, v);
}

/** The in-memory dtype a stored safetensors dtype decodes to. */
export function memoryDtypeOf(code: SafetensorsDType): DType {
  return MEMORY_DTYPES[code];
}

/** The stored dtype a tensor gets when none is asked for: F32 or I32. */
export function defaultStoredDtype(dtype: DType): SafetensorsDType {
  return DEFAULT_CODES[dtype];
}

const INT_RANGES: Partial<Record<SafetensorsDType, [number, number]>> = { I8: [-128, 127], U8: [0, 255] };

/** The little-endian bytes of `values` as `code` (float16/bfloat16 round to nearest even; integers must fit). */
function toBytes(name: string, t: Tensor, code: SafetensorsDType): Uint8Array {
  const c = t.contiguousCopy();
  const v = c.buffer.subarray(c.offset, c.offset + t.size);
  if (MEMORY_DTYPES[code] !== t.dtype) {
    throw new Error(`encodeSafetensors: tensor '${name}' is ${t.dtype}; ${code} stores ${MEMORY_DTYPES[code]} tensors`);
  }
  if (code === 'F32' || code === 'I32') return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  if (code === 'F16' || code === 'BF16') {
    const bits = encodeHalfArray(v, code === 'F16' ? 'float16' : 'bfloat16');
    return new Uint8Array(bits.buffer, 0, bits.byteLength);
  }
  if (code === 'I64') {
    const wide = new BigInt64Array(v.length);
    for (let i = 0; i < v.length; i++) wide[i] = BigInt(v[i]!);
    return new Uint8Array(wide.buffer);
  }
  const [lo, hi] = INT_RANGES[code]!;
  const out = code === 'I8' ? new Int8Array(v.length) : new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < lo || x > hi) throw new Error(`encodeSafetensors: tensor '${name}' holds ${x} at index ${i}, outside ${code}'s range [${lo}, ${hi}]`);
    out[i] = x;
  }
  return new Uint8Array(out.buffer);
}

/** Fills `t` (float32 or int32) from `count` stored elements of dtype `code`; throws via `fail`. */
function fromBytes(src: Uint8Array, code: SafetensorsDType, t: Tensor, name: string, fail: (why: string) => never): void {
  const count = t.size;
  if (code === 'F32' || code === 'I32') {
    // Copy through bytes: the data section need not be 4-byte aligned in memory.
    new Uint8Array(t.buffer.buffer, t.buffer.byteOffset, count * 4).set(src);
    return;
  }
  // An aligned private copy of the bytes to read typed values from.
  // (new Uint8Array copies: Buffer.slice would return a view into the shared pool.)
  const raw = new Uint8Array(src);
  const out = t.buffer;
  if (code === 'F16' || code === 'BF16') {
    out.set(decodeHalfArray(new Uint16Array(raw.buffer, 0, count), code === 'F16' ? 'float16' : 'bfloat16'));
  } else if (code === 'I8') {
    out.set(new Int8Array(raw.buffer, 0, count));
  } else if (code === 'U8') {
    out.set(raw);
  } else {
    const wide = new BigInt64Array(raw.buffer, 0, count);
    for (let i = 0; i < count; i++) {
      const x = wide[i]!;
      if (x < -2147483648n || x > 2147483647n) fail(`tensor '${name}' (I64) holds ${x} at index ${i}, outside the int32 range tensors here hold`);
      out[i] = Number(x);
    }
  }
}

/**
 * Encodes named tensors (and string metadata) in safetensors format. `dtypes` names the stored
 * dtype of some tensors: F16 / BF16 for float32 tensors (rounded to nearest even), I8 / U8 / I64 for
 * int32 tensors (values outside I8's or U8's range throw); the rest are stored as F32 / I32.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {},
  dtypes: ReadonlyMap<string, SafetensorsDType> = new Map()): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  const parts: { data: Uint8Array; offset: number }[] = [];
  for (const [name, t] of tensors) {
    const code = dtypes.get(name) ?? DEFAULT_CODES[t.dtype];
    if (!isCode(code)) throw new Error(`encodeSafetensors: tensor '${name}': unknown stored dtype ${describe(code)} (one of ${Object.keys(BYTES).join(', ')})`);
    const bytes = toBytes(name, t, code);
    header[name] = { dtype: code, shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
    parts.push({ data: bytes, offset });
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  for (const p of parts) out.set(p.data, 8 + headerBytes.length + p.offset);
  return out;
}

/** A decoded safetensors file: tensors (float32 / int32), metadata, and each tensor's stored dtype. */
export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
  /** The dtype each tensor was stored as (F16 decodes to float32, I8 to int32, ...). */
  dtypes: Map<string, SafetensorsDType>;
}

/**
 * Decodes safetensors bytes: F32, F16, BF16 to float32 tensors; I32, I8, U8, I64 to int32 tensors
 * (an I64 value outside int32 is an Error). Anything malformed (truncated file, bad header, offsets outside the
 * data, size not matching the shape, unsupported dtype) throws an Error naming `source`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): DecodedSafetensors {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} exceeds the file (${bytes.length} bytes; truncated?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (err) {
    fail(`header is not JSON (${(err as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  const dtypes = new Map<string, SafetensorsDType>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const ok = entry !== null && typeof entry === 'object' && !Array.isArray(entry) && Object.values(entry).every((v) => typeof v === 'string');
      if (!ok) fail('__metadata__ is not a string-to-string map');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const code = isCode(e?.dtype) ? e.dtype : undefined;
    if (!code) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)} (supported: ${Object.keys(BYTES).join(', ')})`);
    const dtype = MEMORY_DTYPES[code!];
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor '${name}' has bad data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} but the data section has ${dataLen} bytes (truncated?)`);
    const count = sizeOf(shape as number[]);
    const width = BYTES[code!];
    if (end - begin !== count * width) fail(`tensor '${name}' has ${end - begin} bytes for shape [${(shape as number[]).join(',')}] (${count * width} expected for ${code})`);
    ranges.push([begin, end, name]);
    const t = Tensor.empty((shape as number[]).slice(), dtype);
    fromBytes(bytes.subarray(dataStart + begin, dataStart + end), code!, t, name, fail);
    tensors.set(name, t);
    dtypes.set(name, code!);
  }
  // The format has no holes and no overlaps: sorted ranges must tile the data section exactly.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let expected = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== expected) fail(`bad data_offsets: tensor '${name}' starts at byte ${begin}, expected ${expected} (overlap or gap)`);
    expected = end;
  }
  if (expected !== dataLen) fail(`bad data_offsets: tensors cover ${expected} of ${dataLen} data bytes`);
  return { tensors, metadata, dtypes };
}
