import { argError, describe } from '../errors';
import type { Layer } from '../layers/layer';
import { formatShape } from '../layers/symbolic-tensor';
import { LayersModel } from '../models/layers-model';
import { checkPath, writeOutput } from './files';
import { clip, el, escapeXml, num, svgRoot, text } from './svg';

/** Options of {@link plotModel}. */
export interface PlotModelOptions {
  /** Print each layer call's output shape in its box (default true). */
  showShapes?: boolean;
  /** Heading drawn above the graph (default: the model's name). */
  title?: string;
}

interface Box {
  name: string;
  kind: string;
  shape: string;
  rank: number;
  isOutput: boolean;
  x: number;
  y: number;
}

interface Edge {
  from: Box;
  to: Box;
}

const BOX_H = 58;
const GAP_X = 24;
const GAP_Y = 40;
const MARGIN = 20;
const HEAD = 34;
const MAX_CHARS = 46;

/** What a layer is: its class, the op of an imported ONNX node, or the layer a wrapper holds. */
function kindOf(layer: Layer): string {
  const extra = layer as unknown as { opType?: unknown; forwardLayer?: { className?: unknown } };
  if (typeof extra.opType === 'string') return `${extra.opType} (ONNX)`;
  if (extra.forwardLayer && typeof extra.forwardLayer.className === 'string') return `${layer.className}(${extra.forwardLayer.className})`;
  return layer.className;
}

/**
 * The boxes and edges of a model: one box per layer call (so a shared layer called twice shows
 * twice, which keeps the drawing acyclic), one edge per input connection. The graph nodes come in
 * execution order, so every box's inputs are placed before it and a single pass ranks them by
 * longest path from the inputs.
 */
function modelGraph(model: LayersModel): { boxes: Box[]; edges: Edge[] } {
  const boxes: Box[] = [];
  const edges: Edge[] = [];
  const outputIds = new Set(model.outputs.map((t) => t.id));
  const byTensor = new Map<number, Box>();
  const add = (name: string, kind: string, shape: string, rank: number, isOutput: boolean): Box => {
    const box: Box = { name, kind, shape, rank, isOutput, x: 0, y: 0 };
    boxes.push(box);
    return box;
  };
  const nodes = model.graphNodes;
  if (model.inputs.length === 0) {
    // A Sequential that has not seen data yet is not wired: draw its stack as a chain.
    let prev: Box | null = null;
    model.layers.forEach((l, i) => {
      const box = add(l.name, kindOf(l), '?', i, i === model.layers.length - 1);
      if (prev) edges.push({ from: prev, to: box });
      prev = box;
    });
    return { boxes, edges };
  }
  for (const t of model.inputs) {
    if (!byTensor.has(t.id)) byTensor.set(t.id, add(t.sourceLayer.name, t.sourceLayer.className, formatShape(t.shape), 0, outputIds.has(t.id)));
  }
  const calls = new Map<Layer, number>();
  for (const n of nodes) calls.set(n.layer, (calls.get(n.layer) ?? 0) + 1);
  const seenCalls = new Map<Layer, number>();
  for (const n of nodes) {
    const k = (seenCalls.get(n.layer) ?? 0) + 1;
    seenCalls.set(n.layer, k);
    const sources = n.inputs.map((t) => byTensor.get(t.id)).filter((b): b is Box => b !== undefined);
    const rank = sources.reduce((r, b) => Math.max(r, b.rank + 1), 1);
    const outs = n.outputs.filter(Boolean);
    const shape = outs.map((o) => formatShape(o.shape)).join(', ') || '?';
    const name = calls.get(n.layer)! > 1 ? `${n.layer.name} (call ${k})` : n.layer.name;
    const box = add(name, kindOf(n.layer), shape, rank, outs.some((o) => outputIds.has(o.id)));
    for (const s of sources) edges.push({ from: s, to: box });
    for (const o of outs) byTensor.set(o.id, box);
  }
  return { boxes, edges };
}

/** A point an edge passes through: a box, or a waypoint holding a long edge's place in a rank it crosses. */
interface Slot {
  box: Box | null;
  rank: number;
  width: number;
  /** Where the slot's predecessors sit (set while placing the ranks above). */
  sources: Slot[];
  x: number;
}

/** Waypoints beyond this many are not made: edges then go straight, possibly behind boxes. */
const MAX_WAYPOINTS = 50_000;
const WAYPOINT_W = 14;

/**
 * Sugiyama-style layered layout kept to one linear pass: ranks are longest paths from the inputs,
 * an edge spanning several ranks gets a narrow waypoint in each rank it crosses (so it runs between
 * boxes, not through them), and each rank is ordered by the mean position of what feeds it (one
 * barycenter sweep, so branches stay under their sources). Returns each edge's waypoints.
 */
function layout(boxes: Box[], edges: Edge[], boxW: number): { width: number; height: number; routes: number[][] } {
  const slotOf = new Map<Box, Slot>();
  const ranks: Slot[][] = [];
  const place = (slot: Slot): Slot => ((ranks[slot.rank] ??= []).push(slot), slot);
  for (const b of boxes) slotOf.set(b, place({ box: b, rank: b.rank, width: boxW, sources: [], x: 0 }));
  const span = edges.reduce((n, e) => n + Math.max(0, e.to.rank - e.from.rank - 1), 0);
  const routes: Slot[][] = edges.map((e) => {
    const chain: Slot[] = [];
    let prev = slotOf.get(e.from)!;
    if (span <= MAX_WAYPOINTS) {
      for (let r = e.from.rank + 1; r < e.to.rank; r++) {
        const w = place({ box: null, rank: r, width: WAYPOINT_W, sources: [prev], x: 0 });
        chain.push(w);
        prev = w;
      }
    }
    slotOf.get(e.to)!.sources.push(prev);
    return chain;
  });
  const rowWidths: number[] = [];
  ranks.forEach((row, r) => {
    if (!row) return;
    const keyed = row.map((slot, i) => ({ slot, i, k: slot.sources.length ? slot.sources.reduce((s, x) => s + x.x, 0) / slot.sources.length : i }));
    keyed.sort((a, b) => a.k - b.k || a.i - b.i);
    // Place left to right, then shift the row so its centre sits under its sources' centre.
    let x = 0;
    for (const { slot } of keyed) {
      slot.x = x + slot.width / 2;
      x += slot.width + GAP_X;
    }
    const width = x - GAP_X;
    const fed = keyed.filter(({ slot }) => slot.sources.length);
    const want = fed.length ? fed.reduce((s, { k }) => s + k, 0) / fed.length : width / 2;
    const have = fed.length ? fed.reduce((s, { slot }) => s + slot.x, 0) / fed.length : width / 2;
    for (const { slot } of keyed) slot.x += want - have;
    rowWidths[r] = width;
    for (const { slot } of keyed) if (slot.box) slot.box.y = MARGIN + HEAD + r * (BOX_H + GAP_Y);
  });
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of ranks) for (const s of row ?? []) (lo = Math.min(lo, s.x - s.width / 2)), (hi = Math.max(hi, s.x + s.width / 2));
  for (const row of ranks) for (const s of row ?? []) {
    s.x += MARGIN - lo;
    if (s.box) s.box.x = s.x - boxW / 2;
  }
  return {
    width: 2 * MARGIN + (hi - lo),
    height: 2 * MARGIN + HEAD + ranks.length * (BOX_H + GAP_Y) - GAP_Y,
    routes: routes.map((chain) => chain.map((w) => w.x)),
  };
}

/** An edge from the bottom of `from` to the top of `to`, running down through its waypoints' columns. */
function edgePath(from: Box, to: Box, via: readonly number[], boxW: number): string {
  let x = from.x + boxW / 2;
  let y = from.y + BOX_H;
  const parts = [`M${num(x)},${num(y)}`];
  const curveTo = (tx: number, ty: number): void => {
    const mid = (ty - y) / 2;
    parts.push(`C${num(x)},${num(y + mid)} ${num(tx)},${num(ty - mid)} ${num(tx)},${num(ty)}`);
    [x, y] = [tx, ty];
  };
  via.forEach((wx, i) => {
    const top = MARGIN + HEAD + (from.rank + 1 + i) * (BOX_H + GAP_Y);
    curveTo(wx, top);
    parts.push(`L${num(wx)},${num(top + BOX_H)}`);
    y = top + BOX_H;
  });
  curveTo(to.x + boxW / 2, to.y);
  return parts.join(' ');
}

/** @internal the model graph as an SVG document (used by {@link plotModel} and the report). */
export function modelSvg(model: LayersModel, options: PlotModelOptions = {}): string {
  const showShapes = options.showShapes ?? true;
  const title = options.title ?? model.name;
  const { boxes, edges } = modelGraph(model);
  const chars = boxes.reduce((m, b) => Math.max(m, b.name.length, b.kind.length, showShapes ? b.shape.length : 0), 8);
  const boxW = Math.min(360, Math.max(150, 7 * Math.min(chars, MAX_CHARS) + 20));
  const fit = Math.floor((boxW - 16) / 7);
  const { width, height, routes } = layout(boxes, edges, boxW);
  const body: string[] = [
    el('defs', {}, el('marker', { id: 'tf-vis-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#555' }))),
    el('rect', { x: 0, y: 0, width: Math.ceil(width), height: Math.ceil(height), fill: '#ffffff' }),
    text(MARGIN, MARGIN + 14, title, { 'font-size': 16, 'font-weight': 'bold', fill: '#222' }),
  ];
  edges.forEach((e, i) => {
    body.push(el('path', {
      class: 'edge', 'data-from': e.from.name, 'data-to': e.to.name, d: edgePath(e.from, e.to, routes[i]!, boxW),
      fill: 'none', stroke: '#555', 'stroke-width': 1.3, 'marker-end': 'url(#tf-vis-arrow)',
    }));
  });
  for (const b of boxes) {
    const lines = [
      text(b.x + boxW / 2, b.y + 18, clip(b.name, fit), { 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 'bold', fill: '#111' }),
      text(b.x + boxW / 2, b.y + 34, clip(b.kind, fit), { 'text-anchor': 'middle', 'font-size': 11, fill: '#444' }),
    ];
    if (showShapes) lines.push(text(b.x + boxW / 2, b.y + 50, clip(b.shape, fit), { 'text-anchor': 'middle', 'font-size': 11, fill: '#225', 'font-family': 'monospace' }));
    const fill = b.kind === 'InputLayer' ? '#e3f2e1' : b.isOutput ? '#fde8d4' : '#e6eef9';
    body.push(el('g', { class: 'layer', 'data-name': b.name }, [
      el('title', {}, escapeXml(`${b.name} (${b.kind}) ${b.shape}`)),
      el('rect', { x: b.x, y: b.y, width: boxW, height: BOX_H, rx: 6, fill, stroke: b.isOutput ? '#b35900' : '#4a6fa5', 'stroke-width': b.isOutput ? 2 : 1 }),
      ...lines,
    ]));
  }
  return svgRoot(width, height, body, `Model ${model.name}`);
}

/**
 * Draws the model's layer graph as an SVG file: one box per layer call (name, class or ONNX op,
 * output shape), arrows for every connection, branches side by side, inputs at the top and outputs
 * highlighted. Works for sequential, functional and ONNX-imported models. Resolves to the SVG text.
 */
export async function plotModel(model: LayersModel, path: string, options: PlotModelOptions = {}): Promise<string> {
  const fn = 'vis.plotModel';
  if (!(model instanceof LayersModel)) argError(fn, 'model', 'a LayersModel (from sequential(), model() or importOnnx())', describe(model));
  checkPath(fn, path, ['.svg']);
  if (typeof options !== 'object' || options === null) argError(fn, 'options', 'an object', describe(options));
  const svg = modelSvg(model, options);
  await writeOutput(path, svg);
  return svg;
}
