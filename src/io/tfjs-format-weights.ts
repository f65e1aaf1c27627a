// The weights half of tfjs's Layers format: a weightsManifest of groups, each a list of shard
// files read back to back, holding the specs' values in order (little-endian, no padding).
import { Tensor } from '../tensor/tensor';
import { halfToFloat } from './half';

/** One weight as a manifest lists it. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** 'optimizer' for optimizer state (tfjs's includeOptimizer), else the model's. */
  group?: string;
  /** Quantized storage: value = q * scale + min (uint8/uint16), or IEEE half floats. */
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** One manifest group: shard files (read in order) and the weights they hold. */
export interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** Named weights as one float32 buffer with their specs (what tfjs's model.save writes). */
export function encodeWeights(named: readonly [string, Tensor][]): { specs: WeightSpec[]; data: Uint8Array } {
  const total = named.reduce((n, [, t]) => n + t.size * 4, 0);
  const data = new Uint8Array(total);
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    const c = t.contiguousCopy();
    const values = c.buffer.subarray(c.offset, c.offset + c.size);
    // int32 weights keep their dtype; everything else is stored as float32.
    const typed = t.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
    data.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), offset);
    offset += typed.byteLength;
    specs.push({ name, shape: t.shape.slice(), dtype: t.dtype });
  }
  return { specs, data };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Decodes the weights of `specs` from `data` (one group's shards joined), as float32 or int32
 * tensors by name. Sizes are checked against the data before anything is read.
 */
export function decodeWeights(fn: string, where: string, specs: readonly WeightSpec[], data: Uint8Array): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const spec of specs) {
    if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${fn}: ${where}: malformed weight spec ${JSON.stringify(spec)?.slice(0, 100)}`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const stored = spec.quantization?.dtype ?? spec.dtype;
    const width = BYTES[stored];
    if (width === undefined) throw new Error(`${fn}: ${where}: weight '${spec.name}' has dtype '${stored}'; supported: float32, int32, bool, uint8/uint16/float16 quantization`);
    if (offset + size * width > data.byteLength) {
      throw new Error(`${fn}: ${where}: weight '${spec.name}' [${spec.shape.join(',')}] needs bytes ${offset}..${offset + size * width}, the weight files hold ${data.byteLength}`);
    }
    const isInt = spec.dtype === 'int32' && !spec.quantization;
    const t = Tensor.empty(spec.shape.slice(), isInt ? 'int32' : 'float32');
    const b = t.buffer;
    const q = spec.quantization;
    const scale = q?.scale ?? 1;
    const min = q?.min ?? 0;
    for (let i = 0; i < size; i++) {
      const at = offset + i * width;
      switch (stored) {
        case 'float32': b[i] = view.getFloat32(at, true); break;
        case 'int32': b[i] = view.getInt32(at, true); break;
        case 'bool': b[i] = view.getUint8(at) ? 1 : 0; break;
        case 'uint8': b[i] = view.getUint8(at) * scale + min; break;
        case 'uint16': b[i] = view.getUint16(at, true) * scale + min; break;
        default: b[i] = halfToFloat(view.getUint16(at, true));
      }
    }
    offset += size * width;
    out.set(spec.name, t);
  }
  return out;
}
