// Saved models as an attacker writes them: model.json numbers and names replaced (huge units,
// negative sizes, paths out of the folder), safetensors headers with other dtypes, shapes and
// offsets. A model that loads must hold exactly the saved weights when only the header's dtype
// name was changed to another of the same width... which is a silent wrong result unless refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src';
import { Rng } from '../rng';
import type { CaseResult, FuzzTarget } from '../outcome';

let root = '';
let goodJson = '';
let goodWeights: Buffer = Buffer.alloc(0);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function mutateJson(r: Rng, v: Json, depth = 0): Json {
  if (typeof v === 'number') return r.chance(0.15) ? (r.chance(0.8) ? r.nasty() : r.pick(['x', null, [1]] as Json[])) : v;
  if (typeof v === 'string') return r.chance(0.05) ? r.pick(['', '../x', 'Dense', 'relu', 'nope', '/etc/passwd'] as Json[]) : v;
  if (Array.isArray(v)) return r.chance(0.03) ? [] : v.map((x) => mutateJson(r, x, depth + 1));
  if (v && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) if (!r.chance(0.02)) out[k] = mutateJson(r, x, depth + 1);
    return out;
  }
  return v;
}

function mutateSafetensors(r: Rng, bytes: Buffer): Buffer {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  for (const [k, e] of Object.entries(header)) {
    if (k === '__metadata__' || !r.chance(0.3)) continue;
    const u = r.next();
    if (u < 0.4) e.dtype = r.pick(['I32', 'F16', 'BF16', 'F64', 'U8', 'I64', 'BOOL', 'F32', 'X']);
    else if (u < 0.7) e.shape = e.shape.map((d) => (r.chance(0.5) ? r.nasty() : d));
    else e.data_offsets = e.data_offsets.map((d) => (r.chance(0.5) ? r.nasty() : d));
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(r.chance(0.05) ? r.nasty() >>> 0 : h.length));
  return Buffer.concat([len, h, bytes.subarray(8 + n)]);
}

export const modelJsonTarget: FuzzTarget = {
  name: 'model-json',
  async setup() {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-fuzz-model-'));
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
    tf.manualSeed(5);
    const m = tf.sequential({
      layers: [tf.layers.lstm({ units: 3, inputShape: [4, 2], returnSequences: true }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })],
    });
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const good = path.join(root, 'good');
    await m.save(good);
    goodJson = fs.readFileSync(path.join(good, 'model.json'), 'utf8');
    const wf = (JSON.parse(goodJson) as { weightsFile?: string }).weightsFile ?? 'weights.safetensors';
    goodWeights = fs.readFileSync(path.join(good, wf));
  },
  async run(seed) {
    const r = new Rng(seed);
    const dir = path.join(root, `case-${seed}`);
    fs.mkdirSync(dir);
    try {
      const json = JSON.parse(goodJson) as { [k: string]: Json };
      const mutated = r.chance(0.7) ? (mutateJson(r, json) as { [k: string]: Json }) : json;
      if (r.chance(0.1)) mutated['weightsFile'] = r.pick(['../good/weights.safetensors', '/dev/zero', '../../../../etc/passwd', 'sub/../../x', 'weights.safetensors']);
      const weightsName = typeof mutated['weightsFile'] === 'string' && !mutated['weightsFile'].includes('/') ? mutated['weightsFile'] : 'weights.safetensors';
      const headerMutated = r.chance(0.5);
      fs.writeFileSync(path.join(dir, 'model.json'), r.chance(0.03) ? JSON.stringify(mutated).slice(0, r.int(0, 200)) : JSON.stringify(mutated));
      let weights = headerMutated ? mutateSafetensors(r, goodWeights) : goodWeights;
      if (r.chance(0.05)) weights = weights.subarray(0, r.int(0, weights.length));
      if (weightsName !== '') fs.writeFileSync(path.join(dir, weightsName), weights);
      const model = await tf.loadModel(dir);
      // Loaded: a prediction must run (any refusal here is a clean Error or worse).
      const inShape = (model.inputs[0]?.shape ?? [null, 4, 2]).map((d) => d ?? 1);
      tf.tidy(() => model.predictOnBatch(tf.zeros(inShape as number[])));
      if (!headerMutated || json !== mutated) return;
      // Only the header changed and the model loaded: the weights must be the saved ones.
      const ref = await tf.loadModel(path.join(root, 'good'));
      const a = model.getWeights();
      const b = ref.getWeights();
      for (let i = 0; i < b.length; i++) {
        const x = a[i]!.dataSync();
        const y = b[i]!.dataSync();
        for (let k = 0; k < y.length; k++) {
          if (!Object.is(x[k], y[k])) return { mismatch: `model-json: weight ${i}[${k}] loads as ${x[k]}, saved ${y[k]} (safetensors header changed)` };
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
