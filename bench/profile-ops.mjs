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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Per-pass times by op (`totals`: op -> { ns: per-pass sums, calls }) as a table sorted by time:
 * each op's median over the passes (a burst of another process's work lands in one pass, not in
 * every op's figure), its share of the sum of medians, and the median whole pass.
 */
function summarize(totals, passes, source) {
  const passSums = new Float64Array(passes);
  const byOp = [...totals.entries()].map(([op, v]) => {
    v.ns.forEach((ns, p) => { passSums[p] += ns; });
    return { op, ms: median(v.ns) / 1e6, calls: v.calls / passes };
  });
  const sumMs = byOp.reduce((a, e) => a + e.ms, 0);
  for (const e of byOp) e.pct = sumMs ? (100 * e.ms) / sumMs : 0;
  byOp.sort((a, b) => b.ms - a.ms);
  // totalMs is what the shares add up to; a pass hit by preemption in some op usually takes longer
  // (passMs), since each op's median drops the bursts that land in it.
  return { source, passes, totalMs: sumMs, passMs: median(passSums) / 1e6, byOp };
}

/** Adds `ns` to op's time in pass `pass` (0-based, of `passes`). */
function add(totals, passes, op, pass, ns) {
  let e = totals.get(op);
  if (!e) totals.set(op, (e = { ns: new Float64Array(passes), calls: 0 }));
  e.ns[pass] += ns;
  e.calls += 1;
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
        add(totals, passes, layer.opType ?? layer.className ?? layer.constructor.name, p - 1, now - last);
        const kind = convKind(layer, inputs);
        if (kind) add(kinds, passes, kind, p - 1, now - last);
      }
      last = now;
    };
    const outs = t.tidy(() => t.noGrad(() => {
      last = nowNs();
      const ys = model.forward(xs, ctx, tap);
      if (record) add(totals, passes, '(outputs)', p - 1, nowNs() - last);
      return ys;
    }));
    outs.forEach((y) => y.dispose());
  }
  const out = summarize(totals, passes, 'forward tap');
  // Shares of the same whole as byOp's.
  const opsMs = out.byOp.reduce((a, e) => a + e.ms, 0);
  out.convKinds = summarize(kinds, passes, 'forward tap').byOp.map((e) => ({ ...e, pct: (100 * e.ms) / opsMs }));
  return out;
}

/**
 * tensorforge's compiled inference plan (what predict runs for an imported model): time per plan
 * step, by the step's op (fused ones named like Conv+add+relu, MatMul+gelu), null when the model
 * has no plan for these inputs.
 */
export function profilePlan(model, xs, perPassMs) {
  const planner = model.inferencePlanner;
  if (!planner?.profile) return null;
  const passes = profilePasses(perPassMs);
  const totals = new Map();
  if (!planner.profile(xs)) return null;
  for (let p = 0; p < passes; p++) {
    const times = planner.profile(xs);
    for (const [op, ms] of times) add(totals, passes, op, p, ms * 1e6);
  }
  return summarize(totals, passes, 'compiled plan steps');
}

/**
 * onnxruntime-node: a session with enableProfiling writes a Chrome trace; its 'Node' events carry
 * each kernel's duration and op_name (the op types of ORT's optimized graph, so fused ones such as
 * FusedConv appear instead of Conv + Relu). Events of the first, warm-up run are dropped.
 * Only kernel time is counted, not the session's own per-run work.
 */
export async function profileOrt(model, feeds, threads, perPassMs) {
  const passes = profilePasses(perPassMs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-ort-profile-'));
  try {
    const session = await createSession(model, threads, { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') });
    for (let p = 0; p <= passes; p++) await session.run(feeds);
    session.endProfiling();
    await session.release?.();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    // Each kernel event belongs to the model_run it falls in; the first run is the warm-up.
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(1);
    const totals = new Map();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const r = runs.findIndex((run) => e.ts >= run.ts && e.ts <= run.ts + run.dur);
      if (r >= 0) add(totals, runs.length, e.args?.op_name ?? e.name, r, e.dur * 1e3);
    }
    if (!runs.length) throw new Error('the onnxruntime profile has no model_run events');
    return summarize(totals, runs.length, 'onnxruntime profiler');
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

/** `123 ms (pass 130): Conv 40.1 ms 61%, ...`: a summary's op total, median pass and top `n` op types. */
export function formatProfile(p, n = 6) {
  if (!p) return '-';
  if (p.error) return `failed: ${p.error}`;
  return `${p.totalMs.toPrecision(3)} ms (pass ${p.passMs.toPrecision(3)}): ${formatEntries(p.byOp, n)}`;
}

/**
 * A session whose runs are profiled, for timing one layer by its kernel alone: a one-layer model
 * run by ORT also reorders its input and output to its blocked layout and pays the session's
 * per-run work, which a network pays once at its edges, not per layer. `kernelTimes()` (after the
 * runs) reads ORT's profile: the `opName` kernels' time per run, median and fastest, skipping
 * the first `skipRuns` (warm-up) runs; `close()` releases the session and its profile.
 */
export async function profiledSession(model, threads, opName, skipRuns = 1) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-ort-kernel-'));
  const session = await createSession(model, threads, { enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') });
  let ended = false;
  return {
    session,
    async kernelTimes() {
      if (!ended) session.endProfiling();
      ended = true;
      const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
      if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
      const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(skipRuns);
      if (!runs.length) throw new Error('the onnxruntime profile has no model_run events after the warm-up');
      const starts = runs.map((r) => r.ts);
      const perRun = new Float64Array(runs.length);
      for (const e of events) {
        if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.args?.op_name !== opName) continue;
        // Runs are sorted: the last one starting at or before the event holds it.
        let lo = 0;
        let hi = starts.length - 1;
        if (e.ts < starts[0]) continue;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid] <= e.ts) lo = mid;
          else hi = mid - 1;
        }
        perRun[lo] += e.dur * 1e3;
      }
      const ns = [...perRun].filter((v) => v > 0);
      if (!ns.length) throw new Error(`no ${opName} kernel in the onnxruntime profile`);
      return { medianNs: median(ns), minNs: Math.min(...ns) };
    },
    async close() {
      if (!ended) session.endProfiling();
      ended = true;
      await session.release?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
