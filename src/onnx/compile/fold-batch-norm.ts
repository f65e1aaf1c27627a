// Inference BatchNormalization folded into the convolution or Gemm before it: y = (x - mean) * s + beta
// with s = scale / sqrt(var + eps) is affine per channel, so scaling the producer's weights per
// output channel and rewriting its bias removes one full pass over the activations. One that
// cannot fold (DenseNet's and pre-activation ResNets' BatchNorm after a Concat or an Add) becomes
// a channelAffine kernel with the scale and shift computed once, which can then take the
// activation after it into the same pass.
import { batchNormAffine } from '../../ops/channel-affine';
import { reshape } from '../../ops/views';
import { Tensor } from '../../tensor/tensor';
import { type IrGraph, type IrNode, consumers, derive, fixed, onlyUse } from './ir';

function floats(t: Tensor): Float32Array {
  const c = t.contiguousCopy();
  return Float32Array.from(c.buffer.subarray(c.offset, c.offset + c.size) as Float32Array);
}

/** Per-channel scale and shift of an inference BatchNormalization, or null when its inputs are not fixed. */
function affine(bn: IrNode): { scale: Float64Array; shift: Float64Array } | null {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => fixed(bn.inputs[k] ?? null));
  if (!gamma || !beta || !mean || !variance) return null;
  const eps = bn.attrs!.float('epsilon', 1e-5);
  const [g, b, m, v] = [gamma, beta, mean, variance].map(floats) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const C = m.length;
  if (g.length !== C || b.length !== C || v.length !== C) return null;
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = g[c]! / Math.sqrt(v[c]! + eps);
    shift[c] = b[c]! - m[c]! * scale[c]!;
  }
  return { scale, shift };
}

function foldedBias(bias: Tensor | null, scale: Float64Array, shift: Float64Array): Tensor {
  const C = scale.length;
  const b = bias ? floats(bias) : new Float32Array(C);
  for (let c = 0; c < C; c++) b[c] = b[c]! * scale[c]! + shift[c]!;
  return Tensor.fromArray(b, [C]);
}

/** Conv: weight [Cout, ...] scaled along its first axis. */
function foldIntoConv(g: IrGraph, conv: IrNode, scale: Float64Array, shift: Float64Array): boolean {
  const w = fixed(conv.inputs[1] ?? null);
  if (!w || w.shape[0] !== scale.length) return false;
  const bias = conv.inputs[2] ? fixed(conv.inputs[2]) : null;
  if (conv.inputs[2] && !bias) return false;
  const kernel = derive(g.derived, w, 'bn-folded', () => {
    const k = floats(w);
    const per = k.length / scale.length;
    for (let i = 0; i < k.length; i++) k[i] = k[i]! * scale[Math.floor(i / per)]!;
    return Tensor.fromArray(k, w.shape.slice());
  });
  const b = derive(g.derived, w, 'bn-folded-bias', () => foldedBias(bias, scale, shift));
  conv.inputs = [conv.inputs[0]!, { kind: 'tensor', tensor: kernel, weight: false }, { kind: 'tensor', tensor: b, weight: false }];
  return true;
}

/** Gemm y = A·op(B) + C (alpha = beta = 1, C per output column): op(B)'s columns scaled. */
function foldIntoGemm(g: IrGraph, gemm: IrNode, scale: Float64Array, shift: Float64Array): boolean {
  const a = gemm.attrs!;
  if (a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1 || a.int('transA', 0) !== 0) return false;
  const B = fixed(gemm.inputs[1] ?? null);
  const transB = a.int('transB', 0) === 1;
  const C = scale.length;
  if (!B || B.rank !== 2 || B.shape[transB ? 0 : 1] !== C) return false;
  const bias = gemm.inputs[2] ? fixed(gemm.inputs[2]) : null;
  if (gemm.inputs[2] && (!bias || bias.rank !== 1 || bias.shape[0] !== C)) return false;
  const weight = derive(g.derived, B, 'bn-folded', () => {
    const k = floats(B);
    const cols = B.shape[1]!;
    for (let i = 0; i < k.length; i++) k[i] = k[i]! * scale[transB ? Math.floor(i / cols) : i % cols]!;
    return Tensor.fromArray(k, B.shape.slice());
  });
  const b = derive(g.derived, B, 'bn-folded-bias', () => foldedBias(bias, scale, shift));
  gemm.inputs = [gemm.inputs[0]!, { kind: 'tensor', tensor: weight, weight: false }, { kind: 'tensor', tensor: b, weight: false }];
  return true;
}

/**
 * Lowers every remaining BatchNormalization with fixed statistics to a channelAffine kernel
 * (channel axis 1 until the layout pass moves it). Returns the count.
 */
export function lowerBatchNorms(g: IrGraph): number {
  let lowered = 0;
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.kernel || bn.outputs[0]! < 0 || bn.outputs.filter((o) => o >= 0).length !== 1) continue;
    const x = bn.inputs[0];
    const rec = x?.kind === 'value' ? g.recorded[x.id] : undefined;
    if (!rec || rec.rank < 2 || rec.dtype !== 'float32') continue;
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => fixed(bn.inputs[k] ?? null));
    const c = rec.shape[1]!;
    if (!gamma || !beta || !mean || !variance || [gamma, beta, mean, variance].some((t) => t.size !== c || t.dtype !== 'float32')) continue;
    const flat = (t: Tensor): Tensor => reshape(t, [c]);
    // As batchNorm computes them, so the plan and the imported layer agree bit for bit.
    const { scale, shift } = batchNormAffine(flat(mean), flat(variance), flat(gamma), flat(beta), bn.attrs!.float('epsilon', 1e-5));
    bn.kernel = { kind: 'channelAffine', weight: scale, bias: shift, activation: 'linear', axis: 1 };
    lowered++;
  }
  return lowered;
}

/** Folds every BatchNormalization whose input is a Conv or Gemm output read by nothing else. Returns the count. */
export function foldBatchNorms(g: IrGraph): number {
  let folded = 0;
  let uses = consumers(g);
  const producer = new Map<number, IrNode>();
  for (const n of g.nodes) for (const o of n.outputs) if (o >= 0) producer.set(o, n);
  g.nodes.forEach((bn, k) => {
    if (bn.op !== 'BatchNormalization' || bn.outputs.filter((o) => o >= 0).length !== 1) return;
    const x = bn.inputs[0];
    if (x?.kind !== 'value' || !onlyUse(g, uses, x.id, k)) return;
    const p = producer.get(x.id);
    if (!p || (p.op !== 'Conv' && p.op !== 'Gemm') || p.outputs[0] !== x.id) return;
    const rec = g.recorded[x.id];
    if (!rec || rec.rank < 2) return;
    const aff = affine(bn);
    if (!aff || rec.shape[1] !== aff.scale.length) return;
    if (!(p.op === 'Conv' ? foldIntoConv(g, p, aff.scale, aff.shift) : foldIntoGemm(g, p, aff.scale, aff.shift))) return;
    p.outputs[0] = bn.outputs[0]!;
    bn.outputs = bn.outputs.map(() => -1);
    folded++;
  });
  if (folded) {
    g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
    uses = consumers(g);
  }
  return folded;
}
