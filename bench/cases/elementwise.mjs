// Elementwise add at two extremes: 1 element, where the figure is pure per-op overhead (for native,
// the JS -> N-API -> kernel crossing plus tensor bookkeeping), and 1M elements, where it is memory
// bandwidth (12 bytes per element: read a, read b, write out).
import { naiveAdd } from '../impl/naive.mjs';
import { createSession, ortTensor, sessionRunner } from '../impl/ort.mjs';
import { enterJs, enterNative, loadTensorforge } from '../impl/tensorforge.mjs';
import { loadTfjs } from '../impl/tfjs.mjs';
import { randomFloats } from '../data.mjs';
import { singleOpModel } from '../onnx-model.mjs';

export const group = 'add';

function tfgVariant(enter, { a: A, b: B, n }) {
  const t = loadTensorforge();
  const a = t.tensor(A, [n]);
  const b = t.tensor(B, [n]);
  return {
    enter,
    run: () => t.add(a, b).dispose(),
    once: () => {
      const y = t.add(a, b);
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

function addCase(n, { unit, score, targets, naive }) {
  const impls = {
    native: (ctx, threads) => tfgVariant(enterNative(threads), ctx),
    js: (ctx) => tfgVariant(enterJs(), ctx),
    tfjs: async (ctx) => {
      const tf = await loadTfjs();
      const a = tf.tensor1d(ctx.a);
      const b = tf.tensor1d(ctx.b);
      return {
        run: () => tf.add(a, b).dispose(),
        once: () => {
          const y = tf.add(a, b);
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
      const model = singleOpModel({
        opType: 'Add',
        inputs: [{ name: 'a', dims: [n] }, { name: 'b', dims: [n] }],
        outputs: [{ name: 'y', dims: [n] }],
      });
      const session = await createSession(model, threads);
      return sessionRunner(session, { a: ortTensor(ctx.a, [n]), b: ortTensor(ctx.b, [n]) }, 'y', [n]);
    },
  };
  if (naive) {
    impls.naive = (ctx) => {
      const out = new Float32Array(n);
      return {
        run: () => naiveAdd(ctx.a, ctx.b, out),
        once: () => {
          naiveAdd(ctx.a, ctx.b, out);
          return Float32Array.from(out);
        },
      };
    };
  }
  return {
    id: `add/${n}`,
    group,
    label: `add, ${n >= 1e6 ? `${n / 1e6}M` : n} elem${n === 1 ? '' : 's'}`,
    unit,
    higherIsBetter: unit !== 'ns/op',
    score,
    work: { elements: n, bytes: 12 * n },
    relTol: 1e-6,
    targets,
    setup: () => ({ n, a: randomFloats(n, 3), b: randomFloats(n, 4) }),
    impls,
  };
}

export function cases() {
  return [
    // A hand-written loop adding one float is a few JIT-inlined instructions, not a comparable
    // "op", so the naive baseline is left out here.
    addCase(1, {
      unit: 'ns/op',
      score: (ns) => ns,
      targets: [{ kind: 'max', impl: 'native', value: 1000, label: '<1us native' }],
      naive: false,
    }),
    addCase(1_000_000, {
      unit: 'GB/s',
      score: (ns) => (12 * 1_000_000) / ns,
      targets: [],
      naive: true,
    }),
  ];
}
