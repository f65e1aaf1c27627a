// The fuzzer's driver: a pool of worker processes (crash isolation), deterministic seeds per target
// and case, a time budget, and counts per outcome. Usage (see RELIABILITY.md):
//   npm run fuzz -- --seconds 60 [--targets ops,idx-csv] [--workers 2] [--seed 1] [--json out.json]
//   npm run fuzz -- --replay ops:123456789
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { caseSeed } from './rng';
import { OUTCOMES, type Outcome } from './outcome';
import { TARGET_NAMES } from './targets/names';

export interface FuzzOptions {
  seconds: number;
  targets?: readonly string[];
  workers?: number;
  seed?: number;
  /** A case running longer than this (ms) is a hang. */
  caseTimeoutMs?: number;
  /** The memory budget set in the workers (bytes). */
  budget?: number;
  /** Peak RSS beyond which a case counts as over budget (default 4 x budget + 768 MB of runtime). */
  rssLimit?: number;
  log?: (line: string) => void;
}

export interface Failure {
  target: string;
  seed: number;
  outcome: Outcome;
  detail?: string;
}

export interface FuzzReport {
  seconds: number;
  counts: Record<string, Record<Outcome, number>>;
  total: Record<Outcome, number>;
  cases: number;
  failures: Failure[];
}

const ROOT = path.join(__dirname, '..');

interface Slot {
  child: ChildProcess;
  busy: { id: number; target: string; seed: number; timer: NodeJS.Timeout } | null;
  ready: Promise<void>;
  dead: boolean;
}

function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const targets = opts.targets?.length ? [...opts.targets] : [...TARGET_NAMES];
  for (const t of targets) if (!TARGET_NAMES.includes(t)) throw new Error(`fuzz: unknown target '${t}' (known: ${TARGET_NAMES.join(', ')})`);
  const workers = opts.workers ?? 2;
  const base = opts.seed ?? 1;
  // Small enough that anything the budget admits also runs in well under the hang limit in JS.
  const budget = opts.budget ?? 32 * 1024 * 1024;
  const rssLimit = opts.rssLimit ?? 4 * budget + 768 * 1024 * 1024;
  const caseTimeout = opts.caseTimeoutMs ?? 10_000;
  const log = opts.log ?? (() => undefined);
  const counts: Record<string, Record<Outcome, number>> = Object.fromEntries(targets.map((t) => [t, emptyCounts()]));
  const failures: Failure[] = [];
  const next: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]));
  let turn = 0;
  let nextId = 1;
  const deadline = Date.now() + opts.seconds * 1000;
  const started = Date.now();

  const record = (target: string, seed: number, outcome: Outcome, detail?: string): void => {
    counts[target]![outcome]++;
    if (outcome !== 'ok' && outcome !== 'error') {
      failures.push({ target, seed, outcome, detail });
      log(`${outcome} ${target}:${seed}${detail ? ` ${detail}` : ''}`);
    }
  };

  const spawnSlot = (): Slot => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs'), path.join(ROOT, 'fuzz', 'child.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, TENSORFORGE_FUZZ_BUDGET: String(budget), TENSORFORGE_MEMORY_BUDGET: String(budget) },
      serialization: 'advanced',
    });
    child.stderr!.on('data', () => undefined);
    const slot: Slot = { child, busy: null, dead: false, ready: Promise.resolve() };
    slot.ready = new Promise((resolve) => {
      child.on('message', (m: { ready?: boolean }) => {
        if (m.ready) resolve();
      });
      child.once('exit', () => resolve());
    });
    return slot;
  };

  const nextCase = (): { target: string; seed: number } => {
    const target = targets[turn++ % targets.length]!;
    return { target, seed: caseSeed(base, target, next[target]!++) };
  };

  /** Runs cases on one slot until the deadline, replacing the worker when it dies. */
  const drive = async (): Promise<void> => {
    let slot = spawnSlot();
    while (Date.now() < deadline) {
      await slot.ready;
      if (slot.child.exitCode !== null || slot.child.signalCode !== null) {
        slot = spawnSlot();
        continue;
      }
      const c = nextCase();
      const result = await new Promise<{ outcome: Outcome; detail?: string; peak?: number; replace: boolean }>((resolve) => {
        const id = nextId++;
        const onMessage = (m: { id?: number; outcome?: Outcome; detail?: string; peak?: number }): void => {
          if (m.id !== id) return;
          cleanup();
          const over = (m.peak ?? 0) > rssLimit;
          resolve({ outcome: over ? 'over-budget' : m.outcome!, detail: over ? `peak RSS ${Math.round((m.peak ?? 0) / 2 ** 20)} MB` : m.detail, replace: over });
        };
        const onExit = (code: number | null, signal: string | null): void => {
          cleanup();
          resolve({ outcome: 'crash', detail: `worker exited (${signal ?? `code ${code}`})`, replace: true });
        };
        const timer = setTimeout(() => {
          cleanup();
          slot.child.kill('SIGKILL');
          resolve({ outcome: 'hang', detail: `no answer in ${caseTimeout} ms`, replace: true });
        }, caseTimeout);
        const cleanup = (): void => {
          clearTimeout(timer);
          slot.child.off('message', onMessage);
          slot.child.off('exit', onExit);
        };
        slot.child.on('message', onMessage);
        slot.child.once('exit', onExit);
        slot.child.send({ id, target: c.target, seed: c.seed });
      });
      record(c.target, c.seed, result.outcome, result.detail);
      if (result.replace) {
        slot.child.kill('SIGKILL');
        slot = spawnSlot();
      }
    }
    slot.child.kill('SIGKILL');
  };

  await Promise.all(Array.from({ length: workers }, () => drive()));
  const total = emptyCounts();
  let cases = 0;
  for (const c of Object.values(counts)) for (const o of OUTCOMES) {
    total[o] += c[o];
    cases += c[o];
  }
  return { seconds: (Date.now() - started) / 1000, counts, total, cases, failures };
}

export function formatReport(r: FuzzReport): string {
  const head = ['target', 'cases', ...OUTCOMES];
  const rows = Object.entries(r.counts).map(([t, c]) => [t, String(OUTCOMES.reduce((s, o) => s + c[o], 0)), ...OUTCOMES.map((o) => String(c[o]))]);
  rows.push(['all', String(r.cases), ...OUTCOMES.map((o) => String(r.total[o]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(head), ...rows.map(line), `${r.cases} cases in ${r.seconds.toFixed(0)} s`].join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The command line (fuzz/main.ts). */
export async function main(): Promise<void> {
  const replay = arg('replay');
  if (replay) {
    // Runs one case in this process, so a debugger or sanitizer sees it directly.
    const [target, seed] = replay.split(':');
    const { TARGETS } = await import('./targets');
    const tf = await import('../src');
    tf.setMemoryBudget(Number(arg('budget') ?? 32 * 1024 * 1024));
    const t = TARGETS.find((x) => x.name === target);
    if (!t) throw new Error(`unknown target ${target}`);
    await t.setup?.();
    console.log(await t.run(Number(seed)));
    return;
  }
  const report = await runFuzz({
    seconds: Number(arg('seconds') ?? 60),
    targets: arg('targets')?.split(','),
    workers: Number(arg('workers') ?? 2),
    seed: Number(arg('seed') ?? 1),
    budget: arg('budget') ? Number(arg('budget')) : undefined,
    log: (l) => console.log(l),
  });
  console.log(formatReport(report));
  const out = arg('json');
  if (out) fs.writeFileSync(out, JSON.stringify(report, null, 1));
  // An internal TypeError/RangeError is an argument check that did not speak: a finding too.
  const bad = report.total.crash + report.total.hang + report.total['over-budget'] + report.total.mismatch + report.total.internal;
  process.exitCode = bad > 0 ? 1 : 0;
}

