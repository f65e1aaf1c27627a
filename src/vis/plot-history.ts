import { argError, describe } from '../errors';
import { History } from '../models/history';
import { checkPath, writeOutput } from './files';
import { clip, el, escapeXml, num, svgRoot, text } from './svg';

/** Per-epoch values by name, as in `history.history`. */
export type HistoryLike = History | Record<string, number[]>;

/** Options of {@link plotHistory}. */
export interface PlotHistoryOptions {
  /** Charts per row (default 2). */
  columns?: number;
  /** Heading drawn above the charts (default 'Training history'). */
  title?: string;
}

const CHART_W = 340;
const CHART_H = 230;
const PAD = { left: 52, right: 14, top: 30, bottom: 40 };
const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#ff7f0e';

/** About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** A tick label: few digits, exponent form for very small or large values. */
function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** @internal the metric names of a history: every key without `val_`, then validation-only ones. */
export function historyMetrics(history: Record<string, number[]>): string[] {
  const names: string[] = [];
  for (const k of Object.keys(history)) {
    const base = k.startsWith('val_') ? k.slice(4) : k;
    if (!names.includes(base)) names.push(base);
  }
  return names;
}

function checkHistory(fn: string, history: unknown): Record<string, number[]> {
  const values = history instanceof History ? history.history : history;
  const ok = typeof values === 'object' && values !== null && Object.values(values).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'));
  if (!ok) return argError(fn, 'history', 'a History from fit() or { name: number[] }', describe(history));
  return values as Record<string, number[]>;
}

/** One chart: axes with ticks, the train series solid, the validation series dashed, a legend. */
function chart(name: string, train: number[] | undefined, val: number[] | undefined, x0: number, y0: number): string[] {
  const series = [
    { label: name, values: train, color: TRAIN_COLOR, dash: undefined },
    { label: `val_${name}`, values: val, color: VAL_COLOR, dash: '5,3' },
  ].filter((s): s is { label: string; values: number[]; color: string; dash: string | undefined } => s.values !== undefined);
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const epochs = Math.max(1, ...series.map((s) => s.values.length));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi - lo < 1e-12) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const plotW = CHART_W - PAD.left - PAD.right;
  const plotH = CHART_H - PAD.top - PAD.bottom;
  const left = x0 + PAD.left;
  const top = y0 + PAD.top;
  // Epochs are shown 1-based, as fit() prints them.
  const sx = (i: number): number => left + (epochs === 1 ? plotW / 2 : (i / (epochs - 1)) * plotW);
  const sy = (v: number): number => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const out: string[] = [
    el('rect', { x: x0, y: y0, width: CHART_W, height: CHART_H, fill: '#ffffff', stroke: '#ddd' }),
    // Title left and legend right in the header row, so neither covers the curves.
    text(x0 + 10, y0 + 18, clip(name, 24), { 'font-size': 13, 'font-weight': 'bold', fill: '#222' }),
  ];
  for (const t of niceTicks(lo, hi)) {
    const y = sy(t);
    out.push(el('line', { x1: left, y1: y, x2: left + plotW, y2: y, stroke: '#eee' }));
    out.push(el('line', { x1: left - 4, y1: y, x2: left, y2: y, stroke: '#333' }));
    out.push(text(left - 6, y + 4, tickLabel(t), { 'text-anchor': 'end', 'font-size': 10, fill: '#333' }));
  }
  for (const t of niceTicks(1, epochs, Math.min(6, epochs)).filter((e) => Number.isInteger(e))) {
    const x = sx(t - 1);
    out.push(el('line', { x1: x, y1: top + plotH, x2: x, y2: top + plotH + 4, stroke: '#333' }));
    out.push(text(x, top + plotH + 16, String(t), { 'text-anchor': 'middle', 'font-size': 10, fill: '#333' }));
  }
  out.push(el('path', { d: `M${num(left)},${num(top)} V${num(top + plotH)} H${num(left + plotW)}`, fill: 'none', stroke: '#333' }));
  out.push(text(left + plotW / 2, y0 + CHART_H - 6, 'epoch', { 'text-anchor': 'middle', 'font-size': 10, fill: '#555' }));
  series.forEach((s, k) => {
    // Non-finite values (a NaN loss) break the line instead of bending it to infinity.
    const parts: string[] = [];
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return void (pen = false);
      parts.push(`${pen ? 'L' : 'M'}${num(sx(i))},${num(sy(v))}`);
      pen = true;
    });
    if (parts.length) out.push(el('path', { class: 'series', 'data-series': s.label, d: parts.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash }));
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) out.push(el('circle', { cx: sx(i), cy: sy(v), r: 2.5, fill: s.color }, el('title', {}, escapeXml(`${s.label} epoch ${i + 1}: ${v}`))));
    });
    const ly = y0 + 14;
    const lx = x0 + CHART_W - 140 + k * 58;
    out.push(el('line', { x1: lx, y1: ly, x2: lx + 16, y2: ly, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dash }));
    out.push(text(lx + 19, ly + 4, s.label === name ? 'train' : 'validation', { 'font-size': 10, fill: '#333' }));
  });
  return out;
}

/** @internal the history charts as an SVG document (used by {@link plotHistory} and the report). */
export function historySvg(history: Record<string, number[]>, options: PlotHistoryOptions = {}): string {
  const metrics = historyMetrics(history);
  const columns = Math.max(1, Math.min(options.columns ?? 2, metrics.length || 1));
  const rows = Math.max(1, Math.ceil(metrics.length / columns));
  const head = 34;
  const width = columns * CHART_W + (columns + 1) * 10;
  const height = head + rows * (CHART_H + 10) + 10;
  const body: string[] = [
    el('rect', { x: 0, y: 0, width, height, fill: '#fafafa' }),
    text(10, 22, options.title ?? 'Training history', { 'font-size': 16, 'font-weight': 'bold', fill: '#222' }),
  ];
  if (metrics.length === 0) body.push(text(10, head + 20, 'no metrics recorded', { 'font-size': 12, fill: '#555' }));
  metrics.forEach((m, i) => {
    const x = 10 + (i % columns) * (CHART_W + 10);
    const y = head + Math.floor(i / columns) * (CHART_H + 10);
    body.push(el('g', { class: 'chart', 'data-metric': m }, chart(m, history[m], history[`val_${m}`], x, y)));
  });
  return svgRoot(width, height, body, options.title ?? 'Training history');
}

/**
 * Draws one chart per metric of a training history (loss, accuracy, ...), the training values
 * against their `val_` counterparts, with epoch and value axes and a legend, as an SVG file.
 * Resolves to the SVG text.
 */
export async function plotHistory(history: HistoryLike, path: string, options: PlotHistoryOptions = {}): Promise<string> {
  const fn = 'vis.plotHistory';
  const values = checkHistory(fn, history);
  checkPath(fn, path, ['.svg']);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  if (options.columns !== undefined && !(Number.isInteger(options.columns) && options.columns >= 1)) argError(fn, 'options.columns', 'a positive integer', describe(options.columns));
  const svg = historySvg(values, options);
  await writeOutput(path, svg);
  return svg;
}

/** @internal */
export { checkHistory };
