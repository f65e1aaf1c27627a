// Public ops with the js backend as oracle: every registered op's checks with mutated shapes and
// values, plus calls that build large outputs from small inputs (broadcast, tile-like padding,
// one-hot, reshape) and calls with wrong argument types. Native and js must agree: both refuse,
// or both return the same values (NaN/Infinity classes equal; float32-vs-float64 accumulation
// overflow excepted for the ops documented in test/ops/registry.test.ts).
import * as tf from '../../src';
import type { Tensor } from '../../src';
import type { OpCheck, OpInfo } from '../../src/ops/registry';
import { Rng } from '../rng';
import type { CaseResult, FuzzTarget } from '../outcome';
import { ACCUMULATING_OPS, isEdgeValue, ZERO_SIGN_OPS } from '../../test/helpers/ieee-contract';

// The documented IEEE contract (pinned in test/ops/registry.test.ts): only these ops may differ in
// the sign of a zero, and only the accumulating ones may differ when inputs hold edge values.
const ZERO_SIGN_DIFFERS = ZERO_SIGN_OPS;
const ACCUMULATING = ACCUMULATING_OPS;

function withBackend<T>(name: 'js' | 'native', fn: () => T): T {
  const prev = tf.getBackend();
  tf.setBackend(name);
  try {
    return fn();
  } finally {
    tf.setBackend(prev);
  }
}

function input(r: Rng, shape: number[], dtype: 'float32' | 'int32', intRange: [number, number]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  // Sized through the library (checked against the budget) before any JS array of n values.
  const t = tf.zeros(shape, dtype);
  const data = t.dataSync();
  const edges = r.chance(0.2);
  for (let i = 0; i < n; i++) data[i] = dtype === 'int32' ? r.int(intRange[0], intRange[1]) : edges ? r.float() : r.next() * 4 - 2;
  return t;
}

function mutateShape(r: Rng, shape: number[]): number[] {
  const u = r.next();
  if (u < 0.55) return shape.slice();
  if (u < 0.8) return shape.map((d) => (r.chance(0.3) ? r.dim() : d));
  if (u < 0.9) return r.chance(0.5) ? shape.slice(1) : [r.dim(), ...shape];
  // Past the budget on its own (2^27 floats = 512 MB), so the case tests the refusal, not arithmetic speed.
  return shape.map((d) => (r.chance(0.2) ? 2 ** r.int(27, 40) : d));
}

type Outcome = { ok: true; value: Float32Array | Int32Array; shape: number[] } | { ok: false; error: unknown };

function attempt(fn: () => Tensor | Tensor[]): Outcome {
  try {
    const out = fn();
    const t = Array.isArray(out) ? out[0]! : out;
    return { ok: true, value: t.dataSync().slice(), shape: t.shape.slice() };
  } catch (error) {
    return { ok: false, error };
  }
}

function compare(what: string, nat: Outcome, js: Outcome, accumulating: boolean, classesOnly = false, zeroSign = false): CaseResult {
  if (!nat.ok && !js.ok) {
    // Both refused: fine, unless one refusal is internal (rethrown so it is counted as such).
    for (const e of [nat.error, js.error]) if (!(e instanceof Error) || e.constructor !== Error) throw e;
    return;
  }
  if (nat.ok !== js.ok) {
    const err = (nat.ok ? js : nat) as { error: unknown };
    return { mismatch: `${what}: ${nat.ok ? 'native ok, js threw' : 'js ok, native threw'}: ${String((err.error as Error)?.message ?? err.error).slice(0, 200)}` };
  }
  const a = (nat as { value: Float32Array }).value;
  const b = (js as { value: Float32Array }).value;
  if ((nat as { shape: number[] }).shape.join() !== (js as { shape: number[] }).shape.join() || a.length !== b.length) {
    return { mismatch: `${what}: shapes differ` };
  }
  if (classesOnly) return;
  let scale = 1;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i]!)) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(x) || !Number.isFinite(y)) {
      // Inputs with edge values in an accumulating op never get here (classesOnly), so a NaN or
      // Infinity on one side only is a real disagreement for every op.
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      return { mismatch: `${what}: element ${i} native ${x} vs js ${y}` };
    }
    if (zeroSign && x === 0 && y === 0 && !Object.is(x, y)) return { mismatch: `${what}: element ${i} native ${Object.is(x, -0) ? '-0' : '0'} vs js ${Object.is(y, -0) ? '-0' : '0'}` };
    if (Math.abs(x - y) > 1e-3 * Math.abs(y) + 1e-4 * scale) {
      if (accumulating && scale > 1e30) continue;
      return { mismatch: `${what}: element ${i} native ${x} vs js ${y}` };
    }
  }
}

function registryCase(r: Rng, ops: OpInfo[]): CaseResult {
  const op = r.pick(ops);
  const check: OpCheck = r.pick(op.checks);
  const shapes = check.shapes.map((s) => mutateShape(r, s));
  const inputs = shapes.map((s, i) => input(r, s, check.dtypes?.[i] === 'int32' ? 'int32' : 'float32', check.intRange ?? [0, 3]));
  // Edge values in an accumulating op: float32 (native) and float64 (js) accumulation may differ
  // anywhere downstream of an overflow (documented in test/ops/registry.test.ts), so only the
  // agreement on refusing or accepting the call is checked then.
  const extreme = inputs.some((t) => t.dtype === 'float32' && t.dataSync().some(isEdgeValue));
  const what = `${op.name} ${check.label ?? ''} [${shapes.map((s) => `[${s.join(',')}]`).join(' ')}]`;
  if (process.env['TENSORFORGE_FUZZ_TRACE']) console.log(`ops: ${what}`, process.env['TENSORFORGE_FUZZ_TRACE'] === 'values' ? JSON.stringify(inputs.map((t) => (t.size <= 256 ? Array.from(t.dataSync(), (v) => (Number.isFinite(v) ? v : String(v))) : `${t.size} values`))) : '');
  return tf.tidy(() => compare(what, withBackend('native', () => attempt(() => check.run(...inputs))), withBackend('js', () => attempt(() => check.run(...inputs))), ACCUMULATING.has(op.name), ACCUMULATING.has(op.name) && extreme, !ACCUMULATING.has(op.name) && !ZERO_SIGN_DIFFERS.has(op.name)));
}

/** Small inputs, large outputs, odd arguments. */
function constructedCase(r: Rng): CaseResult {
  const x = input(r, [r.int(1, 4), r.int(1, 4)], 'float32', [0, 3]);
  // Arguments are drawn from q, a fresh generator per backend with the same seed, so both backends
  // see the same call.
  let q = r;
  const big = (): number => (q.chance(0.5) ? q.dim() : q.nasty());
  const calls: [string, () => Tensor | Tensor[]][] = [
    ['broadcastTo', () => tf.broadcastTo(x, [big(), ...x.shape])],
    ['add broadcast', () => tf.add(tf.reshape(x, [x.shape[0]!, 1, x.shape[1]!]), tf.zeros([1, big(), 1]))],
    ['pad', () => tf.pad(x, [[big(), 0], [0, big()]])],
    ['oneHot', () => tf.oneHot([0, 1], big())],
    ['reshape', () => tf.reshape(x, [big(), -1])],
    ['zeros', () => tf.zeros([big(), big()])],
    ['randn', () => tf.randn([big(), big()])],
    ['arange', () => tf.arange(0, big(), q.pick([1, 0.5, 1e-9, 0, -1]))],
    ['eye', () => tf.eye(big())],
    ['matmul broadcast', () => tf.matmul(tf.zeros([big(), 1, 2, 2]), tf.zeros([1, big(), 2, 2]))],
    ['slice', () => tf.slice(x, q.pick([[0, 0], [big(), 0], 'a', 1, null] as never[]), q.pick([[1, 1], [-1, big()], undefined, 'x'] as never[]))],
    ['gather', () => tf.gather(x, q.pick([[0], [big()], [-1], 'x', [NaN]] as never[]))],
    ['concat', () => tf.concat([x, x], q.pick([0, 1, 2, -3, 0.5, big()]))],
    ['transpose', () => tf.transpose(x, q.pick([[1, 0], [0, 0], [2, 1], 'x', [1]] as never[]))],
    ['sum axis', () => tf.sum(x, q.pick([0, 1, 5, -9, 0.5, [0, 0], 'x'] as never[]))],
    ['softmax axis', () => tf.softmax(x, q.pick([0, 1, 3, NaN] as never[]))],
    ['tensor', () => tf.tensor(q.pick([[1, 2, 3], [[1], [2, 3]], 'abc', [NaN], { length: 1e12 }] as never[]), q.pick([undefined, [3], [big()], [-1]] as never[]))],
    ['full', () => tf.full([big()], q.float())],
    ['maxPool2d', () => tf.maxPool2d(tf.zeros([1, q.int(1, 6), q.int(1, 6), 1]), { poolSize: [big(), q.int(1, 3)] as [number, number] })],
    ['conv2d', () => tf.conv2d(tf.zeros([1, q.int(1, 6), q.int(1, 6), 1]), tf.zeros([q.int(1, 3), q.int(1, 3), 1, 1]), { strides: q.pick([1, 0, -1, big()]) as never })],
  ];
  const [name, call] = r.pick(calls);
  if (process.env['TENSORFORGE_FUZZ_TRACE']) console.log(`ops: ${name}`);
  const argSeed = r.int(0, 2 ** 30);
  const run = (b: 'native' | 'js'): Outcome =>
    withBackend(b, () => {
      tf.manualSeed(argSeed);
      q = new Rng(argSeed);
      return attempt(call);
    });
  return tf.tidy(() => compare(name, run('native'), run('js'), false));
}

export const opsTarget: FuzzTarget = {
  name: 'ops',
  async run(seed) {
    const r = new Rng(seed);
    if (tf.backendInfo().nativeAvailable === false) throw new Error('fuzz ops: the native addon is not loaded; nothing to compare');
    const ops = tf.listOps();
    return r.chance(0.7) ? registryCase(r, ops) : constructedCase(r);
  },
};
