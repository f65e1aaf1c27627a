// One internal layout: convolutions run channels-last, and so does every op after them that can
// (elementwise ops, pooling, BatchNormalization, channel Concat), converting at the region's edges
// only: before an op that depends on the channels-first layout (Flatten, Reshape, Transpose, Gemm,
// Softmax, ...) and at the graph's outputs. Before, every convolution transposed its input to
// channels-last and its output back.
import { batchNorm } from '../../ops/normalization';
import { copyView, materialize } from '../../ops/copy';
import { concat } from '../../ops/movement';
import { max, mean, min, sum } from '../../ops/reduce';
import { logSoftmax, softmax } from '../../ops/softmax';
import { reshape, transpose } from '../../ops/views';
import { Tensor } from '../../tensor/tensor';
import { pool2dNode, resizeNode } from '../import/ops/nn';
import { asFloat, type OpContext } from '../import/op-spec';
import { int32Tensor, normAxis } from '../import/values';
import { channelShuffle } from './fuse-channel-shuffle';
import { type IrGraph, type IrNode, type Operand, fixed } from './ir';

const TO_NHWC = [0, 2, 3, 1];
/** Where channels-first axis k of a rank-4 tensor sits channels-last. */
const AXIS_IN_NHWC = [0, 3, 1, 2];

/** Ops applied element by element to input 0 (other inputs are scalar parameters). */
const UNARY: ReadonlySet<string> = new Set([
  'Unary', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'Softplus', 'Softsign', 'Erf', 'Sign', 'Reciprocal', 'Clip',
  'HardSwish', 'HardSigmoid', 'Neg', 'Exp', 'Log', 'Sqrt', 'Abs', 'Identity', 'Dropout', 'Cast', 'Not', 'Mish', 'Gelu', 'Floor', 'Ceil', 'Round',
]);
/** Broadcasting ops over all their inputs. */
const BROADCAST: ReadonlySet<string> = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Where', 'PRelu',
]);

function permuted(t: Tensor, perm: number[]): Tensor {
  return materialize(transpose(t, perm));
}

const constantsNhwc = new WeakMap<Tensor, Tensor>();

/** A fixed operand broadcast against a rank-4 tensor, moved to channels-last (or null when rank > 4). */
function constantNhwc(t: Tensor): Tensor | null {
  if (t.rank > 4) return null;
  let c = constantsNhwc.get(t);
  if (!c) {
    const four = [...new Array<number>(4 - t.rank).fill(1), ...t.shape];
    c = permuted(reshape(t, four), TO_NHWC);
    constantsNhwc.set(t, c);
  }
  return c;
}

/**
 * x moved between [N, C, HW] and [N, HW, C] (H and W together). The copy's inner loop runs along
 * the longer of C and HW: a strided copy in destination order would run 3-long inner loops over an
 * RGB image's channels (2 ms for a 224x224 input, against 0.2 ms along HW).
 */
function convertLayout(xIn: Tensor, toNhwc: boolean): Tensor {
  const x = xIn.isContiguous ? xIn : materialize(xIn);
  const [n, a, b, c] = x.shape as [number, number, number, number];
  const [C, HW] = toNhwc ? [a, b * c] : [c, a * b];
  const out = Tensor.empty(toNhwc ? [n, b, c, a] : [n, C, a, b], x.dtype);
  // Strides of [N, C, HW] in the channels-first and the channels-last tensor.
  const first = [C * HW, HW, 1];
  const last = [C * HW, 1, C];
  const [src, dst] = toNhwc ? [first, last] : [last, first];
  const shape = [n, C, HW];
  if (C > HW) {
    // Inner loop over C: iterate [N, HW, C].
    const swap = (s: number[]): number[] => [s[0]!, s[2]!, s[1]!];
    copyView([n, HW, C], x.buffer, { offset: x.offset, strides: swap(src) }, out.buffer, { offset: 0, strides: swap(dst) });
  } else {
    copyView(shape, x.buffer, { offset: x.offset, strides: src }, out.buffer, { offset: 0, strides: dst });
  }
  return out;
}

function conversion(op: 'ToNhwc' | 'ToNchw', from: number, to: number): IrNode {
  const toNhwc = op === 'ToNhwc';
  return { op, name: op, inputs: [{ kind: 'value', id: from }], outputs: [to], attrs: null, opset: 0, run: (ins) => [convertLayout(ins[0]!, toNhwc)] };
}

/** Rewrites the graph to run channels-last where it can. Returns how many layout conversions the plan keeps. */
export function assignLayout(g: IrGraph): number {
  const nhwc: boolean[] = [];
  const isNhwc = (id: number): boolean => nhwc[id] === true;
  const out: IrNode[] = [];
  const cache = { ToNhwc: new Map<number, number>(), ToNchw: new Map<number, number>() };
  let conversions = 0;
  const convert = (op: 'ToNhwc' | 'ToNchw', id: number): number => {
    let to = cache[op].get(id);
    if (to === undefined) {
      to = g.valueCount++;
      out.push(conversion(op, id, to));
      g.recorded[to] = undefined;
      nhwc[to] = op === 'ToNhwc';
      cache[op].set(id, to);
      conversions++;
    }
    return to;
  };
  const asNchw = (o: Operand): Operand => (o?.kind === 'value' && isNhwc(o.id) ? { kind: 'value', id: convert('ToNchw', o.id) } : o);
  const rank = (id: number): number => g.recorded[id]?.rank ?? -1;
  const markOut = (n: IrNode): void => n.outputs.forEach((o) => o >= 0 && (nhwc[o] = true));
  const ctxOf = (n: IrNode): OpContext => ({ where: `${n.op} node '${n.name}'` } as OpContext);

  for (const n of g.nodes) {
    if (n.kernel?.kind === 'conv2d' || n.kernel?.kind === 'conv2dTranspose') {
      const x = n.inputs[0] as { kind: 'value'; id: number };
      n.inputs[0] = { kind: 'value', id: isNhwc(x.id) ? x.id : convert('ToNhwc', x.id) };
      const r = n.kernel.residual ? (n.inputs[1] as { kind: 'value'; id: number }) : null;
      if (r) n.inputs[1] = { kind: 'value', id: isNhwc(r.id) ? r.id : convert('ToNhwc', r.id) };
      out.push(n);
      markOut(n);
      continue;
    }
    const perm = n.op === 'Transpose' ? n.attrs!.ints('perm')?.join(',') : undefined;
    const x0 = n.inputs[0];
    if (perm && x0?.kind === 'value' && rank(x0.id) === 4 && n.outputs.length === 1 && n.outputs[0]! >= 0) {
      // ConvNeXt's blocks permute to channels-last around LayerNorm and the MLP and back: a
      // channels-first value stored channels-last is, permuted to NHWC, its storage as it stands;
      // and permuting an NHWC tensor to NCHW gives a value whose channels-last form is that tensor.
      // Both become the identity instead of a layout conversion plus a transposing copy.
      if (perm === '0,2,3,1' && isNhwc(x0.id)) {
        n.run = (ins) => [ins[0]!];
        out.push(n);
        continue;
      }
      if (perm === '0,3,1,2' && !isNhwc(x0.id)) {
        n.run = (ins) => [ins[0]!];
        out.push(n);
        markOut(n);
        continue;
      }
    }
    const anyNhwc = n.inputs.some((o) => o?.kind === 'value' && isNhwc(o.id));
    if (anyNhwc && droppedAxesReduce(n)) {
      // Its output is the same tensor in either layout: not marked channels-last.
      out.push(n);
      continue;
    }
    if (anyNhwc && channelsLast(n)) {
      out.push(n);
      markOut(n);
      continue;
    }
    n.inputs = n.inputs.map(asNchw);
    out.push(n);
  }
  g.nodes = out;
  g.outputs = g.outputs.map((id) => (isNhwc(id) ? convert('ToNchw', id) : id));
  return conversions;

  /**
   * A reduction with keepdims = 0 over a channels-last input whose remaining axes keep their order
   * in both layouts (ShuffleNet's mean over H and W, [N, C, H, W] -> [N, C]): the same output from
   * the channels-last tensor, so no conversion before it. Converting first cost shufflenet_v2 a
   * transposing copy of [1, 7, 7, 1024] (~50 us) plus a reduction over 49-long rows (~20 us) at
   * batch 1; channels-last it is one pass over contiguous channel vectors.
   */
  function droppedAxesReduce(n: IrNode): boolean {
    const fn = REDUCERS[n.op];
    const x = n.inputs[0];
    if (!fn || x?.kind !== 'value' || !isNhwc(x.id) || rank(x.id) !== 4) return false;
    if (n.outputs.length !== 1 || n.outputs[0]! < 0 || n.attrs!.int('keepdims', 1) !== 0) return false;
    const fromInput = n.inputs.length > 1 && n.inputs[1] !== null;
    const axesTensor = fromInput ? fixed(n.inputs[1]!) : null;
    if (fromInput && !axesTensor) return false;
    const given = axesTensor ? Array.from(axesTensor.dataSync()) : n.attrs!.ints('axes');
    if (!given || given.length === 0) return false;
    const reduced = new Set(given.map((ax) => normAxis(ax, 4, ctxOf(n).where)));
    const kept = [0, 1, 2, 3].filter((ax) => !reduced.has(ax)).map((ax) => AXIS_IN_NHWC[ax]!);
    if (!kept.every((ax, i) => i === 0 || ax > kept[i - 1]!)) return false;
    const axes = [...reduced].map((ax) => AXIS_IN_NHWC[ax]!);
    n.inputs = [x];
    n.run = (ins) => [fn(asFloat(ins[0]!), axes, false)];
    return true;
  }

  /** Makes `n` run channels-last if it can (rewriting operands and run); false leaves it alone. */
  function channelsLast(n: IrNode): boolean {
    const single = n.outputs.filter((o) => o >= 0).length === 1 && n.outputs[0]! >= 0;
    const x = n.inputs[0];
    const xNhwc = x?.kind === 'value' && isNhwc(x.id);
    if (UNARY.has(n.op)) {
      return single && xNhwc && n.inputs.slice(1).every((o) => o?.kind !== 'value');
    }
    if (BROADCAST.has(n.op)) {
      if (!single || rank(n.outputs[0]!) !== 4) return false;
      const ins: Operand[] = [];
      for (const o of n.inputs) {
        if (o === null) return false;
        if (o.kind === 'tensor') {
          const c = constantNhwc(o.tensor);
          if (!c) return false;
          ins.push({ kind: 'tensor', tensor: c, weight: false });
        } else if (isNhwc(o.id)) {
          ins.push(o);
        } else if (rank(o.id) === 4) {
          ins.push({ kind: 'value', id: convert('ToNhwc', o.id) });
        } else {
          return false;
        }
      }
      n.inputs = ins;
      return true;
    }
    if (!xNhwc || rank((x as { id: number }).id) !== 4) return false;
    const a = n.attrs;
    switch (n.op) {
      case 'MaxPool':
      case 'AveragePool': {
        if (!single || n.outputs.length > 1 && n.outputs[1]! >= 0) return false;
        if ((a!.ints('dilations') ?? []).some((d) => d !== 1)) return false;
        const kind = n.op === 'MaxPool' ? 'max' : 'avg';
        const ctx = ctxOf(n);
        n.run = (ins) => [pool2dNode(kind, asFloat(ins[0]!), a!, ctx, true)];
        return true;
      }
      case 'GlobalAveragePool':
        n.run = (ins) => [mean(asFloat(ins[0]!), [1, 2], true)];
        return single;
      case 'GlobalMaxPool':
        n.run = (ins) => [max(asFloat(ins[0]!), [1, 2], true)];
        return single;
      case 'BatchNormalization': {
        if (!single || n.inputs.slice(1).some((o) => o?.kind !== 'tensor')) return false;
        if (n.kernel?.kind === 'channelAffine') {
          n.kernel.axis = 3;
          return true;
        }
        const epsilon = a!.float('epsilon', 1e-5);
        n.run = (ins) => [batchNorm(asFloat(ins[0]!), ins[3]!, ins[4]!, ins[1], ins[2], { axis: 3, epsilon })];
        return true;
      }
      case 'Concat': {
        if (!single || n.inputs.some((o) => o === null || (o.kind === 'value' && rank(o.id) !== 4))) return false;
        const axis = AXIS_IN_NHWC[normAxis(a!.int('axis', 0), 4, ctxOf(n).where)]!;
        const ins: Operand[] = [];
        for (const o of n.inputs) {
          if (o!.kind === 'tensor') {
            if (o!.tensor.rank !== 4) return false;
            ins.push({ kind: 'tensor', tensor: constantNhwc(o!.tensor)!, weight: false });
          } else {
            ins.push({ kind: 'value', id: isNhwc(o!.id) ? o!.id : convert('ToNhwc', o!.id) });
          }
        }
        n.inputs = ins;
        n.concatAxis = axis;
        n.run = (xs) => {
          const parts = (xs as Tensor[]).filter((t) => t.shape[axis] !== 0);
          return [parts.length === 1 ? parts[0]! : concat(parts.length ? parts : (xs as Tensor[]), axis)];
        };
        return true;
      }
      case 'ChannelShuffle': {
        const groups = n.shuffleGroups;
        if (!single || groups === undefined) return false;
        n.run = (ins) => [channelShuffle(ins[0]!, groups, true)];
        return true;
      }
      case 'Slice': {
        // From opset 10 starts, ends, axes and steps are inputs: with fixed ones, the same op slices
        // channels-last once the axes follow the layout (a view, as channels-first).
        if (!single || n.opset < 10 || n.inputs.slice(1).some((o) => o?.kind === 'value')) return false;
        const starts = fixed(n.inputs[1] ?? null);
        if (!starts) return false;
        const axesT = n.inputs[3] ? fixed(n.inputs[3]) : null;
        if (n.inputs[3] && !axesT) return false;
        const given = axesT ? Array.from(axesT.dataSync()) : Array.from(starts.dataSync(), (_, i) => i);
        const axes = given.map((ax) => AXIS_IN_NHWC[normAxis(ax, 4, ctxOf(n).where)]!);
        const ins = n.inputs.slice();
        while (ins.length < 4) ins.push(null);
        ins[3] = { kind: 'tensor', tensor: int32Tensor(axes), weight: false };
        n.inputs = ins;
        return true;
      }
      case 'Resize': {
        if (!single || n.inputs.slice(1).some((o) => o?.kind === 'value')) return false;
        const ctx = { ...ctxOf(n), opset: n.opset };
        n.run = (ins) => [resizeNode(ins, a!, ctx, true)];
        return true;
      }
      case 'Softmax':
      case 'LogSoftmax': {
        // Before opset 13 these flatten from `axis` on: not a per-axis op to move.
        if (!single || n.opset < 13) return false;
        const axis = AXIS_IN_NHWC[normAxis(a!.int('axis', -1), 4, ctxOf(n).where)]!;
        const fn = n.op === 'Softmax' ? softmax : logSoftmax;
        n.run = (ins) => [fn(asFloat(ins[0]!), axis)];
        return true;
      }
      case 'ReduceSum':
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceMin': {
        // Kept dims keep the rank (and the layout); the axes are read once, here.
        if (!single || a!.int('keepdims', 1) !== 1) return false;
        const fromInput = n.inputs.length > 1 && n.inputs[1] !== null;
        const axesTensor = fromInput ? fixed(n.inputs[1]!) : null;
        if (fromInput && !axesTensor) return false;
        const given = axesTensor ? Array.from(axesTensor.dataSync()) : a!.ints('axes');
        if (!given || given.length === 0) return false;
        const axes = given.map((ax) => AXIS_IN_NHWC[normAxis(ax, 4, ctxOf(n).where)]!);
        const fn = REDUCERS[n.op]!;
        n.inputs = [n.inputs[0]!];
        n.run = (ins) => [fn(asFloat(ins[0]!), axes, true)];
        return true;
      }
      case 'Pad': {
        // From opset 11 the pads are an input ([begin per axis, end per axis], or per listed axes):
        // the same op pads channels-last once the pads (or axes) follow the axes.
        if (!single || n.opset < 11 || !n.inputs[1] || n.inputs.slice(1).some((o) => o?.kind === 'value')) return false;
        const padsT = fixed(n.inputs[1]);
        const axesT = n.inputs[3] ? fixed(n.inputs[3]) : null;
        if (!padsT || (n.inputs[3] && !axesT)) return false;
        if (axesT) {
          const axes = Array.from(axesT.dataSync(), (ax) => AXIS_IN_NHWC[normAxis(ax, 4, ctxOf(n).where)]!);
          n.inputs[3] = { kind: 'tensor', tensor: int32Tensor(axes), weight: false };
        } else {
          const p = Array.from(padsT.dataSync());
          if (p.length !== 8) return false;
          const order = [0, 2, 3, 1];
          n.inputs[1] = { kind: 'tensor', tensor: int32Tensor([...order.map((k) => p[k]!), ...order.map((k) => p[4 + k]!)]), weight: false };
        }
        return true;
      }
      default:
        return false;
    }
  }
}

const REDUCERS: Readonly<Record<string, (x: Tensor, axes: number[], keep: boolean) => Tensor>> = { ReduceSum: sum, ReduceMean: mean, ReduceMax: max, ReduceMin: min };
