import { Tensor } from '../tensor/tensor';
import type { DType } from '../tensor/dtype';
import { sizeOf } from '../tensor/shape';

// The safetensors layout: an 8-byte little-endian header length, a JSON header mapping names to
// { dtype, shape, data_offsets: [begin, end] } (offsets relative to the data section), then data.
/** Element types of a safetensors file this library reads and writes. */
export type SafetensorsDType = 'F32' | 'I32' | 'F16' | 'BF16' | 'I8' | 'U8' | 'I64';

const DTYPE_CODES: Record<DType, string> = { float32: 'F32', int32: 'I32' };
const CODE_DTYPES: Record<string, DType> = { F32: 'float32', I32: 'int32' };
const MAX_HEADER = 100 * 1024 * 1024;

/** Encodes named tensors (and string metadata) in safetensors format. */
export function encodeSafetensors(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  const parts: { data: Uint8Array; offset: number }[] = [];
  for (const [name, t] of tensors) {
    const c = t.contiguousCopy();
    const bytes = new Uint8Array(c.buffer.buffer, c.buffer.byteOffset + c.offset * 4, t.size * 4);
    header[name] = { dtype: DTYPE_CODES[t.dtype], shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
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

/**
 * Decodes safetensors bytes. Anything malformed (truncated file, bad header, offsets outside the
 * data, size not matching the shape, unsupported dtype) throws an Error naming `source`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
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
    const dtype = typeof e?.dtype === 'string' ? CODE_DTYPES[e.dtype] : undefined;
    if (!dtype) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)} (F32 and I32 are supported)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor '${name}' has bad data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} but the data section has ${dataLen} bytes (truncated?)`);
    const count = sizeOf(shape as number[]);
    if (end - begin !== count * 4) fail(`tensor '${name}' has ${end - begin} bytes for shape [${(shape as number[]).join(',')}] (${count * 4} expected)`);
    ranges.push([begin, end, name]);
    const t = Tensor.empty((shape as number[]).slice(), dtype!);
    // Copy through bytes: the data section need not be 4-byte aligned in memory.
    new Uint8Array(t.buffer.buffer, t.buffer.byteOffset, count * 4).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, t);
  }
  // The format has no holes and no overlaps: sorted ranges must tile the data section exactly.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let expected = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== expected) fail(`bad data_offsets: tensor '${name}' starts at byte ${begin}, expected ${expected} (overlap or gap)`);
    expected = end;
  }
  if (expected !== dataLen) fail(`bad data_offsets: tensors cover ${expected} of ${dataLen} data bytes`);
  return { tensors, metadata };
}
