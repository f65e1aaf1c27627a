// A fuzz worker process: runs the cases the parent sends, one at a time, and reports how each
// ended. A crash or hang here is seen (and counted) by the parent, which starts a new worker.
import * as tf from '../src';
import { classifyError, type FuzzTarget, type Outcome } from './outcome';
import { TARGETS } from './targets';

interface CaseMsg {
  id: number;
  target: string;
  seed: number;
}

const budget = Number(process.env['TENSORFORGE_FUZZ_BUDGET'] ?? 32 * 1024 * 1024);
tf.setMemoryBudget(budget);
const targets = new Map<string, FuzzTarget>(TARGETS.map((t) => [t.name, t]));
const ready = new Set<string>();

async function runCase(msg: CaseMsg): Promise<{ outcome: Outcome; detail?: string }> {
  const target = targets.get(msg.target);
  if (!target) return { outcome: 'internal', detail: `unknown target ${msg.target}` };
  if (!ready.has(target.name)) {
    await target.setup?.();
    ready.add(target.name);
  }
  try {
    const r = await target.run(msg.seed);
    if (r && 'mismatch' in r) return { outcome: 'mismatch', detail: r.mismatch };
    return { outcome: 'ok' };
  } catch (e) {
    const outcome = classifyError(e);
    return { outcome, detail: outcome === 'internal' ? `${(e as Error)?.name}: ${String((e as Error)?.message ?? e).slice(0, 300)}` : undefined };
  }
}

let queue: Promise<void> = Promise.resolve();
process.on('message', (msg: CaseMsg) => {
  queue = queue.then(async () => {
    const r = await runCase(msg);
    // Peak resident memory so far: the parent compares it with the budget.
    const peak = process.resourceUsage().maxRSS * 1024;
    if (process.connected) process.send!({ id: msg.id, ...r, peak });
  });
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
