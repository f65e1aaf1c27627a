#!/usr/bin/env node
// Benchmark entry point (`npm run bench`): parses the CLI, runs the selected cases, prints the
// table and writes bench/results/<timestamp>.json and latest.json.
//
//   node bench/run.mjs [--only gemm,add | --only gemm/1024x1024x1024] [--quick] [--best] [--no-save]
//                      [--models DIR] [--image N] [--profile]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASE_MODULES } from './cases/index.mjs';
import { enableBaseline } from './impl/registry.mjs';
import { loadBaseline } from './impl/tensorforge.mjs';
import { environment, formatEnvironment } from './env.mjs';
import { startNoiseProbe } from './noise.mjs';
import { runCase } from './runner.mjs';
import { formatTable } from './table.mjs';
import { formatProfile } from './profile-ops.mjs';
import { timingPlan } from './timing.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A mistake on the command line: reported as one line with the usage, not as a stack trace. */
class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { only: null, quick: false, save: true, stat: 'median', profile: false, models: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--no-save') opts.save = false;
    else if (a === '--best') opts.stat = 'best';
    else if (a === '--profile') opts.profile = true;
    else if (a === '--models' || a.startsWith('--models=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new UsageError('--models needs a directory: where export-real-models.py wrote the ONNX files');
      opts.models = v;
    }
    else if (a === '--image' || a.startsWith('--image=')) {
      const v = Number(a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
      if (!Number.isInteger(v) || v < 32) throw new UsageError('--image needs an image size in pixels >= 32, e.g. --image 112');
      opts.image = v;
    }
    else if (a === '--baseline' || a.startsWith('--baseline=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new UsageError('--baseline needs a directory: another checkout with dist/ built');
      opts.baseline = v;
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new UsageError('--only needs a value, e.g. --only gemm');
      opts.only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      opts.help = true;
    } else {
      throw new UsageError(`unknown argument ${a} (try --help)`);
    }
  }
  return opts;
}

const HELP = `usage: node bench/run.mjs [--only GROUP|CASE_ID[,...]] [--quick] [--best] [--no-save] [--baseline DIR]
  --only    run only the cases of these groups or ids, comma-separated (groups: ${CASE_MODULES.map((m) => m.group).join(', ')})
  --quick   short timing plan for iteration (figures are noisier)
  --best    report each variant's fastest batch instead of the median one (less sensitive to
            other processes' load; the JSON holds both either way)
  --no-save do not write bench/results/*.json
  --baseline DIR  also measure the native backend of another checkout (its dist/ built, its addon
            as it resolves it), interleaved with this one: column tf-base, ratio nat/base, target >=0.95x
  --models DIR  the ONNX networks of group real (default $TENSORFORGE_REAL_MODELS, else
            ~/.cache/tensorforge/real-models; write them with
            /usr/bin/python3 bench/models/export-real-models.py DIR); absent ones are skipped with a note
  --image N train the real networks of group train (resnet18, mobilenet_v2) on NxN images instead
            of 224x224 (quicker runs; the export script writes them with dynamic height and width)
  --profile per-op-type time breakdown of each real network (1 thread, ours and ORT) and of each
            real-network training step (forward, backward and optimizer by op type), printed and in the JSON`;

/** The selected cases, and the notes of the selected groups (e.g. real networks that are absent). */
function selectCases(opts) {
  const { only } = opts;
  const all = CASE_MODULES.flatMap((m) => m.cases(opts));
  const groups = CASE_MODULES.filter((m) => !only || only.includes(m.group));
  const notes = groups.flatMap((m) => m.notes?.() ?? []);
  if (!only) return { cases: all, notes };
  const picked = all.filter((c) => only.some((o) => c.group === o || c.id === o || c.id.startsWith(`${o}/`)));
  // A group that is selected but has no case here (no real networks exported) is explained by its notes.
  if (!picked.length && !notes.length) throw new UsageError(`--only ${only.join(',')} matches no case; ids: ${all.map((c) => c.id).join(', ')}`);
  return { cases: picked, notes };
}

function save(report) {
  const dir = path.join(HERE, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = report.meta.date.replace(/[:.]/g, '-');
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const file = path.join(dir, `${stamp}.json`);
  fs.writeFileSync(file, text);
  fs.writeFileSync(path.join(dir, 'latest.json'), text);
  return file;
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  if (opts.baseline) {
    const dir = path.resolve(opts.baseline);
    if (!fs.existsSync(path.join(dir, 'dist', 'index.js'))) throw new UsageError(`--baseline ${dir}: no dist/index.js there (run npm run build:ts in it)`);
    enableBaseline();
    const base = loadBaseline(dir).backendInfo();
    console.log(`baseline: ${dir} backend=${base.backend} simd=${base.simd} buildHash=${base.buildHash}`);
  }
  const plan = timingPlan(opts.quick);
  const { cases, notes } = selectCases(opts);
  const env = environment();
  console.log(formatEnvironment(env, plan, argv, opts.stat));
  if (env.machine.loadAvg1m > 1) console.log(`WARNING: load average ${env.machine.loadAvg1m} before starting: the machine is busy.`);
  if (!env.tensorforge.nativeAvailable) {
    console.log('\nWARNING: the native addon did not load; native columns will be empty (build it: npm run build:native).');
  }
  console.log('');

  const rows = [];
  const t0 = Date.now();
  for (const c of cases) {
    // Other processes on this 2-vCPU VM (builds, tests) skew 2-thread figures most; the share of
    // CPU they took during each case says how far to trust its row.
    console.error(`[${c.id}]`);
    const probe = startNoiseProbe();
    // A case may adjust the plan (c.timing(plan)), e.g. real networks: 3 calls of a slow one, not 2.
    const row = await runCase(c, c.timing ? { ...plan, ...c.timing(plan) } : plan, (s) => console.error(s), opts.stat);
    row.noise = probe();
    console.error(`  other processes: ${row.noise.otherCpuPct ?? '?'}% of CPU, steal ${row.noise.stealPct ?? '?'}%`);
    if (opts.profile && c.profile) {
      row.profile = await c.profile(row);
      console.error(`  profile: ours ${formatProfile(row.profile.native, 3)}; ORT ${formatProfile(row.profile.ort, 3)}`);
    }
    rows.push(row);
  }
  const elapsedS = (Date.now() - t0) / 1000;

  console.log(formatTable(rows, opts.stat));
  for (const m of CASE_MODULES) {
    const text = m.summary?.(rows);
    if (text) console.log(`\n${text}`);
  }
  if (notes.length) console.log(`\n${notes.join('\n')}`);
  const mismatches = rows.flatMap((r) => Object.entries(r.results).flatMap(([impl, res]) =>
    Object.entries(res.byThreads).filter(([, m]) => m.check && !m.check.ok).map(([t]) => `${r.id} ${impl}@${t}T`)));
  const errors = rows.flatMap((r) => Object.entries(r.results).flatMap(([impl, res]) =>
    Object.entries(res.byThreads).filter(([, m]) => m.error).map(([t, m]) => `${r.id} ${impl}@${t}T: ${m.error}`)));
  if (mismatches.length) console.log(`\nOUTPUT MISMATCH vs native: ${mismatches.join(', ')}`);
  if (errors.length) console.log(`\nFAILED: ${errors.join('\n        ')}`);
  const busiest = Math.max(0, ...rows.map((r) => r.noise.otherCpuPct ?? 0));
  console.log(`\n${rows.length} cases in ${elapsedS.toFixed(0)} s` +
    `${busiest > 10 ? `; BUSY MACHINE: other processes took up to ${busiest}% of the CPUs during a case (column 'others'), so those rows (2T especially) understate` : ''}`);

  if (opts.save) {
    const report = {
      meta: { ...env, argv, quick: opts.quick, only: opts.only, stat: opts.stat, timing: plan, elapsedS, notes },
      cases: rows,
    };
    console.log(`results: ${path.relative(process.cwd(), save(report))} (and latest.json)`);
  }
  return env.tensorforge.nativeAvailable && !mismatches.length ? 0 : 1;
}

main().then((code) => {
  // onnxruntime and tfjs can leave handles that keep the loop alive; the bench is done.
  process.exit(code);
}, (e) => {
  if (e instanceof UsageError) console.error(`${e.message}\n\n${HELP}`);
  else console.error(e instanceof Error ? e.stack : e);
  process.exit(e instanceof UsageError ? 2 : 1);
});
