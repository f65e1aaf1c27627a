// Real networks: torchvision architectures and small hand-built ViT / GPT / U-Net, exported to ONNX
// with random weights by bench/models/export-real-models.py into a folder outside the repository
// (--models DIR, $TENSORFORGE_REAL_MODELS, ~/.cache/tensorforge/real-models). For each model present,
// at batch 1 and 8, one call = one forward pass on the same file:
//   native  tensorforge importOnnx(file) + predictOnBatch on the native backend
//   ort     onnxruntime-node InferenceSession(file), intra-op threads = the thread count, sequential
// Absent models are skipped with a note. Slow calls get one call per timed batch and as few batches
// as the timing plan allows (timing.mjs), so the big networks cost seconds, not minutes.
// --profile adds a per-op-type breakdown of one thread's forward pass for both sides (profile-ops.mjs).
import { createSession, ortTensor, sessionRunner } from '../impl/ort.mjs';
import { THREADS } from '../impl/registry.mjs';
import { enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { scaledError } from '../data.mjs';
import { findModels, makeInputs, modelsDir } from '../real-models.mjs';
import { formatEntries, formatProfile, profileNative, profileOrt, profilePlan } from '../profile-ops.mjs';
import { figure } from '../runner.mjs';
import { fmtNum } from '../table.mjs';

export const group = 'real';

const BATCHES = [1, 8];
const PROFILE_THREADS = 1;

let skipped = [];

// Importing a 100 MB network takes seconds; every variant of a model (batch 1 and 8, each thread
// count) predicts with one imported copy, dropped when the next model starts.
let cached = null;
function importedModel(file) {
  if (cached?.file !== file) {
    cached = null;
    cached = { file, model: loadTensorforge().importOnnx(file) };
  }
  return cached.model;
}

function nativeInputs(inputs) {
  const t = loadTensorforge();
  return inputs.map((i) => t.tensor(i.data, i.dims, i.dtype === 'int64' ? 'int32' : 'float32'));
}

function ortFeeds(inputs) {
  return Object.fromEntries(inputs.map((i) => [i.name, i.dtype === 'int64'
    ? ortTensor(BigInt64Array.from(i.data, (v) => BigInt(v)), i.dims, 'int64')
    : ortTensor(i.data, i.dims)]));
}

function nativeVariant(m, ctx, threads) {
  const enter = enterNative(threads);
  enter();
  const model = importedModel(m.file);
  const xs = nativeInputs(ctx.inputs);
  const predict = () => {
    const y = model.predictOnBatch(xs.length === 1 ? xs[0] : xs);
    return Array.isArray(y) ? y : [y];
  };
  return {
    enter,
    run: () => predict().forEach((y) => y.dispose()),
    once: () => {
      const ys = predict();
      const d = Float32Array.from(ys[0].dataSync());
      ys.forEach((y) => y.dispose());
      return d;
    },
    dispose: () => xs.forEach((x) => x.dispose()),
  };
}

async function ortVariant(m, ctx, threads) {
  const session = await createSession(m.file, threads);
  const feeds = ortFeeds(ctx.inputs);
  const out = session.outputNames[0];
  // The output's shape comes from one plain run; the timed runs then write into a preallocated fetch.
  const dims = (await session.run(feeds))[out].dims;
  return sessionRunner(session, feeds, out, dims);
}

/** Both sides' per-op-type breakdown at PROFILE_THREADS, sized by the measured per-call times. */
async function profile(m, row) {
  const ctx = { inputs: makeInputs(m, row.work.batch) };
  const perPass = (impl) => figure(row.results, impl, PROFILE_THREADS)?.score ?? 100;
  const out = { threads: PROFILE_THREADS };
  try {
    const t = loadTensorforge();
    enterNative(PROFILE_THREADS)();
    const xs = nativeInputs(ctx.inputs);
    const model = importedModel(m.file);
    out.native = profileNative(t, model, xs, perPass('native'));
    out.plan = profilePlan(model, xs, perPass('native'));
    xs.forEach((x) => x.dispose());
  } catch (e) {
    out.native = { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
  try {
    out.ort = await profileOrt(m.file, ortFeeds(ctx.inputs), PROFILE_THREADS, perPass('ort'));
  } catch (e) {
    out.ort = { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
  return out;
}

function realCase(m, batch) {
  return {
    id: `real/${m.name}-b${batch}`,
    group,
    label: `${m.name} batch ${batch}`,
    unit: 'ms',
    higherIsBetter: false,
    score: (ns) => ns / 1e6,
    work: { model: m.name, batch, file: m.file, params: m.params, inputs: m.inputs },
    // Random-init deep networks: float32 sums in different orders over dozens of layers, compared
    // at the outputs' own scale.
    relTol: 1e-3,
    compare: scaledError,
    targets: [],
    // A median of at least 3 calls even for the networks that take seconds per call (not in --quick).
    timing: (plan) => ({ slowMinReps: Math.max(plan.slowMinReps, plan.name === 'quick' ? 1 : 3) }),
    setup: () => ({ inputs: makeInputs(m, batch) }),
    impls: {
      native: (ctx, threads) => nativeVariant(m, ctx, threads),
      ort: (ctx, threads) => ortVariant(m, ctx, threads),
    },
    profile: (row) => profile(m, row),
  };
}

/** The cases for the models present in `opts.models` (or the default folder). */
export function cases(opts = {}) {
  const dir = modelsDir(opts.models);
  const { models, notes } = findModels(dir);
  skipped = notes;
  return models.flatMap((m) => BATCHES.map((b) => realCase(m, b)));
}

/** Why some networks were not measured (shown under the table and stored in the JSON). */
export function notes() {
  return skipped;
}

/**
 * A Markdown table of the real rows in the terms users ask about: milliseconds per forward pass
 * and ours/ORT time (>1: tensorforge slower), per thread count; with --profile, each side's top
 * op types.
 */
export function summary(rows) {
  const real = rows.filter((r) => r.group === group);
  if (!real.length) return '';
  const cell = (r, impl, t) => {
    const f = figure(r.results, impl, t);
    if (f) return fmtNum(f.score) + (f.check?.ok === false ? '!' : '');
    return r.results[impl]?.byThreads[t]?.error ? 'ERR' : '-';
  };
  const ratio = (r, t) => {
    const a = figure(r.results, 'native', t);
    const b = figure(r.results, 'ort', t);
    return a && b ? `${(a.ns / b.ns).toFixed(2)}x` : '-';
  };
  const head = ['model', 'batch', ...THREADS.flatMap((t) => [`ours ${t}T ms`, `ORT ${t}T ms`, `ours/ORT ${t}T`]), 'others'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of real) {
    const cells = [r.work.model, String(r.work.batch), ...THREADS.flatMap((t) => [cell(r, 'native', t), cell(r, 'ort', t), ratio(r, t)]),
      r.noise?.otherCpuPct == null ? '?' : `${r.noise.otherCpuPct.toFixed(0)}%`];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const errors = real.flatMap((r) => ['native', 'ort'].flatMap((impl) => THREADS.map((t) => r.results[impl]?.byThreads[t]?.error)
    .filter(Boolean).slice(0, 1).map((e) => `${r.id} ${impl}: ${e}`)));
  const profiled = real.filter((r) => r.profile);
  const prof = profiled.flatMap((r) => {
    const pad = ' '.repeat(r.id.length + String(r.profile.threads).length + 11);
    const kinds = r.profile.native?.convKinds ?? [];
    return [
      `${r.id} (${r.profile.threads} thread) ours ${formatProfile(r.profile.native)} (node by node)`,
      ...(kinds.length ? [`${pad}     ${formatEntries(kinds, 4)}`] : []),
      ...(r.profile.plan ? [`${pad}plan ${formatProfile(r.profile.plan)}`] : []),
      `${pad}ORT  ${formatProfile(r.profile.ort)}`,
    ];
  });
  return [
    'Real networks (ms per forward pass; ours/ORT = tensorforge time over onnxruntime-node time, >1 = slower; ! = outputs disagree):',
    ...lines,
    ...(errors.length ? ['', ...errors] : []),
    ...(prof.length ? ['', 'Per-op-type time at 1 thread: median per pass of each op type, their sum and share of it; (pass) = median whole pass, longer when other processes preempt it; ORT counts kernel time only and names the op types of its optimized graph:', ...prof] : []),
  ].join('\n');
}
