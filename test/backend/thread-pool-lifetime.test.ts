// Resizing the native pool while async kernels run must neither free a pool under a running job nor
// hang, and process.exit must end the process with kernels still in flight. Run in a child process
// so a hang or crash fails this test instead of the runner.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

describe('native thread pool lifetime', () => {
  it('setNumThreads during matmulAsync keeps results right and process.exit still exits', () => {
    const child = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs'), join(ROOT, 'test', 'helpers', 'thread-resize-child.ts')],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
    );
    expect(child.error, `child stderr: ${child.stderr}`).toBeUndefined();
    expect(child.signal, `child stderr: ${child.stderr}`).toBeNull();
    expect(child.status, `stdout: ${child.stdout}\nstderr: ${child.stderr}`).toBe(5);
    if (!child.stdout.includes('no native addon')) expect(child.stdout).toContain('mismatches 0');
  });
});
