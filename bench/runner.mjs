// Runs one case: builds every implementation's variant at each thread count, warms each up with a
// call whose output is cross-checked against tensorforge native's, measures them interleaved, and
// turns times into scores, ratios and target verdicts.
//
// A case is { id, group, label, unit, higherIsBetter, score(nsPerCall), relTol, compare?(out, ref),
// targets, setup(), impls: { [implId]: async (ctx, threads) => variant } }, and a variant is
// { run(), once() -> Float32Array, async?, enter?(), dispose?(), kernelTimes?(), threadStats?() }
// (kernelTimes: the measured layer's kernel time over the timed calls, { medianNs, minNs }, for
// per-layer comparisons; threadStats: one more call with the thread pool's counters, at 2+ threads).
import { BASELINE_TARGET, IMPLS, RATIOS, THREADS } from './impl/registry.mjs';
import { withBaseline } from './impl/tensorforge.mjs';
import { relativeError } from './data.mjs';
import { measureInterleaved, settle, timedOnce } from './timing.mjs';

const errText = (e) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function buildVariants(c, ctx, results) {
  const variants = [];
  for (const impl of IMPLS) {
    const native = c.impls.native;
    const factory = impl.id === 'base' ? native && ((ctx, t) => withBaseline(() => native(ctx, t))) : c.impls[impl.id];
    if (!factory) continue;
    results[impl.id] = { threaded: impl.threaded, byThreads: {} };
    for (const threads of impl.threaded ? THREADS : [1]) {
      let v;
      try {
        v = await factory(ctx, threads);
        v.key = `${impl.id}@${threads}`;
        v.impl = impl.id;
        v.threads = threads;
        v.async = v.async === true;
        v.enter?.();
        const { result, ns } = await timedOnce(() => v.once());
        v.firstCallNs = ns;
        v.output = result;
        variants.push(v);
      } catch (e) {
        if (v) await disposeQuietly(v);
        results[impl.id].byThreads[threads] = { error: errText(e) };
      }
    }
  }
  return variants;
}

/** Speed ratio of `of` over `over` at each thread count (single-threaded impls use their one figure). */
function ratios(results) {
  const out = {};
  for (const r of RATIOS) {
    out[r.id] = {};
    for (const t of THREADS) {
      const a = figure(results, r.of, t);
      const b = figure(results, r.over, t);
      out[r.id][t] = a && b ? b.ns / a.ns : null;
    }
  }
  return out;
}

/** The measurement shown for impl at thread count t, or null. */
export function figure(results, implId, t) {
  const r = results[implId];
  if (!r) return null;
  const m = r.byThreads[r.threaded ? t : 1];
  return m && m.ns !== undefined ? m : null;
}

function verdicts(c, results, ratioTable) {
  const targets = results.base ? [...c.targets, BASELINE_TARGET] : c.targets;
  return targets.map((tg) => {
    const byThreads = {};
    for (const t of THREADS) {
      if (tg.kind === 'ratio') {
        const v = ratioTable[tg.ratio]?.[t];
        byThreads[t] = v == null ? null : v >= tg.min;
      } else if (tg.kind === 'max') {
        const f = figure(results, tg.impl, t);
        byThreads[t] = f ? f.score <= tg.value : null;
      }
    }
    const vals = Object.values(byThreads);
    const met = vals.includes(null) ? null : vals.every(Boolean);
    return { ...tg, byThreads, met };
  });
}

async function disposeQuietly(v) {
  try {
    await v.dispose?.();
  } catch {
    // releasing is best effort; the process exits soon anyway
  }
}

/** `stat`: 'median' (default) or 'best' batch, the figure every score, ratio and verdict uses. */
export async function runCase(c, plan, log = () => {}, stat = 'median') {
  const ctx = await c.setup();
  const results = {};
  const variants = await buildVariants(c, ctx, results);

  // Cross-check before timing: a fast wrong answer must not look like a win.
  const ref = variants.find((v) => v.impl === 'native') ?? variants[0];
  for (const v of variants) {
    const err = ref ? (c.compare ?? relativeError)(v.output, ref.output) : 0;
    v.check = { relErr: err, ok: err <= c.relTol, against: ref?.key ?? null };
  }
  for (const v of variants) v.output = null;

  // Variants at the same thread count run back to back in each round: on this VM the 2-thread
  // speed of everything flips for seconds at a time (likely the hypervisor placing both vCPUs on one
  // physical core), and adjacent batches are the likeliest to see the same phase.
  const order = (v) => v.threads * 100 + IMPLS.findIndex((i) => i.id === v.impl);
  variants.sort((x, y) => order(x) - order(y));
  const measured = await measureInterleaved(variants, plan);
  for (const v of variants) {
    const m = measured.get(v.key);
    if (v.kernelTimes && !m.error) {
      // The layer's own kernel time, from the variant's profiler over the same timed calls (see
      // depthwise.mjs); the wall-clock figures stay in the JSON.
      try {
        const k = await v.kernelTimes();
        Object.assign(m, { wallMedianNs: m.medianNs, wallMinNs: m.minNs, medianNs: k.medianNs, minNs: k.minNs, kernelOnly: true });
      } catch (e) {
        m.error = errText(e);
      }
    }
    if (v.threadStats && !m.error && v.threads > 1) {
      // Where one more call's time went inside the thread pool (split kernels and the worker's share).
      try {
        await settle(plan);
        m.threadStats = await v.threadStats();
      } catch (e) {
        m.threadStatsError = errText(e);
      }
    }
    await disposeQuietly(v);
    if (m.error) {
      results[v.impl].byThreads[v.threads] = { error: m.error };
      log(`  ${v.key.padEnd(10)} FAILED: ${m.error}`);
      continue;
    }
    const ns = stat === 'best' ? m.minNs : m.medianNs;
    results[v.impl].byThreads[v.threads] = {
      ns,
      score: c.score(ns),
      medianScore: c.score(m.medianNs),
      bestScore: c.score(m.minNs),
      ...m,
      firstCallNs: v.firstCallNs,
      check: v.check,
    };
    log(`  ${v.key.padEnd(10)} ${c.score(ns).toPrecision(4).padStart(10)} ${c.unit}` +
      `  (${m.batches}x${m.repsPerBatch} calls${v.check.ok ? '' : `, OUTPUT MISMATCH rel err ${v.check.relErr.toExponential(2)}`})`);
  }
  const ratioTable = ratios(results);
  return {
    id: c.id,
    group: c.group,
    label: c.label,
    unit: c.unit,
    higherIsBetter: c.higherIsBetter,
    work: c.work ?? null,
    results,
    ratios: ratioTable,
    targets: verdicts(c, results, ratioTable),
  };
}
