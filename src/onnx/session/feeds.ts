// Checks a run's feeds against the model's inputs on the caller's thread, so a wrong name, dtype
// or shape is a clear Error before anything reaches a worker, and turns each feed into a
// contiguous view that can be copied (once, per request or per batch chunk) into a buffer the
// worker receives by transfer.
import { argError, describe } from '../../errors';
import { Tensor } from '../../tensor/tensor';
import { formatShape, type SessionValueMetadata } from './metadata';
import type { OrtElementType, OrtNumericArray, WireTensor } from './protocol';
import type { JobInput } from './worker-pool';

/** A typed array with explicit dims, e.g. `{ data: new Float32Array(2 * 784), dims: [2, 784] }`. */
export interface ArrayFeed {
  data: OrtNumericArray;
  dims: readonly number[];
}

/**
 * A value for one model input: a Tensor, a typed array with dims, or a bare typed array (its
 * shape is inferred when the input has at most one unknown dim, e.g. `[batch,784]`).
 */
export type SessionFeed = Tensor | ArrayFeed | OrtNumericArray;

/** A validated feed: its elements as a contiguous view, and the element type the worker sends to ORT. */
export interface FeedView {
  name: string;
  type: OrtElementType;
  data: OrtNumericArray;
  dims: number[];
  /** The tensor whose storage `data` views: kept alive and pinned until the data is copied. */
  owner: Tensor | null;
}

const ARRAY_TYPES: ReadonlyArray<[new (n: number) => OrtNumericArray, OrtElementType]> = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'],
  [BigUint64Array, 'uint64'],
];

function arrayTypeOf(value: unknown): OrtElementType | null {
  for (const [ctor, type] of ARRAY_TYPES) if (value instanceof ctor) return type;
  return null;
}

/**
 * The ORT type a feed is sent as, or null if it cannot feed that input. Uint8Array carries bool
 * and Uint16Array half-float bit patterns (as in onnxruntime); int32 widens to int64 because the
 * library has no int64 tensors and the copy happens anyway.
 */
function wireTypeFor(arrayType: OrtElementType, expected: OrtElementType): OrtElementType | null {
  if (arrayType === expected) return expected;
  if (arrayType === 'uint8' && expected === 'bool') return 'bool';
  if (arrayType === 'uint16' && expected === 'float16') return 'float16';
  if (arrayType === 'int32' && expected === 'int64') return 'int64';
  return null;
}

const isDims = (d: unknown): d is number[] => Array.isArray(d) && d.every((x) => Number.isInteger(x) && x >= 0);
const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Dims for a bare typed array: the input's shape with its one unknown dim solved from the length. */
function inferDims(fn: string, arg: string, meta: SessionValueMetadata, length: number, got: () => string): number[] {
  const shape = meta.shape;
  const unknown = shape ? shape.filter((d) => typeof d !== 'number').length : Infinity;
  if (!shape || unknown > 1) {
    const why = shape ? 'more than one dim is unknown' : 'its rank is unknown';
    argError(fn, arg, `{ data, dims } for input '${meta.name}' of shape ${formatShape(shape)} (${why})`, got());
  }
  const known = product(shape.filter((d): d is number => typeof d === 'number'));
  const free = known === 0 ? 0 : length / known;
  if (!Number.isInteger(free) || (unknown === 0 && length !== known)) {
    argError(fn, arg, `a length that fits input '${meta.name}' of shape ${formatShape(shape)}`, `${got()} of length ${length}`);
  }
  return shape.map((d) => (typeof d === 'number' ? d : free));
}

function checkShape(fn: string, arg: string, meta: SessionValueMetadata, dims: readonly number[], got: () => string): void {
  const shape = meta.shape;
  if (!shape) return;
  const ok = shape.length === dims.length && shape.every((d, i) => typeof d !== 'number' || d === dims[i]);
  if (!ok) argError(fn, arg, `shape ${formatShape(shape)} for input '${meta.name}'`, `${got()} of shape [${dims.join(',')}]`);
}

/** Validates one feed against its input's metadata; copies nothing (except a non-contiguous tensor). */
export function feedView(fn: string, arg: string, meta: SessionValueMetadata, value: unknown): FeedView {
  if (!meta.isTensor || meta.dtype === null || meta.dtype === 'string') {
    argError(fn, arg, `a numeric tensor input, but model input '${meta.name}' is ${meta.isTensor ? 'a string tensor' : 'not a tensor'}`, describe(value));
  }
  const expected = meta.dtype;
  let data: OrtNumericArray;
  let dims: number[];
  // Described only for an error message: formatting it on every run cost more than the checks.
  let got: () => string;
  let owner: Tensor | null = null;
  if (value instanceof Tensor) {
    if (value.isDisposed) argError(fn, arg, 'a live tensor', 'a disposed tensor');
    got = () => describe(value);
    // Views are materialized first; contiguous tensors are read in place.
    const flat = value.contiguousCopy();
    owner = flat;
    data = flat.buffer.subarray(flat.offset, flat.offset + value.size);
    dims = [...value.shape];
  } else if (arrayTypeOf(value) !== null) {
    data = value as OrtNumericArray;
    got = () => describe(value);
    dims = inferDims(fn, arg, meta, data.length, got);
  } else if (typeof value === 'object' && value !== null && 'data' in value && 'dims' in value) {
    const feed = value as { data: unknown; dims: unknown };
    if (arrayTypeOf(feed.data) === null) {
      argError(fn, `${arg}.data`, 'a numeric typed array (Float32Array, Int32Array, BigInt64Array, ...)', describe(feed.data));
    }
    if (!isDims(feed.dims)) argError(fn, `${arg}.dims`, 'an array of non-negative integers', describe(feed.dims));
    data = feed.data as OrtNumericArray;
    dims = [...feed.dims];
    got = () => describe(feed.data);
    if (product(dims) !== data.length) {
      argError(fn, arg, `data whose length is the product of dims [${dims.join(',')}] (${product(dims)})`, got());
    }
  } else {
    argError(fn, arg, 'a Tensor, a typed array or { data, dims }', describe(value));
  }
  const type = wireTypeFor(arrayTypeOf(data)!, expected);
  if (type === null) {
    const fits = expected === 'bool' ? 'Uint8Array' : expected === 'float16' ? 'Uint16Array (half-float bits)' : `${expected} data`;
    argError(fn, arg, `${fits} for input '${meta.name}' (dtype ${expected})`, got());
  }
  checkShape(fn, arg, meta, dims, got);
  return { name: meta.name, type, data, dims, owner };
}

/** Validates a whole feeds object: every input present, no unknown names. */
export function feedViews(fn: string, inputs: readonly SessionValueMetadata[], feeds: unknown): FeedView[] {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || feeds instanceof Tensor || ArrayBuffer.isView(feeds)) {
    argError(fn, 'feeds', `an object mapping input names (${inputs.map((m) => `'${m.name}'`).join(', ')}) to values`, describe(feeds));
  }
  const given = feeds as Record<string, unknown>;
  const known = new Set(inputs.map((m) => m.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) argError(fn, 'feeds', `only the model's inputs (${[...known].map((n) => `'${n}'`).join(', ')})`, `unknown input '${name}'`);
  }
  return inputs.map((meta) => {
    if (given[meta.name] === undefined) {
      argError(fn, 'feeds', `a value for every model input (${[...known].map((n) => `'${n}'`).join(', ')})`, `nothing for '${meta.name}'`);
    }
    return feedView(fn, `feeds.${meta.name}`, meta, given[meta.name]);
  });
}

/**
 * Copies rows [start, start + rows) of a feed (all of it by default) into a fresh buffer of the
 * wire type: the one copy a request pays, since the caller's memory (often pooled tensor storage)
 * must not be detached by the transfer.
 */
export function wireTensor(view: FeedView, start = 0, rows = view.dims[0] ?? 1): WireTensor {
  const perRow = view.dims.length === 0 ? 1 : product(view.dims.slice(1));
  const src = view.data.subarray(start * perRow, (start + rows) * perRow);
  const dims = view.dims.length === 0 ? [] : [rows, ...view.dims.slice(1)];
  if (view.type === 'int64' && src instanceof Int32Array) {
    const wide = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) wide[i] = BigInt(src[i]!);
    return { type: 'int64', data: wide, dims };
  }
  return { type: view.type, data: src.slice(), dims };
}

/**
 * A pool request over rows [start, start + rows) of the feeds (all rows by default). Tensor
 * storage stays pinned until the request settles, so disposing an input right after `run()` is
 * safe and the copy can be made again if the worker it went to died before starting it; a typed
 * array is read when the request starts, as onnxruntime itself does.
 */
export function feedJob(views: readonly FeedView[], start?: number, rows?: number): JobInput {
  for (const v of views) v.owner?.storage.pin();
  let released = false;
  return {
    prepare: () => {
      if (released) throw new Error('feedJob: prepare() after release()');
      const feeds: Record<string, WireTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const v of views) {
        const t = wireTensor(v, start, rows);
        feeds[v.name] = t;
        transfer.push(t.data.buffer as ArrayBuffer);
      }
      return { feeds, transfer };
    },
    release: () => {
      if (released) return;
      released = true;
      for (const v of views) v.owner?.storage.unpin();
    },
  };
}
