// 'tensorforge/tfjs' as package.json exports it, and the ES module facade the build writes for it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-exports-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('package exports', () => {
  it("'./tfjs' maps types, import and require to the build of src/tfjs/index.ts", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./tfjs']).toEqual({ types: './dist/tfjs/index.d.ts', import: './dist/tfjs/index.mjs', require: './dist/tfjs/index.js' });
    expect(fs.existsSync(path.join(root, 'src/tfjs/index.ts'))).toBe(true);
    expect(pkg.files).toContain('dist');
  });

  it('write-esm-entry.cjs writes a named-export facade beside each entry point', async () => {
    const dist = path.join(tmp, 'dist');
    fs.mkdirSync(path.join(dist, 'tfjs'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.js'), 'exports.matmul = () => "main"; exports.__esModule = true;');
    fs.writeFileSync(path.join(dist, 'tfjs', 'index.js'), 'exports.tensor2d = () => "tfjs"; exports.util = { sizeFromShape: () => 6 };');
    execFileSync(process.execPath, [path.join(root, 'scripts/write-esm-entry.cjs'), dist]);
    const main = await import(pathToFileURL(path.join(dist, 'index.mjs')).href);
    const sub = await import(pathToFileURL(path.join(dist, 'tfjs', 'index.mjs')).href);
    expect(main.matmul()).toBe('main');
    expect(sub.tensor2d()).toBe('tfjs');
    expect(sub.util.sizeFromShape()).toBe(6);
    expect(Object.keys(sub).sort()).toEqual(['default', 'tensor2d', 'util']);
  });
});
