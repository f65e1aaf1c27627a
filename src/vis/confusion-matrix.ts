import { argError, describe } from '../errors';
import { type ClassLabels, type ConfusionCountOptions, confusionCounts } from '../metrics/class-indices';
import { checkPath, writeOutput } from './files';
import { el, svgRoot, text } from './svg';

// The counting is shared with metrics.confusionMatrix and metrics.classificationReport.
export { type ClassLabels, classIndices, confusionCounts } from '../metrics/class-indices';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions extends ConfusionCountOptions {
  /** Heading drawn above the matrix (default 'Confusion matrix'). */
  title?: string;
}

/** White to dark blue, by `t` in [0, 1]. */
function blue(t: number): string {
  const c = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
}

/** @internal the matrix as an SVG document: rows are true classes, columns predicted ones. */
export function confusionSvg(matrix: number[][], counts: number[][], labels: string[], title = 'Confusion matrix'): string {
  const k = matrix.length;
  const cell = Math.max(18, Math.min(48, Math.floor(480 / k)));
  const font = Math.max(8, Math.min(12, cell / 3.4));
  const labelW = Math.min(160, 12 + 7 * labels.reduce((m, l) => Math.max(m, l.length), 1));
  const left = 30 + labelW;
  const top = 50;
  const width = left + k * cell + 20;
  const height = top + k * cell + labelW + 30;
  const max = matrix.flat().reduce((a, b) => (b > a ? b : a), 1e-12);
  const scaled = matrix.some((r, i) => r.some((v, j) => v !== counts[i]![j]));
  const body: string[] = [
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    text(10, 22, title, { 'font-size': 16, 'font-weight': 'bold', fill: '#222' }),
    text(left + (k * cell) / 2, top - 10, 'Predicted label', { 'text-anchor': 'middle', 'font-size': 12, fill: '#333' }),
    text(14, top + (k * cell) / 2, 'True label', { 'text-anchor': 'middle', 'font-size': 12, fill: '#333', transform: `rotate(-90 14 ${top + (k * cell) / 2})` }),
  ];
  matrix.forEach((row, i) => {
    body.push(text(left - 6, top + i * cell + cell / 2 + 4, labels[i]!, { 'text-anchor': 'end', 'font-size': font, fill: '#222' }));
    row.forEach((v, j) => {
      const t = v / max;
      const shown = scaled ? v.toFixed(2) : String(v);
      body.push(el('g', { class: 'cell', 'data-row': i, 'data-col': j }, [
        el('title', {}, `true ${i}, predicted ${j}: ${counts[i]![j]}`),
        el('rect', { x: left + j * cell, y: top + i * cell, width: cell, height: cell, fill: blue(t), stroke: '#fff' }),
        text(left + j * cell + cell / 2, top + i * cell + cell / 2 + font / 3, shown, { 'text-anchor': 'middle', 'font-size': font, fill: t > 0.5 ? '#fff' : '#222' }),
      ]));
    });
  });
  labels.forEach((l, j) => {
    const x = left + j * cell + cell / 2 + font / 3;
    const y = top + k * cell + 6;
    body.push(text(x, y, l, { 'text-anchor': 'end', 'font-size': font, fill: '#222', transform: `rotate(-90 ${x} ${y})` }));
  });
  return svgRoot(width, height, body, title);
}

/**
 * Counts how often each true class (rows) was predicted as each class (columns), writes the matrix
 * as an SVG heat map with the counts (or fractions, with `normalize`) in the cells, and resolves to
 * the matrix as `number[][]`. `yTrue` and `yPred` are class indices or probability / one-hot rows.
 */
export async function confusionMatrix(yTrue: ClassLabels, yPred: ClassLabels, path: string, options: ConfusionMatrixOptions = {}): Promise<number[][]> {
  const fn = 'vis.confusionMatrix';
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  const { counts, matrix, labels } = confusionCounts(fn, yTrue, yPred, options);
  checkPath(fn, path, ['.svg']);
  await writeOutput(path, confusionSvg(matrix, counts, labels, options.title));
  return matrix;
}
