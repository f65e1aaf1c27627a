import { argError, describe } from '../errors';
import { type DType, isDType } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { parseCsvRecords } from './csv-parse';
import { pathName, readBytes, readBytesSync } from './read-file';

/** A column picked by header name or by 0-based position (negative counts from the end). */
export type CsvColumn = string | number;

/** Options of {@link readCsv} and {@link readCsvSync}. */
export interface CsvOptions {
  /**
   * Whether the first row holds column names. `'auto'` (default) takes it as a header when none of
   * its fields is a number, or when one of its fields is not a number while the field below it is.
   * Without a header, columns are named by position: `'0'`, `'1'`, ...
   */
  header?: 'auto' | boolean;
  /** One character between fields; default `','`. */
  delimiter?: string;
  /** Feature columns, in the order they should appear in `features`; default every column but the label. */
  columns?: readonly CsvColumn[];
  /** The column returned as `labels` (and left out of the default feature columns). */
  labelColumn?: CsvColumn;
  /**
   * Columns whose values are category names, encoded as integer codes 0..K-1:
   * - `true`: every selected column that holds a non-number;
   * - a list of columns: those columns (even if their values look numeric);
   * - `{ column: ['a', 'b', ...] }`: those columns with a fixed category order, so a train file
   *   and a test file encode alike (a value outside the list is an error).
   * Auto-found categories are sorted (numerically when all look numeric), so the codes do not depend
   * on row order. The chosen categories come back in `categories`.
   */
  categorical?: boolean | readonly CsvColumn[] | Readonly<Record<string, readonly string[]>>;
  /** Value for empty fields in numeric columns (e.g. NaN or 0); by default an empty field is an error. */
  missing?: number;
  /** dtype of `labels`; default int32 for a categorical label column, float32 otherwise. */
  labelDtype?: DType;
  /**
   * What the first argument is. `'auto'` (default): a URL or a string without line breaks is a
   * path; a string with line breaks is CSV text.
   */
  source?: 'auto' | 'path' | 'text';
}

/** Tabular data read by {@link readCsv}. */
export interface CsvData {
  /** float32 [rows, columns.length]. */
  features: Tensor;
  /** [rows], present when `labelColumn` was given. */
  labels?: Tensor;
  /** Names of the feature columns, in `features` column order. */
  columns: string[];
  /** Name of the label column, when one was given. */
  labelName?: string;
  /** For each categorical column (by name), the category each code stands for: code i is `categories[name][i]`. */
  categories: Record<string, string[]>;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** The number a field spells (surrounding spaces allowed), or undefined. Stricter than Number(), which reads '' and '0x1f'. */
export function parseNumber(field: string): number | undefined {
  const s = field.trim();
  if (NUMBER.test(s)) return Number(s);
  const inf = INFINITY.exec(s);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return undefined;
}

/** @internal records split from CSV text, with their line numbers and the column names. */
export interface Parsed {
  fn: string;
  where: string;
  rows: string[][];
  lines: number[];
  names: string[];
}

export function checkOptions(fn: string, options: unknown): CsvOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) argError(fn, 'options', 'an options object', describe(options));
  const o = options as CsvOptions;
  if (o.header !== undefined && o.header !== 'auto' && typeof o.header !== 'boolean') {
    argError(fn, 'options.header', "'auto', true or false", describe(o.header));
  }
  if (o.delimiter !== undefined && (typeof o.delimiter !== 'string' || o.delimiter.length !== 1 || /["\r\n]/.test(o.delimiter))) {
    argError(fn, 'options.delimiter', 'one character other than a quote or line break', describe(o.delimiter));
  }
  if (o.columns !== undefined && !Array.isArray(o.columns)) argError(fn, 'options.columns', 'an array of column names or indices', describe(o.columns));
  if (o.missing !== undefined && typeof o.missing !== 'number') argError(fn, 'options.missing', 'a number', describe(o.missing));
  if (o.labelDtype !== undefined && !isDType(o.labelDtype)) argError(fn, 'options.labelDtype', "'float32' or 'int32'", describe(o.labelDtype));
  if (o.source !== undefined && o.source !== 'auto' && o.source !== 'path' && o.source !== 'text') {
    argError(fn, 'options.source', "'auto', 'path' or 'text'", describe(o.source));
  }
  const c = o.categorical;
  if (c !== undefined && typeof c !== 'boolean' && (typeof c !== 'object' || c === null)) {
    argError(fn, 'options.categorical', 'true, a list of columns or { column: categories }', describe(c));
  }
  return o;
}

function isText(input: unknown, options: CsvOptions): boolean {
  if (options.source === 'text') return true;
  if (options.source === 'path' || input instanceof URL) return false;
  return typeof input === 'string' && /[\r\n]/.test(input);
}

function checkInput(fn: string, input: unknown): asserts input is string | URL {
  if (typeof input !== 'string' && !(input instanceof URL)) argError(fn, 'pathOrText', 'a file path, a file: URL or CSV text', describe(input));
}

// A one-line CSV string is taken for a path by 'auto'; say so when that path does not exist.
function withTextHint(err: unknown, input: string | URL, options: CsvOptions): unknown {
  if (options.source === undefined && typeof input === 'string' && err instanceof Error && /ENOENT/.test(err.message)) {
    err.message += " (to parse the string itself as CSV, pass { source: 'text' })";
  }
  return err;
}

export function looksLikeHeader(rows: string[][]): boolean {
  const first = rows[0];
  if (!first) return false;
  if (first.every((f) => parseNumber(f) === undefined)) return true;
  const second = rows[1];
  if (!second) return false;
  return first.some((f, i) => parseNumber(f) === undefined && second[i] !== undefined && parseNumber(second[i]!) !== undefined);
}

function split(fn: string, where: string, text: string, options: CsvOptions): Parsed {
  const { rows, lines } = parseCsvRecords(fn, where, text, options.delimiter ?? ',');
  const width = rows[0]?.length ?? 0;
  rows.forEach((r, i) => {
    if (r.length !== width) {
      throw new Error(`${fn}: ${where} line ${lines[i]} has ${r.length} fields, expected ${width} (as on line ${lines[0]})`);
    }
  });
  const header = options.header ?? 'auto';
  const hasHeader = header === 'auto' ? looksLikeHeader(rows) : header;
  let names: string[];
  if (hasHeader && rows.length > 0) {
    names = rows.shift()!.map((name, i) => name.trim() || String(i));
    lines.shift();
  } else {
    names = Array.from({ length: width }, (_, i) => String(i));
  }
  return { fn, where, rows, lines, names };
}

export function resolveColumn(p: Parsed, spec: unknown, arg: string): number {
  const width = p.names.length;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < -width || spec >= width) {
      argError(p.fn, arg, `a column index in [${-width}, ${width - 1}] for ${p.where}`, describe(spec));
    }
    return spec < 0 ? spec + width : spec;
  }
  if (typeof spec !== 'string') argError(p.fn, arg, 'a column name or index', describe(spec));
  const first = p.names.indexOf(spec);
  if (first < 0) {
    const shown = p.names.length > 20 ? `${p.names.slice(0, 20).join(', ')}, ...` : p.names.join(', ');
    argError(p.fn, arg, `one of the columns of ${p.where} (${shown})`, describe(spec));
  }
  if (p.names.indexOf(spec, first + 1) >= 0) argError(p.fn, arg, 'a column name that appears once (or pick it by index)', `${describe(spec)}, which appears more than once`);
  return first;
}

function fieldError(p: Parsed, row: number, col: number, what: string): never {
  throw new Error(`${p.fn}: ${p.where} line ${p.lines[row]}, column '${p.names[col]}': ${what}`);
}

/** How one selected column turns into numbers. */
interface Encoding {
  categories?: string[];
  codes?: Map<string, number>;
}

function sortCategories(values: Set<string>): string[] {
  const list = [...values];
  const nums = list.map(parseNumber);
  if (nums.every((v) => v !== undefined)) return list.map((s, i) => [s, nums[i]!] as const).sort((a, b) => a[1] - b[1]).map((e) => e[0]);
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Which columns `options.categorical` names, resolved (and checked) once. */
interface CategoricalPlan {
  auto: boolean;
  listed: Set<number>;
  fixed: Map<number, readonly string[]>;
}

function planCategorical(p: Parsed, options: CsvOptions): CategoricalPlan {
  const c = options.categorical;
  const plan: CategoricalPlan = { auto: c === true, listed: new Set(), fixed: new Map() };
  if (Array.isArray(c)) {
    c.forEach((spec, i) => plan.listed.add(resolveColumn(p, spec, `options.categorical[${i}]`)));
  } else if (c && typeof c === 'object') {
    for (const [name, fixed] of Object.entries(c as Readonly<Record<string, readonly string[]>>)) {
      const col = resolveColumn(p, name, 'options.categorical');
      if (!Array.isArray(fixed) || !fixed.every((v) => typeof v === 'string')) {
        argError(p.fn, `options.categorical.${name}`, 'an array of category names', describe(fixed));
      }
      plan.fixed.set(col, fixed);
    }
  }
  return plan;
}

function encodingFor(p: Parsed, col: number, plan: CategoricalPlan): Encoding {
  const fixed = plan.fixed.get(col);
  if (fixed) return { categories: fixed.slice(), codes: new Map(fixed.map((v, i) => [v, i])) };
  const listed = plan.listed.has(col) || (plan.auto && p.rows.some((r) => r[col]!.trim() !== '' && parseNumber(r[col]!) === undefined));
  if (!listed) return {};
  const seen = new Set<string>();
  for (const r of p.rows) seen.add(r[col]!.trim());
  const categories = sortCategories(seen);
  return { categories, codes: new Map(categories.map((v, i) => [v, i])) };
}

function valueAt(p: Parsed, row: number, col: number, enc: Encoding, options: CsvOptions): number {
  const raw = p.rows[row]![col]!;
  if (enc.codes) {
    const code = enc.codes.get(raw.trim());
    if (code === undefined) {
      fieldError(p, row, col, `${JSON.stringify(raw)} is not one of the categories given in options.categorical (${enc.categories!.join(', ')})`);
    }
    return code;
  }
  const v = parseNumber(raw);
  if (v !== undefined) return v;
  if (raw.trim() === '') {
    if (options.missing !== undefined) return options.missing;
    fieldError(p, row, col, 'empty field in a numeric column (set options.missing to fill empty fields)');
  }
  return fieldError(p, row, col, `expected a number, got ${JSON.stringify(raw)} (list the column in options.categorical to encode it as categories)`);
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** A finite value float32 cannot hold (it would silently become Infinity) is an error. */
function checkFloat32(p: Parsed, row: number, col: number, v: number): number {
  if (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX && !Number.isFinite(Math.fround(v))) {
    fieldError(p, row, col, `${v} is outside the float32 range (about ±3.4e38)`);
  }
  return v;
}

function build(p: Parsed, options: CsvOptions): CsvData {
  const label = options.labelColumn === undefined ? undefined : resolveColumn(p, options.labelColumn, 'options.labelColumn');
  const featureCols = options.columns
    ? options.columns.map((spec, i) => resolveColumn(p, spec, `options.columns[${i}]`))
    : p.names.map((_, i) => i).filter((i) => i !== label);
  const categories: Record<string, string[]> = {};
  const encodings = new Map<number, Encoding>();
  const plan = planCategorical(p, options);
  for (const col of label === undefined ? featureCols : [...featureCols, label]) {
    if (encodings.has(col)) continue;
    const enc = encodingFor(p, col, plan);
    encodings.set(col, enc);
    if (enc.categories) categories[p.names[col]!] = enc.categories;
  }
  const n = p.rows.length;
  const f = featureCols.length;
  const features = new Float32Array(n * f);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < f; j++) {
      const col = featureCols[j]!;
      features[r * f + j] = checkFloat32(p, r, col, valueAt(p, r, col, encodings.get(col)!, options));
    }
  }
  const out: CsvData = { features: Tensor.fromArray(features, [n, f]), columns: featureCols.map((c) => p.names[c]!), categories };
  if (label !== undefined) {
    const enc = encodings.get(label)!;
    const dtype = options.labelDtype ?? (enc.codes ? 'int32' : 'float32');
    const labels = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const v = valueAt(p, r, label, enc, options);
      if (dtype === 'int32') {
        if (!Number.isInteger(v)) fieldError(p, r, label, `labelDtype 'int32' needs whole numbers, got ${v}`);
        // Int32Array would wrap 3000000000 to -1294967296 and 1e300 to 0.
        if (v < -(2 ** 31) || v > 2 ** 31 - 1) fieldError(p, r, label, `labelDtype 'int32' needs values in [-2147483648, 2147483647], got ${v}`);
      } else {
        checkFloat32(p, r, label, v);
      }
      labels[r] = v;
    }
    out.labels = Tensor.fromArray(labels, [n]);
    out.labelName = p.names[label]!;
  }
  return out;
}

/**
 * Reads comma-separated (or other delimited) tabular data into a float32 feature matrix and,
 * optionally, a label vector. Parsing follows RFC 4180: quoted fields may hold delimiters, line
 * breaks and doubled quotes (`""`). Every row must have as many fields as the first.
 *
 * A field that is not a number in a numeric column is an Error naming the line and column; list
 * such columns in `categorical` to encode them as category codes instead.
 *
 * @param pathOrText a file path or URL, or the CSV text itself (see `options.source`)
 * @example
 * const { features, labels, categories } = readCsvSync('iris.csv', { labelColumn: 'species', categorical: ['species'] });
 * // features: float32 [150, 4]; labels: int32 [150]; categories.species: ['setosa', 'versicolor', 'virginica']
 */
export function readCsvSync(pathOrText: string | URL, options?: CsvOptions): CsvData {
  const fn = 'readCsvSync';
  checkInput(fn, pathOrText);
  const opts = checkOptions(fn, options);
  if (isText(pathOrText, opts)) return build(split(fn, 'CSV text', String(pathOrText), opts), opts);
  let bytes: Buffer;
  try {
    bytes = readBytesSync(fn, pathOrText);
  } catch (err) {
    throw withTextHint(err, pathOrText, opts);
  }
  return build(split(fn, `'${pathName(pathOrText)}'`, bytes.toString('utf8'), opts), opts);
}

/** Asynchronous {@link readCsvSync}: the file is read off the JS thread (parsing itself is synchronous). */
export async function readCsv(pathOrText: string | URL, options?: CsvOptions): Promise<CsvData> {
  const fn = 'readCsv';
  checkInput(fn, pathOrText);
  const opts = checkOptions(fn, options);
  if (isText(pathOrText, opts)) return build(split(fn, 'CSV text', String(pathOrText), opts), opts);
  let bytes: Buffer;
  try {
    bytes = await readBytes(fn, pathOrText);
  } catch (err) {
    throw withTextHint(err, pathOrText, opts);
  }
  return build(split(fn, `'${pathName(pathOrText)}'`, bytes.toString('utf8'), opts), opts);
}
