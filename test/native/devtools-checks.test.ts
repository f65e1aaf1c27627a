// The standalone native checks (native/devtools: elementwise_check, gemm_check) compare every
// kernel at every SIMD level the CPU runs against double-precision references, edge values
// included; the suite runs them through `npm run check:native` in its quick mode so a kernel
// change cannot skip them. Needs g++ (skipped without it).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const hasGxx = spawnSync('g++', ['--version'], { stdio: 'ignore' }).status === 0;

describe('native devtools checks', () => {
  it.runIf(hasGxx)('build with the addon\'s per-ISA flags and pass at every SIMD level', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'check-native.cjs')], { cwd: root, encoding: 'utf8' });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output.slice(-4000)).toBe(0);
    expect(output).toContain('all elementwise checks passed');
    expect(output).toMatch(/PASS: \d+ cases, 0 failing/);
  }, 180_000);
});
