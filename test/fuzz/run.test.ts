// A short run of the project's fuzzer (npm run fuzz) in CI: every target, deterministic seeds, each
// case in a worker process. Any crash, hang, allocation past the budget or silent wrong result fails.
import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from '../../fuzz/run';

describe('fuzz (short run)', () => {
  it('~15 s over every target: 0 crashes, hangs, over-budget cases, mismatches and internal errors', async () => {
    const lines: string[] = [];
    const report = await runFuzz({ seconds: 15, workers: 1, seed: 20261206, log: (l) => lines.push(l) });
    const summary = `${formatReport(report)}\n${lines.join('\n')}`;
    expect(report.cases, summary).toBeGreaterThan(50);
    for (const counts of Object.values(report.counts)) expect(counts.ok + counts.error, summary).toBeGreaterThan(0);
    expect(report.total.crash, summary).toBe(0);
    expect(report.total.hang, summary).toBe(0);
    expect(report.total['over-budget'], summary).toBe(0);
    expect(report.total.mismatch, summary).toBe(0);
    expect(report.total.internal, summary).toBe(0);
  });
});
