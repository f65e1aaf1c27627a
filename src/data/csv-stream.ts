import { argError, describe } from '../errors';
import { Tensor } from '../tensor/tensor';
import { type CsvOptions, type Parsed, checkOptions, looksLikeHeader, parseNumber, resolveColumn } from './csv';
import { parseCsvRecords } from './csv-parse';
import { Dataset, type DataElement } from './dataset';
import { type FilePath, pathName } from './read-file';
import { type StreamOptions, checkFilePath, checkStreamOptions, csvBlocks, lines, textChunks } from './text-stream';

/**
 * Options of {@link readCsvStream}: those of `readCsv` (except `source`, always a path), where
 * `categorical` must give each category column's full list (`{ column: ['a', 'b'] }`), since a stream
 * cannot look ahead for every value; plus `chunkSize`.
 */
export type CsvStreamOptions = Omit<CsvOptions, 'source' | 'categorical'> & StreamOptions & {
  categorical?: Readonly<Record<string, readonly string[]>>;
};

/** How each selected column of a streamed row becomes a number. */
interface Plan {
  p: Parsed;
  features: number[];
  label: number | undefined;
  codes: Map<number, Map<string, number>>;
}

function plan(fn: string, where: string, names: string[], options: CsvStreamOptions): Plan {
  const p: Parsed = { fn, where, rows: [], lines: [], names };
  const label = options.labelColumn === undefined ? undefined : resolveColumn(p, options.labelColumn, 'options.labelColumn');
  const features = options.columns
    ? options.columns.map((spec, i) => resolveColumn(p, spec, `options.columns[${i}]`))
    : names.map((_, i) => i).filter((i) => i !== label);
  const codes = new Map<number, Map<string, number>>();
  for (const [name, list] of Object.entries(options.categorical ?? {})) {
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) argError(fn, `options.categorical.${name}`, 'an array of category names', describe(list));
    codes.set(resolveColumn(p, name, 'options.categorical'), new Map(list.map((v, i) => [v, i])));
  }
  return { p, features, label, codes };
}

function value(fn: string, where: string, plan: Plan, row: string[], line: number, col: number, options: CsvStreamOptions): number {
  const raw = row[col]!;
  const fail = (what: string): never => {
    throw new Error(`${fn}: ${where} line ${line}, column '${plan.p.names[col]}': ${what}`);
  };
  const codes = plan.codes.get(col);
  if (codes) {
    const code = codes.get(raw.trim());
    return code ?? fail(`${JSON.stringify(raw)} is not one of the categories given in options.categorical (${[...codes.keys()].join(', ')})`);
  }
  const v = parseNumber(raw);
  if (v !== undefined) return v;
  if (raw.trim() === '') return options.missing ?? fail('empty field in a numeric column (set options.missing to fill empty fields)');
  return fail(`expected a number, got ${JSON.stringify(raw)} (give the column's categories in options.categorical to encode it)`);
}

/**
 * Reads a CSV file as a Dataset of rows without loading it whole: the file is read in chunks and
 * each pass parses it afresh, so files larger than memory train with `fit`. Each element is
 * `{ x: float32 [features], y?: [] }` (y when `labelColumn` is given); chain `.shuffle(n)`,
 * `.batch(32)` and `.prefetch()` as needed. Parsing follows {@link readCsv} (RFC 4180 quotes,
 * header detection, column selection, `missing`); category columns need their full category list.
 *
 * @example
 * const ds = tf.readCsvStream('big.csv', { labelColumn: 'price' }).shuffle(1000).batch(64).prefetch(2);
 * await model.fit(ds, { epochs: 3 });
 */
export function readCsvStream(path: FilePath, options: CsvStreamOptions = {}): Dataset<DataElement> {
  const fn = 'readCsvStream';
  checkFilePath(fn, path);
  checkStreamOptions(fn, options);
  const c = (options as CsvOptions).categorical;
  if (c !== undefined && (typeof c !== 'object' || c === null || Array.isArray(c))) {
    argError(fn, 'options.categorical', "{ column: ['category', ...] } (a stream cannot collect categories ahead)", describe(c));
  }
  checkOptions(fn, { ...options, categorical: undefined, chunkSize: undefined });
  const where = `'${pathName(path)}'`;
  const delimiter = options.delimiter ?? ',';
  const labelDtype = options.labelDtype ?? (options.labelColumn !== undefined && options.categorical?.[String(options.labelColumn)] ? 'int32' : 'float32');
  return Dataset.fromIterable(async function* () {
    let rowPlan: Plan | null = null;
    let width = 0;
    let firstLine = 0;
    for await (const block of csvBlocks(textChunks(fn, path, options.chunkSize))) {
      const { rows, lines: at } = parseCsvRecords(fn, where, block.text, delimiter);
      const lineOf = (i: number): number => block.line + at[i]! - 1;
      let start = 0;
      if (!rowPlan) {
        if (rows.length === 0) continue;
        width = rows[0]!.length;
        firstLine = lineOf(0);
        const header = options.header ?? 'auto';
        const hasHeader = header === 'auto' ? looksLikeHeader(rows) : header;
        const names = hasHeader ? rows[0]!.map((name, i) => name.trim() || String(i)) : Array.from({ length: width }, (_, i) => String(i));
        rowPlan = plan(fn, where, names, options);
        start = hasHeader ? 1 : 0;
      }
      for (let i = start; i < rows.length; i++) {
        const row = rows[i]!;
        const line = lineOf(i);
        if (row.length !== width) throw new Error(`${fn}: ${where} line ${line} has ${row.length} fields, expected ${width} (as on line ${firstLine})`);
        const x = new Float32Array(rowPlan.features.length);
        rowPlan.features.forEach((col, j) => (x[j] = value(fn, where, rowPlan!, row, line, col, options)));
        const element: DataElement = { x: Tensor.fromArray(x, [x.length]) };
        if (rowPlan.label !== undefined) {
          const v = value(fn, where, rowPlan, row, line, rowPlan.label, options);
          if (labelDtype === 'int32' && !Number.isInteger(v)) throw new Error(`${fn}: ${where} line ${line}: labelDtype 'int32' needs whole numbers, got ${v}`);
          element.y = Tensor.fromArray(labelDtype === 'int32' ? Int32Array.of(v) : Float32Array.of(v), []);
        }
        yield element;
      }
    }
  });
}

/**
 * The lines of a text file as a Dataset of strings, read in chunks (files larger than memory are
 * fine). Line breaks (LF, CRLF, CR) are removed; a final line break adds no empty line.
 *
 * @example
 * const sentences = tf.readTextLines('corpus.txt').filter((l) => l.length > 0);
 */
export function readTextLines(path: FilePath, options: StreamOptions = {}): Dataset<string> {
  const fn = 'readTextLines';
  checkFilePath(fn, path);
  checkStreamOptions(fn, options);
  return Dataset.fromIterable(() => lines(textChunks(fn, path, options.chunkSize)));
}
