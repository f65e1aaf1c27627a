import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';

const root = path.resolve(__dirname, '..', '..');
const require = createRequire(__filename);
const { sourceHash } = require('../../scripts/source-hash.cjs') as { sourceHash(): string };

/** Runs a snippet against the built package (dist/, built by `npm test` before vitest). */
function runNode(code: string, env: Record<string, string> = {}, esm = false) {
  expect(fs.existsSync(path.join(root, 'dist', 'index.js')), 'dist/ is built (npm run build:ts)').toBe(true);
  const r = spawnSync(process.execPath, [...(esm ? ['--input-type=module'] : []), '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('native addon', () => {
  it.runIf(tf.backendInfo().nativeAvailable)('was built from the current native sources (no stale binary)', () => {
    expect(tf.backendInfo().buildHash).toBe(sourceHash());
  });

  it('ships a prebuild built from the current native sources (regenerate with npm run prebuild)', () => {
    const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.node')) : undefined;
    expect(file, `a prebuild in ${dir}`).toBeDefined();
    // Checked on the file itself: the loader falls back to a local build when the prebuild is stale,
    // which would hide a prebuild nobody regenerated.
    const prebuilt = require(path.join(dir, file!)) as { info(): { buildHash: string } };
    expect(prebuilt.info().buildHash).toBe(sourceHash());
  });

  it('reports backend, SIMD level, threads and build hash', () => {
    const info = tf.backendInfo();
    expect(['native', 'js']).toContain(info.backend);
    if (info.nativeAvailable) {
      expect(['scalar', 'avx2', 'avx512']).toContain(info.simd);
      expect(info.threads).toBeGreaterThanOrEqual(1);
      expect(info.buildHash).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('ships no -march=native: SIMD is picked at run time', () => {
    const cmake = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    expect(cmake).not.toMatch(/-march=native/);
    // The per-ISA compile flags live in one file that CMake and scripts/check-native.cjs read.
    const levels = fs.readFileSync(path.join(root, 'native', 'kernels', 'common', 'isa_levels.txt'), 'utf8');
    expect(levels).not.toMatch(/-march|-mtune=native/);
    expect(levels).toMatch(/^scalar 0\s*$/m);
  });

  it('falls back to the js backend with one warning when the addon cannot load', () => {
    const r = runNode(
      "const tf = require('tensorforge'); tf.add(tf.ones([2]), 1); tf.matmul(tf.ones([2,2]), tf.ones([2,2]));" +
        "console.log(JSON.stringify([tf.getBackend(), tf.add(tf.ones([2]), 1).toArray()]))",
      { TENSORFORGE_ADDON: path.join(root, 'does-not-exist.node') },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['js', [2, 2]]);
    expect(r.stderr.match(/native addon unavailable/g)).toHaveLength(1);
  });

  it.runIf(tf.backendInfo().nativeAvailable)('honours TENSORFORGE_NUM_THREADS, TENSORFORGE_SIMD and TENSORFORGE_BACKEND', () => {
    const r = runNode("const tf = require('tensorforge'); console.log(JSON.stringify(tf.backendInfo()))", {
      TENSORFORGE_NUM_THREADS: '1',
      TENSORFORGE_SIMD: 'scalar',
    });
    const info = JSON.parse(r.stdout);
    expect(info.threads).toBe(1);
    expect(info.simd).toBe('scalar');
    const js = runNode("const tf = require('tensorforge'); console.log(tf.getBackend())", { TENSORFORGE_BACKEND: 'js' });
    expect(js.stdout).toBe('js');
  });

  it.runIf(tf.backendInfo().nativeAvailable)('resizes the thread pool at run time', () => {
    const before = tf.getNumThreads();
    tf.setNumThreads(1);
    expect(tf.backendInfo().threads).toBe(1);
    const a = tf.randn([300, 200]);
    const b = tf.randn([200, 100]);
    const one = tf.matmul(a, b).dataSync().slice();
    tf.setNumThreads(2);
    const two = tf.matmul(a, b).dataSync();
    for (let i = 0; i < one.length; i++) expect(Math.abs(one[i]! - two[i]!)).toBeLessThan(1e-4);
    tf.setNumThreads(before);
  });
});

describe('package', () => {
  it('works with require and import, with types shipped', () => {
    const cjs = runNode("const { matmul, tensor } = require('tensorforge'); console.log(JSON.stringify(matmul(tensor([[1,2]]), tensor([[3],[4]])).toArray()))");
    expect(cjs.stdout).toBe('[[11]]');
    const esm = runNode("import { matmul, tensor } from 'tensorforge'; console.log(JSON.stringify(matmul(tensor([[1,2]]), tensor([[3],[4]])).toArray()))", {}, true);
    expect(esm.stdout).toBe('[[11]]');
    const esmDefault = runNode("import tf from 'tensorforge'; console.log(typeof tf.add)", {}, true);
    expect(esmDefault.stdout).toBe('function');
    expect(fs.existsSync(path.join(root, 'dist', 'index.d.ts'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.types).toBe('dist/index.d.ts');
  });

  it('exports every public op as a named export and as a Tensor method where natural', () => {
    for (const op of tf.listOps()) expect(typeof (tf as Record<string, unknown>)[op.name], op.name).toBe('function');
    const a = tf.tensor([[1, -2]]);
    expect(a.matmul(tf.tensor([[1], [1]])).relu().toArray()).toEqual([[0]]);
    expect(a.abs().sum().item()).toBe(3);
  });
});
