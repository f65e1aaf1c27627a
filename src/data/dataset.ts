import { argError, describe } from '../errors';
import { gather, stack } from '../ops/movement';
import { reshape, slice } from '../ops/views';
import { tensor } from '../ops/creation';
import type { Generator } from '../random/generator';
import { Tensor, type NestedArray } from '../tensor/tensor';
import { generatorFor, randomBelow } from './random';

/**
 * What a dataset built by {@link Dataset.fromTensors} yields: features `x` and, when given,
 * targets `y`. Before `batch` each element is one row (shape x.shape[1:]); after `batch(b)` each is
 * a batch with a leading dimension of b rows (the last one smaller unless `dropRemainder`). This
 * is the element `model.fit(dataset)` consumes: `{ x: Tensor [b, ...], y?: Tensor [b, ...] }`.
 */
export interface DataElement {
  x: Tensor;
  y?: Tensor;
}

/** Options of {@link Dataset.batch}. */
export interface BatchOptions {
  /** Leave out a last batch smaller than the batch size (default false). */
  dropRemainder?: boolean;
}

type Rows = Readonly<Record<string, Tensor>>;

/**
 * Where elements come from. Datasets built from tensors stay `rows` (a stream of row numbers over
 * fixed tensors) through shuffle/take/skip/repeat, so `batch` can gather each batch with one call
 * per tensor instead of slicing and stacking rows one by one. Anything else is a `stream` of
 * elements.
 */
type Source<E> =
  | { kind: 'rows'; tensors: Rows; order: () => Iterator<number> }
  | { kind: 'stream'; iterate: () => AsyncIterator<E> };

function checkCount(fn: string, arg: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    argError(fn, arg, `an integer >= ${min}`, describe(value));
  }
  return value;
}

function* range(n: number): Iterator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function* takeSync(it: Iterator<number>, n: number): Iterator<number> {
  for (let i = 0; i < n; i++) {
    const r = it.next();
    if (r.done) return;
    yield r.value;
  }
}

function* skipSync(it: Iterator<number>, n: number): Iterator<number> {
  for (let i = 0; i < n; i++) if (it.next().done) return;
  for (let r = it.next(); !r.done; r = it.next()) yield r.value;
}

function* repeatSync(order: () => Iterator<number>, count: number): Iterator<number> {
  for (let c = 0; c < count; c++) {
    const it = order();
    let r = it.next();
    // An empty pass would make an endless repeat spin forever without yielding.
    if (r.done) return;
    for (; !r.done; r = it.next()) yield r.value;
  }
}

/**
 * tf.data's buffered shuffle: keep `bufferSize` elements, emit a random one and put the next
 * input in its place. With a buffer as large as the input this is a uniform permutation.
 */
function* shuffleSync<T>(it: Iterator<T>, bufferSize: number, g: Generator): Iterator<T> {
  const buf: T[] = [];
  for (let r = it.next(); !r.done; r = it.next()) {
    if (buf.length < bufferSize) {
      buf.push(r.value);
      continue;
    }
    const j = randomBelow(g, buf.length);
    const out = buf[j]!;
    buf[j] = r.value;
    yield out;
  }
  while (buf.length > 0) {
    const j = randomBelow(g, buf.length);
    const out = buf[j]!;
    buf[j] = buf[buf.length - 1]!;
    buf.pop();
    yield out;
  }
}

async function* shuffleAsync<T>(it: AsyncIterable<T>, bufferSize: number, g: Generator): AsyncGenerator<T> {
  const buf: T[] = [];
  for await (const v of it) {
    if (buf.length < bufferSize) {
      buf.push(v);
      continue;
    }
    const j = randomBelow(g, buf.length);
    const out = buf[j]!;
    buf[j] = v;
    yield out;
  }
  while (buf.length > 0) {
    const j = randomBelow(g, buf.length);
    const out = buf[j]!;
    buf[j] = buf[buf.length - 1]!;
    buf.pop();
    yield out;
  }
}

function mapRows(rows: Rows, fn: (t: Tensor) => Tensor): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(rows)) out[k] = fn(t);
  return out;
}

/** Stacks a list of like elements (tensors, numbers, or plain objects of them) along a new first axis. */
function stackElements(items: readonly unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) return stack(items as Tensor[], 0);
  if (typeof first === 'number') return tensor(items as number[]);
  if (first && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      const value = (first as Record<string, unknown>)[key];
      if (value === undefined) continue;
      out[key] = stackElements(items.map((e) => (e as Record<string, unknown>)[key]));
    }
    return out;
  }
  return argError('Dataset.batch', 'elements', 'tensors, numbers or plain objects of them', describe(first));
}

/**
 * An iterator that asks `source` for up to `depth` elements ahead. Async generators queue
 * overlapping `next()` calls, so the requests run back to back while the consumer works.
 */
function prefetchIterator<E>(source: AsyncIterator<E>, depth: number): AsyncIterator<E> {
  const pending: Promise<IteratorResult<E>>[] = [];
  let finished = false;
  const fill = (): void => {
    while (!finished && pending.length < depth) {
      const p = source.next();
      // An early end or error shows when its turn comes; stop asking past it.
      p.then((r) => { if (r.done) finished = true; }, () => { finished = true; });
      pending.push(p);
    }
  };
  return {
    async next(): Promise<IteratorResult<E>> {
      fill();
      const head = pending.shift();
      if (!head) return { done: true, value: undefined };
      const r = await head;
      if (r.done) finished = true;
      else fill();
      return r;
    },
    async return(): Promise<IteratorResult<E>> {
      finished = true;
      pending.length = 0;
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
}

/**
 * A lazy, tf.data-style input pipeline: describe the steps (shuffle, batch, map, take, ...) and
 * iterate with `for await (const { x, y } of ds)`. Every iteration is a fresh pass over the data,
 * so one dataset serves every epoch. Each step returns a new Dataset; the original is unchanged.
 *
 * Shuffling draws from the global generator at the start of each pass (so `manualSeed` repeats
 * runs), or from the step's own generator when a seed is given: then the sequence of per-pass
 * orders is fixed by the seed, and each pass still differs from the last (tf.data's
 * reshuffle_each_iteration).
 *
 * @example
 * const ds = Dataset.fromTensors(xTrain, yTrain).shuffle(true, 7).batch(32);
 * for await (const { x, y } of ds) { ... } // x: [32, ...features], y: [32, ...]
 */
export class Dataset<E = DataElement> implements AsyncIterable<E> {
  /** Elements per pass (batches once batched); Infinity when repeated forever, undefined when unknown. */
  readonly size: number | undefined;
  /** Rows per batch after {@link batch}; undefined before. */
  readonly batchSize: number | undefined;
  private readonly source: Source<E>;

  private constructor(source: Source<E>, size: number | undefined, batchSize: number | undefined) {
    this.source = source;
    this.size = size;
    this.batchSize = batchSize;
  }

  /** Batches per pass once batched (the steps of an epoch); undefined for an unbatched dataset or an unknown size. */
  get batchCount(): number | undefined {
    return this.batchSize === undefined ? undefined : this.size;
  }

  /**
   * A dataset over the rows of `x` (and of `y`, paired by position): element i is
   * `{ x: x[i], y: y[i] }`. The tensors are not copied; batches are gathered from them.
   */
  static fromTensors(x: Tensor, y?: Tensor): Dataset<DataElement> {
    const fn = 'Dataset.fromTensors';
    if (!(x instanceof Tensor)) argError(fn, 'x', 'a Tensor', describe(x));
    if (x.rank === 0) argError(fn, 'x', 'a tensor with rows (rank >= 1)', describe(x));
    const tensors: Record<string, Tensor> = { x };
    if (y !== undefined) {
      if (!(y instanceof Tensor)) argError(fn, 'y', 'a Tensor', describe(y));
      if (y.rank === 0 || y.shape[0] !== x.shape[0]) argError(fn, 'y', `${x.shape[0]} rows like x`, describe(y));
      tensors['y'] = y;
    }
    const n = x.shape[0]!;
    return new Dataset<DataElement>({ kind: 'rows', tensors, order: () => range(n) }, n, undefined);
  }

  /**
   * {@link fromTensors} from nested arrays or typed arrays (one entry per row). Plain arrays become
   * float32; pass an Int32Array for int32 labels.
   */
  static fromArrays(x: readonly NestedArray[] | Float32Array | Int32Array, y?: readonly NestedArray[] | Float32Array | Int32Array): Dataset<DataElement> {
    const fn = 'Dataset.fromArrays';
    const toT = (arg: string, v: unknown): Tensor => {
      if (!Array.isArray(v) && !(v instanceof Float32Array) && !(v instanceof Int32Array)) {
        argError(fn, arg, 'an array of rows or a typed array', describe(v));
      }
      return tensor(v as readonly NestedArray[]);
    };
    return Dataset.fromTensors(toT('x', x), y === undefined ? undefined : toT('y', y));
  }

  /**
   * A dataset over any (async) iterable, e.g. a generator reading files. `size` may be given when
   * known. A generator function is called anew for each pass; a plain iterable must be re-iterable.
   */
  static fromIterable<T>(source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>), size?: number): Dataset<T> {
    const fn = 'Dataset.fromIterable';
    if (size !== undefined) checkCount(fn, 'size', size, 0);
    const open = (): Iterable<T> | AsyncIterable<T> => (typeof source === 'function' ? source() : source);
    const probe = typeof source === 'function' ? null : source;
    if (probe !== null && (typeof probe !== 'object' || (!(Symbol.iterator in probe) && !(Symbol.asyncIterator in probe)))) {
      argError(fn, 'source', 'an iterable, an async iterable or a function returning one', describe(source));
    }
    return new Dataset<T>(
      {
        kind: 'stream',
        iterate: () => {
          const it = open();
          if (it && Symbol.asyncIterator in it) return it[Symbol.asyncIterator]();
          if (it && Symbol.iterator in it) {
            return (async function* () {
              yield* it;
            })();
          }
          return argError(fn, 'source', 'a function returning an iterable', describe(it));
        },
      },
      size,
      undefined,
    );
  }

  /**
   * Shuffles elements through a buffer of `bufferSize` (tf.data semantics: larger buffers mix more;
   * `true` uses the whole dataset, a full uniform shuffle). Each pass is shuffled anew.
   */
  shuffle(bufferSize: number | true, seed?: number): Dataset<E> {
    const fn = 'Dataset.shuffle';
    let buffer: number;
    if (bufferSize === true) {
      if (this.size === undefined || !Number.isFinite(this.size)) {
        argError(fn, 'bufferSize', 'a number (shuffle(true) needs a dataset of known, finite size)', `true for a dataset of size ${this.size}`);
      }
      buffer = Math.max(1, this.size);
    } else {
      buffer = checkCount(fn, 'bufferSize', bufferSize, 1);
    }
    const fixed = seed === undefined ? null : generatorFor(fn, seed);
    const pick = (): Generator => fixed ?? generatorFor(fn, undefined);
    const src = this.source;
    if (src.kind === 'rows') {
      return this.derive({ kind: 'rows', tensors: src.tensors, order: () => shuffleSync(src.order(), buffer, pick()) }, this.size);
    }
    const self = this;
    return this.derive({ kind: 'stream', iterate: () => shuffleAsync(self, buffer, pick()) }, this.size);
  }

  /**
   * Groups consecutive elements into batches of `size` rows. Datasets from tensors gather each
   * batch with one `gather` per tensor; other elements (tensors, numbers, or plain objects of them)
   * are stacked along a new first axis.
   */
  batch(size: number, options: BatchOptions = {}): Dataset<E> {
    const fn = 'Dataset.batch';
    checkCount(fn, 'size', size, 1);
    if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an options object', describe(options));
    const drop = options.dropRemainder === true;
    const n = this.size;
    const count = n === undefined || !Number.isFinite(n) ? n : drop ? Math.floor(n / size) : Math.ceil(n / size);
    const src = this.source;
    if (src.kind === 'rows') {
      const iterate = async function* (): AsyncGenerator<E> {
        const it = src.order();
        const idx = new Int32Array(size);
        for (;;) {
          let k = 0;
          for (let r = it.next(); ; r = it.next()) {
            if (r.done) break;
            idx[k++] = r.value;
            if (k === size) break;
          }
          if (k === 0 || (k < size && drop)) return;
          const indices = Tensor.fromArray(idx.slice(0, k), [k]);
          yield mapRows(src.tensors, (t) => gather(t, indices)) as unknown as E;
          if (k < size) return;
        }
      };
      return new Dataset<E>({ kind: 'stream', iterate }, count, size);
    }
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      let items: E[] = [];
      for await (const e of self) {
        items.push(e);
        if (items.length === size) {
          yield stackElements(items) as E;
          items = [];
        }
      }
      if (items.length > 0 && !drop) yield stackElements(items) as E;
    };
    return new Dataset<E>({ kind: 'stream', iterate }, count, size);
  }

  /** Applies `fn` to every element (it may be async). Element count and batching are unchanged. */
  map<U>(fn: (element: E) => U | Promise<U>): Dataset<U> {
    if (typeof fn !== 'function') argError('Dataset.map', 'fn', 'a function', describe(fn));
    const self = this;
    const iterate = async function* (): AsyncGenerator<U> {
      for await (const e of self) yield await fn(e);
    };
    return new Dataset<U>({ kind: 'stream', iterate }, this.size, this.batchSize);
  }

  /** The first `count` elements of each pass. */
  take(count: number): Dataset<E> {
    checkCount('Dataset.take', 'count', count, 0);
    const size = this.size === undefined ? undefined : Math.min(this.size, count);
    const src = this.source;
    if (src.kind === 'rows') return this.derive({ kind: 'rows', tensors: src.tensors, order: () => takeSync(src.order(), count) }, size);
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      if (count === 0) return;
      let i = 0;
      for await (const e of self) {
        yield e;
        if (++i >= count) return;
      }
    };
    return this.derive({ kind: 'stream', iterate }, size);
  }

  /** Every element of each pass after the first `count`. */
  skip(count: number): Dataset<E> {
    checkCount('Dataset.skip', 'count', count, 0);
    const size = this.size === undefined ? undefined : Number.isFinite(this.size) ? Math.max(0, this.size - count) : this.size;
    const src = this.source;
    if (src.kind === 'rows') return this.derive({ kind: 'rows', tensors: src.tensors, order: () => skipSync(src.order(), count) }, size);
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      let i = 0;
      for await (const e of self) if (i++ >= count) yield e;
    };
    return this.derive({ kind: 'stream', iterate }, size);
  }

  /**
   * Passes over the data `count` times per iteration (forever when omitted; end such a loop with
   * `take` or `break`). A shuffle before `repeat` reshuffles every repetition.
   */
  repeat(count?: number): Dataset<E> {
    const times = count === undefined ? Infinity : checkCount('Dataset.repeat', 'count', count, 0);
    const size = this.size === undefined ? undefined : this.size === 0 || times === 0 ? 0 : this.size * times;
    const src = this.source;
    if (src.kind === 'rows') return this.derive({ kind: 'rows', tensors: src.tensors, order: () => repeatSync(src.order, times) }, size);
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      for (let c = 0; c < times; c++) {
        let any = false;
        for await (const e of self) {
          any = true;
          yield e;
        }
        if (!any) return;
      }
    };
    return this.derive({ kind: 'stream', iterate }, size);
  }

  /** Only the elements for which `predicate` (which may be async) returns true; the size becomes unknown. */
  filter(predicate: (element: E) => boolean | Promise<boolean>): Dataset<E> {
    if (typeof predicate !== 'function') argError('Dataset.filter', 'predicate', 'a function', describe(predicate));
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      for await (const e of self) if (await predicate(e)) yield e;
    };
    return new Dataset<E>({ kind: 'stream', iterate }, undefined, this.batchSize);
  }

  /**
   * This dataset's elements, then `other`'s (tf.data `concatenate`). Both should yield elements of
   * the same structure (and batch size, when batched).
   */
  concatenate(other: Dataset<E>): Dataset<E> {
    if (!(other instanceof Dataset)) argError('Dataset.concatenate', 'other', 'a Dataset', describe(other));
    const self = this;
    const iterate = async function* (): AsyncGenerator<E> {
      yield* self;
      yield* other;
    };
    const size = this.size === undefined || other.size === undefined ? undefined : this.size + other.size;
    return new Dataset<E>({ kind: 'stream', iterate }, size, this.batchSize === other.batchSize ? this.batchSize : undefined);
  }

  /**
   * Keeps up to `bufferSize` upcoming elements in preparation while the current one is used (tf.data
   * `prefetch`): the next batches' reads, decoding and async `map` steps run while the training step
   * runs, instead of after it. Elements and their order are unchanged.
   */
  prefetch(bufferSize = 1): Dataset<E> {
    checkCount('Dataset.prefetch', 'bufferSize', bufferSize, 1);
    const self = this;
    const iterate = (): AsyncIterator<E> => prefetchIterator(self[Symbol.asyncIterator](), bufferSize);
    return new Dataset<E>({ kind: 'stream', iterate }, this.size, this.batchSize);
  }

  /**
   * Pairs the elements of several datasets by position (tf.data `zip`): `zip([a, b])` yields
   * `[ea, eb]` and `zip({ x: a, y: b })` yields `{ x: ea, y: eb }` (so a features dataset and a
   * labels dataset zip into the `{ x, y }` elements `fit` takes). Ends with the shortest dataset.
   */
  static zip<T extends readonly Dataset<unknown>[]>(datasets: T): Dataset<{ [K in keyof T]: T[K] extends Dataset<infer U> ? U : never }>;
  static zip<T extends Record<string, Dataset<unknown>>>(datasets: T): Dataset<{ [K in keyof T]: T[K] extends Dataset<infer U> ? U : never }>;
  static zip(datasets: readonly Dataset<unknown>[] | Record<string, Dataset<unknown>>): Dataset<unknown> {
    const fn = 'Dataset.zip';
    const isList = Array.isArray(datasets);
    if (typeof datasets !== 'object' || datasets === null) argError(fn, 'datasets', 'an array or an object of Datasets', describe(datasets));
    const keys = isList ? datasets.map((_, i) => i) : Object.keys(datasets);
    const list = keys.map((k) => (datasets as Record<string | number, Dataset<unknown>>)[k]!);
    if (list.length === 0) argError(fn, 'datasets', 'at least one Dataset', 'none');
    list.forEach((d, i) => {
      if (!(d instanceof Dataset)) argError(fn, `datasets[${JSON.stringify(keys[i])}]`, 'a Dataset', describe(d));
    });
    const iterate = async function* (): AsyncGenerator<unknown> {
      const its = list.map((d) => d[Symbol.asyncIterator]());
      try {
        for (;;) {
          const results = await Promise.all(its.map((it) => it.next()));
          if (results.some((r) => r.done)) return;
          if (isList) yield results.map((r) => r.value);
          else yield Object.fromEntries(keys.map((k, i) => [k, results[i]!.value]));
        }
      } finally {
        await Promise.all(its.map((it) => it.return?.()));
      }
    };
    const sizes = list.map((d) => d.size);
    const size = sizes.some((n) => n === undefined) ? undefined : Math.min(...(sizes as number[]));
    const batch = list[0]!.batchSize;
    return new Dataset<unknown>({ kind: 'stream', iterate }, size, list.every((d) => d.batchSize === batch) ? batch : undefined);
  }

  /** Collects one pass into an array (not for endless datasets). */
  async toArray(): Promise<E[]> {
    if (this.size === Infinity) throw new Error('Dataset.toArray: the dataset repeats forever; take(n) first');
    const out: E[] = [];
    for await (const e of this) out.push(e);
    return out;
  }

  /** Starts a new pass over the data. */
  [Symbol.asyncIterator](): AsyncIterator<E> {
    const src = this.source;
    if (src.kind === 'stream') return src.iterate();
    return (async function* () {
      const it = src.order();
      for (let r = it.next(); !r.done; r = it.next()) {
        const i = r.value;
        yield mapRows(src.tensors, (t) => reshape(slice(t, [i], [1]), t.shape.slice(1))) as unknown as E;
      }
    })();
  }

  private derive(source: Source<E>, size: number | undefined): Dataset<E> {
    return new Dataset<E>(source, size, this.batchSize);
  }
}
