// Renders the one results table: a row per case, each implementation's figure at 1 and 2
// threads, native's speed ratios, and the target verdicts.
import { IMPLS, RATIOS, THREADS } from './impl/registry.mjs';
import { figure } from './runner.mjs';

const OK = '✓';
const MISS = '✗';

export function fmtNum(x) {
  if (x == null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 0.01) return x.toFixed(2);
  return x.toPrecision(2);
}

export function fmtRatio(x) {
  if (x == null || !Number.isFinite(x)) return '-';
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;
}

const mark = (v) => (v === true ? ` ${OK}` : v === false ? ` ${MISS}` : '');

function figureCell(row, implId, t) {
  const r = row.results[implId];
  if (!r) return 'n/a';
  const f = figure(row.results, implId, t);
  if (!f) return r.byThreads[r.threaded ? t : 1]?.error ? 'ERR' : 'n/a';
  let s = fmtNum(f.score);
  if (!f.check.ok) s += '!';
  // A 'max' target (e.g. native add < 1us) is judged on the figure itself, so mark it there.
  for (const tg of row.targets) if (tg.kind === 'max' && tg.impl === implId) s += mark(tg.byThreads[t]);
  return s;
}

function ratioCell(row, ratioId, t) {
  const s = fmtRatio(row.ratios[ratioId]?.[t]);
  const tg = row.targets.find((x) => x.kind === 'ratio' && x.ratio === ratioId);
  return tg ? s + mark(tg.byThreads[t]) : s;
}

function targetCell(row) {
  if (!row.targets.length) return '';
  return row.targets.map((tg) => {
    const missed = THREADS.filter((t) => tg.byThreads[t] === false);
    const unknown = THREADS.filter((t) => tg.byThreads[t] == null);
    const verdict = tg.met ? 'met' : missed.length ? `MISSED ${missed.map((t) => `${t}T`).join('+')}` : unknown.length ? 'n/a' : 'met';
    return `${tg.label}: ${verdict}`;
  }).join('; ');
}

function render(headerGroups, header, rows, alignLeft) {
  const cols = header.length;
  const width = Array.from({ length: cols }, (_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const cell = (s, i) => (alignLeft.has(i) ? s.padEnd(width[i]) : s.padStart(width[i]));
  const line = (cells) => cells.map(cell).join(' | ').trimEnd();
  // Group labels (implementation names) centred over their 1T/2T column pair.
  const groupLine = [];
  let i = 0;
  for (const g of headerGroups) {
    const span = g.span;
    const w = width.slice(i, i + span).reduce((a, b) => a + b, 0) + 3 * (span - 1);
    const pad = Math.max(0, w - g.label.length);
    groupLine.push(' '.repeat(pad >> 1) + g.label + ' '.repeat(pad - (pad >> 1)));
    i += span;
  }
  const sep = width.map((w) => '-'.repeat(w)).join('-|-');
  return [groupLine.join(' | ').trimEnd(), line(header), sep, ...rows.map(line)].join('\n');
}

/** The table as text, plus a legend. `rows` are runCase() results; implementations no case has are dropped. */
export function formatTable(rows, stat = 'median') {
  const impls = IMPLS.filter((im) => rows.some((r) => r.results[im.id]));
  const ratioDefs = RATIOS.filter((rd) => impls.some((im) => im.id === rd.over) && impls.some((im) => im.id === rd.of));
  const headerGroups = [{ label: '', span: 2 }];
  const header = ['case', 'unit'];
  for (const im of impls) {
    headerGroups.push({ label: im.threaded ? im.label : `${im.label} (1 thr)`, span: THREADS.length });
    for (const t of THREADS) header.push(`${t}T`);
  }
  for (const rd of ratioDefs) {
    headerGroups.push({ label: rd.label, span: THREADS.length });
    for (const t of THREADS) header.push(`${t}T`);
  }
  headerGroups.push({ label: '', span: 2 });
  header.push('others', 'target');

  const body = rows.map((row) => {
    const cells = [row.label, row.unit];
    for (const im of impls) for (const t of THREADS) cells.push(figureCell(row, im.id, t));
    for (const rd of ratioDefs) for (const t of THREADS) cells.push(ratioCell(row, rd.id, t));
    cells.push(row.noise?.otherCpuPct == null ? '?' : `${row.noise.otherCpuPct.toFixed(0)}%`);
    cells.push(targetCell(row));
    return cells;
  });
  const table = render(headerGroups, header, body, new Set([0, 1, header.length - 1]));
  const legend = [
    `Figures: ${stat === 'best' ? 'fastest' : 'median'} of the timed batches (higher is better, except ns/op). 1T/2T = thread count.`,
    `Single-threaded implementations (${impls.filter((i) => !i.threaded).map((i) => i.label).join(', ')}) are measured once and shown under both.`,
    'nat/X = tensorforge native speed / X speed at that thread count (>1: native is faster).',
    "others = CPU share other processes took while the row ran (this VM's 2 vCPUs are shared): high values make that row, 2T above all, unreliable.",
    `${OK} target met, ${MISS} missed; '!' = output disagreed with tensorforge native (see JSON); n/a = not applicable; ERR = failed (see JSON).`,
  ];
  return `${table}\n\n${legend.join('\n')}`;
}
