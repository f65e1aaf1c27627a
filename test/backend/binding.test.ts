// The typed binding: the addon publishes exactly the layouts and functions src/backend/binding.ts
// declares, a binary that differs is refused with a reason naming the difference, and the packers
// write each field where its layout puts it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePacker, parseLayout } from '../../src/backend/arg-block';
import {
  addonCandidates, addonFunctions, checkAddon, layouts, nativeAddon, nativeAddonPath, nativeLoadError, pack, resolveAddonPath,
} from '../../src/backend/binding';
import { FUSED_KINDS, type FusedKind, SUM_SQUARES_FIELDS, stepFields } from '../../src/optimizers/fused-layouts';

const require = createRequire(__filename);

/** The binary as loaded, before any check (null when there is none to load). */
function rawAddon(): Record<string, unknown> | null {
  try {
    return require(nativeAddonPath() ?? resolveAddonPath()) as Record<string, unknown>;
  } catch {
    return null;
  }
}
const raw = rawAddon();

/** A stand-in addon with every declared member, publishing `published` as its layouts. */
function fakeAddon(published: Record<string, readonly string[]> = layouts): Record<string, unknown> {
  const fake: Record<string, unknown> = {};
  for (const name of addonFunctions) fake[name] = () => undefined;
  for (const name of ['unaryOps', 'binaryOps', 'reduceOps', 'argReduceOps']) fake[name] = [];
  fake['optimizerKinds'] = Object.keys(FUSED_KINDS);
  fake['optimizerLayouts'] = {
    step: Object.fromEntries(Object.entries(FUSED_KINDS).map(([k, v]) => [k, { fields: stepFields(k as FusedKind), slots: [...v.slots] }])),
    sumSquares: [...SUM_SQUARES_FIELDS],
  };
  fake['layouts'] = published;
  return fake;
}

describe.runIf(raw !== null)('the built addon', () => {
  it('publishes exactly the layouts binding.ts declares', () => {
    expect(raw!['layouts']).toEqual(layouts);
  });

  it('has every function the interface declares, each kernel entry with its async twin', () => {
    expect(addonFunctions).toContain('unary');
    expect(addonFunctions).toContain('gemmAsync');
    expect(addonFunctions).toContain('optimizerStepAsync');
    for (const name of addonFunctions) expect(typeof raw![name], name).toBe('function');
  });

  it('passes the load-time check and is the addon the library uses', () => {
    expect(() => checkAddon(raw)).not.toThrow();
    expect(nativeLoadError()).toBeNull();
    expect(nativeAddon()).toBe(raw);
  });
});

describe('checkAddon refuses a binary that does not match, saying where', () => {
  const refusal = (addon: unknown): string => {
    try {
      checkAddon(addon);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('accepts an addon with the declared members and layouts', () => {
    expect(refusal(fakeAddon())).toBe('accepted');
  });

  it('names the layout, the field and both names when a field differs', () => {
    const renamed = { ...layouts, unary: ['xOffset', 'yOffset', 'count', 'p0', 'p1'] };
    expect(refusal(fakeAddon(renamed))).toBe(
      "the native addon does not match src/backend/binding.ts: layout 'unary' field 2 is 'count' in the addon but 'n' here; " +
        'rebuild it (npm run build:native)');
  });

  it('reports fields in a different order, missing or extra', () => {
    const swapped = { ...layouts, fill: ['n', 'yOffset', 'value'] };
    expect(refusal(fakeAddon(swapped))).toMatch(/layout 'fill' field 0 is 'n' in the addon but 'yOffset' here/);
    const short = { ...layouts, fill: ['yOffset', 'n'] };
    expect(refusal(fakeAddon(short))).toMatch(/layout 'fill' field 2 is absent in the addon but 'value' here/);
    const long = { ...layouts, fill: ['yOffset', 'n', 'value', 'extra'] };
    expect(refusal(fakeAddon(long))).toMatch(/layout 'fill' field 3 is 'extra' in the addon but absent here/);
  });

  it('reports a layout missing from the addon or unknown to binding.ts', () => {
    const { gemm: _gemm, ...withoutGemm } = layouts;
    expect(refusal(fakeAddon(withoutGemm))).toMatch(/it publishes no layout 'gemm'/);
    expect(refusal(fakeAddon({ ...layouts, conv3d: ['n'] }))).toMatch(/it publishes layout 'conv3d', which is not declared here/);
  });

  it('refuses optimizer layouts that differ', () => {
    const fake = fakeAddon();
    (fake['optimizerLayouts'] as { sumSquares: string[] }).sumSquares = ['n', 'offset'];
    expect(refusal(fake)).toMatch(/optimizerSumSquares fields are \[n, offset\]/);
  });

  it('reports a missing function or member', () => {
    const noAsync = fakeAddon();
    delete noAsync['pool2dAsync'];
    expect(refusal(noAsync)).toMatch(/it has no function 'pool2dAsync'/);
    const noProbe = fakeAddon();
    delete noProbe['addressMod64'];
    expect(refusal(noProbe)).toMatch(/'addressMod64' is undefined, expected a function/);
    expect(refusal(null)).toMatch(/it exports no object/);
  });
});

describe.runIf(raw !== null)('a mismatched binary at load', () => {
  it('is refused: the library runs on the js backend and warns once, naming the layout and field', () => {
    const root = path.resolve(__dirname, '..', '..');
    expect(fs.existsSync(path.join(root, 'dist', 'index.js')), 'dist/ is built (npm run build:ts)').toBe(true);
    // A JS module standing in for the binary: the real addon with one field renamed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-binding-'));
    const fake = path.join(dir, 'mismatched.js');
    fs.writeFileSync(fake, `const real = require(${JSON.stringify(nativeAddonPath() ?? resolveAddonPath())});
module.exports = { ...real, layouts: { ...real.layouts, softmax: ['xOffset', 'outer', 'len', 'inner', 'logarithm'] } };\n`);
    try {
      const r = spawnSync(process.execPath, ['-e',
        "const tf = require('tensorforge'); tf.softmax(tf.ones([2])); console.log(JSON.stringify([tf.getBackend(), tf.backendInfo().nativeError]))"],
      { cwd: root, env: { ...process.env, TENSORFORGE_ADDON: fake, TENSORFORGE_BACKEND: '' }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const [backend, reason] = JSON.parse(r.stdout) as [string, string];
      expect(backend).toBe('js');
      expect(reason).toMatch(/layout 'softmax' field 4 is 'logarithm' in the addon but 'log' here/);
      expect(r.stderr.match(/native addon unavailable \(the native addon does not match .*layout 'softmax' field 4/g)).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('where the binary comes from', () => {
  it('tries the prebuild first, then the local build a checkout falls back to when its prebuild is stale', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-candidates-'));
    const saved = process.env['TENSORFORGE_ADDON'];
    delete process.env['TENSORFORGE_ADDON'];
    try {
      const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'tensorforge.node');
      const local = path.join(root, 'build', 'Release', 'tensorforge.node');
      fs.mkdirSync(path.dirname(local), { recursive: true });
      fs.writeFileSync(local, '');
      expect(addonCandidates(root)).toEqual([local]);
      fs.mkdirSync(path.dirname(prebuild), { recursive: true });
      fs.writeFileSync(prebuild, '');
      expect(addonCandidates(root)).toEqual([prebuild, local]);
      expect(resolveAddonPath(root)).toBe(prebuild);
      process.env['TENSORFORGE_ADDON'] = path.join(root, 'elsewhere.node');
      expect(addonCandidates(root)).toEqual([path.join(root, 'elsewhere.node')]);
    } finally {
      if (saved === undefined) delete process.env['TENSORFORGE_ADDON'];
      else process.env['TENSORFORGE_ADDON'] = saved;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('packers', () => {
  it('write every field at its position in the layout, whatever order the call names them in', () => {
    const block = pack.unary({ p1: 5, n: 3, p0: 4, yOffset: 2, xOffset: 1 });
    expect(Array.from(block.subarray(0, 5))).toEqual([1, 2, 3, 4, 5]);
    const conv = pack.conv2d(Object.fromEntries(layouts.conv2d.map((f, i) => [f, i + 1])) as never);
    expect(Array.from(conv.subarray(0, layouts.conv2d.length))).toEqual(layouts.conv2d.map((_, i) => i + 1));
  });

  it('append the tail arrays after the fixed fields, each count long', () => {
    const block = pack.where({
      ndim: 2, condOffset: 10, aOffset: 11, bOffset: 12, shape: [3, 4], condStrides: [4, 1], aStrides: [0, 1], bStrides: [1, 0],
    });
    expect(Array.from(block.subarray(0, 12))).toEqual([2, 10, 11, 12, 3, 4, 4, 1, 0, 1, 1, 0]);
  });

  it('grow the shared block for long tails', () => {
    const n = 100;
    const offs = (base: number) => Array.from({ length: n }, (_, i) => base + i);
    const block = pack.gemm({
      transA: 0, transB: 1, m: 2, n: 3, k: 4, lda: 4, ldb: 4, ldc: 3, alpha: 1, beta: 0, activation: 0, batch: n,
      aOffsets: offs(1000), bOffsets: offs(2000), cOffsets: offs(3000),
    });
    expect(block.length).toBeGreaterThanOrEqual(12 + 3 * n);
    expect(Array.from(block.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 4, 4, 3, 1, 0, 0, n]);
    expect(Array.from(block.subarray(12, 12 + 3 * n))).toEqual([...offs(1000), ...offs(2000), ...offs(3000)]);
  });

  it('write the same block generated or through the generic loop', () => {
    for (const [name, fields] of Object.entries(layouts) as [string, readonly string[]][]) {
      const { fixed, tails, count } = parseLayout(name, fields);
      const values: Record<string, number | number[]> = {};
      fixed.forEach((f, i) => (values[f] = 0.5 + i));
      // The tail length field holds 2, so each tail array has 2 entries.
      if (count !== null) values[count] = 2;
      tails.forEach((t, i) => (values[t] = [100 + i, 200 + i]));
      const length = fixed.length + 2 * tails.length;
      const generated = Array.from(makePacker(name, fields, true)(values).subarray(0, length));
      const generic = Array.from(makePacker(name, fields, false)(values).subarray(0, length));
      expect(generic, name).toEqual(generated);
      expect(generated.slice(0, fixed.length), name).toEqual(fixed.map((f) => values[f]));
    }
  });

  it('reject layouts they cannot write', () => {
    expect(() => parseLayout('bad', ['a', 'b[c]'])).toThrow(/tail length 'c' is not a fixed field/);
    expect(() => parseLayout('bad', ['n', 'a[n]', 'b'])).toThrow(/fixed field 'b' follows a tail/);
    expect(() => parseLayout('bad', ['n', 'm', 'a[n]', 'b[m]'])).toThrow(/tails of different lengths/);
    expect(() => parseLayout('bad', ['x.y'])).toThrow(/bad field name 'x.y'/);
  });
});
