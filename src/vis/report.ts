import { argError, describe } from '../errors';
import { LayersModel } from '../models/layers-model';
import { Tensor } from '../tensor/tensor';
import { tensor } from '../ops/creation';
import { type ClassLabels, classIndices, confusionCounts, confusionSvg } from './confusion-matrix';
import { checkPath, writeOutput } from './files';
import type { ImageBatch } from './image-data';
import { imageGridSvg } from './image-grid';
import { type HistoryLike, checkHistory, historyMetrics, historySvg } from './plot-history';
import { modelSvg } from './plot-model';
import { escapeXml } from './svg';

/** Options of {@link report}. */
export interface ReportOptions {
  /** Where to write the page (`.html`). */
  path: string;
  /** Held-out samples: `x` as the model takes it, `y` as class indices or one-hot / probability rows. */
  testData?: { x: Tensor; y: ClassLabels };
  /** Class names in index order (default '0', '1', ...). */
  classNames?: readonly string[];
  /** Most misclassified examples shown (default 16). */
  maxMisclassified?: number;
  /** Page heading (default: `Model report: <name>`). */
  title?: string;
  /** Batch size of the test predictions (default 256). */
  batchSize?: number;
}

const STYLE = `body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
th{background:#f0f0f0}.figure{overflow-x:auto}.note{color:#666;font-size:13px}`;

/**
 * Samples `which` of `x` as channels-last images in [0, 1], or null when `x` does not hold images.
 * Channels-first batches (ONNX imports) are transposed; values outside [0, 1] (0..255 pixels,
 * standardized inputs) are stretched per image by its own range, as they are meant to be seen.
 */
function pickImages(x: Tensor, which: readonly number[]): ImageBatch | null {
  const s = x.shape;
  const channelsOk = (c: number | undefined): boolean => c === 1 || c === 3 || c === 4;
  let layout: 'nhwc' | 'nchw';
  if (x.rank === 3) layout = 'nhwc';
  else if (x.rank === 4 && channelsOk(s[3])) layout = 'nhwc';
  else if (x.rank === 4 && channelsOk(s[1])) layout = 'nchw';
  else return null;
  const [height, width, channels] = x.rank === 3 ? [s[1]!, s[2]!, 1] : layout === 'nhwc' ? [s[1]!, s[2]!, s[3]!] : [s[2]!, s[3]!, s[1]!];
  const src = x.dataSync();
  const size = height * width * channels;
  const data = new Float32Array(which.length * size);
  which.forEach((sample, i) => {
    const base = sample * size;
    const img = data.subarray(i * size, (i + 1) * size);
    if (layout === 'nhwc') img.set(src.subarray(base, base + size));
    else for (let c = 0; c < channels; c++) for (let p = 0; p < height * width; p++) img[p * channels + c] = src[base + c * height * width + p]!;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of img) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    if ((lo < 0 || hi > 1) && hi > lo) for (let k = 0; k < size; k++) img[k] = (img[k]! - lo) / (hi - lo);
  });
  return { n: which.length, height, width, channels, data };
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = (r: readonly string[], tag: string): string => `<tr>${r.map((c) => `<${tag}>${escapeXml(c)}</${tag}>`).join('')}</tr>`;
  return `<table>${cells(head, 'th')}${rows.map((r) => cells(r, 'td')).join('')}</table>`;
}

/** The test section: metrics, confusion matrix and misclassified examples. */
async function testSection(model: LayersModel, data: NonNullable<ReportOptions['testData']>, options: ReportOptions): Promise<string[]> {
  const fn = 'vis.report';
  if (!(data.x instanceof Tensor) || data.x.rank < 2) argError(fn, 'testData.x', 'a Tensor [N, ...] the model takes', describe(data.x));
  // A Sequential that has not seen data has no outputs yet (and predict() cannot batch it).
  if (model.outputs.length === 0) argError(fn, 'model', 'a built model (an inputShape on the first layer, or fit() first)', 'a Sequential not built yet');
  if (model.outputs.length > 1) argError(fn, 'model', 'a model with one output (for testData)', `${model.outputs.length} outputs`);
  const predicted = await model.predict(data.x, { batchSize: options.batchSize ?? 256 });
  const probs = Array.isArray(predicted) ? predicted[0]! : predicted;
  const yTrue = classIndices(fn, 'testData.y', data.y).indices;
  const yPred = classIndices(fn, 'prediction', probs).indices;
  if (yTrue.length !== yPred.length) argError(fn, 'testData.y', `${yPred.length} labels (one per sample of testData.x)`, `${yTrue.length}`);
  const k = probs.rank === 2 ? Math.max(2, probs.shape[1]!) : 2;
  const names = options.classNames ? [...options.classNames] : undefined;
  const classes = [yTrue, yPred].reduce((m, list) => list.reduce((a, v) => Math.max(a, v + 1), m), 0);
  if (names && names.length < classes) argError(fn, 'options.classNames', `at least ${classes} names (the largest class index is ${classes - 1})`, `${names.length}`);
  const { counts, matrix, labels } = confusionCounts(fn, yTrue, yPred, names ? { labels: names } : { numClasses: yTrue.reduce((m, v) => Math.max(m, v + 1), k) });
  const correct = yTrue.reduce((s, t, i) => s + (t === yPred[i] ? 1 : 0), 0);
  const rows: string[][] = [['samples', String(yTrue.length)], ['accuracy (from predictions)', (correct / yTrue.length).toFixed(4)]];
  const notes: string[] = [];
  if (model.compiled) {
    // The labels as given, then as one-hot rows when they are indices: a categorical loss wants
    // one-hot targets, a sparse one indices, and the report does not know which was compiled.
    const candidates: Tensor[] = [];
    if (data.y instanceof Tensor) candidates.push(data.y);
    if (!(data.y instanceof Tensor && data.y.rank === 2) && probs.rank === 2 && probs.shape[1]! > 1) {
      const hot = new Float32Array(yTrue.length * probs.shape[1]!);
      yTrue.forEach((c, i) => (hot[i * probs.shape[1]! + c] = 1));
      candidates.push(tensor(hot, [yTrue.length, probs.shape[1]!]));
    }
    let failure: string | null = null;
    for (const y of candidates) {
      try {
        const logs = await model.evaluate(data.x, y, { batchSize: options.batchSize ?? 256 });
        for (const [name, v] of Object.entries(logs)) rows.push([`${name} (evaluate)`, Number(v).toFixed(4)]);
        failure = null;
        break;
      } catch (e) {
        failure ??= (e as Error).message;
      }
    }
    // The rest of the report still helps when the labels suit neither form.
    if (failure !== null) notes.push(`model.evaluate failed: ${failure}`);
  }
  const out = ['<h2>Test results</h2>', table(['metric', 'value'], rows), ...notes.map((n) => `<p class="note">${escapeXml(n)}</p>`)];
  out.push('<h2>Confusion matrix</h2>', `<div class="figure">${confusionSvg(matrix, counts, labels, 'Confusion matrix (rows: true, columns: predicted)')}</div>`);

  const max = options.maxMisclassified ?? 16;
  const wrong: number[] = [];
  for (let i = 0; i < yTrue.length && wrong.length < max; i++) if (yTrue[i] !== yPred[i]) wrong.push(i);
  const totalWrong = yTrue.length - correct;
  out.push(`<h2>Misclassified examples</h2><p class="note">${totalWrong} of ${yTrue.length} test samples are misclassified${wrong.length < totalWrong ? `; the first ${wrong.length} are shown` : ''}.</p>`);
  if (wrong.length) {
    const p = probs.dataSync();
    const width = probs.rank === 2 ? probs.shape[1]! : 1;
    const confidence = (i: number): number => (width > 1 ? p[i * width + yPred[i]!]! : yPred[i] === 1 ? p[i]! : 1 - p[i]!);
    const captions = wrong.map((i) => `#${i}: true ${labels[yTrue[i]!]}\npred ${labels[yPred[i]!]} (${confidence(i).toFixed(2)})`);
    const images = pickImages(data.x, wrong);
    if (images) out.push(`<div class="figure">${imageGridSvg(fn, images, { labels: captions, columns: Math.min(8, wrong.length) })}</div>`);
    else out.push(table(['sample', 'true', 'predicted', 'confidence'], wrong.map((i) => [String(i), labels[yTrue[i]!]!, labels[yPred[i]!]!, confidence(i).toFixed(3)])));
  }
  return out;
}

/**
 * Writes one self-contained HTML page about a model (inline SVG and data-URI images, no network
 * references): its summary and layer graph, the training curves of `history`, and with `testData`
 * the test accuracy (and `model.evaluate`'s loss and metrics when compiled), the confusion matrix
 * and the first misclassified examples with true and predicted labels. Resolves to the HTML text.
 */
export async function report(model: LayersModel, history: HistoryLike | null | undefined, options: ReportOptions): Promise<string> {
  const fn = 'vis.report';
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (from sequential(), model() or importOnnx())', describe(model));
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object with a path', describe(options));
  const path = checkPath(fn, options.path, ['.html', '.htm']);
  const values = history === null || history === undefined ? null : checkHistory(fn, history);
  if (options.maxMisclassified !== undefined && !(Number.isInteger(options.maxMisclassified) && options.maxMisclassified >= 0)) {
    argError(fn, 'options.maxMisclassified', 'an integer >= 0', describe(options.maxMisclassified));
  }
  if (options.testData !== undefined && (typeof options.testData !== 'object' || options.testData === null)) argError(fn, 'options.testData', '{ x, y }', describe(options.testData));
  if (options.classNames !== undefined && !(Array.isArray(options.classNames) && options.classNames.length > 0 && options.classNames.every((c) => typeof c === 'string'))) {
    argError(fn, 'options.classNames', 'a non-empty array of strings', describe(options.classNames));
  }
  const title = options.title ?? `Model report: ${model.name}`;
  const summary: string[] = [];
  model.summary(90, (line) => summary.push(line));
  const parts = [
    `<h1>${escapeXml(title)}</h1>`,
    '<h2>Model summary</h2>',
    `<pre>${escapeXml(summary.join('\n'))}</pre>`,
    `<details><summary>Layer graph</summary><div class="figure">${modelSvg(model)}</div></details>`,
    '<h2>Training curves</h2>',
    values && historyMetrics(values).length ? `<div class="figure">${historySvg(values)}</div>` : '<p class="note">No training history given.</p>',
  ];
  if (options.testData) parts.push(...(await testSection(model, options.testData, options)));
  const html = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>\n<body>\n${parts.join('\n')}\n</body></html>\n`;
  await writeOutput(path, html);
  return html;
}
