// Fused attention: forward against the unfused composite of ops, the native backward kernel against
// the reference one at every SIMD level the CPU has, dropout's fallback, and argument errors.
import { describe, expect, it } from 'vitest';
import * as tf from '../../src';
import type { Tensor } from '../../src';
import { nativeAddon } from '../../src/backend/binding';
import { attentionHeadsLast } from '../../src/ops/attention';
import { Generator } from '../../src/random/generator';
import { expectArrayClose, onBackend, seededValues, values } from '../helpers/layer-check';

const native = nativeAddon() !== null;
const backends = (native ? ['native', 'js'] : ['js']) as tf.BackendName[];
const info = tf.backendInfo();
const levels = (['scalar', 'avx2', 'avx512'] as const).filter((l) =>
  ['scalar', 'avx2', 'avx512'].indexOf(l) <= ['scalar', 'avx2', 'avx512'].indexOf(info.hardwareSimd));
const rand = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed, -1.5, 1.5), shape);

/** softmax(scale q kᵀ + mask) v written with ops. */
function unfused(q: Tensor, k: Tensor, v: Tensor, scale: number, mask: Tensor | null, causal: boolean): Tensor {
  let logits = tf.mul(tf.matmul(q, k, false, true), scale);
  if (mask) logits = tf.add(logits, mask);
  if (causal) {
    const [tq, tk] = [q.shape[q.rank - 2]!, k.shape[k.rank - 2]!];
    const tri = tf.tensor(Array.from({ length: tq * tk }, (_, e) => (e % tk <= Math.floor(e / tk) ? 1 : 0)), [tq, tk]);
    logits = tf.where(tri, logits, -Infinity);
  }
  return tf.matmul(tf.softmax(logits, -1), v);
}

interface Case {
  label: string;
  q: number[];
  k: number[];
  v: number[];
  causal?: boolean;
  mask?: number[];
}
const cases: Case[] = [
  { label: 'square', q: [2, 3, 9, 16], k: [2, 3, 9, 16], v: [2, 3, 9, 16] },
  { label: 'Tq != Tk, D != Dv', q: [1, 4, 5, 8], k: [1, 4, 70, 8], v: [1, 4, 70, 12] },
  { label: 'causal, several blocks', q: [1, 2, 130, 16], k: [1, 2, 130, 16], v: [1, 2, 130, 16], causal: true },
  { label: 'additive mask [B, 1, 1, Tk]', q: [3, 2, 7, 4], k: [3, 2, 11, 4], v: [3, 2, 11, 5], mask: [3, 1, 1, 11] },
];

function maskFor(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -Infinity : 0.1 * (i % 3))), shape);
}

describe('scaledDotProductAttention', () => {
  for (const backend of backends) {
    for (const c of cases) {
      it(`equals the unfused composite: ${c.label} (${backend})`, () => {
        const [q, k, v] = [rand(c.q, 1), rand(c.k, 2), rand(c.v, 3)];
        const mask = c.mask ? maskFor(c.mask) : null;
        const scale = 1 / Math.sqrt(c.q[3]!);
        const got = onBackend(backend, () => tf.scaledDotProductAttention(q, k, v, { mask, causal: c.causal }));
        const want = onBackend('js', () => unfused(q, k, v, scale, mask, c.causal ?? false));
        expect(got.shape).toEqual([...c.q.slice(0, 3), c.v[3]!]);
        expectArrayClose(values(got), values(want), 1e-5, 1e-6, c.label);
      });
    }
  }

  it.runIf(native)('native backward == reference backward at every SIMD level', () => {
    for (const c of cases) {
      const [q, k, v] = [rand(c.q, 4), rand(c.k, 5), rand(c.v, 6)];
      const mask = c.mask ? maskFor(c.mask) : null;
      const w = rand([...c.q.slice(0, 3), c.v[3]!], 7);
      const grads = () => tf.grads((a: Tensor, b: Tensor, d: Tensor) =>
        tf.sum(tf.mul(tf.scaledDotProductAttention(a, b, d, { mask, causal: c.causal }), w)))([q, k, v]);
      const ref = onBackend('js', grads);
      for (const level of levels) {
        tf.setSimdLevel(level);
        const nat = onBackend('native', grads);
        nat.forEach((g, i) => expectArrayClose(values(g), values(ref[i]!), 1e-4, 1e-5, `${c.label} d${'qkv'[i]} ${level}`));
      }
      tf.setSimdLevel(info.hardwareSimd as 'avx512');
    }
  });

  it.runIf(native)('native forward == reference forward at every SIMD level, across the key and row blockings', () => {
    // 65 keys take one 128-key block and 65 rows one row block; 200 keys one 256-key block; 300
    // keys two blocks (256 + 44); 130 causal rows two row blocks (65 + 65), 300 rows three.
    const shapes: Case[] = [
      { label: 'ViT 65 tokens', q: [1, 4, 65, 16], k: [1, 4, 65, 16], v: [1, 4, 65, 16] },
      { label: '200 keys, Dv 20', q: [2, 1, 7, 8], k: [2, 1, 200, 8], v: [2, 1, 200, 20] },
      { label: '300 keys, masked', q: [1, 2, 33, 8], k: [1, 2, 300, 8], v: [1, 2, 300, 8], mask: [1, 1, 33, 300] },
      { label: 'causal 130', q: [1, 1, 130, 12], k: [1, 1, 130, 12], v: [1, 1, 130, 12], causal: true },
      { label: 'causal 65', q: [1, 2, 65, 16], k: [1, 2, 65, 16], v: [1, 2, 65, 16], causal: true },
      { label: '300 rows, Dv 16 odd keys', q: [1, 1, 300, 16], k: [1, 1, 33, 16], v: [1, 1, 33, 16] },
    ];
    for (const c of [...cases, ...shapes]) {
      const [q, k, v] = [rand(c.q, 11), rand(c.k, 12), rand(c.v, 13)];
      const mask = c.mask ? maskFor(c.mask) : null;
      const ref = onBackend('js', () => tf.scaledDotProductAttention(q, k, v, { mask, causal: c.causal }));
      for (const level of levels) {
        tf.setSimdLevel(level);
        const nat = onBackend('native', () => tf.scaledDotProductAttention(q, k, v, { mask, causal: c.causal }));
        expectArrayClose(values(nat), values(ref), 1e-5, 1e-6, `${c.label} ${level}`);
      }
      tf.setSimdLevel(info.hardwareSimd as 'avx512');
    }
  });

  it('writes the heads-last layout an inference plan asks for, from strided q, k, v', () => {
    // q, k, v as the heads of one [B, T, 3·H·D] projection (how an imported transformer splits them).
    const [B, T, H, D] = [2, 65, 4, 16];
    const qkv = rand([B, T, 3 * H * D], 14);
    const head = (i: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, i * H * D], [B, T, H * D]), [B, T, H, D]), [0, 2, 1, 3]);
    const [q, k, v] = [head(0), head(1), head(2)];
    const mask = maskFor([1, 1, T, T]);
    for (const backend of backends) {
      for (const level of backend === 'native' ? levels : (['scalar'] as const)) {
        if (backend === 'native') tf.setSimdLevel(level);
        const want = onBackend(backend, () => tf.transpose(tf.scaledDotProductAttention(q, k, v, { mask, scale: 0.3 }), [0, 2, 1, 3]));
        const got = onBackend(backend, () => tf.noGrad(() => attentionHeadsLast(q, k, v, { mask, scale: 0.3 })));
        expect(got.shape).toEqual([B, T, H, D]);
        expectArrayClose(values(got), values(want), 1e-6, 1e-7, `${backend} ${level}`);
      }
    }
    tf.setSimdLevel(info.hardwareSimd as 'avx512');
    expect(() => attentionHeadsLast(rand([2, 3, 4], 1), rand([2, 3, 4], 2), rand([2, 3, 4], 3))).toThrow(/'q'.*rank 4/);
  });

  it('falls back to the composite with dropout in training, and drops nothing otherwise', () => {
    const [q, k, v] = [rand([1, 2, 6, 4], 8), rand([1, 2, 6, 4], 9), rand([1, 2, 6, 4], 10)];
    const plain = tf.scaledDotProductAttention(q, k, v);
    const inference = tf.scaledDotProductAttention(q, k, v, { dropout: 0.5 });
    expectArrayClose(values(inference), values(plain), 1e-6, 1e-7, 'no dropout outside training');
    const a = tf.scaledDotProductAttention(q, k, v, { dropout: 0.5, training: true, generator: new Generator(3) });
    const b = tf.scaledDotProductAttention(q, k, v, { dropout: 0.5, training: true, generator: new Generator(3) });
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(plain));
    const g = tf.grads((x: Tensor) => tf.sum(tf.scaledDotProductAttention(x, k, v, { dropout: 0.3, training: true })))([q]);
    expect(g[0]!.shape).toEqual(q.shape);
  });

  it('rejects bad arguments with errors naming them', () => {
    const q = rand([1, 2, 3, 4], 1);
    expect(() => tf.scaledDotProductAttention(q, rand([1, 2, 3, 5], 2), rand([1, 2, 3, 4], 3))).toThrow(/'k'.*shape \[1,2,3,5\]/);
    expect(() => tf.scaledDotProductAttention(q, q, rand([1, 2, 4, 4], 3))).toThrow(/'v'/);
    expect(() => tf.scaledDotProductAttention(q, q, q, { mask: rand([3, 5], 4) })).toThrow(/'mask'.*broadcasts to \[1,2,3,3\]/);
    expect(() => tf.scaledDotProductAttention(q, q, q, { dropout: 1 })).toThrow(/'dropout'/);
    expect(() => tf.scaledDotProductAttention(rand([3, 4], 1), q, q)).toThrow(/'q'.*rank 4/);
  });
});
