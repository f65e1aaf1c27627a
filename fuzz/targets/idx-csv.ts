// IDX and CSV files as an attacker writes them: random headers and declared sizes, gzip (bombs
// included), truncation, numbers past int32 and float32. The oracle is the format itself: a file
// that loads must give exactly the values it spells.
import { gzipSync } from 'node:zlib';
import * as tf from '../../src';
import { Rng } from '../rng';
import type { CaseResult, FuzzTarget } from '../outcome';

const TYPES = [[0x08, 1], [0x09, 1], [0x0b, 2], [0x0c, 4], [0x0d, 4], [0x0e, 8]] as const;

function idxCase(r: Rng): CaseResult {
  const [type, width] = r.chance(0.95) ? r.pick(TYPES) : [r.int(0, 256), 1];
  const rank = r.chance(0.9) ? r.int(0, 4) : r.int(0, 256);
  const shape = Array.from({ length: rank }, () => (r.chance(0.9) ? r.int(0, 6) : r.pick([2 ** 16, 2 ** 31, 2 ** 32 - 1, 60000])));
  const count = shape.reduce((a, b) => a * b, 1);
  const header = Buffer.alloc(4 + 4 * Math.min(rank, 255));
  header[2] = type;
  header[3] = rank;
  shape.forEach((d, i) => header.writeUInt32BE(d >>> 0, 4 + 4 * i));
  let dataLen = count <= 4096 ? count * width : r.int(0, 4096);
  if (r.chance(0.1)) dataLen += r.pick([-1, 1, 7]);
  const data = Buffer.alloc(Math.max(0, dataLen));
  for (let i = 0; i < data.length; i++) data[i] = r.int(0, 256);
  let file: Buffer = Buffer.concat([header, data]);
  if (r.chance(0.1)) file = file.subarray(0, r.int(0, file.length + 1));
  if (r.chance(0.3)) {
    // Sometimes a bomb: far more zeros after the data than the header declares.
    file = gzipSync(r.chance(0.2) ? Buffer.concat([file, Buffer.alloc(r.int(1, 64) * 1024 * 1024)]) : file, { level: 1 });
    if (r.chance(0.1)) file[r.int(0, file.length)] = r.int(0, 256);
  }
  const t = tf.readIdxSync(new Uint8Array(file));
  // It loaded: the shape must be the declared one and ubyte values the bytes themselves.
  if (t.shape.join() !== shape.join()) return { mismatch: `idx: shape [${t.shape}] vs header [${shape}]` };
  if (type === 0x08) {
    const v = t.dataSync();
    for (let i = 0; i < v.length; i++) if (v[i] !== data[i]) return { mismatch: `idx: ubyte ${i} is ${v[i]}, file has ${data[i]}` };
  }
}

function field(r: Rng): string {
  return r.pick([
    () => String(r.int(-5, 5)),
    () => String(r.nasty()),
    () => (r.next() * 100 - 50).toFixed(r.int(0, 5)),
    () => r.pick(['3000000000', '-2147483649', '2147483647', '1e300', '-1e39', '1e-50', 'nan', 'inf', '-Infinity', '', ' 7 ', '0x1f', 'abc', '"1,2"', '"x""y"', '1.5e3']),
  ])();
}

function csvCase(r: Rng): CaseResult {
  const cols = r.int(1, 5);
  const rows = r.int(0, 8);
  const names = Array.from({ length: cols }, (_, i) => `c${i}`);
  let cells = Array.from({ length: rows }, () => Array.from({ length: cols }, () => field(r)));
  let text = [names.join(','), ...cells.map((row) => row.join(','))].join(r.pick(['\n', '\r\n']));
  const truncated = r.chance(0.1);
  if (truncated) text = text.slice(0, r.int(0, text.length + 1));
  const label = r.chance(0.6) ? names[cols - 1]! : undefined;
  const labelDtype = label && r.chance(0.6) ? 'int32' : undefined;
  if (process.env['TENSORFORGE_FUZZ_TRACE']) console.log(JSON.stringify(text), label, labelDtype);
  const d = tf.readCsvSync(text, { source: 'text', labelColumn: label, labelDtype, missing: r.chance(0.3) ? 0 : undefined, categorical: r.chance(0.2) ? true : undefined });
  if (truncated || (d.categories && Object.keys(d.categories).length > 0)) return;
  // Blank lines are skipped by the reader, as by every CSV reader.
  cells = cells.filter((row) => row.join(',') !== '');
  // Loaded numerically: every value must be exactly what its field spells (to float32), and int32
  // labels exactly the integer.
  const parse = (s: string): number | null => {
    const t = s.trim();
    if (t === '') return null;
    if (/^nan$/i.test(t)) return NaN;
    const inf = /^([+-]?)inf(inity)?$/i.exec(t);
    if (inf) return inf[1] === '-' ? -Infinity : Infinity;
    return Number(t);
  };
  if (d.labels && labelDtype === 'int32') {
    const v = d.labels.dataSync();
    for (let i = 0; i < v.length; i++) {
      const want = parse(cells[i]?.[cols - 1] ?? '') ?? 0;
      if (v[i] !== want) return { mismatch: `csv: int32 label ${i} is ${v[i]}, field says ${cells[i]?.[cols - 1]}` };
    }
  }
  const f = d.features.dataSync();
  const fc = d.features.shape[1] ?? 0;
  for (let i = 0; i < f.length; i++) {
    const raw = cells[Math.floor(i / Math.max(fc, 1))]?.[i % Math.max(fc, 1)];
    if (raw === undefined) continue;
    const want = parse(raw);
    if (want === null || Number.isNaN(want)) continue;
    if (!Object.is(f[i], Math.fround(want)) && !(f[i] === 0 && want === 0)) return { mismatch: `csv: feature ${i} is ${f[i]}, field says ${raw}` };
  }
}

export const idxCsvTarget: FuzzTarget = {
  name: 'idx-csv',
  async run(seed) {
    const r = new Rng(seed);
    return r.chance(0.5) ? idxCase(r) : csvCase(r);
  },
};
