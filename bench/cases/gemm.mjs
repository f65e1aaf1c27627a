// GEMM float32, C[M,N] = A[M,K]·B[K,N]: square sizes for peak throughput, plus the shapes a
// 784-512-10 MLP at batch 128 actually hits: layer-1 forward [128x784]x[784x512], layer-1 weight
// gradient X^T·dH [784x128]x[128x512], and the thin layer-2 forward [128x512]x[512x10].
import { naiveGemm } from '../impl/naive.mjs';
import { createSession, ortTensor, sessionRunner } from '../impl/ort.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { randomFloats } from '../data.mjs';
import { singleOpModel } from '../onnx-model.mjs';

export const group = 'gemm';

const SHAPES = [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [128, 784, 512],
  [784, 128, 512],
  [128, 512, 10],
];

function tfgVariant(enter, { A, B, M, K, N }) {
  const t = loadTensorforge();
  const a = t.tensor(A, [M, K]);
  const b = t.tensor(B, [K, N]);
  return {
    enter,
    run: () => t.matmul(a, b).dispose(),
    once: () => {
      const y = t.matmul(a, b);
      const d = Float32Array.from(y.dataSync());
      y.dispose();
      return d;
    },
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

function gemmCase([M, K, N]) {
  const flops = 2 * M * N * K;
  return {
    id: `gemm/${M}x${K}x${N}`,
    group,
    label: M === K && K === N ? `GEMM ${M}^3` : `GEMM [${M}x${K}]x[${K}x${N}]`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    score: (ns) => flops / ns,
    work: { flops, M, K, N },
    // float32 sums of K products of values in [-1,1): blocked kernels reorder them, so allow ~1e-4 * sqrt(K)-ish.
    relTol: 1e-4 * Math.max(1, Math.sqrt(K)),
    targets: [{ kind: 'ratio', ratio: 'native/ort', min: 0.9, label: '>=0.9x ORT' }],
    setup: () => ({ M, K, N, A: randomFloats(M * K, 1), B: randomFloats(K * N, 2) }),
    impls: {
      native: (ctx, threads) => tfgVariant(enterNative(threads), ctx),
      js: (ctx) => tfgVariant(enterJs(), ctx),
      naive: (ctx) => {
        const C = new Float32Array(M * N);
        return {
          run: () => naiveGemm(ctx.A, ctx.B, C, M, N, K),
          once: () => {
            naiveGemm(ctx.A, ctx.B, C, M, N, K);
            return Float32Array.from(C);
          },
        };
      },
      tfjs: async (ctx) => {
        const tf = await loadTfjs();
        const a = tf.tensor2d(ctx.A, [M, K]);
        const b = tf.tensor2d(ctx.B, [K, N]);
        return {
          run: () => tf.matMul(a, b).dispose(),
          once: () => {
            const y = tf.matMul(a, b);
            const d = Float32Array.from(y.dataSync());
            y.dispose();
            return d;
          },
          dispose: () => {
            a.dispose();
            b.dispose();
          },
        };
      },
      ort: async (ctx, threads) => {
        // Both operands are graph inputs: with B as an initializer ORT would pre-pack it at session
        // creation, a cost tensorforge's matmul(a, b) pays on every call.
        const model = singleOpModel({
          opType: 'MatMul',
          inputs: [{ name: 'a', dims: [M, K] }, { name: 'b', dims: [K, N] }],
          outputs: [{ name: 'y', dims: [M, N] }],
        });
        const session = await createSession(model, threads);
        return sessionRunner(session, { a: ortTensor(ctx.A, [M, K]), b: ortTensor(ctx.B, [K, N]) }, 'y', [M, N]);
      },
    },
  };
}

export function cases() {
  return SHAPES.map(gemmCase);
}
