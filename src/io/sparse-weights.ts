// Compact storage of weights in saved models: a registry of per-weight encodings that model.save
// applies before writing safetensors and loadModel undoes after reading. A weight no encoding
// takes is stored as before, so files of models without such weights are byte-for-byte unchanged.
//
// An encoded weight `name` is stored as its parts, tensors named `name#part`, and described in the
// safetensors metadata entry `tensorforge.encodings`: { [name]: { encoding, shape, parts } }.
import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { sizeOf } from '../tensor/shape';

/** One way of storing a weight in fewer bytes. */
export interface WeightEncoding {
  /** Stored in the file: the decoder is looked up by it. */
  readonly name: string;
  /** The stored parts for `value`, or null when this encoding does not pay off for it. */
  encode(value: Tensor): Record<string, Tensor> | null;
  /** The weight back from its parts; throws naming `where` when they do not fit `shape`. */
  decode(parts: Record<string, Tensor>, shape: number[], where: string): Tensor;
}

export const ENCODINGS_KEY = 'tensorforge.encodings';
const encodings: WeightEncoding[] = [];

/**
 * Registers an encoding model.save may use (tried in registration order, first taker wins) and
 * loadModel decodes. Registering a name again replaces that encoding in place.
 */
export function registerWeightEncoding(encoding: WeightEncoding): void {
  const ok = typeof encoding === 'object' && encoding !== null && typeof encoding.name === 'string' && encoding.name !== ''
    && typeof encoding.encode === 'function' && typeof encoding.decode === 'function';
  if (!ok) argError('registerWeightEncoding', 'encoding', '{ name, encode, decode }', describe(encoding));
  const i = encodings.findIndex((e) => e.name === encoding.name);
  if (i >= 0) encodings[i] = encoding;
  else encodings.push(encoding);
}

interface EncodedEntry {
  encoding: string;
  shape: number[];
  parts: Record<string, string>;
}

/** Replaces each weight some encoding takes by its parts; returns what to hand to encodeSafetensors. */
export function encodeWeights(weights: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const tensors = new Map<string, Tensor>();
  const index: Record<string, EncodedEntry> = {};
  for (const [name, value] of weights) {
    let stored = false;
    for (const enc of encodings) {
      const parts = enc.encode(value);
      if (!parts) continue;
      const entry: EncodedEntry = { encoding: enc.name, shape: value.shape.slice(), parts: {} };
      for (const [part, t] of Object.entries(parts)) {
        entry.parts[part] = `${name}#${part}`;
        tensors.set(`${name}#${part}`, t);
      }
      index[name] = entry;
      stored = true;
      break;
    }
    if (!stored) tensors.set(name, value);
  }
  if (!Object.keys(index).length) return { tensors, metadata };
  return { tensors, metadata: { ...metadata, [ENCODINGS_KEY]: JSON.stringify(index) } };
}

/** The weights by name, encoded ones decoded; anything inconsistent throws naming `source`. */
export function decodeWeights(file: { tensors: Map<string, Tensor>; metadata: Record<string, string> }, source: string): Map<string, Tensor> {
  const text = file.metadata[ENCODINGS_KEY];
  if (text === undefined) return file.tensors;
  const fail = (why: string): never => {
    throw new Error(`${source}: bad encoded weights: ${why}`);
  };
  let index: Record<string, EncodedEntry> = {};
  try {
    index = JSON.parse(text) as Record<string, EncodedEntry>;
  } catch (err) {
    fail(`metadata '${ENCODINGS_KEY}' is not JSON (${(err as Error).message})`);
  }
  if (!index || typeof index !== 'object' || Array.isArray(index)) fail(`metadata '${ENCODINGS_KEY}' is not an object`);
  const out = new Map(file.tensors);
  for (const [name, entry] of Object.entries(index)) {
    const enc = encodings.find((e) => e.name === entry?.encoding);
    if (!enc) fail(`weight '${name}' uses encoding ${describe(entry?.encoding)}, known: ${encodings.map((e) => e.name).join(', ')}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`weight '${name}' has a bad shape ${describe(shape)}`);
    if (!entry.parts || typeof entry.parts !== 'object') fail(`weight '${name}' lists no parts`);
    const parts: Record<string, Tensor> = {};
    for (const [part, key] of Object.entries(entry.parts)) {
      const t = file.tensors.get(key);
      if (!t) fail(`weight '${name}' misses its part '${part}' (tensor '${key}')`);
      parts[part] = t!;
      out.delete(key);
    }
    out.set(name, enc!.decode(parts, shape, `${source}: weight '${name}'`));
  }
  return out;
}

/**
 * Weights that are at least half exact zeros (pruned kernels), stored as a bitmask of the nonzero
 * positions (int32 words, bit i of word j = element 32 j + i) and the nonzero values in order:
 * 1/32 + (1 - sparsity) of the dense size. Only rank >= 2 float32 weights: kernels of trained
 * unpruned models are never half zeros, so their files do not change.
 */
export const SPARSE_BITMASK: WeightEncoding = {
  name: 'sparse-bitmask',
  encode(value: Tensor): Record<string, Tensor> | null {
    if (value.dtype !== 'float32' || value.rank < 2 || value.size < 64) return null;
    const c = value.contiguousCopy();
    const data = c.buffer.subarray(c.offset, c.offset + c.size);
    let nnz = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
    if (nnz * 2 > data.length) return null;
    const mask = new Int32Array(Math.ceil(data.length / 32));
    const values = new Float32Array(nnz);
    let k = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0) continue;
      mask[i >>> 5] = mask[i >>> 5]! | (1 << (i & 31));
      values[k++] = data[i]!;
    }
    return { mask: Tensor.fromArray(mask, [mask.length]), values: Tensor.fromArray(values, [nnz]) };
  },
  decode(parts: Record<string, Tensor>, shape: number[], where: string): Tensor {
    const { mask, values } = parts;
    const n = sizeOf(shape);
    if (!mask || mask.dtype !== 'int32' || mask.size !== Math.ceil(n / 32)) {
      throw new Error(`${where}: sparse mask must be int32 with ${Math.ceil(n / 32)} words for shape [${shape.join(',')}], got ${describe(mask)}`);
    }
    if (!values || values.dtype !== 'float32') throw new Error(`${where}: sparse values must be float32, got ${describe(values)}`);
    const m = mask.dataSync() as Int32Array;
    const v = values.dataSync() as Float32Array;
    const out = new Float32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (((m[i >>> 5]! >>> (i & 31)) & 1) === 0) continue;
      if (k >= v.length) throw new Error(`${where}: the sparse mask marks more entries than the ${v.length} stored values`);
      out[i] = v[k++]!;
    }
    if (k !== v.length) throw new Error(`${where}: the sparse mask marks ${k} entries but ${v.length} values are stored`);
    return Tensor.fromArray(out, shape.slice());
  },
};

registerWeightEncoding(SPARSE_BITMASK);
