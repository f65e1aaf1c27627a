// Activation rewrites: x·sigmoid(x) and x·hardSigmoid(x) (how PyTorch exports SiLU and, before
// opset 14, HardSwish) become one unary op; then an activation that is the only reader of a lowered
// convolution's or GEMM's output moves into that kernel's epilogue when the kernels have it
// (toFusedActivation decides, so new epilogues are picked up without edits here).
import { toFusedActivation } from '../../ops/fused-activation';
import { unaryEntries } from '../../ops/unary-table';
import type { Tensor } from '../../tensor/tensor';
import { type IrGraph, type IrNode, consumers, fixed, onlyUse } from './ir';

/** The unary op (table name and parameters) a node computes, or null. */
export function activationOf(n: IrNode): { name: string; p0?: number; p1?: number } | null {
  if (n.unary) return n.unary;
  switch (n.op) {
    case 'Relu':
      return { name: 'relu' };
    case 'Sigmoid':
      return { name: 'sigmoid' };
    case 'Tanh':
      return { name: 'tanh' };
    case 'HardSwish':
      return { name: 'hardSwish' };
    case 'LeakyRelu':
      return { name: 'leakyRelu', p0: n.attrs!.float('alpha', 0.01) };
    case 'HardSigmoid':
      // Squeeze-and-excitation's gate (MobileNetV3) after its second 1x1 convolution.
      return { name: 'hardSigmoid', p0: n.attrs!.float('alpha', 0.2), p1: n.attrs!.float('beta', 0.5) };
    case 'Clip': {
      if (n.inputs.length > 1) {
        const bound = (k: number, dflt: number): number | null => {
          const o = n.inputs[k] ?? null;
          if (o === null) return dflt;
          const t = fixed(o);
          return t && t.size === 1 ? t.dataSync()[0]! : null;
        };
        const lo = bound(1, -Infinity);
        const hi = bound(2, Infinity);
        return lo === null || hi === null ? null : { name: 'clip', p0: lo, p1: hi };
      }
      return { name: 'clip', p0: n.attrs!.float('min', -Infinity), p1: n.attrs!.float('max', Infinity) };
    }
    default:
      return null;
  }
}

/** A node applying the table's unary op `name` to input 0. */
export function unaryNode(name: string, like: IrNode, input: IrNode['inputs'][number], outputs: number[], p0?: number, p1?: number): IrNode {
  const entry = unaryEntries().find((e) => e.name === name);
  if (!entry) throw new Error(`inference plan: unary op '${name}' is missing from the table`);
  return {
    op: 'Unary', name: like.name, inputs: [input], outputs, attrs: null, opset: 0,
    unary: { name, p0, p1 },
    run: (ins: readonly (Tensor | null)[]) => [entry.apply(ins[0]!, p0, p1)],
  };
}

const HARD_SIGMOID_OF_HARD_SWISH = { alpha: 1 / 6, beta: 0.5 };

/** Mul(x, Sigmoid(x)) -> silu(x); Mul(x, HardSigmoid(x)) with HardSwish's constants -> hardSwish(x). Returns the count. */
export function fuseGatedActivations(g: IrGraph): number {
  const uses = consumers(g);
  const producer = new Map<number, number>();
  g.nodes.forEach((n, k) => n.outputs.forEach((o) => o >= 0 && producer.set(o, k)));
  let count = 0;
  g.nodes.forEach((mul, k) => {
    if (mul.op !== 'Mul' || mul.inputs.length !== 2) return;
    for (const side of [0, 1]) {
      const gate = mul.inputs[side];
      const x = mul.inputs[1 - side];
      if (gate?.kind !== 'value' || x?.kind !== 'value') continue;
      const gk = producer.get(gate.id);
      if (gk === undefined) continue;
      const gn = g.nodes[gk]!;
      const gx = gn.inputs[0];
      if (gx?.kind !== 'value' || gx.id !== x.id || !onlyUse(g, uses, gate.id, k)) continue;
      let name: string | null = null;
      if (gn.op === 'Sigmoid') name = 'silu';
      if (gn.op === 'HardSigmoid') {
        const alpha = gn.attrs!.float('alpha', 0.2);
        const beta = gn.attrs!.float('beta', 0.5);
        if (Math.abs(alpha - HARD_SIGMOID_OF_HARD_SWISH.alpha) < 1e-6 && beta === HARD_SIGMOID_OF_HARD_SWISH.beta) name = 'hardSwish';
      }
      if (!name) continue;
      const rec = g.recorded[x.id];
      if (!rec || rec.dtype !== 'float32') continue;
      g.nodes[k] = unaryNode(name, mul, x, mul.outputs.slice());
      gn.outputs = gn.outputs.map(() => -1);
      count++;
      return;
    }
  });
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}

/** Moves activations into the epilogue of the lowered kernel before them, where the kernels allow. Returns the count. */
export function fuseEpilogues(g: IrGraph): number {
  const uses = consumers(g);
  const producer = new Map<number, IrNode>();
  for (const n of g.nodes) for (const o of n.outputs) if (o >= 0) producer.set(o, n);
  let count = 0;
  g.nodes.forEach((act, k) => {
    const x = act.inputs[0];
    if (x?.kind !== 'value' || act.outputs.filter((o) => o >= 0).length !== 1) return;
    const p = producer.get(x.id);
    if (!p?.kernel || p.kernel.kind === 'conv2dTranspose' || p.kernel.activation !== 'linear' || p.outputs[0] !== x.id || !onlyUse(g, uses, x.id, k)) return;
    const a = activationOf(act);
    const fused = a ? toFusedActivation(a.name, a.p0, a.p1) : null;
    if (!fused) return;
    p.kernel.activation = fused;
    p.outputs[0] = act.outputs[0]!;
    act.outputs = act.outputs.map(() => -1);
    count++;
  });
  if (count) g.nodes = g.nodes.filter((n) => n.outputs.some((o) => o >= 0));
  return count;
}
