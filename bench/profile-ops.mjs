// Per-op-type time breakdown of one network (bench --profile): where a forward pass spends its time,
// for tensorforge (forward tap timestamps) and for onnxruntime-node (its own profiler's trace).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from './impl/ort.mjs';

const nowNs = () => Number(process.hrtime.bigint());

/** How many profiled passes: about `targetMs` of work, at least 2 and at most 20. */
export function profilePasses(perPassMs, targetMs = 600) {
  return Math.max(2, Math.min(20, Math.round(targetMs / Math.max(perPassMs, 1e-3))));
}

/** { op -> { ns, calls } } accumulated over `passes` into a sorted table of per-pass means. */
function summarize(totals, passes, source) {
  let all = 0;
  for (const v of totals.values()) all += v.ns;
  const byOp = [...totals.entries()]
    .map(([op, v]) => ({ op, ms: v.ns / passes / 1e6, pct: all ? (100 * v.ns) / all : 0, calls: v.calls / passes }))
    .sort((a, b) => b.ms - a.ms);
  return { source, passes, totalMs: all / passes / 1e6, byOp };
}

function add(totals, op, ns) {
  const e = totals.get(op);
  if (e) {
    e.ns += ns;
    e.calls += 1;
  } else totals.set(op, { ns, calls: 1 });
}

const attr = (layer, name) => layer.attributes?.[name]?.value;

/**
 * Which kind of convolution a Conv / ConvTranspose node is (kernel, stride, depthwise or grouped),
 * or null for other ops: in convolutional networks nearly all time is Conv, and which kind is slow
 * is the question that follows.
 */
export function convKind(layer, inputs) {
  if (layer.opType !== 'Conv' && layer.opType !== 'ConvTranspose') return null;
  const k = attr(layer, 'kernel_shape');
  const stride = attr(layer, 'strides')?.find((v) => v !== 1);
  const group = attr(layer, 'group') ?? 1;
  const channels = (Array.isArray(inputs) ? inputs[0] : inputs)?.shape?.[1];
  const grouping = group === 1 ? '' : group === channels ? ' depthwise' : ` groups=${group}`;
  return `${layer.opType} ${k ? k.join('x') : '?'}${stride ? ` s${stride}` : ''}${grouping}`;
}

/**
 * tensorforge: the model's forward tap runs after each layer call, so the time since the previous
 * tap (or since the pass began) is that layer's: its op plus any argument checks and output
 * allocation, all of which a user pays. Imported layers are OnnxNode with the ONNX opType; time
 * after the last layer (collecting outputs) is '(outputs)'. One unrecorded pass warms up first.
 * `convKinds` splits the convolutions' time by kind (convKind).
 */
export function profileNative(t, model, xs, perPassMs) {
  const passes = profilePasses(perPassMs);
  const totals = new Map();
  const kinds = new Map();
  const ctx = { training: false, losses: [] };
  for (let p = 0; p <= passes; p++) {
    const record = p > 0;
    let last = 0;
    const tap = (layer, inputs) => {
      const now = nowNs();
      if (record) {
        add(totals, layer.opType ?? layer.className ?? layer.constructor.name, now - last);
        const kind = convKind(layer, inputs);
        if (kind) add(kinds, kind, now - last);
      }
      last = now;
    };
    const outs = t.tidy(() => t.noGrad(() => {
      last = nowNs();
      const ys = model.forward(xs, ctx, tap);
      if (record) add(totals, '(outputs)', nowNs() - last);
      return ys;
    }));
    outs.forEach((y) => y.dispose());
  }
  const out = summarize(totals, passes, 'forward tap');
  // Shares of the whole pass, like byOp's.
  out.convKinds = summarize(kinds, passes, 'forward tap').byOp.map((e) => ({ ...e, pct: (100 * e.ms) / out.totalMs }));
  return out;
}

/**
 * onnxruntime-node: a session with enableProfiling writes a Chrome trace; its 'Node' events carry
 * each kernel's duration and op_name (the op types of ORT's optimized graph, so fused ones such as
 * FusedConv appear instead of Conv + Relu). Events of the first, warm-up run are dropped.
 */
export async function profileOrt(bytes, feeds, threads, perPassMs) {
  const passes = profilePasses(perPassMs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-ort-profile-'));
  try {
    const session = await createSession(bytes, threads, { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') });
    for (let p = 0; p <= passes; p++) await session.run(feeds);
    session.endProfiling();
    await session.release?.();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    const warmEnd = runs.length ? runs[0].ts + runs[0].dur : 0;
    const totals = new Map();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < warmEnd) continue;
      add(totals, e.args?.op_name ?? e.name, e.dur * 1e3);
    }
    return summarize(totals, Math.max(1, runs.length - 1), 'onnxruntime profiler');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmtMs = (ms) => (ms >= 10 ? ms.toFixed(1) : ms.toPrecision(2));

/** `Conv 40.1 ms 61%, Add 3.2 ms 5%, ...`: the top `n` entries of a list of { op, ms, pct }. */
export function formatEntries(entries, n = 6) {
  const top = entries.slice(0, n).map((e) => `${e.op} ${fmtMs(e.ms)} ms ${e.pct.toFixed(0)}%`);
  return `${top.join(', ')}${entries.length > n ? `, ${entries.length - n} more` : ''}`;
}

/** `123 ms: Conv 40.1 ms 61%, ...`: a summary's total per pass and its top `n` op types. */
export function formatProfile(p, n = 6) {
  if (!p) return '-';
  if (p.error) return `failed: ${p.error}`;
  return `${p.totalMs.toPrecision(3)} ms: ${formatEntries(p.byOp, n)}`;
}
