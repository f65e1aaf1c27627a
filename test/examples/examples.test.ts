// The examples run in a reduced configuration (TENSORFORGE_EXAMPLE_QUICK=1: fewer samples and
// epochs) on the sources, and what they print is checked through the `result` each one exports.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface EpochRow { epoch: number; loss: number; trainAccuracy: number; testAccuracy: number }

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-examples-'));
beforeAll(() => {
  process.env['TENSORFORGE_EXAMPLE_QUICK'] = '1';
  process.env['TENSORFORGE_EXAMPLE_OUT'] = out;
});
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Imports an example by a computed path (they are plain .mjs files, outside the typed sources). */
async function run<T>(name: string): Promise<T> {
  const file = `../../examples/${name}.mjs`;
  const mod = (await import(file)) as { result: T };
  return mod.result;
}

describe('examples', () => {
  it('gradient-tape.mjs: a custom loop with model.apply and valueAndGrad learns digits', async () => {
    const { history } = await run<{ history: EpochRow[] }>('gradient-tape');
    expect(history).toHaveLength(2);
    expect(history[1]!.testAccuracy).toBeGreaterThan(0.8);
    expect(history[1]!.trainAccuracy).toBeGreaterThan(history[0]!.trainAccuracy);
  });

  it('transfer.mjs: cut at layer.output, frozen base kept, new head and fine-tuning learn digits 5-9', async () => {
    const r = await run<{ baseAccuracy: number; headAccuracy: number; fineAccuracy: number; frozenKept: boolean; originalAfter: number }>('transfer');
    expect(r.baseAccuracy).toBeGreaterThan(0.85);
    expect(r.frozenKept).toBe(true);
    expect(r.headAccuracy).toBeGreaterThan(0.7);
    expect(r.fineAccuracy).toBeGreaterThan(0.7);
    expect(r.originalAfter).toBeGreaterThan(0.5);
  });

  it('gan.mjs: two nested models train in a custom loop and a PNG grid of samples is written', async () => {
    const r = await run<{ history: { steps: number; dLoss: number; gLoss: number }[]; file: string; sampleMean: number }>('gan');
    expect(r.history[0]!.steps).toBe(8);
    expect(Number.isFinite(r.history[0]!.dLoss) && Number.isFinite(r.history[0]!.gLoss)).toBe(true);
    const png = fs.readFileSync(r.file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(r.file.startsWith(out)).toBe(true);
    expect(r.sampleMean).toBeGreaterThan(0);
    expect(r.sampleMean).toBeLessThan(1);
  });
});
