// Model folders are untrusted: names inside model.json are confined to the folder, only regular
// files within the memory budget are read, and declared layer sizes fail fast.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tensorforge-load-'));
afterAll(() => rmrf(root));
function rmrf(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

let good = '';
beforeAll(async () => {
  good = path.join(root, 'good');
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  await m.save(good);
});

/** A copy of the good model whose model.json is edited by `edit`. */
function variant(name: string, edit: (json: Record<string, unknown>) => void): string {
  const dir = path.join(root, name);
  fs.cpSync(good, dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
  return dir;
}

describe('loadModel confinement', () => {
  it('loads the untouched model', async () => {
    const m = await tf.loadModel(good);
    expect(m.layers.length).toBeGreaterThan(0);
  });

  for (const [label, name, pattern] of [
    ['a parent path', '../../../dev/zero', /leaves the model's folder \('\.\.' is not allowed\)/],
    ['a nested parent path', 'sub/../../x.safetensors', /leaves the model's folder/],
    ['an absolute path', '/etc/passwd', /is an absolute path/],
    ['a backslash parent path', '..\\..\\etc\\passwd', /leaves the model's folder/],
  ] as const) {
    it(`refuses a weightsFile that is ${label}`, async () => {
      const dir = variant(`bad-${label.replace(/\W/g, '-')}`, (j) => (j['weightsFile'] = name));
      await expect(tf.loadModel(dir)).rejects.toThrow(pattern);
    });
  }

  it('refuses a symlink leading out of the folder', async () => {
    const dir = variant('symlink', (j) => (j['weightsFile'] = 'link.safetensors'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'link.safetensors'));
    await expect(tf.loadModel(dir)).rejects.toThrow(/resolves to \/dev\/zero, outside the model's folder/);
  });

  it('refuses a name that is not a regular file (a directory)', async () => {
    const dir = variant('dirname', (j) => (j['weightsFile'] = 'adir'));
    fs.mkdirSync(path.join(dir, 'adir'));
    await expect(tf.loadModel(dir)).rejects.toThrow(/adir is not a regular file/);
  });

  it('refuses a weights file over the memory budget before reading it', async () => {
    const before = tf.getMemoryBudget();
    tf.setMemoryBudget(64);
    try {
      await expect(tf.loadModel(good)).rejects.toThrow(/over the memory budget of 64 bytes/);
    } finally {
      tf.setMemoryBudget(before);
    }
  });
});

describe('loadModel: declared sizes fail fast', () => {
  it('an LSTM with units: 1e7 is an Error within a second', async () => {
    const dir = path.join(root, 'lstm');
    const m = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2] })] });
    await m.save(dir);
    const file = path.join(dir, 'model.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"units": 3', '"units": 10000000'));
    const t0 = Date.now();
    await expect(tf.loadModel(dir)).rejects.toThrow(/over the memory budget/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('an orthogonal initializer too large to compute is refused before its loop', () => {
    const init = tf.layers.lstm({ units: 4096, inputShape: [4, 2] });
    expect(() => init.build([null, 4, 2])).toThrow(/orthogonal: .* over the limit of 2\^35; use a cheaper initializer/);
  });
});
