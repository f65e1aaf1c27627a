// The inference plan's graph: the imported model's OnnxNode calls as nodes over numbered values,
// which the compile passes rewrite (fold, fuse, change layout) before the plan turns each node into
// a closure. Weights stay the live tensors of the layers; values derived from them (folded
// BatchNorm, pre-packed filters) are rebuilt when a weight changes (see planner.ts).
import type { Tensor } from '../../tensor/tensor';
import type { NodeAttributes } from '../import/attributes';
import type { FusedActivation } from '../../ops/fused-activation';

/** An input of a node: a value computed per call, a fixed tensor, or an omitted optional input. */
export type Operand = { kind: 'value'; id: number } | { kind: 'tensor'; tensor: Tensor; weight: boolean } | null;

/** A convolution, dense layer or per-channel affine map lowered for the plan, with its epilogue. */
export interface KernelDesc {
  kind: 'conv2d' | 'conv2dTranspose' | 'linear' | 'channelAffine';
  /**
   * Conv: [kh, kw, Cin/groups, Cout] packed once; ConvTranspose: [kh, kw, Cout/groups, Cin]; linear: [in, out];
   * channelAffine: the per-channel scale [C].
   */
  weight: Tensor;
  /** The bias; channelAffine: the per-channel shift [C]. */
  bias: Tensor | null;
  /** channelAffine: the channel axis (1, or 3 once the layout pass runs it channels-last). */
  axis?: number;
  activation: FusedActivation;
  strides?: [number, number];
  dilations?: [number, number];
  pads?: [number, number][];
  groups?: number;
  /** ConvTranspose: the output's [H, W]. */
  outSize?: [number, number];
  /** Conv, linear: the node's input 1 is added before the activation (a fused residual Add). */
  residual?: boolean;
  /**
   * Conv (set by concatConvsInPlace): the output is channels [channelOffset, channelOffset + Cout)
   * of a channel Concat's [N, H, W, channels] buffer. The first part in plan order makes the buffer
   * (`makes`: its shape; the part's output value is the Concat's); each later part gets it as its
   * last input and outputs nothing.
   */
  into?: { channelOffset: number; makes: number[] | null };
}

export interface IrNode {
  /** The ONNX op type, or a plan op (ToNhwc, ToNchw, Unary, ...). */
  op: string;
  /** The layer's name (profiles and error messages). */
  name: string;
  inputs: Operand[];
  /** Value ids; -1 for an output nobody computes. */
  outputs: number[];
  attrs: NodeAttributes | null;
  /** The model's ai.onnx opset (op semantics depend on it); 0 for the plan's own ops. */
  opset: number;
  /** Runs the node in the graph's original (ONNX, channels-first) semantics. */
  run: (inputs: readonly (Tensor | null)[]) => Tensor[];
  /** Set by lowering: the node is a convolution or GEMM the plan runs itself. */
  kernel?: KernelDesc;
  /** Set by rewrites: a unary op of the table with its parameters. */
  unary?: { name: string; p0?: number; p1?: number };
  /** Set by assignLayout on a Concat it runs channels-last: the axis it joins (3 for channels). */
  concatAxis?: number;
  /** Set by fuseChannelShuffles: the ChannelShuffle node's group count. */
  shuffleGroups?: number;
}

/**
 * Tensors derived from fixed ones (folded BatchNorm, packed filters), by source tensor and kind:
 * shared by the plans of every input shape and dropped with them when a weight changes, so a
 * model predicting at several batch sizes holds one packed copy of its weights, not one per size.
 */
export type DerivedCache = Map<Tensor, Map<string, Tensor>>;

/** The tensor `make` derives from `source` as `kind`, made once per cache. */
export function derive(cache: DerivedCache, source: Tensor, kind: string, make: () => Tensor): Tensor {
  let bySource = cache.get(source);
  if (!bySource) cache.set(source, (bySource = new Map()));
  let t = bySource.get(kind);
  if (!t) bySource.set(kind, (t = make()));
  return t;
}

export interface IrGraph {
  /** Shared with the model's other plans (see {@link DerivedCache}). */
  derived: DerivedCache;
  nodes: IrNode[];
  inputs: number[];
  outputs: number[];
  /** Per value id: the tensor of the recording run (original layout), for shapes and static folding. */
  recorded: (Tensor | undefined)[];
  /** Every weight and constant the imported nodes read (never released by the plan). */
  pinned: Set<Tensor>;
  valueCount: number;
}

/** For each value id, the indices of the nodes reading it. */
export function consumers(g: IrGraph): number[][] {
  const uses: number[][] = Array.from({ length: g.valueCount }, () => []);
  g.nodes.forEach((n, k) => {
    for (const o of n.inputs) if (o?.kind === 'value') uses[o.id]!.push(k);
  });
  return uses;
}

/** Whether `id` is read by exactly the one node `k` and is not a graph output. */
export function onlyUse(g: IrGraph, uses: number[][], id: number, k: number): boolean {
  const u = uses[id]!;
  return u.length > 0 && u.every((i) => i === k) && !g.outputs.includes(id);
}

/** Drops nodes whose outputs nobody reads (shape arithmetic after folding, fused-away ops). */
export function removeDead(g: IrGraph): void {
  const live = new Set(g.outputs);
  const kept: IrNode[] = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (!n.outputs.some((o) => o >= 0 && live.has(o))) continue;
    kept.push(n);
    for (const i of n.inputs) if (i?.kind === 'value') live.add(i.id);
  }
  g.nodes = kept.reverse();
}

/** A fixed tensor operand (a weight when it is read from a layer's weights). */
export function fixed(o: Operand): Tensor | null {
  return o?.kind === 'tensor' ? o.tensor : null;
}
