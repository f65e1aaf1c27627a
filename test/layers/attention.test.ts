import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import { MultiHeadAttention, type MultiHeadAttentionArgs } from '../../src/layers/attention';
import { Add } from '../../src/layers/merge';
import { deserializeLayer, registerLayer } from '../../src/layers/registry';
import { expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

type Mat = number[][];

/** Plain-JS multi-head attention for one batch element (Keras semantics). */
function mhaRef(
  q: Mat, v: Mat, k: Mat, w: number[][], dims: { h: number; dk: number; dv: number; out: number },
  allowed: ((i: number, j: number) => boolean) | null,
): { out: Mat; scores: number[][][] } {
  const { h, dk, dv, out } = dims;
  const [wq, bq, wk, bk, wv, bv, wo, bo] = w as [number[], number[], number[], number[], number[], number[], number[], number[]];
  // kernel [in, h, d] flattened row-major: index (i * h + head) * d + c
  const proj = (x: Mat, W: number[], b: number[], d: number) =>
    x.map((row) => Array.from({ length: h }, (_, hh) => Array.from({ length: d }, (_, c) =>
      row.reduce((s, xi, i) => s + xi * W[(i * h + hh) * d + c]!, 0) + b[hh * d + c]!)));
  const Q = proj(q, wq, bq, dk); // [T][h][d]
  const K = proj(k, wk, bk, dk);
  const V = proj(v, wv, bv, dv);
  const scores: number[][][] = [];
  const ctx: number[][][] = q.map(() => Array.from({ length: h }, () => new Array<number>(dv).fill(0)));
  for (let hh = 0; hh < h; hh++) {
    const s: number[][] = [];
    for (let i = 0; i < q.length; i++) {
      const logits = k.map((_, j) => {
        if (allowed && !allowed(i, j)) return -1e9;
        let dot = 0;
        for (let c = 0; c < dk; c++) dot += Q[i]![hh]![c]! * K[j]![hh]![c]!;
        return dot / Math.sqrt(dk);
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      const p = e.map((x) => x / z);
      s.push(p);
      for (let c = 0; c < dv; c++) ctx[i]![hh]![c] = p.reduce((acc, pj, j) => acc + pj * V[j]![hh]![c]!, 0);
    }
    scores.push(s);
  }
  const o = ctx.map((row) => Array.from({ length: out }, (_, c) => {
    let acc = bo[c]!;
    for (let hh = 0; hh < h; hh++) for (let d = 0; d < dv; d++) acc += row[hh]![d]! * wo[(hh * dv + d) * out + c]!;
    return acc;
  }));
  return { out: o, scores };
}

const rows = (flat: number[], t: number, d: number, b: number): Mat => Array.from({ length: t }, (_, i) => flat.slice((b * t + i) * d, (b * t + i + 1) * d));

/** Builds a layer for the given shapes and gives it deterministic weights; returns them too. */
function setUp(args: MultiHeadAttentionArgs, qShape: number[], vShape: number[], kShape?: number[]): { layer: MultiHeadAttention; w: number[][] } {
  const layer = new MultiHeadAttention(args);
  const ins = [tf.zeros(qShape), tf.zeros(vShape), ...(kShape ? [tf.zeros(kShape)] : [])];
  layer.attend(ins[0]!, ins[1]!, { key: ins[2] });
  const w = layer.weights.map((t, i) => seededValues(t.size, 100 + i, -0.8, 0.8));
  layer.setWeights(w.map((vals, i) => tf.tensor(vals, layer.weights[i]!.shape.slice())));
  return { layer, w };
}

describe('MultiHeadAttention', () => {
  const dims = { h: 2, dk: 3, dv: 2, out: 4 };
  const [B, TQ, TV, DQ, DV, DK] = [2, 3, 4, 5, 3, 2];
  const qv = seededValues(B * TQ * DQ, 1);
  const vv = seededValues(B * TV * DV, 2);
  const kv = seededValues(B * TV * DK, 3);

  it('matches a plain-JS reference (separate key, valueDim and outputShape), with Keras weight shapes', () => {
    const { layer, w } = setUp({ numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 4 }, [B, TQ, DQ], [B, TV, DV], [B, TV, DK]);
    expect(layer.weightsInfo.map((x) => `${x.name}:${x.value.shape.join('x')}`)).toEqual([
      'query/kernel:5x2x3', 'query/bias:2x3', 'key/kernel:2x2x3', 'key/bias:2x3',
      'value/kernel:3x2x2', 'value/bias:2x2', 'attention_output/kernel:2x2x4', 'attention_output/bias:4',
    ]);
    const q = tf.tensor(qv, [B, TQ, DQ]);
    const v = tf.tensor(vv, [B, TV, DV]);
    const k = tf.tensor(kv, [B, TV, DK]);
    const y = layer.apply([q, v, k]) as tf.Tensor;
    expect(y.shape).toEqual([B, TQ, 4]);
    const expected = [0, 1].flatMap((b) => mhaRef(rows(qv, TQ, DQ, b), rows(vv, TV, DV, b), rows(kv, TV, DK, b), w, dims, null).out.flat());
    expectArrayClose(values(y), expected, 1e-4, 1e-5, 'output');
  });

  it('applies an attention mask input and returns scores [B, heads, Tq, Tv] that match the reference', () => {
    const { layer, w } = setUp({ numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 4, attentionMaskInput: true, returnAttentionScores: true },
      [B, TQ, DQ], [B, TV, DV], [B, TV, DK]);
    // Per batch element a different pattern; every query keeps at least one key.
    const allowedAt = (b: number, i: number, j: number) => (b === 0 ? (i + j) % 2 === 0 : j !== 1 && (j !== 3 || i === 2));
    const mask = tf.tensor(Array.from({ length: B * TQ * TV }, (_, n) => {
      const b = Math.floor(n / (TQ * TV));
      const i = Math.floor(n / TV) % TQ;
      return allowedAt(b, i, n % TV) ? 1 : 0;
    }), [B, TQ, TV]);
    const [out, scores] = layer.apply([tf.tensor(qv, [B, TQ, DQ]), tf.tensor(vv, [B, TV, DV]), tf.tensor(kv, [B, TV, DK]), mask]) as tf.Tensor[];
    expect(scores!.shape).toEqual([B, 2, TQ, TV]);
    const refs = [0, 1].map((b) => mhaRef(rows(qv, TQ, DQ, b), rows(vv, TV, DV, b), rows(kv, TV, DK, b), w, dims, (i, j) => allowedAt(b, i, j)));
    expectArrayClose(values(out!), refs.flatMap((r) => r.out.flat()), 1e-4, 1e-5, 'masked output');
    expectArrayClose(values(scores!), refs.flatMap((r) => r.scores.flat(2)), 1e-4, 1e-6, 'scores');
    const s = values(scores!);
    for (let r = 0; r < B * 2 * TQ; r++) {
      const row = s.slice(r * TV, (r + 1) * TV);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      const b = Math.floor(r / (2 * TQ));
      const i = r % TQ;
      row.forEach((p, j) => {
        if (!allowedAt(b, i, j)) expect(p).toBe(0);
      });
    }
  });

  it('causal mask: outputs at step t do not depend on inputs after t, and scores are lower-triangular', () => {
    const T = 5;
    const D = 4;
    const { layer } = setUp({ numHeads: 2, keyDim: 2, useCausalMask: true, returnAttentionScores: true }, [1, T, D], [1, T, D]);
    const base = seededValues(T * D, 9);
    const [y0, s0] = layer.apply([tf.tensor(base, [1, T, D]), tf.tensor(base, [1, T, D])]) as tf.Tensor[];
    const sc = values(s0!);
    for (let h = 0; h < 2; h++) {
      for (let i = 0; i < T; i++) {
        const row = sc.slice((h * T + i) * T, (h * T + i + 1) * T);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        for (let j = i + 1; j < T; j++) expect(row[j]).toBe(0);
      }
    }
    for (let t = 0; t < T - 1; t++) {
      // Perturb every step after t; outputs at steps <= t must not move at all.
      const changed = base.map((x, n) => (Math.floor(n / D) > t ? x + 3 * Math.sin(n + 1) : x));
      const x = tf.tensor(changed, [1, T, D]);
      const [y1] = layer.apply([x, x]) as tf.Tensor[];
      const a = values(y0!);
      const b = values(y1!);
      expectArrayClose(b.slice(0, (t + 1) * D), a.slice(0, (t + 1) * D), 1e-6, 1e-6, `steps <= ${t}`);
      expect(b.slice((t + 1) * D).some((v, n) => Math.abs(v - a[(t + 1) * D + n]!) > 1e-4)).toBe(true);
    }
    // A [Tq, Tv] mask (int32) applies to every batch element and combines with the causal mask.
    const x2 = tf.tensor(seededValues(2 * T * D, 10), [2, T, D]);
    const m2 = tf.tensor(Array.from({ length: T * T }, (_, n) => (n % T === 0 ? 0 : 1)), [T, T], 'int32');
    const { scores: s2 } = layer.attend(x2, x2, { attentionMask: m2 });
    const p2 = values(s2);
    for (let r = 0; r < 2 * 2 * T; r++) {
      const i = r % T;
      const row = p2.slice(r * T, (r + 1) * T);
      if (i === 0) {
        // Query 0 may only see column 0, which the mask hides: a fully masked row is uniform (as in Keras).
        expectArrayClose(row, new Array<number>(T).fill(1 / T), 1e-6, 1e-7, 'fully masked row');
        continue;
      }
      expect(row[0]).toBe(0);
      for (let j = i + 1; j < T; j++) expect(row[j]).toBe(0);
    }
    // The per-call override in attend() turns the causal mask off.
    const x = tf.tensor(base, [1, T, D]);
    const { scores } = layer.attend(x, x, { useCausalMask: false });
    expect(values(scores).slice(0, T).filter((p) => p > 0).length).toBe(T);
  });

  it('gradient w.r.t. the query (and weights) matches central finite differences on the js backend', () => {
    onBackend('js', () => {
      const { layer } = setUp({ numHeads: 2, keyDim: 2, valueDim: 3, useCausalMask: false }, [2, 3, 4], [2, 2, 3]);
      const q = tf.tensor(seededValues(24, 21), [2, 3, 4]);
      const v = tf.tensor(seededValues(12, 22), [2, 2, 3]);
      const mask = tf.tensor([1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1], [2, 3, 2]);
      const r = seededValues(2 * 3 * 4, 23);
      const R = tf.tensor(r, [2, 3, 4]);
      const lossOf = (qq: tf.Tensor) => {
        const out = tf.noGrad(() => layer.attend(qq, v, { attentionMask: mask }).output);
        return values(out).reduce((s, o, i) => s + o * r[i]!, 0);
      };
      const f = (qq: tf.Tensor, wq: tf.Tensor) => {
        void wq;
        return tf.sum(tf.mul(layer.attend(qq, v, { attentionMask: mask }).output, R));
      };
      const [gq, gw] = tf.grads(f)([q, layer.queryKernel!]).map(values);
      const base = values(q);
      const eps = 1e-3;
      const numeric = base.map((_, i) => {
        const plus = base.slice();
        const minus = base.slice();
        plus[i]! += eps;
        minus[i]! -= eps;
        return (lossOf(tf.tensor(plus, [2, 3, 4])) - lossOf(tf.tensor(minus, [2, 3, 4]))) / (2 * eps);
      });
      expectArrayClose(gq!, numeric, 2e-2, 2e-3, 'd/d query');
      expect(numeric.some((g) => Math.abs(g) > 1e-2)).toBe(true);
      // One weight tensor too, so the projections' backward is exercised end to end.
      const w0 = values(layer.queryKernel!);
      const saved = layer.getWeights();
      const numericW = w0.map((_, i) => {
        const at = (d: number) => {
          const vals = w0.slice();
          vals[i]! += d;
          layer.setWeights(saved.map((s, j) => (j === 0 ? tf.tensor(vals, s.shape.slice()) : s)));
          return lossOf(q);
        };
        return (at(eps) - at(-eps)) / (2 * eps);
      });
      layer.setWeights(saved);
      expectArrayClose(gw!, numericW, 2e-2, 2e-3, 'd/d query/kernel');
    });
  });

  it('infers symbolic shapes and validates inputs with clear errors', () => {
    const q = tf.input({ shape: [6, 8] });
    const v = tf.input({ shape: [5, 3] });
    const m = tf.input({ shape: [6, 5] });
    const out = new MultiHeadAttention({ numHeads: 4, keyDim: 2 }).apply([q, v]) as tf.SymbolicTensor;
    expect(out.shape).toEqual([null, 6, 8]);
    const both = new MultiHeadAttention({ numHeads: 4, keyDim: 2, outputShape: 7, returnAttentionScores: true, attentionMaskInput: true }).apply([q, v, m]) as tf.SymbolicTensor[];
    expect(both.map((s) => s.shape)).toEqual([[null, 6, 7], [null, 4, 6, 5]]);
    expect(() => new MultiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow("multiHeadAttention: argument 'numHeads' expected a positive integer, got 0");
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, dropout: 1 })).toThrow(/dropout/);
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, name: 'mha' }).apply(q)).toThrow(/mha: argument 'inputs' expected a list \[query, value\]/);
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2 }).apply([q, v, tf.input({ shape: [4, 3] })])).toThrow(/the value's time length 5/);
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, attentionMaskInput: true }).apply([q, v, tf.input({ shape: [6, 4] })])).toThrow(/attentionMask/);
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2 }).apply([tf.input({ shape: [8] }), v])).toThrow(/query.*\[batch, time, features\]/);
    const built = new MultiHeadAttention({ numHeads: 1, keyDim: 2 });
    built.apply([tf.zeros([1, 2, 3]), tf.zeros([1, 2, 3])]);
    expect(() => built.apply([tf.zeros([1, 2, 4]), tf.zeros([1, 2, 3])])).toThrow(/query.*last dimension 3/);
  });

  it('dropout only acts in training, and config round trips', () => {
    const args: MultiHeadAttentionArgs = { numHeads: 2, keyDim: 3, valueDim: 4, dropout: 0.5, useBias: false, outputShape: 6, useCausalMask: true, seed: 5, name: 'mha_cfg' };
    const { layer } = setUp(args, [2, 3, 4], [2, 3, 4]);
    expect(layer.weights.length).toBe(4);
    const x = tf.tensor(seededValues(24, 4), [2, 3, 4]);
    const a = values(layer.apply([x, x]) as tf.Tensor);
    expect(values(layer.apply([x, x]) as tf.Tensor)).toEqual(a);
    const t = values(layer.apply([x, x], { training: true }) as tf.Tensor);
    expect(t).not.toEqual(a);
    const copy = deserializeLayer('MultiHeadAttention', layer.getConfig()) as MultiHeadAttention;
    expect(copy.getConfig()).toEqual(layer.getConfig());
    expect([copy.numHeads, copy.keyDim, copy.valueDim, copy.dropout, copy.useBias, copy.outputShape, copy.useCausalMask]).toEqual([2, 3, 4, 0.5, false, 6, true]);
    copy.apply([tf.zeros([1, 3, 4]), tf.zeros([1, 3, 4])]);
    copy.setWeights(layer.getWeights());
    expect(values(copy.apply([x, x]) as tf.Tensor)).toEqual(a);
  });
});

/** Mean over the time axis, [B, T, D] -> [B, D] (a test-local GlobalAveragePooling1D). */
class TimeAverage extends tf.Layer {
  readonly className = 'TimeAverage';
  override computeOutputShape(s: tf.ShapeWithBatch | tf.ShapeWithBatch[]): tf.ShapeWithBatch {
    const shape = s as tf.ShapeWithBatch;
    return [shape[0] ?? null, shape[2] ?? null];
  }
  call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mean(x as tf.Tensor, 1);
  }
}
registerLayer('TimeAverage', TimeAverage);

describe('transformer encoder block', () => {
  it('learns "does the sequence contain a 7" to > 90% accuracy, and saves/loads', async () => {
    tf.manualSeed(11);
    const T = 8;
    const D = 16;
    const make = (n: number, seed: number) => {
      const r = seededValues(n * T, seed, 0, 10).map(Math.floor);
      // Balance the classes: drop 7s from every other sequence (then it certainly lacks one).
      for (let s = 0; s < n; s += 2) for (let t = 0; t < T; t++) if (r[s * T + t] === 7) r[s * T + t] = 3;
      const labels = Array.from({ length: n }, (_, s) => (r.slice(s * T, (s + 1) * T).includes(7) ? 1 : 0));
      return { x: tf.tensor(r, [n, T]), y: tf.tensor(labels), labels };
    };
    const train = make(512, 1);
    const test = make(256, 2);

    const inp = tf.input({ shape: [T] });
    const emb = tf.layers.embedding({ inputDim: 10, outputDim: D }).apply(inp) as tf.SymbolicTensor;
    const att = new MultiHeadAttention({ numHeads: 2, keyDim: 8 }).apply([emb, emb]) as tf.SymbolicTensor;
    const n1 = tf.layers.layerNormalization().apply(new Add().apply([emb, att]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const ff = tf.layers.dense({ units: D }).apply(tf.layers.dense({ units: 32, activation: 'relu' }).apply(n1) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const n2 = tf.layers.layerNormalization().apply(new Add().apply([n1, ff]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const pooled = new TimeAverage().apply(n2) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    model.compile({ optimizer: tf.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const start = Date.now();
    await model.fit(train.x, train.y, { epochs: 15, batchSize: 32, verbose: 0 });
    const seconds = (Date.now() - start) / 1000;

    const accuracy = (probs: tf.Tensor) => {
      const p = values(probs);
      return test.labels.filter((l, i) => (p[2 * i + 1]! > p[2 * i]! ? 1 : 0) === l).length / test.labels.length;
    };
    const probs = model.predictOnBatch(test.x) as tf.Tensor;
    const acc = accuracy(probs);
    console.log(`transformer block: held-out accuracy ${(acc * 100).toFixed(1)}% after ${seconds.toFixed(1)} s of training`);
    expect(acc).toBeGreaterThan(0.9);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-attention-test-'));
    try {
      await model.save(dir);
      const loaded = await tf.loadModel(dir);
      expectArrayClose(values(loaded.predictOnBatch(test.x) as tf.Tensor), values(probs), 0, 0, 'loaded predictions');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
