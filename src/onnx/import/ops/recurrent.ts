// LSTM, GRU and RNN. ONNX keeps weights per direction as W [D, G*H, I], R [D, G*H, H] and
// B [D, 2*G*H]; the library's fused sequence kernels want x W + b precomputed ([batch, time, G*H])
// and the recurrent kernel as [H, G*H]. The per-call slicing/transposing below is cheap next to
// the sequence itself and keeps the imported weights in ONNX layout, so they train and re-export as is.
// Gate orders: ONNX LSTM i,o,f,c vs the kernels' i,f,c,o; GRU z,r,h in both.
import { add, greater, mul, sub } from '../../../ops/binary';
import { cast } from '../../../ops/cast';
import { tensor, zeros } from '../../../ops/creation';
import { linear } from '../../../ops/linear';
import { matmul } from '../../../ops/matmul';
import { concat, gather, stack } from '../../../ops/movement';
import { gruSequence, lstmSequence } from '../../../ops/rnn-cells';
import { tanh } from '../../../ops/unary';
import { type UnaryEntry, onnxParamDefaults, unaryEntries } from '../../../ops/unary-table';
import { reshape, slice, transpose } from '../../../ops/views';
import type { Tensor } from '../../../tensor/tensor';
import type { NodeAttributes } from '../attributes';
import { type OnnxOpSpec, type OpContext, unsupported } from '../op-spec';
import { int32Tensor } from '../values';

type Kind = 'LSTM' | 'GRU' | 'RNN';

const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTIVATIONS: Record<Kind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
type Act = (x: Tensor) => Tensor;

interface RecurrentActivation {
  /** How many of activation_alpha / activation_beta it takes. */
  params: number;
  make: (alpha: number | undefined, beta: number | undefined) => Act;
}

/** The recurrent ops' activations that are no unary op of the library. */
const RNN_ONLY: Record<string, RecurrentActivation> = {
  Affine: { params: 2, make: (a = 1, b = 0) => (x) => add(mul(x, a), b) },
  ThresholdedRelu: { params: 1, make: (a = 1) => (x) => mul(x, cast(greater(x, a), 'float32')) },
  ScaledTanh: { params: 2, make: (a = 1, b = 1) => (x) => mul(tanh(mul(x, b)), a) },
};

/** Unary ops that name themselves a recurrent activation; their alpha/beta are the op's parameters. */
function fromUnaryTable(entry: UnaryEntry): RecurrentActivation {
  const [d0, d1] = onnxParamDefaults(entry);
  return { params: entry.params.length, make: (a = d0, b = d1) => (x) => entry.apply(x, a, b) };
}

/** ONNX recurrent activations by name. */
const ACTIVATIONS: Record<string, RecurrentActivation> = {
  ...Object.fromEntries(unaryEntries().filter((e) => e.activation?.rnn).map((e) => [e.activation!.rnn!, fromUnaryTable(e)])),
  ...RNN_ONLY,
};

/** The activation functions of every direction, with alphas/betas consumed in order by those taking them. */
function activationFns(kind: Kind, a: NodeAttributes, directions: number): Act[][] {
  const names = a.strings('activations') ?? Array.from({ length: directions }, () => DEFAULT_ACTIVATIONS[kind]).flat();
  const alphas = a.floats('activation_alpha') ?? [];
  const betas = a.floats('activation_beta') ?? [];
  let ai = 0;
  let bi = 0;
  const fns = names.map((n) => {
    const spec = ACTIVATIONS[n]!;
    const alpha = spec.params >= 1 ? alphas[ai++] : undefined;
    const beta = spec.params >= 2 ? betas[bi++] : undefined;
    return spec.make(alpha, beta);
  });
  const per = DEFAULT_ACTIVATIONS[kind].length;
  return Array.from({ length: directions }, (_, d) => fns.slice(d * per, (d + 1) * per));
}

function validate(kind: Kind) {
  return (a: NodeAttributes, ctx: OpContext): void => {
    const direction = a.string('direction', 'forward');
    if (!['forward', 'reverse', 'bidirectional'].includes(direction)) unsupported(ctx, `direction='${direction}'`);
    if (a.has('clip')) unsupported(ctx, 'cell clipping (clip)');
    if (a.flag('input_forget', 0) !== 0) unsupported(ctx, 'input_forget=1');
    const acts = a.strings('activations');
    if (acts) {
      const dirs = direction === 'bidirectional' ? 2 : 1;
      const unknown = acts.find((f) => !(f in ACTIVATIONS));
      if (unknown) unsupported(ctx, `activation ${unknown}`);
      if (acts.length !== DEFAULT_ACTIVATIONS[kind].length * dirs) {
        throw new Error(`${ctx.where}: activations lists ${acts.length} functions, expected ${DEFAULT_ACTIVATIONS[kind].length * dirs}`);
      }
    }
    if (a.int('hidden_size', 0) <= 0) throw new Error(`${ctx.where}: hidden_size must be a positive integer`);
  };
}

/** Rows [k*H, (k+1)*H) of a [G*H, n] matrix, for each k in `order`, stacked. */
function reorder(m: Tensor, H: number, order: readonly number[]): Tensor {
  if (order.every((k, i) => k === i)) return m;
  return concat(order.map((k) => slice(m, [k * H, 0], [H, m.shape[1]!])), 0);
}

const reorder1 = (v: Tensor, H: number, order: readonly number[]): Tensor =>
  order.every((k, i) => k === i) ? v : concat(order.map((k) => slice(v, [k * H], [H])), 0);

function flipTime(x: Tensor): Tensor {
  const T = x.shape[1]!;
  return gather(x, int32Tensor(Array.from({ length: T }, (_, i) => T - 1 - i)), 1);
}

function step(seq: Tensor, t: number): Tensor {
  return reshape(slice(seq, [0, t, 0], [seq.shape[0]!, 1, seq.shape[2]!]), [seq.shape[0]!, seq.shape[2]!]);
}

interface DirectionResult {
  /** [batch, time, H] in input time order. */
  y: Tensor;
  h: Tensor;
  c?: Tensor;
}

function isDefault(kind: Kind, a: NodeAttributes, d: number): boolean {
  const acts = a.strings('activations');
  if (!acts) return true;
  const defaults = DEFAULT_ACTIVATIONS[kind];
  return acts.slice(d * defaults.length, (d + 1) * defaults.length).every((f, i) => f === defaults[i]);
}

function runDirection(kind: Kind, x: Tensor, W: Tensor, R: Tensor, Bw: Tensor | null, h0: Tensor, c0: Tensor | null, reverse: boolean,
  a: NodeAttributes, acts: Act[], fused: boolean, mask: Tensor | null): DirectionResult {
  const H = R.shape[1]!;
  const G = GATES[kind];
  const xs = reverse ? flipTime(x) : x;
  const [N, T] = [xs.shape[0]!, xs.shape[1]!];
  const wb = Bw ? slice(Bw, [0], [G * H]) : null;
  const rb = Bw ? slice(Bw, [G * H], [G * H]) : null;
  const lbr = a.flag('linear_before_reset', 0) === 1;
  let hs: Tensor;
  let c: Tensor | undefined;
  if (fused && kind === 'LSTM') {
    const order = [0, 2, 3, 1];
    const K = transpose(reorder(W, H, order), [1, 0]);
    const U = transpose(reorder(R, H, order), [1, 0]);
    const bias = wb && rb ? reorder1(add(wb, rb), H, order) : null;
    const Y = lstmSequence(linear(xs, K, bias), U, h0, c0!, mask);
    hs = slice(Y, [0, 0, 0], [N, T, H]);
    c = step(slice(Y, [0, 0, H], [N, T, H]), T - 1);
  } else if (fused && kind === 'GRU' && lbr) {
    hs = gruSequence(linear(xs, transpose(W, [1, 0]), wb), transpose(R, [1, 0]), rb, h0, mask);
  } else {
    // Composed per step: any activations, GRU without linear_before_reset, and RNN.
    const gate = (m: Tensor, k: number, n = 1): Tensor => slice(m, [0, k * H], [N, n * H]);
    const U = transpose(R, [1, 0]);
    // With linear_before_reset the h gate's recurrent bias sits inside r * (h Rh + Rbh), so only z
    // and r fold their recurrent bias into the input projection; otherwise all three fold.
    const foldAll = !(kind === 'GRU' && lbr);
    const inBias = wb && rb ? (foldAll ? add(wb, rb) : concat([add(slice(wb, [0], [2 * H]), slice(rb, [0], [2 * H])), slice(wb, [2 * H], [H])], 0)) : null;
    const xp = linear(xs, transpose(W, [1, 0]), inBias);
    const [f, g, hAct] = [acts[0]!, acts[1] ?? tanh, acts[2] ?? tanh];
    let h = h0;
    let cell = c0;
    const outs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const xt = step(xp, t);
      if (kind === 'RNN') {
        h = f(add(xt, matmul(h, U)));
      } else if (kind === 'LSTM') {
        const z = add(xt, matmul(h, U)); // ONNX gate order i, o, f, c
        const i = f(gate(z, 0));
        const o = f(gate(z, 1));
        const fg = f(gate(z, 2));
        cell = add(mul(fg, cell!), mul(i, g(gate(z, 3))));
        h = mul(o, hAct(cell));
      } else {
        const Uzr = slice(U, [0, 0], [H, 2 * H]);
        const Uh = slice(U, [0, 2 * H], [H, H]);
        const zr = add(gate(xt, 0, 2), matmul(h, Uzr));
        const z = f(gate(zr, 0));
        const r = f(gate(zr, 1));
        const rbh = rb ? slice(rb, [2 * H], [H]) : null;
        const hh = lbr
          ? g(add(gate(xt, 2), mul(r, rbh ? add(matmul(h, Uh), rbh) : matmul(h, Uh))))
          : g(add(gate(xt, 2), matmul(mul(r, h), Uh)));
        h = add(mul(z, h), mul(sub(1, z), hh));
      }
      outs.push(h);
    }
    hs = stack(outs, 1);
    if (kind === 'LSTM') c = cell!;
  }
  const last = step(hs, T - 1);
  return { y: reverse ? flipTime(hs) : hs, h: last, c };
}

function recurrent(kind: Kind): OnnxOpSpec {
  return {
    attributes: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout',
      ...(kind === 'GRU' ? ['linear_before_reset'] : [])],
    validate: validate(kind),
    run(inputs, a, ctx) {
      const f = (t: Tensor | null | undefined): Tensor | null => (t ? (t.dtype === 'float32' ? t : cast(t, 'float32')) : null);
      const X0 = f(inputs[0]);
      const W = f(inputs[1]);
      const R = f(inputs[2]);
      if (!X0 || !W || !R) throw new Error(`${ctx.where}: inputs X, W and R are required`);
      const B = f(inputs[3]);
      const seqLens = inputs[4];
      const layout = a.flag('layout', 0);
      const direction = a.string('direction', 'forward');
      const D = direction === 'bidirectional' ? 2 : 1;
      const H = a.int('hidden_size', 0);
      if (kind === 'LSTM' && inputs[7]) unsupported(ctx, 'peephole weights (input P)');
      // Work batch-first: [batch, time, input].
      const x = layout === 1 ? X0 : transpose(X0, [1, 0, 2]);
      const [N, T] = [x.shape[0]!, x.shape[1]!];
      const G = GATES[kind];
      if (W.rank !== 3 || W.shape[0] !== D || W.shape[1] !== G * H || W.shape[2] !== x.shape[2]) {
        throw new Error(`${ctx.where}: W has shape [${W.shape.join(',')}], expected [${D},${G * H},${x.shape[2]}]`);
      }
      if (R.rank !== 3 || R.shape[0] !== D || R.shape[1] !== G * H || R.shape[2] !== H) {
        throw new Error(`${ctx.where}: R has shape [${R.shape.join(',')}], expected [${D},${G * H},${H}]`);
      }
      let mask: Tensor | null = null;
      if (seqLens) {
        const lens = Array.from(seqLens.dataSync());
        if (lens.some((l) => l !== T)) {
          const fusedPath = kind !== 'RNN' && isDefault(kind, a, 0) && (kind === 'LSTM' || a.flag('linear_before_reset', 0) === 1);
          if (direction !== 'forward' || !fusedPath) {
            unsupported(ctx, 'sequence_lens shorter than the sequence except for forward LSTM and GRU (linear_before_reset=1) with default activations');
          }
          const m = new Float32Array(N * T);
          for (let b = 0; b < N; b++) for (let t = 0; t < lens[b]!; t++) m[b * T + t] = 1;
          mask = tensor(m, [N, T], 'float32');
        }
      }
      // Initial states arrive [D, batch, H] (layout 0) or [batch, D, H] (layout 1).
      const state = (t: Tensor | null, d: number): Tensor => {
        if (!t) return zeros([N, H]);
        const s = layout === 1 ? transpose(t, [1, 0, 2]) : t;
        return reshape(slice(s, [d, 0, 0], [1, N, H]), [N, H]);
      };
      const h0 = f(inputs[5]);
      const c0 = kind === 'LSTM' ? f(inputs[6]) : null;
      const acts = activationFns(kind, a, D);
      const results: DirectionResult[] = [];
      for (let d = 0; d < D; d++) {
        const Wd = reshape(slice(W, [d, 0, 0], [1, G * H, W.shape[2]!]), [G * H, W.shape[2]!]);
        const Rd = reshape(slice(R, [d, 0, 0], [1, G * H, H]), [G * H, H]);
        const Bd = B ? reshape(slice(B, [d, 0], [1, 2 * G * H]), [2 * G * H]) : null;
        const reverse = direction === 'reverse' || d === 1;
        const fused = kind !== 'RNN' && isDefault(kind, a, d);
        results.push(runDirection(kind, x, Wd, Rd, Bd, state(h0, d), kind === 'LSTM' ? state(c0, d) : null, reverse, a, acts[d]!, fused, mask));
      }
      let ys = results.map((r) => r.y);
      if (mask) ys = ys.map((y) => mul(y, reshape(mask!, [N, T, 1])));
      // Y: [T, D, N, H] (layout 0) or [N, T, D, H] (layout 1); Y_h, Y_c: [D, N, H] or [N, D, H].
      const Y = layout === 1 ? stack(ys, 2) : stack(ys.map((y) => transpose(y, [1, 0, 2])), 1);
      const states = (list: Tensor[]): Tensor => stack(list, layout === 1 ? 1 : 0);
      const out = [Y, states(results.map((r) => r.h))];
      if (kind === 'LSTM') out.push(states(results.map((r) => r.c!)));
      return out;
    },
  };
}

/** Recurrent operators by ONNX name. */
export const recurrentOps: Record<string, OnnxOpSpec> = {
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  RNN: recurrent('RNN'),
};
