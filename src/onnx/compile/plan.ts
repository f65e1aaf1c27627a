// An inference plan: the imported graph compiled for one input shape signature, run as a flat list
// of steps over an array of values (no name look-ups, no per-call validation or shape arithmetic).
import { conv2d, type Conv2DOptions } from '../../ops/conv';
import { linear } from '../../ops/linear';
import type { Tensor } from '../../tensor/tensor';
import { asFloat } from '../import/op-spec';
import { recordRun } from './build-ir';
import { foldBatchNorms } from './fold-batch-norm';
import { foldStatic } from './fold-static';
import { fuseEpilogues, fuseGatedActivations } from './fuse-activations';
import { type IrGraph, type IrNode, type KernelDesc, removeDead } from './ir';
import { assignLayout } from './layout';
import { lowerKernels } from './lower-kernels';

/** What compilation did, for tests and reports. */
export interface PlanStats {
  /** Nodes of the imported graph. */
  importedNodes: number;
  /** Steps the plan runs per call. */
  steps: number;
  foldedStatic: number;
  foldedBatchNorms: number;
  gatedActivations: number;
  kernels: number;
  fusedEpilogues: number;
  layoutConversions: number;
}

interface Step {
  op: string;
  run: (inputs: readonly (Tensor | null)[]) => Tensor[];
  /** Per input: a value id, or -1 for the fixed tensor (or null) at the same index of `fixed`. */
  src: Int32Array;
  fixed: (Tensor | null)[];
  outs: Int32Array;
  scratch: (Tensor | null)[];
}

function kernelRun(k: KernelDesc): (inputs: readonly (Tensor | null)[]) => Tensor[] {
  if (k.kind === 'linear') return (ins) => [linear(asFloat(ins[0]!), k.weight, k.bias, k.activation)];
  const opts: Conv2DOptions = {
    dataFormat: 'NHWC', strides: k.strides, dilations: k.dilations, padding: k.pads, groups: k.groups, bias: k.bias,
    activation: k.activation as Conv2DOptions['activation'],
  };
  return (ins) => [conv2d(asFloat(ins[0]!), k.weight, opts)];
}

function toStep(n: IrNode): Step {
  return {
    op: n.kernel ? `${n.op}+${n.kernel.activation}` : n.unary ? n.unary.name : n.op,
    run: n.kernel ? kernelRun(n.kernel) : n.run,
    src: Int32Array.from(n.inputs, (o) => (o?.kind === 'value' ? o.id : -1)),
    fixed: n.inputs.map((o) => (o?.kind === 'tensor' ? o.tensor : null)),
    outs: Int32Array.from(n.outputs),
    scratch: new Array<Tensor | null>(n.inputs.length).fill(null),
  };
}

/** The compiled graph for one input shape signature. */
export class InferencePlan {
  readonly stats: PlanStats;
  private readonly steps: Step[];
  private readonly inputIds: Int32Array;
  private readonly outputIds: Int32Array;
  private readonly valueCount: number;

  /** Compiles `g` (fresh from buildIr) with one recording run on `xs`; the caller runs this untracked. */
  constructor(g: IrGraph, xs: readonly Tensor[]) {
    const importedNodes = g.nodes.length;
    recordRun(g, xs);
    const foldedStatic = foldStatic(g);
    const foldedBatchNorms = foldBatchNorms(g);
    const gatedActivations = fuseGatedActivations(g);
    const kernels = lowerKernels(g);
    const fusedEpilogues = fuseEpilogues(g);
    const layoutConversions = assignLayout(g);
    removeDead(g);
    this.steps = g.nodes.map(toStep);
    this.inputIds = Int32Array.from(g.inputs);
    this.outputIds = Int32Array.from(g.outputs);
    this.valueCount = g.valueCount;
    g.recorded = [];
    this.stats = { importedNodes, steps: this.steps.length, foldedStatic, foldedBatchNorms, gatedActivations, kernels, fusedEpilogues, layoutConversions };
  }

  /** Runs the plan; with `profile`, adds each step's milliseconds to its op's entry. */
  run(xs: readonly Tensor[], profile?: Map<string, number>): Tensor[] {
    const vals = new Array<Tensor | undefined>(this.valueCount);
    for (let i = 0; i < this.inputIds.length; i++) vals[this.inputIds[i]!] = xs[i];
    for (const s of this.steps) {
      const ins = s.scratch;
      for (let k = 0; k < ins.length; k++) {
        const id = s.src[k]!;
        ins[k] = id >= 0 ? vals[id]! : s.fixed[k]!;
      }
      const t0 = profile ? performance.now() : 0;
      const outs = s.run(ins);
      if (profile) {
        profile.set(s.op, (profile.get(s.op) ?? 0) + performance.now() - t0);
      }
      for (let k = 0; k < s.outs.length; k++) {
        const id = s.outs[k]!;
        if (id >= 0) vals[id] = outs[k];
      }
      ins.fill(null);
    }
    return Array.from(this.outputIds, (id) => vals[id]!);
  }
}
