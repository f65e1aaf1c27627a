// The fused native kernels against the built-ins' updateStep written with ops (the reference, and
// what the js backend runs), on a parameter large enough to cross the threading threshold (and not
// a multiple of any vector width), for every configuration, at every SIMD level the CPU runs; the
// named layouts the addon publishes; and the addon's own argument checks.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Tensor, backendInfo, getNumThreads, setNumThreads, setSimdLevel, tensor } from '../../src';
import { nativeAddon } from '../../src/backend/binding';
import { Generator } from '../../src/random/generator';
import * as opt from '../../src/optimizers';
import { fusedUpdateProblem, setFusedUpdates } from '../../src/optimizers/fused-kernel';
import {
  FUSED_KINDS,
  type FusedKind,
  type PublishedOptimizerLayouts,
  SUM_SQUARES_FIELDS,
  checkOptimizerLayouts,
  stepFields,
} from '../../src/optimizers/fused-layouts';
import { expectClose } from '../helpers/compare';
import { onBackend } from './helpers';

const N = 100_003;
const STEPS = 4;
const native = backendInfo().nativeAvailable;
/** The addon with the optimizer layouts it publishes (typed here until the typed binding file declares them). */
const optimizerAddon = () => nativeAddon()! as NonNullable<ReturnType<typeof nativeAddon>> & { optimizerLayouts: PublishedOptimizerLayouts };

type Factory = () => opt.Optimizer;
const configs: [string, Factory][] = [
  ['sgd', () => opt.sgd({ learningRate: 0.05 })],
  ['sgd + weightDecay', () => opt.sgd({ learningRate: 0.05, weightDecay: 0.1 })],
  ['sgd momentum', () => opt.sgd({ learningRate: 0.05, momentum: 0.9 })],
  ['sgd momentum + clipNorm', () => opt.sgd({ learningRate: 0.05, momentum: 0.9, clipNorm: 20 })],
  ['sgd nesterov + clipValue', () => opt.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, clipValue: 0.5 })],
  ['adagrad', () => opt.adagrad({ learningRate: 0.05 })],
  ['adagrad + clipNorm', () => opt.adagrad({ learningRate: 0.05, clipNorm: 10 })],
  ['adagrad + clipValue + weightDecay', () => opt.adagrad({ learningRate: 0.05, clipValue: 0.3, weightDecay: 0.2 })],
  ['rmsprop', () => opt.rmsprop({ learningRate: 0.01 })],
  ['rmsprop momentum', () => opt.rmsprop({ learningRate: 0.01, momentum: 0.9 })],
  ['rmsprop centered', () => opt.rmsprop({ learningRate: 0.01, centered: true })],
  ['rmsprop centered momentum + weightDecay', () => opt.rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 })],
  ['rmsprop momentum + globalClipNorm', () => opt.rmsprop({ learningRate: 0.01, momentum: 0.5, globalClipNorm: 30 })],
  ['adam', () => opt.adam({ learningRate: 0.01 })],
  ['adam + clipValue', () => opt.adam({ learningRate: 0.01, clipValue: 0.2 })],
  ['adam amsgrad + globalClipNorm', () => opt.adam({ learningRate: 0.01, amsgrad: true, globalClipNorm: 50 })],
  ['adamw', () => opt.adamw({ learningRate: 0.01, weightDecay: 0.05 })],
  ['adamw amsgrad + clipNorm', () => opt.adamw({ learningRate: 0.01, weightDecay: 0.05, amsgrad: true, clipNorm: 40 })],
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

/** The same updates through the ops-based updateStep on the native backend (fused kernels off). */
function trainWithOps(make: Factory, start: Float32Array, grads: Float32Array[]): { param: Tensor; state: Tensor[] } {
  setFusedUpdates(false);
  try {
    return onBackend('native', () => train(make, start, grads));
  } finally {
    setFusedUpdates(true);
  }
}

function expectSameRun(got: { param: Tensor; state: Tensor[] }, ref: { param: Tensor; state: Tensor[] }, what: string): void {
  expectClose(got.param, ref.param, 1e-6, 1e-6, `${what} param`);
  expect(got.state.length).toBe(ref.state.length);
  got.state.forEach((s, i) => expectClose(s, ref.state[i]!, 1e-5, 1e-6, `${what} state ${i}`));
}

describe.runIf(native)('native fused updates == the ops-based updateStep', () => {
  const gen = new Generator(42);
  const start = randomArray(gen, N, 1);
  const grads = Array.from({ length: STEPS }, () => randomArray(gen, N, 0.3));
  const levels = (['scalar', 'avx2', 'avx512'] as const).filter((l, i) => i <= ['scalar', 'avx2', 'avx512'].indexOf(backendInfo().hardwareSimd));
  const initialLevel = backendInfo().simd as 'scalar' | 'avx2' | 'avx512';
  afterAll(() => {
    setSimdLevel(initialLevel);
  });

  it('the addon publishes the optimizer layouts this version declares', () => {
    const addon = optimizerAddon();
    expect(checkOptimizerLayouts(addon.optimizerLayouts, addon.optimizerKinds)).toBeNull();
    for (const kind of Object.keys(FUSED_KINDS) as FusedKind[]) {
      expect(addon.optimizerLayouts.step[kind]).toEqual({ fields: stepFields(kind), slots: FUSED_KINDS[kind].slots });
    }
    expect(addon.optimizerLayouts.sumSquares).toEqual(SUM_SQUARES_FIELDS);
  });

  for (const [name, make] of configs) {
    it(`${name}: fused == updateStep (js and native ops) within 1e-6 at every SIMD level`, () => {
      const ref = onBackend('js', () => train(make, start, grads));
      const ops = trainWithOps(make, start, grads);
      expectSameRun(ops, ref, `${name} native ops`);
      for (const level of levels) {
        setSimdLevel(level);
        expectSameRun(onBackend('native', () => train(make, start, grads)), ref, `${name} ${level}`);
      }
    });
  }

  it('gives bit-identical results with one thread and two', () => {
    const before = getNumThreads();
    const run = (threads: number) => {
      setNumThreads(threads);
      return onBackend('native', () => train(configs[15]![1], start, grads)).param.dataSync().slice();
    };
    const one = run(1);
    const two = run(2);
    setNumThreads(before);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
  });

  it('updates many parameters in one call exactly as one at a time, at 1 and 2 threads', () => {
    // Sizes that put parameter boundaries inside the pool's chunks and off any vector width;
    // per-parameter clipNorm gives each its own gradient scale.
    const sizes = [70_001, 5, 1, 3_000, 131_075, 17];
    const g2 = new Generator(7);
    const starts = sizes.map((n) => randomArray(g2, n, 1));
    const stepGrads = Array.from({ length: STEPS }, () => sizes.map((n) => randomArray(g2, n, 0.3)));
    const make = () => opt.adam({ learningRate: 0.01, clipNorm: 5, amsgrad: true });
    const before = getNumThreads();
    const f32 = (t: Tensor) => Float32Array.from(t.dataSync());
    const together = (threads: number): Float32Array[] => {
      setNumThreads(threads);
      return onBackend('native', () => {
        const o = make();
        const ps = starts.map((st) => tensor(st, { requiresGrad: true }));
        for (const gs of stepGrads) o.applyGradients(ps.map((p, i) => [p, tensor(gs[i]!)] as const));
        return [...ps.map(f32), ...o.getWeights().slice(1).map((w) => f32(w.tensor))];
      });
    };
    try {
      const one = together(1);
      const two = together(2);
      const alone = onBackend('native', () => {
        const params: Float32Array[] = [];
        const slots: Float32Array[] = [];
        sizes.forEach((_, i) => {
          const o = make();
          const p = tensor(starts[i]!, { requiresGrad: true });
          for (const gs of stepGrads) o.applyGradients([[p, tensor(gs[i]!)]]);
          params.push(f32(p));
          slots.push(...o.getWeights().slice(1).map((w) => f32(w.tensor)));
        });
        // getWeights lists every slot of parameter 0, then of parameter 1, ...
        return [...params, ...slots];
      });
      const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(two.length).toBe(alone.length);
      alone.forEach((a, i) => {
        expect(bits(one[i]!).equals(bits(a)), `array ${i}, 1 thread`).toBe(true);
        expect(bits(two[i]!).equals(bits(a)), `array ${i}, 2 threads`).toBe(true);
      });
    } finally {
      setNumThreads(before);
    }
  });

  it("a gradient in another parameter's memory: updated one at a time, in order", () => {
    const run = () => {
      const o = opt.sgd({ learningRate: 0.5, momentum: 0.5 });
      const p = tensor([1, 2, 3], { requiresGrad: true });
      const q = tensor([4, 5, 6], { requiresGrad: true });
      // q's gradient is p itself: read after p's update, as the one-call form would not allow.
      o.applyGradients([[p, tensor([1, 1, 1])], [q, p]]);
      return [p, q];
    };
    const [np, nq] = onBackend('native', run);
    const [jp, jq] = onBackend('js', run);
    expectClose(np!, jp!, 1e-6, 1e-6, 'p');
    expectClose(nq!, jq!, 1e-6, 1e-6, 'q');
  });

  it('sums squares like the reference (clipping by norm)', () => {
    const addon = optimizerAddon();
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

  it('a subclass that overrides updateStep runs its own rule, not the built-in kernel', () => {
    class HalfStepSGD extends opt.SGD {
      protected override updateStep(gradient: Tensor, variable: Tensor, learningRate: number): void {
        super.updateStep(gradient, variable, learningRate / 2);
      }
    }
    const p = tensor([1, 2], { requiresGrad: true });
    onBackend('native', () => new HalfStepSGD({ learningRate: 1 }).applyGradients([[p, tensor([1, 1])]]));
    expect(Array.from(p.dataSync())).toEqual([0.5, 1.5]);
  });
});

describe.runIf(native)('layout mismatches', () => {
  const addon = optimizerAddon();
  const published = structuredClone(addon.optimizerLayouts);
  afterEach(() => {
    addon.optimizerLayouts = structuredClone(published);
    setFusedUpdates(true);
  });

  it('checkOptimizerLayouts names the first difference', () => {
    const kinds = addon.optimizerKinds;
    const edit = (f: (l: typeof published) => void) => {
      const l = structuredClone(published);
      f(l);
      return checkOptimizerLayouts(l, kinds);
    };
    expect(edit((l) => l.step['adam']!.fields.reverse())).toMatch(/'adam' fields are \[amsgrad, .*expected \[paramOffset, /);
    expect(edit((l) => (l.step['sgd']!.fields[8] = 'useNesterov'))).toMatch(/'sgd' fields are .*useNesterov/);
    expect(edit((l) => l.step['rmsprop']!.slots.pop())).toMatch(/'rmsprop' slots are \[velocity, momentum\], expected \[velocity, momentum, average_gradient\]/);
    expect(edit((l) => delete l.step['adagrad'])).toMatch(/'adagrad' fields are undefined/);
    expect(edit((l) => (l.sumSquares = ['n', 'offset']))).toMatch(/optimizerSumSquares fields are \[n, offset\]/);
    expect(checkOptimizerLayouts(undefined, kinds)).toMatch(/publishes no optimizerLayouts/);
    expect(checkOptimizerLayouts(published, ['sgd'])).toMatch(/no 'adagrad' optimizer kind/);
  });

  it('an addon whose layouts differ is not fed: the optimizers fall back to updateStep, with a warning', async () => {
    const make = () => opt.adam({ learningRate: 0.05, amsgrad: true });
    const start = new Float32Array([1, -2, 3, 0.5]);
    const grads = [new Float32Array([0.1, -0.4, 2, 0]), new Float32Array([-1, 0.3, 0.2, 0.1])];
    const ref = onBackend('js', () => train(make, start, grads));

    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      addon.optimizerLayouts.step['adam']!.fields.splice(7, 2, 'oneMinusBeta2', 'oneMinusBeta1');
      setFusedUpdates(true); // forget the earlier check
      const got = onBackend('native', () => train(make, start, grads));
      expect(fusedUpdateProblem()).toMatch(/'adam' fields are \[.*oneMinusBeta2, oneMinusBeta1/);
      expectSameRun(got, ref, 'fallback');
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.some((w) => /optimizer layouts differ.*TypeScript update/.test(w))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe.runIf(native)('the addon rejects bad optimizer calls without crashing', () => {
  const addon = optimizerAddon();
  const codeOf = (kind: FusedKind) => addon.optimizerKinds.indexOf(kind);
  const p = new Float32Array(8);
  const g = new Float32Array(8);
  const s = new Float32Array(8);
  /** A meta packed by field name; unnamed hyper-parameters are 0. */
  const meta = (kind: FusedKind, values: Record<string, number>) => {
    const m = new Float64Array(stepFields(kind).map((f) => values[f] ?? 0));
    if (values['gradScale'] === undefined) m[stepFields(kind).indexOf('gradScale')] = 1;
    return m;
  };
  const sgd = (n: number, extra: Record<string, number> = {}) => meta('sgd', { n, lr: 0.1, ...extra });
  const adam = (n: number) => meta('adam', { n, lr: 0.1 });

  it('checks ranges, slots, kinds and types', () => {
    expect(() => addon.optimizerStep(codeOf('sgd'), p, g, null, null, null, sgd(9))).toThrow(/param: range/);
    expect(() => addon.optimizerStep(codeOf('sgd'), p, g, null, null, null, sgd(8, { gradOffset: 4 }))).toThrow(/grad: range/);
    expect(() => addon.optimizerStep(9, p, g, null, null, null, sgd(8))).toThrow(/unknown optimizer kind/);
    // Adam needs s0 and s1; amsgrad also s2. Errors name the slot.
    expect(() => addon.optimizerStep(codeOf('adam'), p, g, s, null, null, adam(8))).toThrow(/state 1 \(velocity\) must be a/);
    expect(() => addon.optimizerStep(codeOf('adam'), p, g, s, new Float32Array(4), null, adam(8))).toThrow(/state 1 \(velocity\): range/);
    expect(() => addon.optimizerStep(codeOf('adam'), p, g, s, s, null, adam(8))).toThrow(/state arrays overlap/);
    expect(() => addon.optimizerStep(codeOf('adagrad'), p, g, p, null, null, meta('adagrad', { n: 8 }))).toThrow(/state 0 \(accumulator\) overlaps the param/);
    expect(() => addon.optimizerStep(codeOf('sgd'), p, g.subarray(1), null, null, null, sgd(7))).not.toThrow();
    expect(() => addon.optimizerStep(codeOf('sgd'), p, p.subarray(1), null, null, null, sgd(7))).toThrow(/partially overlaps/);
    expect(() => addon.optimizerStep(codeOf('sgd'), p, g, null, null, null, new Float64Array([0, 0, 8]))).toThrow(/meta is too short/);
    expect(() => addon.optimizerStep(codeOf('sgd'), p, g, null, null, null, sgd(8, { paramOffset: 0.5 }))).toThrow(/non-integer/);
    expect(() => addon.optimizerStep(codeOf('sgd'), p, new Int32Array(8) as never, null, null, null, sgd(8))).toThrow(/Float32Array/);
    expect(() => addon.optimizerSumSquares(p, new Float64Array([4, 5]))).toThrow(/range/);
    // SGD without momentum uses no slot: nulls are fine.
    addon.optimizerStep(codeOf('sgd'), p, g, null, null, null, sgd(8));
  });

  it('reads hyper-parameters by name', () => {
    const q = new Float32Array([1, 2]);
    const m = new Float32Array(2);
    // momentum 0.5, nesterov: m = -lr g = [-0.5, -0.5]; p += 0.5 m - lr g = p - 0.75
    addon.optimizerStep(codeOf('sgd'), q, new Float32Array([1, 1]), m, null, null, sgd(2, { lr: 0.5, momentum: 0.5, nesterov: 1 }));
    expect(Array.from(q)).toEqual([0.25, 1.25]);
    expect(Array.from(m)).toEqual([-0.5, -0.5]);
  });

  it('optimizerSteps checks every target, and that no target touches another', () => {
    const steps = (ps: Float32Array[], gs: Float32Array[], s0: (Float32Array | null)[], m: Float64Array) =>
      addon.optimizerSteps(codeOf('sgd'), ps, gs, s0, ps.map(() => null), ps.map(() => null), m);
    const two = (a: Float64Array, b: Float64Array) => Float64Array.from([...a, ...b]);
    const q = new Float32Array(8), r = new Float32Array(8);
    expect(() => steps([q, r], [g, g], [null, null], two(sgd(8), sgd(8)))).not.toThrow();
    expect(() => steps([q, q], [g, g], [null, null], two(sgd(8), sgd(8)))).toThrow(/targets 0 and 1 overlap/);
    expect(() => steps([q, q], [g, g], [null, null], two(sgd(4), sgd(4, { paramOffset: 4 })))).not.toThrow();
    expect(() => steps([q, q], [g, g], [null, null], two(sgd(5), sgd(4, { paramOffset: 4 })))).toThrow(/overlap/);
    // A grad inside another target's parameter, or a momentum slot in another's.
    expect(() => steps([q, r], [g, q], [null, null], two(sgd(8), sgd(8)))).toThrow(/grad of target 1 overlaps target 0/);
    expect(() => steps([q, r], [g, g], [s, s], two(sgd(8, { momentum: 0.9 }), sgd(8, { momentum: 0.9 })))).toThrow(/overlap/);
    expect(() => steps([q, r], [g, g], [s, q], two(sgd(8, { momentum: 0.9 }), sgd(8, { momentum: 0.9 })))).toThrow(/targets 0 and 1 overlap/);
    // A slot the configuration does not use is not looked at.
    expect(() => steps([q, r], [g, g], [s, q], two(sgd(8, { momentum: 0.9 }), sgd(8)))).not.toThrow();
    // Each target's own checks, named by index.
    expect(() => steps([q, r], [g, g], [null, null], two(sgd(8), sgd(9)))).toThrow(/optimizerSteps target 1 param: range/);
    expect(() => steps([q, r], [g, g], [null], two(sgd(8), sgd(8)))).toThrow(/differ in length/);
    expect(() => steps([q, r], [g, g], [null, null], sgd(8))).toThrow(/meta is too short/);
    expect(() => steps([q, new Int32Array(8) as never], [g, g], [null, null], two(sgd(8), sgd(8)))).toThrow(/target 1 param must be a Float32Array/);
    expect(() => addon.optimizerSteps(codeOf('sgd'), q as never, [g], [null], [null], [null], sgd(8))).toThrow(/params must be an array/);
    expect(() => steps([], [], [], new Float64Array(0))).not.toThrow();
  });

  it('optimizerSteps updates each target by its own block, synchronously and asynchronously', async () => {
    const q = new Float32Array([1, 2]), r = new Float32Array([10, 20, 30]);
    const blocks = Float64Array.from([...sgd(2, { lr: 0.5 }), ...sgd(2, { lr: 1, paramOffset: 1 })]);
    addon.optimizerSteps(codeOf('sgd'), [q, r], [new Float32Array([1, 1]), new Float32Array([1, 2])], [null, null], [null, null], [null, null], blocks);
    expect(Array.from(q)).toEqual([0.5, 1.5]);
    expect(Array.from(r)).toEqual([10, 19, 28]);
    await addon.optimizerStepsAsync(codeOf('sgd'), [q], [new Float32Array([1, 1])], [null], [null], [null], sgd(2, { lr: 0.5 }));
    expect(Array.from(q)).toEqual([0, 1]);
  });

  it('runs asynchronously too', async () => {
    const q = new Float32Array([1, 2]);
    await addon.optimizerStepAsync(codeOf('sgd'), q, new Float32Array([1, 1]), null, null, null, sgd(2, { lr: 0.5 }));
    expect(Array.from(q)).toEqual([0.5, 1.5]);
  });
});
