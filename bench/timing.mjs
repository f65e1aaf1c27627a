// Measurement primitives. A "variant" is one implementation at one thread count:
//   { run(): void | Promise<void>, async: boolean, enter?(): void }
// Figures are nanoseconds per call; cases turn them into GFLOP/s, GB/s, ns/op.
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * How long to spend per measurement. Full: ~1 s per variant in 11 short batches: the median batch
 * is the reported figure, and many short interleaved batches let every implementation sample the
 * same mix of fast and slow phases of this shared 2-vCPU VM (2-thread speed flips for seconds at a
 * time), so ratios stay stable even when absolute figures do not. Quick: ~0.2 s.
 * slowMinReps: a call that alone exceeds a batch (naive/js/tfjs GEMM 1024) gets this many timed
 * calls, 1 per batch, so those implementations cost seconds rather than minutes.
 */
export function timingPlan(quick) {
  return quick
    ? { name: 'quick', batches: 3, batchMs: 60, totalMs: 200, slowMinReps: 1, gapMs: 30 }
    : { name: 'full', batches: 11, batchMs: 90, totalMs: 1000, slowMinReps: 2, gapMs: 30 };
}

const nowNs = () => Number(process.hrtime.bigint());

// A forced GC before each batch keeps one implementation's garbage (tfjs and tensorforge both
// allocate a JS object per op) from being collected on another's clock. The flag can be set at
// run time, so `npm run bench` needs no node option.
let gcFn = globalThis.gc;
if (typeof gcFn !== 'function') {
  try {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc');
  } catch {
    gcFn = undefined;
  }
}
export const forcedGc = typeof gcFn === 'function';

/** Times `reps` back-to-back calls; sync and async variants get separate loops so sync ones pay no await. */
export async function timeReps(variant, reps) {
  const run = variant.run;
  if (variant.async) {
    const t0 = nowNs();
    for (let i = 0; i < reps; i++) await run();
    return nowNs() - t0;
  }
  const t0 = nowNs();
  for (let i = 0; i < reps; i++) run();
  return nowNs() - t0;
}

/**
 * Decides reps per batch and batch count, and warms the JIT and caches on the way. The first
 * (warmup) call includes one-time costs (JIT, ORT's first-run allocations, page faults), so unless
 * it was already long enough to make a second call expensive, a second call is timed to classify
 * the op as slow (one call per batch) or fast (many calls per batch).
 */
export async function calibrate(variant, plan, firstCallNs) {
  const batchNs = plan.batchMs * 1e6;
  const slow = (perCallNs) => ({
    reps: 1,
    batches: Math.max(plan.slowMinReps, Math.min(plan.batches, Math.floor((plan.totalMs * 1e6) / perCallNs))),
    estimateNs: perCallNs,
  });
  if (firstCallNs >= (plan.totalMs * 1e6) / 2) return slow(firstCallNs);
  const secondNs = await timeReps(variant, 1);
  if (secondNs >= batchNs / 2) return slow(secondNs);
  let reps = 1;
  let ns = secondNs;
  while (ns < batchNs / 4 && reps < 1 << 24) {
    reps = ns < 1e5 ? reps * 16 : Math.ceil((reps * (batchNs / 4)) / ns);
    ns = await timeReps(variant, reps);
  }
  const per = ns / reps;
  return { reps: Math.max(1, Math.round(batchNs / per)), batches: plan.batches, estimateNs: per };
}

/** One timed batch; returns ns per call. */
export async function runBatch(variant, reps, plan) {
  variant.enter?.();
  if (gcFn) gcFn();
  // Lets worker threads of the previous variant (ORT spins its pool after a run) go idle, so they
  // do not steal one of the two vCPUs from this batch. onnxruntime-node 1.30's intra-op worker was
  // still running 10-20 ms after a 2-thread mobilenet_v3_small run (its thread state, sampled
  // after sleeps of 0-30 ms) and asleep by 30 ms: a 10 ms gap left it spinning through the start
  // of the next variant's 2-thread batch.
  await settle(plan);
  const ns = (await timeReps(variant, reps)) / reps;
  settleAfter = variant.settleMs ?? 0;
  return ns;
}

/** Waits out the previous batch: plan.gapMs, or longer when its variant asked (settleMs). */
export async function settle(plan) {
  await sleep(Math.max(plan.gapMs, settleAfter));
  settleAfter = 0;
}

// How long the variant that ran last asked the next batch to wait (its settleMs): a PyTorch worker's
// OpenBLAS threads spin for 2^28 cycles (~0.1 s) after its last call, longer than plan.gapMs.
let settleAfter = 0;

export function summarize(samplesNs) {
  const s = [...samplesNs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { medianNs: median, minNs: s[0], maxNs: s[s.length - 1], samplesNs };
}

/**
 * Measures several variants of one case, interleaving their batches round-robin so that slow drift
 * in machine load (other VMs, thermal) hits every implementation alike and ratios stay meaningful.
 * `variants`: [{ key, run, async, enter, firstCallNs }]. Returns Map key -> summary, or { error }.
 */
export async function measureInterleaved(variants, plan) {
  const cal = new Map();
  const failed = new Map();
  // One implementation throwing mid-run (an addon being rebuilt under us, an ORT error) costs its
  // own cells, not the whole case.
  const guard = async (v, fn) => {
    try {
      return await fn();
    } catch (e) {
      failed.set(v.key, (e instanceof Error ? e.message : String(e)).split('\n')[0]);
      return undefined;
    }
  };
  for (const v of variants) {
    const c = await guard(v, () => {
      v.enter?.();
      return calibrate(v, plan, v.firstCallNs);
    });
    if (c) cal.set(v.key, c);
  }
  const samples = new Map(variants.map((v) => [v.key, []]));
  const rounds = Math.max(0, ...[...cal.values()].map((c) => c.batches));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const c = cal.get(v.key);
      if (!c || failed.has(v.key) || r >= c.batches) continue;
      const ns = await guard(v, () => runBatch(v, c.reps, plan));
      if (ns !== undefined) samples.get(v.key).push(ns);
    }
  }
  const out = new Map();
  for (const v of variants) {
    const c = cal.get(v.key);
    if (failed.has(v.key)) out.set(v.key, { error: failed.get(v.key) });
    else out.set(v.key, { ...summarize(samples.get(v.key)), repsPerBatch: c.reps, batches: c.batches });
  }
  return out;
}

/** Times one call (the warmup), returning its result and duration. */
export async function timedOnce(fn) {
  const t0 = nowNs();
  const result = await fn();
  return { result, ns: nowNs() - t0 };
}
