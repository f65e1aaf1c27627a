import { needsGrad, record } from '../autograd/tape';
import { argError, describe } from '../errors';
import { stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul } from './binary';
import { reluGradFromOutput } from './relu-grad';
import { cast } from './cast';
import { matmulCore, type Plan, plan, runGemm } from './matmul';
import { packedWeight } from './packed-weights';
import { sum } from './reduce';
import { registerOp } from './registry';
import { reshape } from './views';
import { toTensor } from './util';
import { activeAddon } from '../backend/backend';
import { type FusedActivation, type ResolvedActivation, activationGradFromOutput, applyActivation, gradFromOutput, resolveFusedActivation } from './fused-activation';

/**
 * The dense-layer op: `activation(x @ w + bias)` for x [..., in], w [in, out], bias [out], as one
 * GEMM whose epilogue adds the bias and applies the activation (any {@link FusedActivation}) to
 * each finished block of the output, so the output is written once.
 */
export function linear(xIn: Tensor, wIn: Tensor, biasIn?: Tensor | null, activation: FusedActivation = 'linear'): Tensor {
  let x = toTensor('linear', 'x', xIn);
  let w = toTensor('linear', 'w', wIn);
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  if (w.dtype !== 'float32') w = cast(w, 'float32');
  if (w.rank !== 2) argError('linear', 'w', 'a rank-2 kernel [in, out]', `shape [${w.shape.join(',')}]`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== w.shape[0]) {
    argError('linear', 'x', `last dimension ${w.shape[0]} (w has shape [${w.shape.join(',')}])`, `shape [${x.shape.join(',')}]`);
  }
  let bias: Tensor | null = null;
  if (biasIn !== undefined && biasIn !== null) {
    bias = toTensor('linear', 'bias', biasIn);
    if (bias.dtype !== 'float32') bias = cast(bias, 'float32');
    if (bias.rank !== 1 || bias.shape[0] !== w.shape[1]) {
      argError('linear', 'bias', `shape [${w.shape[1]}]`, `shape [${bias.shape.join(',')}]`);
    }
    bias = bias.contiguousCopy();
  }
  const act = resolveFusedActivation('linear', activation);
  const addon = activeAddon();
  // Recording only (not requiresGrad alone): under noGrad a trainable weight keeps the activation fused.
  const training = needsGrad(bias ? [x, w, bias] : [x, w]);
  const blockCode = act.name !== null && act.name !== 'relu' && addon ? addon.unaryOps.indexOf(act.name) : -1;
  if (act.name !== null && act.name !== 'relu' && (blockCode < 0 || (training && !gradFromOutput(act)))) {
    // The reference backend, or a gradient that needs the activation's input: the GEMM keeps
    // z = x @ w + bias and the activation runs as its own op.
    return applyActivation(act, linear(x, w, bias, 'linear'));
  }
  const inF = w.shape[0]!;
  const outF = w.shape[1]!;
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? x : reshape(x, [-1, inF]);
  const relu = act.name === 'relu';
  const p = plan(x2, w, false, false, relu);
  if (!training) usePackedWeight(p, w);
  runGemm(p, bias, blockCode >= 0 ? { code: blockCode, p0: act.p0, p1: act.p1 } : null);
  const y2 = p.out;
  // An unrecorded view: the tape entry below covers y, and backward works on the 2-d y2.
  const y = x.rank === 2 ? y2 : new Tensor(y2.storage, [...lead, outF], stridesOf([...lead, outF]), 0, 'float32');
  const inputs = bias ? [x, w, bias] : [x, w];
  return record(y, 'linear', inputs, (g) => {
    const g2 = g.rank === 2 ? g : reshape(g, [-1, outF]);
    const gz = relu ? reluGradFromOutput(g2, y2) : activationGradFromOutput(act, g2, y2);
    const gx = x.requiresGrad ? matmulCore(gz, w, false, true) : null;
    const gw = w.requiresGrad ? matmulCore(x2, gz, true, false) : null;
    const gb = bias && bias.requiresGrad ? sum(gz, 0) : null;
    return [gx && (x.rank === 2 ? gx : reshape(gx, x.shape.slice())), gw, ...(bias ? [gb] : [])];
  });
}

/**
 * @internal the dense layer of an inference plan: activation(x @ w + bias + residual) with nothing
 * recorded, for a float32 x [..., in] whose rows are contiguous, w [in, out] and the optional
 * residual of the output's shape. The plan checked the shapes once; this skips linear()'s per-call
 * validation (a transformer at batch 1 runs a dozen small GEMMs, each paying it), and the residual
 * joins the GEMM's epilogue (C starts as the residual, beta 1) instead of a separate Add pass.
 * Without the native addon, or an activation its epilogue lacks, it runs the ops.
 */
export function linearInference(x: Tensor, w: Tensor, bias: Tensor | null, act: ResolvedActivation, residual: Tensor | null): Tensor {
  const addon = activeAddon();
  const code = act.name !== null && act.name !== 'relu' && addon ? addon.unaryOps.indexOf(act.name) : -1;
  if (!addon || (act.name !== null && act.name !== 'relu' && code < 0)) {
    const z = linear(x, w, bias);
    return applyActivation(act, residual ? add(z, residual) : z);
  }
  const inF = w.shape[0]!;
  const outF = w.shape[1]!;
  const rows = x.size / inF;
  const x2 = x.rank === 2 ? x : reshape(x, [rows, inF]);
  const p = plan(x2, w, false, false, act.name === 'relu');
  usePackedWeight(p, w);
  if (residual) {
    const r = residual.contiguousCopy();
    (p.out.buffer as Float32Array).set((r.buffer as Float32Array).subarray(r.offset, r.offset + p.out.size));
  }
  runGemm(p, bias, code >= 0 ? { code, p0: act.p0, p1: act.p1 } : null, residual !== null);
  const y2 = p.out;
  return x.rank === 2 ? y2 : new Tensor(y2.storage, [...x.shape.slice(0, -1), outF], stridesOf([...x.shape.slice(0, -1), outF]), 0, 'float32');
}

/**
 * Inference reads the weight from panels packed once (see packedWeight) when the GEMM would pack
 * it: more than one row of x, x not read transposed (the packed route's kernels read A's rows),
 * and w itself as B (not a copy, not transposed).
 */
function usePackedWeight(p: Plan, w: Tensor): void {
  if (p.m > 1 && !p.a.trans && p.b.t === w && !p.b.trans && p.aOffs.length === 1) p.packedB = packedWeight(w, p.k, p.n, p.b.ld);
}

registerOp({
  name: 'linear',
  onnx: 'Gemm',
  kind: 'kernel',
  native: true,
  differentiable: true,
  checks: [
    { shapes: [[4, 5], [5, 3], [3]], run: (x, w, b) => linear(x, w, b) },
    { label: 'relu', shapes: [[6, 5], [5, 7], [7]], domain: 'awayFromZero', run: (x, w, b) => linear(x, w, b, 'relu') },
    { label: 'no bias, rank 3', shapes: [[2, 3, 4], [4, 2]], run: (x, w) => linear(x, w) },
    { label: 'large', shapes: [[33, 257], [257, 65], [65]], run: (x, w, b) => linear(x, w, b, 'relu'), grad: false },
    // Activations in the GEMM's per-block epilogue, on each GEMM route: tiles, dot products (n <= 16,
    // k >= 128), GEMV (one row) and the transposed narrow C.
    ...([['sigmoid', 'sigmoid'], ['silu', 'silu'], ['gelu', 'gelu'], ['hardSwish', 'hardSwish'],
      ['clip', { name: 'clip', min: -0.5, max: 0.7 }], ['hardSigmoid', { name: 'hardSigmoid', alpha: 0.15, beta: 0.55 }]] as const)
      .flatMap(([name, a]) => [
        { label: `${name}, tiles`, shapes: [[6, 5], [5, 7], [7]], run: (x: Tensor, w: Tensor, b: Tensor) => linear(x, mul(w, 0.3), b, a) },
        { label: `${name}, large`, shapes: [[70, 40], [40, 150], [150]], grad: false, run: (x: Tensor, w: Tensor, b: Tensor) => linear(x, mul(w, 0.3), b, a) },
        { label: `${name}, dots`, shapes: [[20, 130], [130, 10]], grad: false, run: (x: Tensor, w: Tensor) => linear(x, mul(w, 0.1), null, a) },
        { label: `${name}, gemv`, shapes: [[1, 30], [30, 9], [9]], run: (x: Tensor, w: Tensor, b: Tensor) => linear(x, mul(w, 0.3), b, a) },
      ]),
    {
      label: 'leakyRelu', shapes: [[6, 5], [5, 7], [7]], domain: 'awayFromZero',
      run: (x, w, b) => linear(x, mul(w, 0.01), mul(b, 5), { name: 'leakyRelu', alpha: 0.1 }),
    },
  ],
});
