// The fused native kernels against the TypeScript reference on a parameter large enough to cross
// the threading threshold (and not a multiple of any vector width), for every configuration, at
// every SIMD level the CPU runs; plus the addon's own argument checks.
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, backendInfo, getNumThreads, setNumThreads, setSimdLevel, tensor } from '../../src';
import { nativeAddon } from '../../src/backend/native-addon';
import { Generator } from '../../src/random/generator';
import * as opt from '../../src/optimizers';
import { expectClose } from '../helpers/compare';
import { onBackend } from './helpers';

const N = 100_003;
const STEPS = 3;
const native = backendInfo().nativeAvailable;

type Factory = () => opt.Optimizer;
const configs: [string, Factory][] = [
  ['sgd', () => opt.sgd({ learningRate: 0.05 })],
  ['sgd momentum', () => opt.sgd({ learningRate: 0.05, momentum: 0.9 })],
  ['sgd nesterov + clipValue', () => opt.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, clipValue: 0.5 })],
  ['adagrad', () => opt.adagrad({ learningRate: 0.05 })],
  ['adagrad + clipNorm', () => opt.adagrad({ learningRate: 0.05, clipNorm: 10 })],
  ['rmsprop', () => opt.rmsprop({ learningRate: 0.01 })],
  ['rmsprop momentum', () => opt.rmsprop({ learningRate: 0.01, momentum: 0.9 })],
  ['rmsprop centered', () => opt.rmsprop({ learningRate: 0.01, centered: true })],
  ['rmsprop centered momentum + weightDecay', () => opt.rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 })],
  ['adam', () => opt.adam({ learningRate: 0.01 })],
  ['adam amsgrad + globalClipNorm', () => opt.adam({ learningRate: 0.01, amsgrad: true, globalClipNorm: 50 })],
  ['adamw', () => opt.adamw({ learningRate: 0.01, weightDecay: 0.05 })],
];

function randomArray(g: Generator, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal() * scale;
  return a;
}

/** Runs STEPS updates with fresh grads each step; returns the final param and the state tensors. */
function train(make: Factory, start: Float32Array, grads: Float32Array[]): { param: Tensor; state: Tensor[] } {
  const o = make();
  const p = tensor(start, { requiresGrad: true });
  for (const g of grads) o.applyGradients([[p, tensor(g)]]);
  return { param: p, state: o.getWeights().map((w) => w.tensor) };
}

describe.runIf(native)('native fused updates == reference', () => {
  const gen = new Generator(42);
  const start = randomArray(gen, N, 1);
  const grads = Array.from({ length: STEPS }, () => randomArray(gen, N, 0.3));
  const levels = (['scalar', 'avx2', 'avx512'] as const).filter((l, i) => i <= ['scalar', 'avx2', 'avx512'].indexOf(backendInfo().hardwareSimd));
  const initialLevel = backendInfo().simd as 'scalar' | 'avx2' | 'avx512';
  afterAll(() => {
    setSimdLevel(initialLevel);
  });

  it('exposes the optimizer kernels', () => {
    expect(nativeAddon()!.optimizerKinds).toEqual(['sgd', 'adagrad', 'rmsprop', 'adam']);
  });

  for (const [name, make] of configs) {
    it(`${name}: within 1e-6 relative at every SIMD level`, () => {
      const ref = onBackend('js', () => train(make, start, grads));
      for (const level of levels) {
        setSimdLevel(level);
        const got = onBackend('native', () => train(make, start, grads));
        expectClose(got.param, ref.param, 1e-6, 1e-6, `${name} ${level} param`);
        expect(got.state.length).toBe(ref.state.length);
        got.state.forEach((s, i) => expectClose(s, ref.state[i]!, 1e-5, 1e-6, `${name} ${level} state ${i}`));
      }
    });
  }

  it('gives bit-identical results with one thread and two', () => {
    const before = getNumThreads();
    const run = (threads: number) => {
      setNumThreads(threads);
      return onBackend('native', () => train(configs[10]![1], start, grads)).param.dataSync().slice();
    };
    const one = run(1);
    const two = run(2);
    setNumThreads(before);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
  });

  it('sums squares like the reference (clipping by norm)', () => {
    const addon = nativeAddon()!;
    const x = grads[0]!;
    let ref = 0;
    for (let i = 0; i < x.length; i++) ref += x[i]! * x[i]!;
    const got = addon.optimizerSumSquares(x, new Float64Array([0, x.length]));
    expect(Math.abs(got - ref) / ref).toBeLessThan(1e-12);
    expect(addon.optimizerSumSquares(x, new Float64Array([5, 3]))).toBeCloseTo(x[5]! ** 2 + x[6]! ** 2 + x[7]! ** 2, 10);
    expect(addon.optimizerSumSquares(x, new Float64Array([0, 0]))).toBe(0);
  });

  it('updates non-contiguous and broadcast gradients through a contiguous copy', () => {
    const run = () => {
      const o = opt.adam({ learningRate: 0.1 });
      const p = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
      const gT = tensor([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]).transpose(); // [[.1,.2,.3],[.4,.5,.6]] as a view
      o.applyGradients([[p, gT]]);
      o.applyGradients([[p, tensor([1, -1, 0.5]).broadcastTo([2, 3])]]);
      return p;
    };
    expectClose(onBackend('native', run), onBackend('js', run), 1e-6, 1e-6, 'views');
  });
});

describe.runIf(native)('the addon rejects bad optimizer calls without crashing', () => {
  const addon = nativeAddon()!;
  const p = new Float32Array(8);
  const g = new Float32Array(8);
  const s = new Float32Array(8);
  const meta = (n: number, kindExtra: number[] = [0, 0, 0, 0, 0]) => new Float64Array([0, 0, n, 0.1, 1, 0, 0, ...kindExtra]);

  it('checks ranges, slots, kinds and types', () => {
    expect(() => addon.optimizerStep(0, p, g, null, null, null, meta(9))).toThrow(/param: range/);
    expect(() => addon.optimizerStep(0, p, g, null, null, null, new Float64Array([0, 4, 8, 0.1, 1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/grad: range/);
    expect(() => addon.optimizerStep(9, p, g, null, null, null, meta(8))).toThrow(/unknown optimizer kind/);
    // Adam needs s0 and s1; amsgrad also s2.
    expect(() => addon.optimizerStep(3, p, g, s, null, null, meta(8))).toThrow(/state 1 must be a/);
    expect(() => addon.optimizerStep(3, p, g, s, new Float32Array(4), null, meta(8))).toThrow(/state 1: range/);
    expect(() => addon.optimizerStep(3, p, g, s, s, null, meta(8))).toThrow(/state arrays overlap/);
    expect(() => addon.optimizerStep(1, p, g, p, null, null, meta(8))).toThrow(/overlaps the param/);
    expect(() => addon.optimizerStep(0, p, g.subarray(1), null, null, null, new Float64Array([0, 0, 7, 0.1, 1, 0, 0, 0, 0, 0, 0, 0]))).not.toThrow();
    expect(() => addon.optimizerStep(0, p, p.subarray(1), null, null, null, new Float64Array([0, 0, 7, 0.1, 1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/partially overlaps/);
    expect(() => addon.optimizerStep(0, p, g, null, null, null, new Float64Array([0, 0, 8]))).toThrow(/meta is too short/);
    expect(() => addon.optimizerStep(0, p, new Int32Array(8) as never, null, null, null, meta(8))).toThrow(/Float32Array/);
    expect(() => addon.optimizerSumSquares(p, new Float64Array([4, 5]))).toThrow(/range/);
    // SGD without momentum uses no slot: nulls are fine.
    addon.optimizerStep(0, p, g, null, null, null, meta(8));
  });

  it('runs asynchronously too', async () => {
    const q = new Float32Array([1, 2]);
    await addon.optimizerStepAsync(0, q, new Float32Array([1, 1]), null, null, null, new Float64Array([0, 0, 2, 0.5, 1, 0, 0, 0, 0, 0, 0, 0]));
    expect(Array.from(q)).toEqual([0.5, 1.5]);
  });
});
