// tfjs's `tf.data`: datasets of arbitrary elements (numbers, arrays, tensors, objects of them), with
// tf.data.csv's columnConfigs/isLabel rows ({ xs, ys }), built on the main Dataset's pipeline
// (shuffle, map, take, skip, repeat); only batching follows tfjs's structure rules (arrays of
// numbers become one tensor per batch, objects batch key by key).
import { argError, describe } from '../errors';
import { Dataset } from '../data/dataset';
import { parseCsvRecords } from '../data/csv-parse';
import { readBytes } from '../data/read-file';
import { Tensor, type NestedArray } from '../tensor/tensor';
import { tensor } from '../ops/creation';
import { stack } from '../ops/movement';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function isNumeric(v: unknown): boolean {
  let x = v;
  while (Array.isArray(x)) x = x[0];
  return typeof x === 'number' || typeof x === 'boolean';
}

/** tfjs's batching of like elements: tensors stack, numbers and numeric arrays become one tensor, containers batch per entry. */
function batchElements(fn: string, items: readonly unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) return stack(items as Tensor[], 0);
  if (ArrayBuffer.isView(first)) return stack(items.map((a) => tensor(a as Float32Array)), 0);
  if (typeof first === 'number' || typeof first === 'boolean' || (Array.isArray(first) && isNumeric(first))) {
    return tensor(items.map((v) => (typeof v === 'boolean' ? Number(v) : v)) as NestedArray[]);
  }
  if (Array.isArray(first)) return first.map((_, i) => batchElements(fn, items.map((e) => (e as unknown[])[i])));
  if (isPlainObject(first)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = batchElements(fn, items.map((e) => (e as Record<string, unknown>)[key]));
    return out;
  }
  return argError(fn, 'elements', 'numbers, arrays of numbers, tensors, or arrays/objects of them (tensors here hold numbers only)', describe(first));
}

function seedNumber(seed: string | number | undefined): number | undefined {
  if (seed === undefined || typeof seed === 'number') return seed;
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** A tfjs-style dataset: lazy, re-iterable, elements of any structure. */
export class TfjsDataset<T> implements AsyncIterable<T> {
  /** @internal */
  constructor(readonly inner: Dataset<T>) {}

  /** Elements per pass, or null when unknown (tfjs's `size`). */
  get size(): number | null {
    return this.inner.size ?? null;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.inner[Symbol.asyncIterator]();
  }

  protected derive<U>(inner: Dataset<U>): TfjsDataset<U> {
    return new TfjsDataset(inner);
  }

  /** Applies `transform` to each element. */
  map<U>(transform: (value: T) => U): TfjsDataset<U> {
    return this.derive(this.inner.map(transform));
  }

  mapAsync<U>(transform: (value: T) => Promise<U>): TfjsDataset<U> {
    return this.derive(this.inner.map(transform));
  }

  /** Keeps the elements `predicate` accepts. */
  filter(predicate: (value: T) => boolean): TfjsDataset<T> {
    const self = this.inner;
    return this.derive(Dataset.fromIterable(async function* () {
      for await (const e of self) if (predicate(e)) yield e;
    }));
  }

  /** Groups `batchSize` consecutive elements; the last smaller batch is kept unless `smallLastBatch` is false. */
  batch(batchSize: number, smallLastBatch = true): TfjsDataset<T> {
    if (!Number.isInteger(batchSize) || batchSize < 1) argError('Dataset.batch', 'batchSize', 'a positive integer', describe(batchSize));
    const self = this.inner;
    const n = self.size;
    const size = n === undefined || !Number.isFinite(n) ? n : smallLastBatch ? Math.ceil(n / batchSize) : Math.floor(n / batchSize);
    return this.derive(Dataset.fromIterable(async function* () {
      let items: T[] = [];
      for await (const e of self) {
        items.push(e);
        if (items.length === batchSize) {
          yield batchElements('Dataset.batch', items) as T;
          items = [];
        }
      }
      if (items.length > 0 && smallLastBatch) yield batchElements('Dataset.batch', items) as T;
    }, size));
  }

  /** Shuffles through a buffer of `bufferSize` elements, anew each pass. */
  shuffle(bufferSize: number, seed?: string | number): TfjsDataset<T> {
    return this.derive(this.inner.shuffle(bufferSize, seedNumber(seed)));
  }

  take(count: number): TfjsDataset<T> {
    return this.derive(this.inner.take(Math.max(0, Math.floor(count))));
  }

  skip(count: number): TfjsDataset<T> {
    return this.derive(this.inner.skip(Math.max(0, Math.floor(count))));
  }

  /** Repeats the data `count` times (forever without a count). */
  repeat(count?: number): TfjsDataset<T> {
    return this.derive(this.inner.repeat(count));
  }

  /** Elements are computed on demand here, so prefetching changes nothing. */
  prefetch(_bufferSize?: number): TfjsDataset<T> {
    return this;
  }

  /** This dataset's elements, then `other`'s. */
  concatenate(other: TfjsDataset<T>): TfjsDataset<T> {
    const [a, b] = [this.inner, other.inner];
    const n = a.size !== undefined && b.size !== undefined ? a.size + b.size : undefined;
    return this.derive(Dataset.fromIterable(async function* () {
      yield* a;
      yield* b;
    }, n));
  }

  async forEachAsync(f: (value: T) => void | Promise<void>): Promise<void> {
    for await (const e of this.inner) await f(e);
  }

  toArray(): Promise<T[]> {
    return this.inner.toArray();
  }

  toArrayForTest(): Promise<T[]> {
    return this.inner.toArray();
  }

  /** tfjs's iterator: `await (await ds.iterator()).next()`. */
  async iterator(): Promise<{ next(): Promise<IteratorResult<T>> }> {
    const it = this.inner[Symbol.asyncIterator]();
    return { next: () => it.next() };
  }
}

/** `tf.data.array(items)`: a dataset of the items as they are. */
export function array<T>(items: readonly T[]): TfjsDataset<T> {
  if (!Array.isArray(items)) argError('data.array', 'items', 'an array', describe(items));
  return new TfjsDataset(Dataset.fromIterable(items, items.length));
}

type GeneratorSource<T> = () => Iterator<T> | AsyncIterator<T> | Iterable<T> | AsyncIterable<T>;

/** `tf.data.generator(fn)`: `fn` (a generator function, or one returning an iterator) runs anew each pass. */
export function generator<T>(fn: GeneratorSource<T>): TfjsDataset<T> {
  if (typeof fn !== 'function') argError('data.generator', 'generator', 'a generator function', describe(fn));
  return new TfjsDataset(Dataset.fromIterable(async function* () {
    const it = fn() as Iterator<T> | AsyncIterator<T> | Iterable<T> | AsyncIterable<T>;
    if (it && (Symbol.asyncIterator in it || Symbol.iterator in it)) {
      yield* it as AsyncIterable<T>;
      return;
    }
    const iter = it as Iterator<T> | AsyncIterator<T>;
    for (let r = await iter.next(); !r.done; r = await iter.next()) yield r.value;
  }));
}

/** `tf.data.zip([a, b])` or `zip({ xs: a, ys: b })`: elements side by side, ending with the shortest. */
export function zip<T>(datasets: readonly TfjsDataset<unknown>[] | Record<string, TfjsDataset<unknown>>): TfjsDataset<T> {
  const entries = Array.isArray(datasets) ? datasets.map((d, i) => [String(i), d] as const) : Object.entries(datasets ?? {});
  if (entries.length === 0 || !entries.every(([, d]) => d instanceof TfjsDataset)) {
    argError('data.zip', 'datasets', 'a non-empty array or object of datasets', describe(datasets));
  }
  const sizes = entries.map(([, d]) => d.size);
  const size = sizes.every((s) => s !== null) ? Math.min(...(sizes as number[])) : undefined;
  return new TfjsDataset(Dataset.fromIterable(async function* () {
    const its = entries.map(([, d]) => d[Symbol.asyncIterator]());
    for (;;) {
      const rs = await Promise.all(its.map((it) => it.next()));
      if (rs.some((r) => r.done)) return;
      if (Array.isArray(datasets)) yield rs.map((r) => r.value) as T;
      else yield Object.fromEntries(entries.map(([k], i) => [k, rs[i]!.value])) as T;
    }
  }, size));
}

/** One column's options in `tf.data.csv` (tfjs ColumnConfig). */
export interface ColumnConfig {
  required?: boolean;
  dtype?: 'float32' | 'int32' | 'bool' | 'string';
  default?: number | string | boolean;
  /** Put this column in `ys` (and the others in `xs`). */
  isLabel?: boolean;
}

/** `tf.data.csv` options (tfjs CSVConfig). */
export interface CSVConfig {
  hasHeader?: boolean;
  columnNames?: string[];
  columnConfigs?: Record<string, ColumnConfig>;
  /** Keep only the columns named in columnConfigs. */
  configuredColumnsOnly?: boolean;
  delimiter?: string;
  delimWhitespace?: boolean;
}

type CsvValue = number | string;
type CsvRow = Record<string, CsvValue>;

/** A CSV file as rows: `{ column: value }`, or `{ xs, ys }` when a column is a label. */
export class CSVDataset extends TfjsDataset<CsvRow | { xs: CsvRow; ys: CsvRow }> {
  /** @internal */
  constructor(inner: Dataset<CsvRow | { xs: CsvRow; ys: CsvRow }>, private readonly names: () => Promise<string[]>) {
    super(inner);
  }

  /** The column names (from the header, or `columnNames`). */
  columnNames(): Promise<string[]> {
    return this.names();
  }
}

function parseField(fn: string, where: string, name: string, raw: string, config: ColumnConfig | undefined): CsvValue | undefined {
  if (raw === '') {
    if (config?.default !== undefined) return typeof config.default === 'boolean' ? Number(config.default) : config.default;
    if (config?.required || config?.isLabel) throw new Error(`${fn}: ${where}: required column '${name}' is empty`);
    return undefined;
  }
  if (config?.dtype === 'string') return raw;
  if (config?.dtype === 'bool') return raw === 'true' || raw === '1' || raw === 'True' ? 1 : 0;
  const n = Number(raw);
  if (Number.isNaN(n)) return raw;
  return config?.dtype === 'int32' ? Math.trunc(n) : n;
}

/**
 * `tf.data.csv(source, config)`: rows of a CSV file (a path or `file://` URL), numbers parsed,
 * other fields kept as strings. With a column marked `isLabel`, rows are `{ xs, ys }`.
 */
export function csv(source: string | URL, config: CSVConfig = {}): CSVDataset {
  const fn = 'data.csv';
  if (typeof source !== 'string' && !(source instanceof URL)) argError(fn, 'source', 'a file path or file:// URL', describe(source));
  if (config === null || typeof config !== 'object') argError(fn, 'config', 'an object', describe(config));
  const where = String(source);
  let loaded: Promise<{ names: string[]; rows: string[][]; lines: number[] }> | null = null;
  const load = () => (loaded ??= (async () => {
    const text = (await readBytes(fn, source)).toString('utf8');
    const delimiter = config.delimiter ?? ',';
    const { rows, lines } = config.delimWhitespace
      ? { rows: text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/)), lines: [] as number[] }
      : parseCsvRecords(fn, where, text, delimiter);
    const hasHeader = config.hasHeader ?? true;
    const names = config.columnNames ?? (hasHeader ? rows[0] ?? [] : (rows[0] ?? []).map((_, i) => String(i)));
    for (const col of Object.keys(config.columnConfigs ?? {})) {
      if (!names.includes(col)) argError(fn, 'columnConfigs', `columns of the file (${names.join(', ')})`, describe(col));
    }
    return { names, rows: hasHeader ? rows.slice(1) : rows, lines: hasHeader ? lines.slice(1) : lines };
  })());
  const configs = config.columnConfigs ?? {};
  const hasLabel = Object.values(configs).some((c) => c?.isLabel);
  const inner = Dataset.fromIterable(async function* () {
    const { names, rows, lines } = await load();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (row.length !== names.length) throw new Error(`${fn}: ${where}: line ${lines[r] ?? r + 1} has ${row.length} fields, the header ${names.length}`);
      const xs: CsvRow = {};
      const ys: CsvRow = {};
      names.forEach((name, i) => {
        const c = configs[name];
        if (config.configuredColumnsOnly && !c) return;
        const v = parseField(fn, `${where} line ${lines[r] ?? r + 1}`, name, row[i]!, c);
        if (v !== undefined) (c?.isLabel ? ys : xs)[name] = v;
      });
      yield hasLabel ? { xs, ys } : xs;
    }
  });
  return new CSVDataset(inner, async () => {
    const { names } = await load();
    return config.configuredColumnsOnly ? names.filter((n) => n in configs) : names;
  });
}
