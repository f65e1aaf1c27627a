import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, readCsvSync } from '../../src/data';

const dir = mkdtempSync(join(tmpdir(), 'tensorforge-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string) => readCsvSync(s, { source: 'text' });

describe('readCsv: parsing', () => {
  it('reads a header and numeric rows into float32 [N, F]', () => {
    const d = readCsvSync('a,b,c\n1,2,3\n4.5,-6,7e2\n');
    expect(d.columns).toEqual(['a', 'b', 'c']);
    expect(d.features.dtype).toBe('float32');
    expect(d.features.shape).toEqual([2, 3]);
    expect(d.features.toArray()).toEqual([[1, 2, 3], [4.5, -6, 700]]);
    expect(d.labels).toBeUndefined();
  });

  it('handles quoted fields with delimiters, doubled quotes and line breaks (RFC 4180)', () => {
    const csv = 'id,name,score\r\n1,"Smith, J",2\r\n2,"say ""hi""",3\r\n3,"two\r\nlines",4\r\n';
    const d = readCsvSync(csv, { categorical: ['name'] });
    expect(d.categories.name).toEqual(['Smith, J', 'say "hi"', 'two\r\nlines']);
    expect(d.features.toArray()).toEqual([[1, 0, 2], [2, 1, 3], [3, 2, 4]]);
  });

  it('accepts quoted numbers, spaces around numbers, a BOM, CR line ends, blank lines and no final newline', () => {
    expect(text('\ufeffx,y\r"1.5", 2 \r\r3,4').features.toArray()).toEqual([[1.5, 2], [3, 4]]);
    expect(() => text('x;y\n1;2\n')).toThrow(/column 'x;y': expected a number, got "1;2"/);
    expect(readCsvSync('x;y\n1;2\n\n3;4\n', { delimiter: ';' }).features.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(readCsvSync('1\t2\n3\t4\n', { delimiter: '\t' }).features.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('reads an empty trailing field and an empty quoted field', () => {
    const d = readCsvSync('a,b,c\n1,2,\n"",5,6\n', { missing: -1 });
    expect(d.features.toArray()).toEqual([[1, 2, -1], [-1, 5, 6]]);
  });

  it('detects headers, or takes the caller\'s word for it', () => {
    expect(text('1,2\n3,4\n').columns).toEqual(['0', '1']);
    expect(text('1,2\n3,4\n').features.shape).toEqual([2, 2]);
    // "label" is not a number but the value under it is: a header.
    expect(text('x1,2\n3,4\n').columns).toEqual(['x1', '2']);
    expect(readCsvSync('10,20\n3,4\n', { header: true }).columns).toEqual(['10', '20']);
    expect(readCsvSync('10,20\n3,4\n', { header: true }).features.toArray()).toEqual([[3, 4]]);
    expect(readCsvSync('a,b\n', { header: true }).features.shape).toEqual([0, 2]);
  });

  it('reads NaN and infinities, and rejects what Number() would wrongly accept', () => {
    const d = text('a,b,c\nNaN,inf,-Infinity\n');
    const v = Array.from(d.features.dataSync());
    expect(v[0]).toBeNaN();
    expect(v.slice(1)).toEqual([Infinity, -Infinity]);
    expect(() => text('a\n0x1f\n')).toThrow(/expected a number, got "0x1f"/);
  });
});

describe('readCsv: columns, labels and categories', () => {
  const iris = 'sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n4.9,1.4,setosa\n';

  it('splits off a categorical label column, encoded in sorted order', () => {
    const d = readCsvSync(iris, { labelColumn: 'species', categorical: ['species'] });
    expect(d.columns).toEqual(['sepal', 'petal']);
    expect(d.labelName).toBe('species');
    expect(d.labels!.dtype).toBe('int32');
    expect(d.labels!.toArray()).toEqual([0, 1, 2, 0]);
    expect(d.categories).toEqual({ species: ['setosa', 'versicolor', 'virginica'] });
    expect(d.features.toArray()).toEqual([[5.1, 1.4], [7, 4.7], [6.3, 6], [4.9, 1.4]].map((r) => r.map(Math.fround)));
  });

  it('encodes every non-numeric column with categorical: true, and fixes codes with a category list', () => {
    const d = readCsvSync('size,color,y\n1,red,0\n2,blue,1\n3,red,1\n', { categorical: true, labelColumn: -1 });
    expect(d.categories).toEqual({ color: ['blue', 'red'] });
    expect(d.features.toArray()).toEqual([[1, 1], [2, 0], [3, 1]]);
    expect(d.labels!.dtype).toBe('float32');
    expect(d.labels!.toArray()).toEqual([0, 1, 1]);
    const fixed = readCsvSync(iris, { labelColumn: 2, categorical: { species: ['virginica', 'versicolor', 'setosa'] } });
    expect(fixed.labels!.toArray()).toEqual([2, 1, 0, 2]);
    expect(() => readCsvSync(iris, { labelColumn: 2, categorical: { species: ['setosa', 'virginica'] } })).toThrow(
      /readCsvSync: CSV text line 3, column 'species': "versicolor" is not one of the categories given in options.categorical \(setosa, virginica\)/,
    );
  });

  it('sorts numeric-looking categories by value', () => {
    const d = readCsvSync('k\n10\n9\n100\n9\n', { categorical: ['k'] });
    expect(d.categories.k).toEqual(['9', '10', '100']);
    expect(d.features.toArray()).toEqual([[1], [0], [2], [0]]);
  });

  it('selects and reorders feature columns by name or index', () => {
    const d = readCsvSync('a,b,c,d\n1,2,3,4\n5,6,7,8\n', { columns: ['c', 0], labelColumn: 'd', labelDtype: 'int32' });
    expect(d.columns).toEqual(['c', 'a']);
    expect(d.features.toArray()).toEqual([[3, 1], [7, 5]]);
    expect(d.labels!.dtype).toBe('int32');
    expect(d.labels!.toArray()).toEqual([4, 8]);
  });

  it('names the line and column of a bad value', () => {
    expect(() => readCsvSync(iris, { labelColumn: 'species' })).toThrow(
      /readCsvSync: CSV text line 2, column 'species': expected a number, got "setosa" \(list the column in options.categorical/,
    );
    expect(() => text('a,b\n1,2\n3,\n')).toThrow(/line 3, column 'b': empty field in a numeric column \(set options.missing/);
    expect(() => readCsvSync('a,b\n1,2.5\n', { labelColumn: 'b', labelDtype: 'int32' })).toThrow(/line 2, column 'b': labelDtype 'int32' needs whole numbers, got 2.5/);
  });

  it('reports ragged rows, bad quotes and unknown columns', () => {
    expect(() => text('a,b\n1,2\n3\n')).toThrow(/CSV text line 3 has 1 fields, expected 2 \(as on line 1\)/);
    expect(() => text('a,b\n1,"2\n3,4\n')).toThrow(/line 2: quoted field is never closed/);
    expect(() => text('a,b\n1,"2"x\n')).toThrow(/line 2: unexpected "x" after a closing quote/);
    expect(() => readCsvSync('a,b\n1,2\n', { labelColumn: 'z' })).toThrow(/argument 'options.labelColumn' expected one of the columns of CSV text \(a, b\), got "z"/);
    expect(() => readCsvSync('a,b\n1,2\n', { columns: [5] })).toThrow(/options.columns\[0\]' expected a column index in \[-2, 1\]/);
    expect(() => readCsvSync('a,a\n1,2\n', { columns: ['a'] })).toThrow(/appears more than once/);
    expect(() => readCsvSync('a\n1\n', { delimiter: '""' })).toThrow(/options.delimiter/);
  });
});

describe('readCsv: files', () => {
  it('reads files (sync and async) and names them in errors', async () => {
    const path = join(dir, 'data.csv');
    writeFileSync(path, 'f1,f2,label\n0.5,1,0\n2,3.5,1\n');
    const sync = readCsvSync(path, { labelColumn: 'label', labelDtype: 'int32' });
    const asyncRead = await readCsv(path, { labelColumn: 'label', labelDtype: 'int32' });
    for (const d of [sync, asyncRead]) {
      expect(d.features.toArray()).toEqual([[0.5, 1], [2, 3.5]]);
      expect(d.labels!.toArray()).toEqual([0, 1]);
    }
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a\n1\nx\n');
    await expect(readCsv(bad)).rejects.toThrow(/readCsv: '.*bad\.csv' line 3, column 'a': expected a number, got "x"/);
    expect(await readCsv('a,b\n1,2\n')).toMatchObject({ columns: ['a', 'b'] });
  });

  it('hints at source: text when a one-line string is not a file', () => {
    expect(() => readCsvSync('1,2,3')).toThrow(/cannot read '1,2,3': ENOENT.*pass \{ source: 'text' \}/);
    expect(text('1,2,3').features.toArray()).toEqual([[1, 2, 3]]);
  });
});

describe('readCsv: values the dtype cannot hold are errors, not wrapped', () => {
  const opts = { source: 'text', labelColumn: 'y', labelDtype: 'int32' } as const;
  it('int32 labels outside [-2^31, 2^31) throw naming the line and column', () => {
    expect(() => readCsvSync('x,y\n1,3000000000\n', opts)).toThrow(/line 2, column 'y': labelDtype 'int32' needs values in \[-2147483648, 2147483647\], got 3000000000/);
    expect(() => readCsvSync('x,y\n1,1e300\n', opts)).toThrow(/got 1e\+300/);
    expect(() => readCsvSync('x,y\n1,-2147483649\n', opts)).toThrow(/needs values in/);
  });
  it('the int32 limits themselves are kept exactly', () => {
    const d = readCsvSync('x,y\n1,2147483647\n2,-2147483648\n', opts);
    expect(Array.from(d.labels!.dataSync())).toEqual([2147483647, -2147483648]);
  });
  it('finite numbers beyond float32 are errors in features and float labels', () => {
    expect(() => readCsvSync('x,y\n1e300,1\n', { source: 'text' })).toThrow(/column 'x': 1e\+300 is outside the float32 range/);
    expect(() => readCsvSync('x,y\n1,-1e39\n', { source: 'text', labelColumn: 'y' })).toThrow(/outside the float32 range/);
    // Infinity written as such stays Infinity.
    expect(readCsvSync('x\ninf\n', { source: 'text' }).features.dataSync()[0]).toBe(Infinity);
  });
});
